//! What a sampler queries: eps_hat(x, t), from a trained net or from the exact mixture score.

use crate::data::GaussianMixture;
use crate::diffusion::{Process, ProcessKind};
use crate::nn::{ScoreNet, ScoreNetCache};

pub trait EpsModel: Sync {
    fn dim(&self) -> usize;
    /// eps_hat for the rows of `x`, all at time `t`, written to `out`. `scratch` is reusable
    /// workspace owned by the calling thread.
    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], scratch: &mut ScoreNetCache);
}

/// A trained network with its parameters.
#[derive(Clone)]
pub struct TrainedNet {
    pub net: ScoreNet,
    pub params: Vec<f32>,
}

impl EpsModel for TrainedNet {
    fn dim(&self) -> usize {
        self.net.dim()
    }

    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], scratch: &mut ScoreNetCache) {
        let tt = vec![t; x.len() / self.dim()];
        out.copy_from_slice(self.net.forward(&self.params, x, &tt, scratch));
    }
}

/// The exact eps of a Gaussian mixture: eps = -sigma_t * score(x, t) (SPEC §3).
#[derive(Clone)]
pub struct ExactEps {
    pub mixture: GaussianMixture,
    pub process: ProcessKind,
}

impl EpsModel for ExactEps {
    fn dim(&self) -> usize {
        self.mixture.dim()
    }

    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], _: &mut ScoreNetCache) {
        let d = self.dim();
        let (a, s) = (self.process.alpha(t as f64), self.process.sigma(t as f64));
        let mut xi = vec![0.0f64; d];
        let mut sc = vec![0.0f64; d];
        for (row, o) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
            xi.iter_mut().zip(row).for_each(|(a, &b)| *a = b as f64);
            self.mixture.score(&xi, a, s, &mut sc);
            o.iter_mut().zip(&sc).for_each(|(o, v)| *o = (-s * v) as f32);
        }
    }
}

/// Two models split at t' (SPEC §8, two-model training): `low` answers for t < t', `high` for
/// t >= t'. Neither is ever asked outside its range.
pub struct SplitEps<'a> {
    pub low: Box<dyn EpsModel + 'a>,
    pub high: Box<dyn EpsModel + 'a>,
    pub split: f32,
}

impl<T: EpsModel + ?Sized> EpsModel for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }

    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], scratch: &mut ScoreNetCache) {
        (**self).eps(x, t, out, scratch)
    }
}

impl EpsModel for SplitEps<'_> {
    fn dim(&self) -> usize {
        self.low.dim()
    }

    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], scratch: &mut ScoreNetCache) {
        if t < self.split { self.low.eps(x, t, out, scratch) } else { self.high.eps(x, t, out, scratch) }
    }
}
