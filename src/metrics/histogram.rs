//! Distances between distributions on a fixed histogram: the recursive-training paper's
//! chi^2 and KL between a generation's samples and the data (SPEC §10), on the first two
//! coordinates, with the mixture a p + (1 - a) q of a generation's training set.

use crate::points::Points;
use serde::{Deserialize, Serialize};

/// The fixed histogram of the first two coordinates (the first alone for 1-D data): `bins` per
/// axis over the range of a large data draw padded by 5% per side. Bins where the data has less
/// mass than `floor` are merged into one *rest* bin together with everything outside the range
/// (the paper's restriction to a "good set", with the rest kept as one bin so that mass leaving
/// the data's support still counts), and every denominator is at least `floor`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Histogram {
    /// Coordinates histogrammed: 2, or 1 for 1-D data.
    pub coords: usize,
    pub bins: usize,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    pub floor: f64,
    /// Bins kept apart (the good set); the merged vector has `good + 1` entries, the rest last.
    pub good: usize,
    /// p_data on the merged bins (sums to 1).
    pub data: Vec<f64>,
    /// For each raw bin (row-major), its merged index.
    #[serde(skip)]
    map: Vec<usize>,
}

impl Histogram {
    /// From a draw of the data: its range, its masses, the good set.
    pub fn of_data(data: &Points, bins: usize, floor: f64) -> Histogram {
        let coords = data.dim.min(2);
        let (mut lo, mut hi) = (vec![f64::INFINITY; coords], vec![f64::NEG_INFINITY; coords]);
        for row in data.data.chunks_exact(data.dim) {
            for c in 0..coords {
                lo[c] = lo[c].min(row[c] as f64);
                hi[c] = hi[c].max(row[c] as f64);
            }
        }
        for c in 0..coords {
            let pad = 0.05 * (hi[c] - lo[c]).max(1e-6);
            lo[c] -= pad;
            hi[c] += pad;
        }
        let raw_bins = bins.pow(coords as u32);
        let mut h = Histogram { coords, bins, lo, hi, floor, good: raw_bins, data: Vec::new(), map: (0..=raw_bins).collect() };
        let raw = h.raw_masses(data);
        let mut map = vec![0; raw_bins + 1];
        let mut good = 0;
        for (b, &m) in raw[..raw_bins].iter().enumerate() {
            if m >= floor {
                map[b] = good;
                good += 1;
            }
        }
        for (b, &m) in raw[..raw_bins].iter().enumerate() {
            if m < floor {
                map[b] = good;
            }
        }
        map[raw_bins] = good;
        h.good = good;
        h.map = map;
        h.data = h.masses(data);
        h
    }

    /// Masses on the raw bins, the last entry being everything outside the range.
    fn raw_masses(&self, p: &Points) -> Vec<f64> {
        let raw_bins = self.bins.pow(self.coords as u32);
        let mut counts = vec![0u64; raw_bins + 1];
        for row in p.data.chunks_exact(p.dim) {
            let mut idx = 0usize;
            let mut inside = true;
            for (c, &x) in row.iter().enumerate().take(self.coords) {
                let u = (x as f64 - self.lo[c]) / (self.hi[c] - self.lo[c]);
                if !(0.0..1.0).contains(&u) {
                    inside = false;
                    break;
                }
                idx = idx * self.bins + ((u * self.bins as f64) as usize).min(self.bins - 1);
            }
            counts[if inside { idx } else { raw_bins }] += 1;
        }
        let n = p.len().max(1) as f64;
        counts.iter().map(|&c| c as f64 / n).collect()
    }

    /// Masses of `p` on the merged bins (good bins, then the rest).
    pub fn masses(&self, p: &Points) -> Vec<f64> {
        let mut out = vec![0.0; self.good + 1];
        for (b, m) in self.raw_masses(p).into_iter().enumerate() {
            out[self.map[b]] += m;
        }
        out
    }

    /// chi^2(a || b) = sum (a_k - b_k)^2 / max(b_k, floor).
    pub fn chi2(&self, a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(&x, &y)| (x - y).powi(2) / y.max(self.floor)).sum()
    }

    /// KL(a || b) = sum a_k ln(a_k / max(b_k, floor)) over the bins where a has mass.
    pub fn kl(&self, a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).filter(|&(&x, _)| x > 0.0).map(|(&x, &y)| x * (x / y.max(self.floor)).ln()).sum()
    }
}

/// The mixture a p + (1 - a) q, bin by bin.
pub fn mix(a: f64, p: &[f64], q: &[f64]) -> Vec<f64> {
    p.iter().zip(q).map(|(&x, &y)| a * x + (1.0 - a) * y).collect()
}
