//! The CPU engine: DSM training with our own forward/backward passes, data-parallel over fixed
//! shards of each batch (threads natively, one thread in wasm), summed in shard order so the
//! result does not depend on the thread count.

use super::{Engine, EngineError};
use crate::diffusion::{Process, ProcessKind, T_EPS};
use crate::nn::{Adam, ScoreNet, ScoreNetCache};
use crate::parallel;
use crate::points::Points;
use crate::rng::{self, Stream};
use std::sync::Arc;

/// Rows per shard: large enough for efficient GEMMs, small enough to feed two or more cores.
const SHARD_ROWS: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeRange {
    pub lo: f32,
    pub hi: f32,
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange { lo: T_EPS as f32, hi: 1.0 }
    }
}

struct Shard {
    /// This shard's rows of every batch: `first .. first + rows`. Rows are drawn from the
    /// counter-based generator ([`rng::counter`]), so the batches are the same whatever the
    /// number of threads, and the same as the WGSL engine's.
    first: usize,
    rows: usize,
    xt: Vec<f32>,
    t: Vec<f32>,
    eps: Vec<f32>,
    grads: Vec<f32>,
    cache: ScoreNetCache,
    loss: f64,
}

pub struct CpuEngine {
    net: ScoreNet,
    params: Vec<f32>,
    adam: Adam,
    data: Arc<Points>,
    batch: usize,
    times: TimeRange,
    shards: Vec<Shard>,
    grads: Vec<f32>,
    seed: u64,
    iter: u64,
}

impl CpuEngine {
    /// A fresh engine: parameters initialised from the seed's init stream, batches drawn from
    /// its batch stream.
    pub fn new(net: ScoreNet, data: Arc<Points>, batch: usize, lr: f32, times: TimeRange, seed: u64) -> Self {
        assert_eq!(data.dim, net.dim(), "data and net differ in dimension");
        assert!(batch > 0 && !data.is_empty());
        let params = net.init_params(&mut rng::stream(seed, Stream::Init, 0));
        let n = params.len();
        let n_shards = batch.div_ceil(SHARD_ROWS);
        let shards = (0..n_shards)
            .map(|i| Shard::new(i * SHARD_ROWS, SHARD_ROWS.min(batch - i * SHARD_ROWS)))
            .collect();
        CpuEngine {
            adam: Adam::new(n, lr),
            grads: vec![0.0; n],
            net,
            params,
            data,
            batch,
            times,
            shards,
            seed,
            iter: 0,
        }
    }

    /// The batch of training step `step` (0 is the first) as network input rows [x_t, t] and
    /// targets eps: the rows the WGSL engine draws for the same seed and step.
    pub fn batch_at(&self, step: u64) -> (Vec<f32>, Vec<f32>) {
        let mut s = Shard::new(0, self.batch);
        s.draw(&self.data, self.net.config.process, self.times, self.seed, step as u32);
        let d = self.data.dim;
        let input = s.xt.chunks_exact(d).zip(&s.t).flat_map(|(x, &t)| x.iter().copied().chain([t])).collect();
        (input, s.eps)
    }

    pub fn params_ref(&self) -> &[f32] {
        &self.params
    }

    /// One training step; returns the batch's mean loss.
    pub fn step(&mut self) -> f32 {
        let (net, params, data, times) = (&self.net, &self.params, &*self.data, self.times);
        let scale = 1.0 / self.batch as f32;
        let (seed, step) = (self.seed, self.iter as u32);
        parallel::for_each_mut(&mut self.shards, |_, s| {
            s.draw(data, net.config.process, times, seed, step);
            s.grads.clear();
            s.grads.resize(params.len(), 0.0);
            s.loss = net.dsm_loss_grad(params, &s.xt, &s.t, &s.eps, scale, &mut s.cache, &mut s.grads);
        });
        self.grads.copy_from_slice(&self.shards[0].grads);
        for s in &self.shards[1..] {
            self.grads.iter_mut().zip(&s.grads).for_each(|(g, x)| *g += x);
        }
        let loss = self.shards.iter().map(|s| s.loss).sum::<f64>() / self.batch as f64;
        self.adam.update(&mut self.params, &self.grads);
        self.iter += 1;
        loss as f32
    }
}

impl Shard {
    /// Rows `first .. first + rows` of every batch, with empty buffers.
    fn new(first: usize, rows: usize) -> Shard {
        Shard {
            first,
            rows,
            xt: Vec::new(),
            t: Vec::new(),
            eps: Vec::new(),
            grads: Vec::new(),
            cache: ScoreNetCache::default(),
            loss: 0.0,
        }
    }

    /// Draws this shard's rows (x_0, t, eps) of batch `step` and noises them (SPEC §4).
    fn draw(&mut self, data: &Points, process: ProcessKind, times: TimeRange, seed: u64, step: u32) {
        let d = data.dim;
        let n = data.len();
        self.xt.clear();
        self.t.clear();
        self.eps.resize(self.rows * d, 0.0);
        for r in 0..self.rows {
            let eps = &mut self.eps[r * d..(r + 1) * d];
            let (j, t) = rng::counter::batch_row(seed, step, (self.first + r) as u32, n, times.lo, times.hi, eps);
            let x0 = data.row(j);
            let (a, s) = (process.alpha(t as f64) as f32, process.sigma(t as f64) as f32);
            self.t.push(t);
            for j in 0..d {
                self.xt.push(a * x0[j] + s * self.eps[r * d + j]);
            }
        }
    }
}

impl Engine for CpuEngine {
    fn describe(&self) -> String {
        let t = parallel::threads();
        format!("cpu ({t} thread{})", if t == 1 { "" } else { "s" })
    }

    fn net(&self) -> &ScoreNet {
        &self.net
    }

    async fn train_steps(&mut self, steps: u32) -> Result<f32, EngineError> {
        let mut sum = 0.0f64;
        for _ in 0..steps {
            let l = self.step();
            if super::diverged(l, self.net.dim()) {
                return Err(EngineError::Diverged { iter: self.iter, loss: l });
            }
            sum += l as f64;
        }
        Ok((sum / steps.max(1) as f64) as f32)
    }

    async fn eps(&mut self, x: &[f32], t: f32) -> Result<Vec<f32>, EngineError> {
        let mut cache = ScoreNetCache::default();
        let tt = vec![t; x.len() / self.net.dim()];
        Ok(self.net.forward(&self.params, x, &tt, &mut cache).to_vec())
    }

    async fn params(&mut self) -> Result<Vec<f32>, EngineError> {
        Ok(self.params.clone())
    }

    fn set_params(&mut self, params: &[f32]) {
        assert_eq!(params.len(), self.params.len());
        self.params.copy_from_slice(params);
    }
}
