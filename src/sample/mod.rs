//! Samplers of SPEC §5. Each sampler is one small type implementing [`Sampler`]; the driver
//! [`run`] cuts the points into fixed blocks, gives each block its own noise stream and runs the
//! blocks in parallel, so results do not depend on the thread count.

mod model;
mod samplers;

pub use model::{EpsModel, ExactEps, TrainedNet};
pub use samplers::{Ode, Sde, SamplerKind};

use crate::diffusion::{Process, T_EPS};
use crate::nn::ScoreNetCache;
use crate::parallel;
use crate::points::Points;
use crate::rng::{self, Stream};
use rand::rngs::StdRng;

/// Points per block: every point's trajectory is independent, so a block runs start to end.
const BLOCK: usize = 1024;

/// What one sampler step sees.
pub struct StepCtx<'a> {
    pub model: &'a dyn EpsModel,
    pub process: &'a dyn Process,
    pub scratch: &'a mut ScoreNetCache,
    pub rng: &'a mut StdRng,
    /// Buffer of the block's size for eps_hat.
    pub eps: &'a mut Vec<f32>,
}

pub trait Sampler: Sync {
    fn name(&self) -> &'static str;
    /// Time grid from 1 down to t_eps (inclusive), `steps + 1` points.
    fn grid(&self) -> Vec<f64>;
    /// Moves the block `x` from time `t` to time `t_next < t`; `last` marks the final step.
    fn step(&self, x: &mut [f32], t: f64, t_next: f64, last: bool, ctx: &mut StepCtx);
}

/// Uniform grid t_i = 1 - i (1 - t_eps) / steps (SPEC §5).
pub fn uniform_grid(steps: usize) -> Vec<f64> {
    (0..=steps).map(|i| 1.0 - i as f64 * (1.0 - T_EPS) / steps as f64).collect()
}

/// x_1 ~ N(0, I): the initial noise every sampler of one comparison starts from.
pub fn initial_noise(n: usize, dim: usize, seed: u64) -> Points {
    let mut p = Points::zeros(n, dim);
    for (b, chunk) in p.data.chunks_mut(BLOCK * dim).enumerate() {
        rng::fill_normal(&mut rng::stream(seed, Stream::InitialNoise, b as u64), chunk);
    }
    p
}

/// Runs `sampler` from `init` (x at t = 1) to t_eps. `stream` separates the noise of samplers
/// that run from the same initial points.
pub fn run(sampler: &dyn Sampler, model: &dyn EpsModel, process: &dyn Process, init: &Points, seed: u64, stream: u64) -> Points {
    assert_eq!(init.dim, model.dim(), "initial noise and model differ in dimension");
    let d = init.dim;
    let grid = sampler.grid();
    let mut out = init.clone();
    let mut blocks: Vec<&mut [f32]> = out.data.chunks_mut(BLOCK * d).collect();
    parallel::for_each_mut(&mut blocks, |b, x| {
        let mut r = rng::stream(seed, Stream::SamplerNoise, (stream << 32) | b as u64);
        let mut scratch = ScoreNetCache::default();
        let mut eps = vec![0.0f32; x.len()];
        let mut ctx = StepCtx { model, process, scratch: &mut scratch, rng: &mut r, eps: &mut eps };
        for i in 0..grid.len() - 1 {
            sampler.step(x, grid[i], grid[i + 1], i + 2 == grid.len(), &mut ctx);
        }
    });
    out
}
