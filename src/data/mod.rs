//! The synthetic data sets of SPEC §1. Each is seeded; the Gaussian mixtures also expose their
//! exact parameters so the lab can run samplers with the true score as a control.

pub mod csv_set;
mod mixture;
pub mod painted;

pub use csv_set::CsvSet;
pub use mixture::GaussianMixture;
pub use painted::Painted;

use crate::points::Points;
use crate::rng::{self, Stream};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::f32::consts::PI;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dataset {
    Chessboard,
    Spiral,
    Mog,
    Semicircle,
    Mog1d,
    MogNd,
    /// A distribution painted in the page (a grid of densities, `ExperimentSpec::painted`).
    Painted,
    /// The rows of a CSV file (`ExperimentSpec::csv`, which names the file and holds its points).
    Csv,
}

impl Dataset {
    pub const ALL: [Dataset; 8] =
        [Dataset::Chessboard, Dataset::Spiral, Dataset::Mog, Dataset::Semicircle, Dataset::Mog1d, Dataset::MogNd, Dataset::Painted, Dataset::Csv];

    pub fn name(self) -> &'static str {
        match self {
            Dataset::Chessboard => "chessboard",
            Dataset::Spiral => "spiral",
            Dataset::Mog => "mog",
            Dataset::Semicircle => "semicircle",
            Dataset::Mog1d => "mog1d",
            Dataset::MogNd => "mog-nd",
            Dataset::Painted => "painted",
            Dataset::Csv => "csv",
        }
    }

    pub fn parse(s: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.name() == s)
    }

    pub fn default_size(self) -> usize {
        match self {
            Dataset::Mog1d | Dataset::MogNd => 50_000,
            Dataset::Painted => 100_000,
            // The file's rows: see `ExperimentSpec::data_size`.
            Dataset::Csv => 0,
            _ => 500_000,
        }
    }

    /// Dimension of the points; `nd` is used by `mog-nd` only (a CSV's is its own: see
    /// `ExperimentSpec::data_dim`).
    pub fn dim(self, nd: usize) -> usize {
        match self {
            Dataset::Mog1d => 1,
            Dataset::MogNd => nd,
            _ => 2,
        }
    }

    /// The exact mixture behind the data set, where there is one.
    pub fn mixture(self, nd: usize) -> Option<GaussianMixture> {
        match self {
            Dataset::Mog => {
                let means = (0..6)
                    .map(|k| {
                        let a = 2.0 * std::f64::consts::PI * k as f64 / 6.0;
                        vec![2.0 * a.cos(), 2.0 * a.sin()]
                    })
                    .collect();
                Some(GaussianMixture::equal_weights(means, 0.2))
            }
            Dataset::Mog1d => Some(GaussianMixture::equal_weights(vec![vec![-1.0], vec![1.0]], 0.2)),
            Dataset::MogNd => Some(GaussianMixture::equal_weights(vec![vec![-1.0; nd], vec![1.0; nd]], 0.2)),
            _ => None,
        }
    }

    /// `n` points drawn with the data stream of `seed` (for a painted set, see
    /// `ExperimentSpec::data`, which holds its grid).
    pub fn generate(self, n: usize, nd: usize, seed: u64) -> Points {
        self.generate_from(n, nd, &mut rng::stream(seed, Stream::Data, 0))
    }

    /// `n` points drawn from the given stream.
    pub fn generate_from(self, n: usize, nd: usize, r: &mut StdRng) -> Points {
        if let Some(mix) = self.mixture(nd) {
            return mix.sample(n, r);
        }
        let mut data = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let (x, y) = match self {
                Dataset::Chessboard => {
                    // The 8 cells of the 4x4 board over [-2,2]^2 with (col+row) even.
                    let cell = rng::index(r, 8);
                    let row = cell / 2;
                    let col = 2 * (cell % 2) + (row % 2);
                    let u = rng::uniform(r, 0.0, 1.0);
                    let v = rng::uniform(r, 0.0, 1.0);
                    (col as f32 - 2.0 + u, row as f32 - 2.0 + v)
                }
                Dataset::Spiral => {
                    let theta = rng::uniform(r, 0.0, 4.0 * PI);
                    let rad = 2.0 * theta / (4.0 * PI);
                    let nx = 0.1 * rng::normal(r);
                    let ny = 0.1 * rng::normal(r);
                    (rad * theta.cos() + nx, rad * theta.sin() + ny)
                }
                Dataset::Semicircle => {
                    // SPEC §1: upper arc centred (-0.5,-0.1), lower arc centred (0.5,0.1).
                    let upper = rng::index(r, 2) == 0;
                    let (theta, cx, cy) = if upper { (rng::uniform(r, 0.0, PI), -0.5, -0.1) } else { (rng::uniform(r, PI, 2.0 * PI), 0.5, 0.1) };
                    let nx = 0.1 * rng::normal(r);
                    let ny = 0.1 * rng::normal(r);
                    (cx + theta.cos() + nx, cy + theta.sin() + ny)
                }
                Dataset::Mog | Dataset::Mog1d | Dataset::MogNd => unreachable!(),
                Dataset::Painted => unreachable!("a painted set is drawn from its grid: ExperimentSpec::data_from"),
                Dataset::Csv => unreachable!("a CSV set is its file's rows: ExperimentSpec::data_from"),
            };
            data.push(x);
            data.push(y);
        }
        Points::new(2, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chessboard_fills_only_even_cells_uniformly() {
        let p = Dataset::Chessboard.generate(80_000, 0, 1);
        let mut counts = [0usize; 16];
        for row in p.data.chunks_exact(2) {
            assert!(row[0] >= -2.0 && row[0] <= 2.0 && row[1] >= -2.0 && row[1] <= 2.0);
            let c = ((row[0] + 2.0).floor() as usize).min(3);
            let r = ((row[1] + 2.0).floor() as usize).min(3);
            counts[r * 4 + c] += 1;
        }
        for r in 0..4 {
            for c in 0..4 {
                let n = counts[r * 4 + c];
                if (r + c) % 2 == 0 {
                    assert!((n as f64 - 10_000.0).abs() < 500.0, "cell {r},{c}: {n}");
                } else {
                    assert_eq!(n, 0, "cell {r},{c} should be empty");
                }
            }
        }
    }

    #[test]
    fn spiral_radius_grows_with_angle() {
        let p = Dataset::Spiral.generate(20_000, 0, 2);
        let rmax = p.data.chunks_exact(2).map(|r| r[0].hypot(r[1])).fold(0.0f32, f32::max);
        assert!(rmax > 2.0 && rmax < 2.6, "{rmax}");
        let mean = p.mean();
        assert!(mean[0].abs() < 0.2 && mean[1].abs() < 0.2);
    }

    #[test]
    fn semicircle_arcs_have_their_centres() {
        let p = Dataset::Semicircle.generate(40_000, 0, 3);
        // Points well above y=0.6 come from the upper arc centred at (-0.5,-0.1).
        let upper: Vec<_> = p.data.chunks_exact(2).filter(|r| r[1] > 0.6).collect();
        let mx = upper.iter().map(|r| r[0] as f64).sum::<f64>() / upper.len() as f64;
        assert!((mx + 0.5).abs() < 0.05, "{mx}");
    }

    #[test]
    fn mixtures_have_the_spec_parameters() {
        let m = Dataset::Mog.mixture(0).unwrap();
        assert_eq!(m.means.len(), 6);
        for mu in &m.means {
            assert!((mu[0].hypot(mu[1]) - 2.0).abs() < 1e-12);
        }
        assert_eq!(Dataset::MogNd.dim(10), 10);
        let p = Dataset::MogNd.generate(20_000, 10, 4);
        assert_eq!(p.dim, 10);
        let v = p.variance();
        // 0.5 N(-1,.04) + 0.5 N(1,.04) has variance 1 + 0.04 in each coordinate.
        for vi in v {
            assert!((vi - 1.04).abs() < 0.04, "{vi}");
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        for d in Dataset::ALL.into_iter().filter(|d| ![Dataset::Painted, Dataset::Csv].contains(d)) {
            let a = d.generate(1000, 3, 7);
            assert_eq!(a, d.generate(1000, 3, 7), "{}", d.name());
            assert_ne!(a, d.generate(1000, 3, 8), "{}", d.name());
            assert_eq!(Dataset::parse(d.name()), Some(d));
        }
    }
}
