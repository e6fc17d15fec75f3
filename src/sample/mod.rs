//! Samplers of SPEC §5. Each sampler is one small type implementing [`Sampler`]; the driver
//! [`run`] cuts the points into fixed blocks, draws each point's noise by its row from a
//! counter-based generator (`rng::counter`, the GPU's too) and runs the
//! blocks in parallel, so results do not depend on the thread count.
//!
//! A step is a list of operations ([`ops`]), run here block by block on the CPU; the GPU
//! engine runs the same lists on every point at once (`engine::gpu::sampling`).

mod kind;
mod langevin;
mod model;
pub mod ops;
pub mod record;
mod sde_ode;
mod solvers;

pub use kind::{SamplerKind, SamplerSettings};
pub use langevin::{Ald, Pc};
pub use model::{EpsModel, ExactEps, SplitEps, TrainedNet};
pub use ops::{Buf, Op};
pub use record::{BlockRecord, RecordPlan, Recording};
pub use sde_ode::{Churn, EdmSde, Heun, Ode, Sde};
pub use solvers::{Ddim, Dpm2};

use crate::diffusion::{Process, T_EPS};
use crate::nn::ScoreNetCache;
use crate::parallel;
use crate::points::Points;
use crate::rng::{self, Stream};

/// Points per block: every point's trajectory is independent, so a block runs start to end.
/// The Langevin samplers' step size uses norms averaged over a block (as score_sde averages over
/// its batch), so this size is part of their definition.
pub const BLOCK: usize = 1024;

pub trait Sampler: Sync {
    /// Steps on the time grid (network evaluations per step depend on the sampler).
    fn steps(&self) -> usize;
    /// Appends to `out` the operations of one step from time `t` to `t_next < t`; `last` marks
    /// the final step. They depend on the times alone, never on the points, so every block
    /// (and the GPU, all blocks at once) runs the same list.
    fn ops(&self, process: &dyn Process, t: f64, t_next: f64, last: bool, out: &mut Vec<Op>);
}

/// Uniform grid t_i = t_max - i (t_max - t_eps) / steps (SPEC §5; t_max = 1 but for the linear
/// process).
pub fn uniform_grid(steps: usize, t_max: f64) -> Vec<f64> {
    // The last point is t_eps exactly, not t_eps up to round-off.
    (0..=steps).map(|i| if i == steps { T_EPS } else { t_max - i as f64 * (t_max - T_EPS) / steps as f64 }).collect()
}

/// x_1 ~ N(0, I): the initial noise every sampler of one comparison starts from.
pub fn initial_noise(n: usize, dim: usize, seed: u64) -> Points {
    let mut p = Points::zeros(n, dim);
    for (b, chunk) in p.data.chunks_mut(BLOCK * dim).enumerate() {
        rng::fill_normal(&mut rng::stream(seed, Stream::InitialNoise, b as u64), chunk);
    }
    p
}

/// The points every sampler of one comparison starts from at t_max: [`initial_noise`] times
/// the process's prior scale (1, or sigma_max for `ve`; the same points where it is 1).
pub fn initial_points(process: &dyn crate::diffusion::Process, n: usize, dim: usize, seed: u64) -> Points {
    initial_points_at(process, None, n, dim, seed)
}

/// [`initial_points`] for samplers that start at `start` (`spec.sampling.t_start`): the noise
/// scaled by sigma(start), the marginal's noise there (its data part alpha(start) x_0 left out);
/// `None`: the process's prior at its end.
pub fn initial_points_at(process: &dyn crate::diffusion::Process, start: Option<f64>, n: usize, dim: usize, seed: u64) -> Points {
    let mut p = initial_noise(n, dim, seed);
    let s = start.map_or(process.prior_scale(), |t| process.sigma(t)) as f32;
    if s != 1.0 {
        p.data.iter_mut().for_each(|v| *v *= s);
    }
    p
}

/// How a run ends and what it records besides the samples.
#[derive(Clone, Debug, Default)]
pub struct RunOptions<'a> {
    /// After the last step, one Tweedie denoising step x <- (x - sigma eps_hat(x, t_eps)) / alpha.
    pub denoise: bool,
    pub record: Option<&'a RecordPlan>,
    /// Where the time grid starts (`spec.sampling.t_start`); `None`: the process's end.
    pub start: Option<f64>,
}

impl RunOptions<'_> {
    /// The sampler's time grid: `steps` uniform steps from the start to t_eps.
    pub fn grid(&self, steps: usize, process: &dyn crate::diffusion::Process) -> Vec<f64> {
        uniform_grid(steps, self.start.unwrap_or_else(|| process.t_max()))
    }
}

/// One sampler's run, as every way of running it takes it (here, on helper workers in blocks,
/// spread over helpers, or on the GPU): `sampler` on `model` under `process`, from `init` (x at
/// t = 1) to t_eps, with the noise of `seed` on `stream` (which separates the noise of
/// samplers that start from the same points), recording and denoising as `opts` says.
#[derive(Clone, Copy)]
pub struct SampleJob<'a> {
    pub sampler: &'a dyn Sampler,
    pub model: &'a dyn EpsModel,
    pub process: &'a dyn Process,
    pub init: &'a Points,
    pub seed: u64,
    pub stream: u64,
    pub opts: &'a RunOptions<'a>,
}

/// Runs `sampler` from `init` (x at t = 1) to t_eps. `stream` separates the noise of samplers
/// that run from the same initial points.
pub fn run(sampler: &dyn Sampler, model: &dyn EpsModel, process: &dyn Process, init: &Points, seed: u64, stream: u64) -> Points {
    run_with(&SampleJob { sampler, model, process, init, seed, stream, opts: &RunOptions::default() }).0
}

/// A block of a run: its rows of `out` and its recording.
type Block<'x> = (&'x mut [f32], Option<record::BlockRecord>);

/// The blocks of a run.
type Blocks<'x> = Vec<Block<'x>>;

fn blocks_of<'x>(out: &'x mut Points, grid: &[f64], opts: &RunOptions) -> Blocks<'x> {
    let d = out.dim;
    out.data.chunks_mut(BLOCK * d).enumerate().map(|(b, x)| (x, opts.record.map(|p| p.block(grid, d, b)))).collect()
}

/// One block's buffers while the CPU runs a sampler's operations on it.
struct BlockState<'a> {
    model: &'a dyn EpsModel,
    dim: usize,
    scratch: ScoreNetCache,
    /// The run's noise key, the index of the block's first number in a draw (its first row
    /// times the dimension) and the draws made so far: see [`rng::counter::normal`].
    key: u32,
    first: u32,
    draws: u32,
    eps: Vec<f32>,
    mid: Vec<f32>,
    z: Vec<f32>,
}

impl BlockState<'_> {
    /// The next draw of fresh noise for the block, into `z`.
    fn draw_noise(&mut self) {
        rng::counter::fill_normal(self.key, self.draws, self.first, &mut self.z);
        self.draws += 1;
    }

    /// Runs `op` on the block's points `x` (the CPU interpreter of [`Op`]).
    fn exec(&mut self, op: &Op, x: &mut [f32]) {
        match *op {
            Op::Eval { src, t } => {
                let pts = match src {
                    Buf::X => &*x,
                    Buf::Mid => &self.mid[..],
                };
                self.model.eps(pts, t as f32, &mut self.eps, &mut self.scratch);
            }
            Op::Euler { dt, f, c, noise } => {
                for (xi, &e) in x.iter_mut().zip(self.eps.iter()) {
                    *xi -= dt * (f * *xi + c * e);
                }
                if let Some(s) = noise {
                    self.draw_noise();
                    for (xi, &z) in x.iter_mut().zip(self.z.iter()) {
                        *xi += s * z;
                    }
                }
            }
            Op::Affine { dst, a, c } => match dst {
                Buf::X => x.iter_mut().zip(self.eps.iter()).for_each(|(xi, &e)| *xi = a * *xi - c * e),
                Buf::Mid => {
                    for ((m, &xi), &e) in self.mid.iter_mut().zip(x.iter()).zip(self.eps.iter()) {
                        *m = a * xi - c * e;
                    }
                }
            },
            Op::Langevin { sigma, alpha, snr } => {
                self.draw_noise();
                let (en, zn) = (ops::mean_row_norm(&self.eps, self.dim), ops::mean_row_norm(&self.z, self.dim));
                if let Some((drift, noise)) = ops::langevin_coefficients(en, zn, sigma, alpha, snr) {
                    for ((xi, &eh), &z) in x.iter_mut().zip(self.eps.iter()).zip(self.z.iter()) {
                        *xi += -drift * eh + noise * z;
                    }
                }
            }
            Op::Denoise { a, s } => x.iter_mut().zip(self.eps.iter()).for_each(|(xi, &e)| *xi = (*xi - s * e) / a),
        }
    }
}

/// Block `b` from x_1 to t_eps: its noise, every step, the denoising step and what it
/// records.
#[allow(clippy::too_many_arguments)]
fn run_block(
    sampler: &dyn Sampler,
    model: &dyn EpsModel,
    process: &dyn Process,
    grid: &[f64],
    seed: u64,
    stream: u64,
    denoise: bool,
    b: usize,
    (x, rec): &mut Block,
) {
    let n = x.len();
    let mut st = BlockState {
        model,
        dim: model.dim(),
        scratch: ScoreNetCache::default(),
        key: rng::counter::sampler_key(seed, stream),
        first: (b * BLOCK * model.dim()) as u32,
        draws: 0,
        eps: vec![0.0; n],
        mid: vec![0.0; n],
        z: vec![0.0; n],
    };
    let steps = grid.len() - 1;
    let mut plan = Vec::new();
    for i in 0..steps {
        if let Some(rec) = rec.as_mut() {
            rec.observe(i, x);
        }
        plan.clear();
        sampler.ops(process, grid[i], grid[i + 1], i + 1 == steps, &mut plan);
        for op in &plan {
            st.exec(op, x);
        }
    }
    if denoise {
        plan.clear();
        ops::denoise(process, grid[steps], &mut plan);
        for op in &plan {
            st.exec(op, x);
        }
    }
    if let Some(rec) = rec.as_mut() {
        rec.observe(steps, x);
    }
}

fn merge_recording(opts: &RunOptions, grid: &[f64], d: usize, blocks: Blocks) -> Option<Recording> {
    opts.record.map(|plan| {
        let parts: Vec<record::BlockRecord> = blocks.into_iter().filter_map(|(_, r)| r).collect();
        plan.merge(grid, d, parts)
    })
}

/// Blocks `which` of a run (as [`run_with`] cuts it), each with its points and recording: what
/// a helper worker computes of a run whose other blocks run elsewhere.
pub fn run_blocks(job: &SampleJob, which: &[usize]) -> Vec<BlockOut> {
    let SampleJob { sampler, model, process, init, seed, stream, opts } = *job;
    let grid = opts.grid(sampler.steps(), process);
    let mut out = init.clone();
    let mut blocks = blocks_of(&mut out, &grid, opts);
    let mut mine: Vec<(usize, &mut Block)> = blocks.iter_mut().enumerate().filter(|(b, _)| which.contains(b)).collect();
    parallel::for_each_mut(&mut mine, |_, (b, block)| run_block(sampler, model, process, &grid, seed, stream, opts.denoise, *b, block));
    mine.into_iter().map(|(b, (x, rec))| BlockOut { block: b, points: x.to_vec(), record: rec.take() }).collect()
}

/// One block of a run computed elsewhere: its index, its points (rows of the run's dimension)
/// and its share of the recording.
#[derive(Clone, Debug)]
pub struct BlockOut {
    pub block: usize,
    pub points: Vec<f32>,
    pub record: Option<record::BlockRecord>,
}

/// Workers beside the run's own that sample some blocks of every sampler run (the page's
/// helper Web Workers, the ones that share training: `engine::cpu::ShardHelpers`): helper `h`
/// (1-based) takes the blocks `b` with `b % (count + 1) == h`, the run's worker the rest. Every
/// block's points and noise depend on its index alone, so the samples and recordings are
/// bit-identical to one worker's.
pub trait BlockHelpers {
    /// Helpers beside the run's worker (at least 1).
    fn count(&self) -> usize;
    /// Starts every helper on its blocks of a run of sampler `kind` with noise stream `stream`.
    fn start(&mut self, kind: SamplerKind, stream: u64, blocks: usize);
    /// The helpers' blocks of the started run, in any order.
    #[allow(clippy::type_complexity)]
    fn finish(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<BlockOut>, String>> + '_>>;
}

/// [`run_with`] with some blocks on `helpers`; a helper that fails hands its blocks back (they
/// are computed here, with the same bits) and its error is returned beside the result.
pub async fn run_spread(kind: SamplerKind, job: &SampleJob<'_>, helpers: &mut dyn BlockHelpers) -> ((Points, Option<Recording>), Option<String>) {
    let SampleJob { sampler, model, process, init, seed, stream, opts } = *job;
    let grid = opts.grid(sampler.steps(), process);
    let d = init.dim;
    let mut out = init.clone();
    let mut blocks = blocks_of(&mut out, &grid, opts);
    let count = helpers.count();
    helpers.start(kind, stream, blocks.len());
    for (b, block) in blocks.iter_mut().enumerate().filter(|(b, _)| b % (count + 1) == 0) {
        run_block(sampler, model, process, &grid, seed, stream, opts.denoise, b, block);
    }
    let mut failure = None;
    let mut done = vec![false; blocks.len()];
    done.iter_mut().enumerate().for_each(|(b, x)| *x = b % (count + 1) == 0);
    match helpers.finish().await {
        Ok(theirs) => {
            for o in theirs {
                let ok =
                    o.block < blocks.len() && !done[o.block] && o.points.len() == blocks[o.block].0.len() && o.record.is_some() == blocks[o.block].1.is_some();
                if !ok {
                    failure.get_or_insert(format!("a helper answered block {} wrongly", o.block));
                    continue;
                }
                blocks[o.block].0.copy_from_slice(&o.points);
                blocks[o.block].1 = o.record;
                done[o.block] = true;
            }
        }
        Err(e) => failure = Some(e),
    }
    // Blocks no helper delivered: here, the same bits.
    for (b, block) in blocks.iter_mut().enumerate().filter(|(b, _)| !done[*b]) {
        run_block(sampler, model, process, &grid, seed, stream, opts.denoise, b, block);
    }
    let recording = merge_recording(opts, &grid, d, blocks);
    ((out, recording), failure)
}

/// [`run`] with a final denoising step and recording as `opts` asks.
pub fn run_with(job: &SampleJob) -> (Points, Option<Recording>) {
    let SampleJob { sampler, model, process, init, seed, stream, opts } = *job;
    assert_eq!(init.dim, model.dim(), "initial noise and model differ in dimension");
    let grid = opts.grid(sampler.steps(), process);
    let mut out = init.clone();
    let mut blocks = blocks_of(&mut out, &grid, opts);
    parallel::for_each_mut(&mut blocks, |b, block| run_block(sampler, model, process, &grid, seed, stream, opts.denoise, b, block));
    let recording = merge_recording(opts, &grid, init.dim, blocks);
    (out, recording)
}

#[cfg(test)]
mod tests;
