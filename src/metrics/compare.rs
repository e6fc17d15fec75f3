//! Two point sets compared: a training set and a model's samples, from CSV files (`collapse-lab
//! tid`, the page's "Your own samples"). One code for both: TID(e) with its spread over draws of
//! the training set, the data-vs-data floor where the training set is large enough, the survival
//! functions, ANSD and marginal accuracy (SPEC §6).

use super::{MAX_PAIR_CHECKS, SurvivalCurve, TidPoint, marginal_accuracy, neighbour_counts, pair_checks, tid_curve};
use crate::points::Points;
use serde::Serialize;

/// Draws of the training set behind TID's spread.
pub const REPEATS: usize = 5;

#[derive(Clone, Debug, Serialize)]
pub struct Compared {
    pub dim: usize,
    pub train_points: usize,
    pub samples_points: usize,
    /// TID compares sets of one size: the larger is subsampled (seeded) to this.
    pub n_used: usize,
    pub subsampled: bool,
    pub k: usize,
    /// TID(e) of the samples against the first draw of the training set.
    pub results: Vec<TidPoint>,
    /// Standard deviation of TID(e) over [`REPEATS`] draws of the training set (null where the
    /// training set has no more points than the samples: one draw only).
    pub tid_std: Vec<Option<f64>>,
    /// TID(e) of a second, disjoint draw of the training set against the first: the noise floor
    /// (null where the training set has fewer than 2 n points).
    pub tid_null: Option<Vec<TidPoint>>,
    pub survival_eps: f64,
    pub survival_train: SurvivalCurve,
    pub survival_samples: SurvivalCurve,
    pub marginal_accuracy: f64,
}

/// Compares `samples` (row-major, `dim` columns) with `train`. Both are centred on the
/// training set's mean in f64 first (TID depends on distances only), so coordinates far from 0
/// keep their precision in f32. Errors name the setting: `eps`, `k` or the data.
pub fn compare(dim: usize, train: &[f64], samples: &[f64], eps: &[f64], k: Option<usize>, seed: u64, survival_eps: f64) -> Result<Compared, (String, String)> {
    let bad = |f: &str, m: String| Err((f.to_string(), m));
    if dim == 0 || !train.len().is_multiple_of(dim) || !samples.len().is_multiple_of(dim) {
        return bad("data", "both sets need the same number of columns".into());
    }
    let rows = train.len() / dim;
    let centre: Vec<f64> = (0..dim).map(|c| train.iter().skip(c).step_by(dim).sum::<f64>() / rows.max(1) as f64).collect();
    let to_points = |v: &[f64]| Points::new(dim, v.iter().enumerate().map(|(i, x)| (x - centre[i % dim]) as f32).collect());
    let (train, samples) = (to_points(train), to_points(samples));
    let n = train.len().min(samples.len());
    if n < 2 {
        return bad("data", "each set needs at least 2 points".into());
    }
    if k == Some(0) {
        return bad("k", "must be at least 1".into());
    }
    // Hill's k counts points of the compared sets: at most n.
    let k = k.map(|k| k.min(n));
    if eps.is_empty() || eps.iter().any(|e| !(e.is_finite() && *e > 0.0)) {
        return bad("eps", "give positive radii".into());
    }
    if !(survival_eps.is_finite() && survival_eps > 0.0) {
        return bad("survival-eps", "must be a positive radius".into());
    }
    let draw = |p: &Points, idx: u64| if p.len() > n { super::reference::subsample(p, n, seed, idx) } else { p.clone() };
    let samples_n = draw(&samples, 1);
    let first = draw(&train, 0);
    // Neighbour counting is quadratic where e covers much of the data: refuse work that would
    // take hours, with the estimate, rather than hang.
    for &e in eps.iter().chain([&survival_eps]) {
        let pairs = pair_checks(&first, e).max(pair_checks(&samples_n, e));
        if pairs > MAX_PAIR_CHECKS {
            return bad(
                "eps",
                format!(
                    "counting neighbours within {e} would compare about {pairs:.1e} pairs of points (more than {MAX_PAIR_CHECKS:.0e}, hours of work); choose smaller radii or fewer points"
                ),
            );
        }
    }
    let results = tid_curve(&first, &samples_n, eps, k);
    let repeats = if train.len() > n { REPEATS } else { 1 };
    let tid_std = if repeats > 1 {
        let draws: Vec<Vec<TidPoint>> =
            std::iter::once(results.clone()).chain((1..repeats).map(|r| tid_curve(&draw(&train, 1 + r as u64), &samples_n, eps, k))).collect();
        (0..eps.len()).map(|i| crate::stats::std_dev(&draws.iter().filter_map(|d| d[i].tid).collect::<Vec<_>>())).collect()
    } else {
        vec![None; eps.len()]
    };
    // The floor: a second draw of the training set, disjoint from the first, against it.
    let tid_null = (train.len() >= 2 * n).then(|| {
        let order = super::reference::subsample(&train, 2 * n, seed, crate::rng::reference::COMPARE_FLOOR);
        let (a, b) = (Points::new(dim, order.data[..n * dim].to_vec()), Points::new(dim, order.data[n * dim..].to_vec()));
        tid_curve(&a, &b, eps, k)
    });
    Ok(Compared {
        dim,
        train_points: train.len(),
        samples_points: samples.len(),
        n_used: n,
        subsampled: train.len() != samples.len(),
        k: k.unwrap_or(n),
        results,
        tid_std,
        tid_null,
        survival_eps,
        survival_train: SurvivalCurve::new(&neighbour_counts(&first, survival_eps), survival_eps, k),
        survival_samples: SurvivalCurve::new(&neighbour_counts(&samples_n, survival_eps), survival_eps, k),
        marginal_accuracy: marginal_accuracy(&samples_n, &first),
    })
}
