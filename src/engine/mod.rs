//! Training engines behind one interface: the CPU engine here, the WGSL/wgpu engine for WebGPU
//! beside it. An engine owns the parameters and optimiser state and runs DSM training steps;
//! the driver [`train`] asks for blocks of steps and reads the loss back once per block, which
//! is what lets a GPU engine queue many steps per submission.

pub mod cpu;
pub mod gpu;

pub use cpu::CpuEngine;

use crate::nn::ScoreNet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[derive(Clone, Debug, PartialEq)]
pub enum EngineError {
    /// The loss became NaN or infinite: the run diverged.
    Diverged { iter: u64, loss: f32 },
    /// The caller asked to stop.
    Cancelled { iter: u64 },
    /// The device failed (GPU lost, out of memory, ...).
    Device(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Diverged { iter, loss } => write!(
                f,
                "training diverged at iteration {iter} (loss {loss}{}); try a smaller learning rate",
                if loss.is_finite() { ", a million times that of predicting zero" } else { "" }
            ),
            EngineError::Cancelled { iter } => write!(f, "training cancelled at iteration {iter}"),
            EngineError::Device(m) => write!(f, "device error: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// The engine interface. Methods that may wait on a device are async; the CPU engine's futures
/// are ready at once.
#[allow(async_fn_in_trait)]
pub trait Engine {
    /// What runs the work, for the user ("cpu, 2 threads", an adapter name, ...).
    fn describe(&self) -> String;
    fn net(&self) -> &ScoreNet;
    /// Runs `steps` DSM training steps; returns their mean loss.
    async fn train_steps(&mut self, steps: u32) -> Result<f32, EngineError>;
    /// eps_hat(x, t) for a batch of rows of `x` at one time `t`.
    async fn eps(&mut self, x: &[f32], t: f32) -> Result<Vec<f32>, EngineError>;
    async fn params(&mut self) -> Result<Vec<f32>, EngineError>;
    fn set_params(&mut self, params: &[f32]);
    /// What it has asked of a GPU so far (None: no GPU).
    fn gpu_counts(&self) -> Option<GpuCounts> {
        None
    }
}

/// What a progress callback sees, every `report_every` steps.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Progress {
    pub iter: u64,
    pub total: u64,
    /// Mean DSM loss over the steps since the previous report.
    pub loss: f32,
    pub elapsed_s: f64,
}

/// What a GPU engine asked of the device: compute dispatches, queue submissions, buffer writes
/// from the host and readbacks (a copy to a staging buffer mapped and awaited). The fewer
/// submissions and readbacks per step, the less a small net waits on the API (issue 43).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuCounts {
    pub dispatches: u64,
    pub submissions: u64,
    pub writes: u64,
    pub readbacks: u64,
}

impl GpuCounts {
    pub fn since(&self, before: &GpuCounts) -> GpuCounts {
        GpuCounts {
            dispatches: self.dispatches - before.dispatches,
            submissions: self.submissions - before.submissions,
            writes: self.writes - before.writes,
            readbacks: self.readbacks - before.readbacks,
        }
    }
}

/// A training run's device work per step on the GPU engine ([`GpuCounts`] over its steps), and
/// its readbacks beyond one per loss report and checkpoint (0: the step loop never waits on
/// the device between reports).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuWork {
    pub dispatches_per_step: f64,
    pub submissions_per_step: f64,
    pub writes_per_step: f64,
    pub readbacks_per_step: f64,
    pub readbacks_between_reports: u64,
    /// Nets trained side by side with this one on the device, itself included
    /// ([`train_gpu_together`]; absent: alone). The figures above are then per step of one net:
    /// the group's device work divided over its nets.
    #[serde(default, skip_serializing_if = "alone")]
    pub together: u64,
}

fn alone(n: &u64) -> bool {
    *n <= 1
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TrainReport {
    /// (iteration, mean loss over the preceding block), one per report.
    pub losses: Vec<(u64, f32)>,
    pub iters: u64,
    pub seconds: f64,
    pub ms_per_step: f64,
    /// On the GPU engine: what each step asked of the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuWork>,
    /// The parameters at each checkpoint asked of [`train_with_checkpoints`] (not serialised).
    #[serde(skip)]
    pub snapshots: Vec<(u64, Vec<f32>)>,
}

/// The most training steps a GPU engine runs between two loss readbacks (its loss slots).
pub const LOSS_READBACK_STEPS: u64 = 1024;

/// A loss this many times that of predicting eps_hat = 0 (E|eps|^2 = dim) means the net's
/// outputs are ~1000 times the targets': the run has blown up even while the loss is finite.
pub const DIVERGED_FACTOR: f32 = 1e6;

/// NaN or infinite, or above [`DIVERGED_FACTOR`] times the loss of predicting zero.
pub fn diverged(loss: f32, dim: usize) -> bool {
    !loss.is_finite() || loss > DIVERGED_FACTOR * dim as f32
}

/// Trains for `iters` steps, reporting every `report_every` steps. The callback returns
/// `ControlFlow::Break` to cancel; a NaN/inf loss, or one that has blown up ([`diverged`]),
/// stops the run with [`EngineError::Diverged`].
pub async fn train<E: Engine>(
    engine: &mut E,
    iters: u64,
    report_every: u64,
    on_progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<TrainReport, EngineError> {
    train_with_checkpoints(engine, iters, report_every, &[], on_progress).await
}

/// [`train`], keeping the parameters after each of `checkpoints` (iterations at the end of a
/// report block: multiples of `report_every`, as the spec checks) in the report's `snapshots`.
/// The steps are the same as without checkpoints, so a checkpoint at k is the net that a run of
/// k iterations trains, bit for bit.
pub async fn train_with_checkpoints<E: Engine>(
    engine: &mut E,
    iters: u64,
    report_every: u64,
    checkpoints: &[u64],
    on_progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<TrainReport, EngineError> {
    let start = crate::clock::now_s();
    let mut report = TrainReport::default();
    let mut done = 0u64;
    let counts_before = engine.gpu_counts();
    // Readbacks a step loop needs: one loss readback per block of at most gpu::LOSS_SLOTS steps
    // (a report's), one per checkpoint's parameters.
    let mut needed = 0u64;
    while done < iters {
        let block = report_every.max(1).min(iters - done);
        needed += block.div_ceil(LOSS_READBACK_STEPS);
        let loss = engine.train_steps(block as u32).await?;
        done += block;
        if diverged(loss, engine.net().dim()) {
            return Err(EngineError::Diverged { iter: done, loss });
        }
        report.losses.push((done, loss));
        if checkpoints.contains(&done) {
            report.snapshots.push((done, engine.params().await?));
            needed += 1;
        }
        let p = Progress { iter: done, total: iters, loss, elapsed_s: crate::clock::now_s() - start };
        if on_progress(&p).is_break() {
            return Err(EngineError::Cancelled { iter: done });
        }
    }
    let work = gpu_work(counts_before, engine.gpu_counts(), done, needed, 1);
    Ok(finished(report, done, crate::clock::now_s() - start, work))
}

/// A report's totals: `done` steps in `seconds`, with the device work `work`.
pub(crate) fn finished(mut report: TrainReport, done: u64, seconds: f64, work: Option<GpuWork>) -> TrainReport {
    report.iters = done;
    report.seconds = seconds;
    report.ms_per_step = 1000.0 * seconds / done.max(1) as f64;
    report.gpu = work;
    report
}

/// The device work of `steps` steps of each of `together` nets between two counts, per step of
/// one net; `needed` the readbacks the step loop asks for (a loss per block, a checkpoint's
/// parameters).
pub(crate) fn gpu_work(before: Option<GpuCounts>, after: Option<GpuCounts>, steps: u64, needed: u64, together: u64) -> Option<GpuWork> {
    let (before, after) = (before?, after?);
    let c = after.since(&before);
    let per = |x: u64| x as f64 / (steps.max(1) * together.max(1)) as f64;
    Some(GpuWork {
        dispatches_per_step: per(c.dispatches),
        submissions_per_step: per(c.submissions),
        writes_per_step: per(c.writes),
        readbacks_per_step: per(c.readbacks),
        readbacks_between_reports: c.readbacks.saturating_sub(needed),
        together,
    })
}

/// Drives a future to completion on this thread (native CLI and tests). Not for the browser,
/// where futures are awaited by the JS event loop.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// Milliseconds per training step of `eng`, measured as training runs (blocks of steps, one
/// loss readback per block): one warm-up step (a GPU compiles its kernels there), then blocks of
/// 1, 2, 4, ... steps until `budget_s` seconds have passed or 256 steps are done; the figure is
/// the last, largest block's. The engine has trained those steps: measure on a throw-away one.
pub async fn ms_per_step<E: Engine>(eng: &mut E, budget_s: f64) -> Result<f64, EngineError> {
    eng.train_steps(1).await?;
    let start = crate::clock::now_s();
    let (mut block, mut done) = (1u32, 0u32);
    loop {
        let t = crate::clock::now_s();
        eng.train_steps(block).await?;
        let now = crate::clock::now_s();
        let last = 1000.0 * (now - t) / block as f64;
        done += block;
        if now - start >= budget_s || done >= 256 {
            return Ok(last);
        }
        block *= 2;
    }
}
