//! Isotropic Gaussian mixtures and their exact scores under a diffusion (SPEC §3).

use crate::points::Points;
use crate::rng;
use rand::RngExt;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture {
    pub weights: Vec<f64>,
    pub means: Vec<Vec<f64>>,
    /// Per-component standard deviation (isotropic).
    pub stds: Vec<f64>,
}

impl GaussianMixture {
    pub fn equal_weights(means: Vec<Vec<f64>>, std: f64) -> Self {
        let k = means.len();
        GaussianMixture { weights: vec![1.0 / k as f64; k], stds: vec![std; k], means }
    }

    pub fn dim(&self) -> usize {
        self.means[0].len()
    }

    pub fn sample(&self, n: usize, r: &mut StdRng) -> Points {
        let d = self.dim();
        let mut data = Vec::with_capacity(n * d);
        for _ in 0..n {
            let k = self.pick(r);
            for j in 0..d {
                data.push((self.means[k][j] + self.stds[k] * rng::normal(r) as f64) as f32);
            }
        }
        Points::new(d, data)
    }

    fn pick(&self, r: &mut StdRng) -> usize {
        let u: f64 = r.random();
        let mut acc = 0.0;
        for (k, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                return k;
            }
        }
        self.weights.len() - 1
    }

    /// Log-density of the noised mixture x_t = alpha x_0 + sigma eps at `x`, and the
    /// per-component log joint terms (for responsibilities).
    fn log_terms(&self, x: &[f64], alpha: f64, sigma: f64, out: &mut [f64]) {
        let d = x.len() as f64;
        for (k, o) in out.iter_mut().enumerate() {
            let v = self.stds[k].powi(2) * alpha * alpha + sigma * sigma;
            let r2: f64 = x.iter().zip(&self.means[k]).map(|(xi, m)| (xi - alpha * m).powi(2)).sum();
            *o = self.weights[k].ln() - 0.5 * r2 / v - 0.5 * d * (2.0 * std::f64::consts::PI * v).ln();
        }
    }

    pub fn log_density(&self, x: &[f64], alpha: f64, sigma: f64) -> f64 {
        let mut t = vec![0.0; self.weights.len()];
        self.log_terms(x, alpha, sigma, &mut t);
        log_sum_exp(&t)
    }

    /// Exact score of the noised mixture at one point: sum_k w_k(x) (-(x - alpha mu_k) / v_k),
    /// with responsibilities w_k computed in log space so they stay finite as sigma -> 0.
    pub fn score(&self, x: &[f64], alpha: f64, sigma: f64, out: &mut [f64]) {
        let kn = self.weights.len();
        let mut t = vec![0.0; kn];
        self.log_terms(x, alpha, sigma, &mut t);
        let lse = log_sum_exp(&t);
        out.iter_mut().for_each(|o| *o = 0.0);
        for (k, &tk) in t.iter().enumerate() {
            let w = (tk - lse).exp();
            if w == 0.0 {
                continue;
            }
            let v = self.stds[k].powi(2) * alpha * alpha + sigma * sigma;
            for (j, o) in out.iter_mut().enumerate() {
                *o -= w * (x[j] - alpha * self.means[k][j]) / v;
            }
        }
    }

    /// Fraction of points closest (in responsibility) to each component of the clean mixture.
    pub fn component_mass(&self, p: &Points) -> Vec<f64> {
        let kn = self.weights.len();
        let mut counts = vec![0usize; kn];
        let mut t = vec![0.0; kn];
        let mut x = vec![0.0; p.dim];
        for row in p.data.chunks_exact(p.dim) {
            x.iter_mut().zip(row).for_each(|(a, &b)| *a = b as f64);
            self.log_terms(&x, 1.0, 0.0, &mut t);
            let best = (0..kn).max_by(|&a, &b| t[a].total_cmp(&t[b])).unwrap();
            counts[best] += 1;
        }
        counts.iter().map(|&c| c as f64 / p.len().max(1) as f64).collect()
    }
}

pub fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    /// The exact score must be the gradient of the log-density (central differences), at high
    /// and at very low noise, where naive responsibilities would under/overflow.
    #[test]
    fn score_matches_finite_difference_of_log_density() {
        for (ds, nd) in [(Dataset::Mog, 0), (Dataset::Mog1d, 0), (Dataset::MogNd, 5)] {
            let m = ds.mixture(nd).unwrap();
            let d = m.dim();
            for &(alpha, sigma) in &[(0.006, 0.99998), (0.5, 0.866), (0.9995, 0.0316)] {
                for probe in 0..5 {
                    let x: Vec<f64> = (0..d).map(|j| 0.7 * ((probe * 3 + j) as f64).sin() * 2.0).collect();
                    let mut s = vec![0.0; d];
                    m.score(&x, alpha, sigma, &mut s);
                    for j in 0..d {
                        let h = 1e-5 * sigma.max(0.01);
                        let mut xp = x.clone();
                        let mut xm = x.clone();
                        xp[j] += h;
                        xm[j] -= h;
                        let fd = (m.log_density(&xp, alpha, sigma) - m.log_density(&xm, alpha, sigma)) / (2.0 * h);
                        let tol = 1e-5 * (1.0 + fd.abs());
                        assert!((s[j] - fd).abs() < tol, "{ds:?} a={alpha} j={j}: {} vs {fd}", s[j]);
                    }
                }
            }
        }
    }

    #[test]
    fn score_is_finite_far_from_every_component_at_tiny_noise() {
        let m = Dataset::Mog.mixture(0).unwrap();
        let mut s = vec![0.0; 2];
        m.score(&[40.0, -37.0], 1.0, 1e-3, &mut s);
        assert!(s.iter().all(|v| v.is_finite()), "{s:?}");
    }

    #[test]
    fn samples_have_the_mixture_moments_and_masses() {
        let m = Dataset::Mog.mixture(0).unwrap();
        let p = m.sample(60_000, &mut rng::stream(5, rng::Stream::Data, 0));
        for mass in m.component_mass(&p) {
            assert!((mass - 1.0 / 6.0).abs() < 0.01, "{mass}");
        }
        let v = p.variance();
        // Means on the radius-2 circle: variance 2^2/2 + 0.2^2 per coordinate.
        for vi in v {
            assert!((vi - 2.04).abs() < 0.05, "{vi}");
        }
    }
}
