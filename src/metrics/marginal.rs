//! Marginal accuracy (SPEC §6, the workshop version's appendix A):
//! 1 - 0.5 * mean over dimensions of TV(marginal histograms).
//!
//! Choices where the paper is silent: TV here is the L1 distance sum_b |p_b - q_b| of the two
//! histograms (in [0, 2]), so the accuracy runs from 0 (disjoint marginals) to 1 (identical);
//! each dimension has [`BINS`] equal bins over the reference's range padded by 10% on each
//! side, plus one overflow bin on each side, so samples that fly off count against the accuracy
//! instead of vanishing. Non-finite samples count as overflow.

use crate::points::Points;

pub const BINS: usize = 50;

/// Marginal accuracy of `samples` against `reference` (same dimension, any sizes).
pub fn marginal_accuracy(samples: &Points, reference: &Points) -> f64 {
    assert_eq!(samples.dim, reference.dim);
    let d = reference.dim;
    let mut tv_sum = 0.0;
    for c in 0..d {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for row in reference.data.chunks_exact(d) {
            lo = lo.min(row[c] as f64);
            hi = hi.max(row[c] as f64);
        }
        let pad = 0.1 * (hi - lo).max(1e-9);
        let (lo, hi) = (lo - pad, hi + pad);
        let hist = |p: &Points| {
            let mut h = vec![0.0f64; BINS + 2];
            for row in p.data.chunks_exact(d) {
                let u = (row[c] as f64 - lo) / (hi - lo) * BINS as f64;
                let b = if u.is_nan() || u >= BINS as f64 {
                    BINS + 1
                } else if u < 0.0 {
                    0
                } else {
                    1 + u as usize
                };
                h[b] += 1.0;
            }
            let n = p.len().max(1) as f64;
            h.iter_mut().for_each(|v| *v /= n);
            h
        };
        let (p, q) = (hist(samples), hist(reference));
        tv_sum += p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum::<f64>();
    }
    1.0 - 0.5 * tv_sum / d as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sets_score_one_and_disjoint_sets_zero() {
        let a = Points::new(2, (0..400).map(|i| (i % 37) as f32 * 0.1).collect());
        assert_eq!(marginal_accuracy(&a, &a), 1.0);
        let far = Points::new(2, a.data.iter().map(|v| v + 100.0).collect());
        assert!(marginal_accuracy(&far, &a).abs() < 1e-12);
        let nan = Points::new(2, vec![f32::NAN; 400]);
        assert!(marginal_accuracy(&nan, &a).abs() < 1e-12);
    }

    #[test]
    fn half_the_mass_moved_away_scores_one_half() {
        let a = Points::new(1, (0..1000).map(|i| i as f32 / 1000.0).collect());
        // Every second point moved far outside: TV (L1) = 1 per dimension.
        let b = Points::new(1, (0..1000).map(|i| if i % 2 == 0 { i as f32 / 1000.0 } else { 50.0 }).collect());
        let m = marginal_accuracy(&b, &a);
        assert!((m - 0.5).abs() < 0.02, "{m}");
    }
}
