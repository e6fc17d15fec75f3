//! The statistics of TID against a training set: reference draws (distinct rows, from a named
//! random stream), their neighbour counts computed once, TID with its spread over the draws, and
//! the sample standard deviation every spread and error bar uses.

use super::{neighbour_counts, tid::tid_from_counts, TidPoint};
use crate::points::Points;
use crate::rng::{self, Stream};
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

/// Sample standard deviation (n - 1); None with fewer than two values.
pub fn std_dev(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    Some((v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
}

/// Neighbour counts of each reference draw at each radius: `[draw][radius]`, computed once
/// and shared by every sampler and the noise floor.
pub fn reference_counts(refs: &[Points], eps: &[f64]) -> Vec<Vec<Vec<u32>>> {
    refs.iter().map(|r| eps.iter().map(|&e| neighbour_counts(r, e)).collect()).collect()
}

/// TID of `samples` against the reference draws: the first draw's values, the spread over all.
pub fn tid_with_spread(ref_counts: &[Vec<Vec<u32>>], samples: &Points, eps: &[f64], k: Option<usize>) -> Vec<TidEntry> {
    eps.iter()
        .enumerate()
        .map(|(i, &e)| {
            let sample_counts = neighbour_counts(samples, e);
            let points: Vec<TidPoint> =
                ref_counts.iter().map(|r| tid_from_counts(&r[i], &sample_counts, e, k)).collect();
            let tids: Vec<f64> = points.iter().filter_map(|p| p.tid).collect();
            TidEntry { tid_std: std_dev(&tids), point: points[0].clone() }
        })
        .collect()
}
