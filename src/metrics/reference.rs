//! The statistics of TID against a training set: reference draws (distinct rows, from a named
//! random stream), their neighbour counts computed once, TID with its spread over the draws, and
//! the sample standard deviation every spread and error bar uses.

use super::{TidPoint, neighbour_counts, tid::tid_from_counts};
use crate::points::Points;
use crate::rng::{self, Stream};
use crate::stats::std_dev;
use serde::{Deserialize, Serialize};

/// TID at one radius, with its spread over repeated reference draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TidEntry {
    #[serde(flatten)]
    pub point: TidPoint,
    /// Standard deviation of TID over `metrics.repeats` independent reference draws.
    pub tid_std: Option<f64>,
}

/// `n` distinct rows of `data`, drawn with the seed's reference stream `index`.
pub fn subsample(data: &Points, n: usize, seed: u64, index: u64) -> Points {
    data.select(&subsample_indices(data.len(), n, seed, index))
}

/// `n` distinct indices below `total`, drawn with the seed's reference stream `index`.
pub fn subsample_indices(total: usize, n: usize, seed: u64, index: u64) -> Vec<usize> {
    let mut r = rng::stream(seed, Stream::Reference, index);
    // Partial Fisher–Yates over a sparse permutation: O(n) memory for any data size.
    let mut swapped: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut idx = Vec::with_capacity(n);
    for i in 0..n.min(total) {
        let j = i + rng::index(&mut r, total - i);
        let vj = *swapped.get(&j).unwrap_or(&j);
        let vi = *swapped.get(&i).unwrap_or(&i);
        swapped.insert(j, vi);
        idx.push(vj);
    }
    idx
}

/// Neighbour counts of each reference draw at each radius: `[draw][radius]`, computed once
/// and shared by every sampler and the noise floor.
pub fn reference_counts(refs: &[Points], eps: &[f64]) -> Vec<Vec<Vec<u32>>> {
    refs.iter().map(|r| eps.iter().map(|&e| neighbour_counts(r, e)).collect()).collect()
}

/// The neighbour counts of `samples` at each radius (the quadratic part of TID): what
/// [`tid_with_spread_of`] and [`tid_grid_of`] share, so a run with a k grid counts once.
pub fn sample_counts(samples: &Points, eps: &[f64]) -> Vec<Vec<u32>> {
    eps.iter().map(|&e| neighbour_counts(samples, e)).collect()
}

/// TID of `samples` against the reference draws: the first draw's values, the spread over all.
pub fn tid_with_spread(ref_counts: &[Vec<Vec<u32>>], samples: &Points, eps: &[f64], k: Option<usize>) -> Vec<TidEntry> {
    tid_with_spread_of(ref_counts, &sample_counts(samples, eps), eps, k)
}

/// [`tid_with_spread`] from the samples' counts at each radius ([`sample_counts`]).
pub fn tid_with_spread_of(ref_counts: &[Vec<Vec<u32>>], counts: &[Vec<u32>], eps: &[f64], k: Option<usize>) -> Vec<TidEntry> {
    eps.iter()
        .enumerate()
        .map(|(i, &e)| {
            let points: Vec<TidPoint> = ref_counts.iter().map(|r| tid_from_counts(&r[i], &counts[i], e, k)).collect();
            let tids: Vec<f64> = points.iter().filter_map(|p| p.tid).collect();
            TidEntry { tid_std: std_dev(&tids), point: points[0].clone() }
        })
        .collect()
}

/// TID over a grid of Hill's k and radii e (TID's robustness to its two choices): rows per k,
/// columns per e, each the first reference draw's TID with its spread over all draws, as
/// [`tid_with_spread`] gives at the run's own k.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TidGrid {
    pub k: Vec<usize>,
    pub eps: Vec<f64>,
    pub tid: Vec<Vec<Option<f64>>>,
    pub tid_std: Vec<Vec<Option<f64>>>,
}

/// The grid of `ks` x `eps` for `samples` against the reference draws' counts (`[draw][radius]`,
/// from [`reference_counts`]); the samples' counts are taken once per radius.
pub fn tid_grid(ref_counts: &[Vec<Vec<u32>>], samples: &Points, eps: &[f64], ks: &[usize]) -> TidGrid {
    tid_grid_of(ref_counts, &sample_counts(samples, eps), eps, ks)
}

/// [`tid_grid`] from the samples' counts at each radius ([`sample_counts`]).
pub fn tid_grid_of(ref_counts: &[Vec<Vec<u32>>], sample_counts: &[Vec<u32>], eps: &[f64], ks: &[usize]) -> TidGrid {
    let mut tid = vec![vec![None; eps.len()]; ks.len()];
    let mut tid_std = tid.clone();
    for (i, &k) in ks.iter().enumerate() {
        for (j, &e) in eps.iter().enumerate() {
            let tids: Vec<Option<f64>> = ref_counts.iter().map(|r| tid_from_counts(&r[j], &sample_counts[j], e, Some(k)).tid).collect();
            tid[i][j] = tids[0];
            tid_std[i][j] = std_dev(&tids.iter().flatten().copied().collect::<Vec<_>>());
        }
    }
    TidGrid { k: ks.to_vec(), eps: eps.to_vec(), tid, tid_std }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    /// The grid's row at k = N is TID at the run's own k = N, spread included; other k give
    /// other values; a collapsed set is above the data's floor at k = N.
    #[test]
    fn the_k_grid_row_at_k_equal_n_is_the_runs_tid() {
        let n = 600;
        let eps = [0.05, 0.1, 0.2];
        let refs: Vec<Points> = (0..3).map(|r| Dataset::Mog.generate(n, 2, 10 + r)).collect();
        let counts = reference_counts(&refs, &eps);
        // Collapse by hand: a tenth of the points land on one spot each of six (a heavy tail
        // of neighbour counts).
        let mut clumped = Dataset::Mog.generate(n, 2, 99);
        for i in (0..n).filter(|i| i % 10 == 0) {
            let at = (i / 10 % 6) * 2;
            let (x, y) = (clumped.data[at], clumped.data[at + 1]);
            clumped.data[2 * i] = x;
            clumped.data[2 * i + 1] = y;
        }
        let grid = tid_grid(&counts, &clumped, &eps, &[50, 200, n]);
        assert_eq!((grid.tid.len(), grid.tid[0].len()), (3, 3));
        let at_n = tid_with_spread(&counts, &clumped, &eps, None);
        for (j, e) in at_n.iter().enumerate() {
            assert_eq!(grid.tid[2][j], e.point.tid);
            assert_eq!(grid.tid_std[2][j], e.tid_std);
        }
        assert_ne!(grid.tid[0], grid.tid[2], "k changes TID");
        let fresh = tid_grid(&counts, &Dataset::Mog.generate(n, 2, 7), &eps, &[50, 200, n]);
        // At k = N the clumps show at every radius. (At small k Hill's estimator sees only the
        // clumps' own, similar counts and can read the set as light-tailed: the grid is there to
        // show where a verdict holds.)
        for (t, f) in grid.tid[2].iter().zip(&fresh.tid[2]) {
            let (t, f) = (t.unwrap(), f.unwrap());
            assert!(t > f, "clumped TID {t} not above the floor {f}");
        }
    }
}
