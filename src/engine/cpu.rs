//! The CPU engine: DSM training with our own forward/backward passes, data-parallel over fixed
//! shards of each batch (threads natively; in the page, Web Workers: [`ShardHelpers`]), summed in
//! shard order so the result does not depend on the thread or worker count.

use super::{Engine, EngineError};
use crate::nn::{Adam, ScoreNet, ScoreNetCache, ScoreNetConfig};
use crate::parallel;
use crate::points::Points;
use crate::rng::{self, Stream};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Rows per shard: large enough for efficient GEMMs, small enough to feed two or more cores.
const SHARD_ROWS: usize = 500;

use crate::diffusion::TimeRange;

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

/// One shard's gradients of one batch, computed elsewhere (a helper Web Worker of the page).
#[derive(Clone, Debug)]
pub struct ShardGrad {
    pub shard: usize,
    pub grads: Vec<f32>,
    /// The shard's summed loss (as [`ShardSet::grads`] returns it).
    pub loss: f64,
}

/// What a helper needs to compute shards of this engine's batches: the same net, data, batch,
/// time range and seed, so it draws the same rows ([`ShardSet::new`] with these).
pub struct ShardSetup<'a> {
    pub net: &'a ScoreNet,
    pub data: &'a Arc<Points>,
    pub batch: usize,
    pub times: TimeRange,
    pub seed: u64,
    pub shards: usize,
}

/// Workers beside the engine's own thread that compute some shards of every batch: helper `h`
/// (1-based) takes the shards `i` with `i % (count + 1) == h`, the engine the rest. The engine
/// sums every shard's gradients in shard order, so the parameters are bit-identical to one
/// worker's. If a helper fails, the engine computes its shards itself (the same bits) and goes
/// on without helpers.
pub trait ShardHelpers {
    /// Helpers beside the engine (at least 1).
    fn count(&self) -> usize;
    /// Starts every helper on its shards of batch `step` with these parameters.
    fn start(&mut self, params: &[f32], step: u32);
    /// The helpers' shards of the started batch, in any order.
    #[allow(clippy::type_complexity)]
    fn finish(&mut self) -> Pin<Box<dyn Future<Output = Result<Vec<ShardGrad>, String>> + '_>>;
}

/// Makes the helpers of a new engine (None: train alone). Set by the page's worker
/// ([`set_shard_helpers`]); natively, threads split the shards instead.
pub type HelperFactory = Box<dyn Fn(&ShardSetup) -> Option<Box<dyn ShardHelpers>>>;

thread_local! {
    static HELPERS: RefCell<Option<HelperFactory>> = const { RefCell::new(None) };
}

/// Every CPU engine made on this thread from now on asks `factory` for helpers (None: none).
pub fn set_shard_helpers(factory: Option<HelperFactory>) {
    HELPERS.with(|h| *h.borrow_mut() = factory);
}

/// The shard that helper `h` of `count` (1-based; 0 = the engine) computes: `i % (count + 1) == h`.
pub fn shard_owner(shard: usize, count: usize) -> usize {
    shard % (count + 1)
}

/// Computes the gradients of chosen shards of every batch, as the engine does: what a helper
/// worker runs.
pub struct ShardSet {
    net: ScoreNet,
    data: Arc<Points>,
    batch: usize,
    times: TimeRange,
    seed: u64,
    shard: Shard,
}

impl ShardSet {
    pub fn new(net: ScoreNet, data: Arc<Points>, batch: usize, times: TimeRange, seed: u64) -> Self {
        assert_eq!(data.dim, net.dim(), "data and net differ in dimension");
        assert!(batch > 0 && !data.is_empty());
        ShardSet { net, data, batch, times, seed, shard: Shard::new(0, 0) }
    }

    pub fn shards(&self) -> usize {
        self.batch.div_ceil(SHARD_ROWS)
    }

    /// Shard `i`'s gradients (scaled by 1 / batch, as the engine sums them) and summed loss.
    pub fn grads(&mut self, params: &[f32], step: u32, i: usize) -> ShardGrad {
        assert!(i < self.shards(), "shard {i} of {}", self.shards());
        let s = &mut self.shard;
        s.first = i * SHARD_ROWS;
        s.rows = SHARD_ROWS.min(self.batch - s.first);
        s.draw(&self.data, &self.net.config, self.times, self.seed, step);
        s.grads.clear();
        s.grads.resize(params.len(), 0.0);
        let scale = 1.0 / self.batch as f32;
        s.loss = self.net.dsm_loss_grad(params, &s.xt, &s.t, &s.eps, scale, &mut s.cache, &mut s.grads);
        ShardGrad { shard: i, grads: s.grads.clone(), loss: s.loss }
    }
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
    helpers: Option<Box<dyn ShardHelpers>>,
    /// Why the helpers stopped, if they did (the engine then went on alone).
    helpers_lost: Option<String>,
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
        let shards = (0..n_shards).map(|i| Shard::new(i * SHARD_ROWS, SHARD_ROWS.min(batch - i * SHARD_ROWS))).collect();
        let setup = ShardSetup { net: &net, data: &data, batch, times, seed, shards: n_shards };
        let helpers = if n_shards > 1 { HELPERS.with(|h| h.borrow().as_ref().and_then(|f| f(&setup))) } else { None };
        CpuEngine { helpers, helpers_lost: None, adam: Adam::new(n, lr), grads: vec![0.0; n], net, params, data, batch, times, shards, seed, iter: 0 }
    }

    /// The batch of training step `step` (0 is the first) as network input rows [x_t, t] and
    /// targets (eps under the eps target): the rows the WGSL engine draws for the same seed and step.
    pub fn batch_at(&self, step: u64) -> (Vec<f32>, Vec<f32>) {
        let mut s = Shard::new(0, self.batch);
        s.draw(&self.data, &self.net.config, self.times, self.seed, step as u32);
        let d = self.data.dim;
        // What the net sees: [c_in x_t, time input] ([x_t, t] without preconditioning).
        let config = &self.net.config;
        let input =
            s.xt.chunks_exact(d)
                .zip(&s.t)
                .flat_map(|(x, &t)| {
                    let (c_in, time) = config.net_input(t);
                    x.iter().map(move |v| if config.precond.is_none() { *v } else { c_in * v }).chain([time])
                })
                .collect();
        (input, s.eps)
    }

    pub fn params_ref(&self) -> &[f32] {
        &self.params
    }

    /// Workers that computed the shards: 1 + the helpers (1 natively: threads there).
    pub fn workers(&self) -> usize {
        1 + self.helpers.as_ref().map_or(0, |h| h.count())
    }

    /// Why the helper workers stopped, if they did.
    pub fn helpers_lost(&self) -> Option<&str> {
        self.helpers_lost.as_deref()
    }

    /// Computes the shards for which `mine(i)` holds, over this machine's threads.
    fn compute_shards(&mut self, mine: impl Fn(usize) -> bool + Sync) {
        let (net, params, data, times) = (&self.net, &self.params, &*self.data, self.times);
        let scale = 1.0 / self.batch as f32;
        let (seed, step) = (self.seed, self.iter as u32);
        parallel::for_each_mut(&mut self.shards, |i, s| {
            if !mine(i) {
                return;
            }
            s.draw(data, &net.config, times, seed, step);
            s.grads.clear();
            s.grads.resize(params.len(), 0.0);
            s.loss = net.dsm_loss_grad(params, &s.xt, &s.t, &s.eps, scale, &mut s.cache, &mut s.grads);
        });
    }

    /// One training step; returns the batch's mean loss.
    pub fn step(&mut self) -> f32 {
        self.compute_shards(|_| true);
        self.finish_step()
    }

    /// One training step with the helpers computing their shards meanwhile.
    async fn step_with_helpers(&mut self) -> f32 {
        let Some(mut helpers) = self.helpers.take() else { return self.step() };
        let count = helpers.count();
        helpers.start(&self.params, self.iter as u32);
        self.compute_shards(|i| shard_owner(i, count) == 0);
        let n = self.shards.len();
        let got = helpers.finish().await.and_then(|got| {
            let mut seen = vec![false; n];
            for g in &got {
                if g.shard >= n || shard_owner(g.shard, count) == 0 || g.grads.len() != self.params.len() || seen[g.shard] {
                    return Err(format!("a helper sent shard {} of {n} with {} gradients", g.shard, g.grads.len()));
                }
                seen[g.shard] = true;
            }
            let want = (0..n).filter(|&i| shard_owner(i, count) != 0).count();
            if got.len() != want {
                return Err(format!("the helpers sent {} of {want} shards", got.len()));
            }
            Ok(got)
        });
        match got {
            Ok(got) => {
                for g in got {
                    let s = &mut self.shards[g.shard];
                    s.grads = g.grads;
                    s.loss = g.loss;
                }
                self.helpers = Some(helpers);
            }
            Err(why) => {
                // The same shards, computed here: the same bits, on one worker from now on.
                drop(helpers);
                self.helpers_lost = Some(why);
                self.compute_shards(|i| shard_owner(i, count) != 0);
            }
        }
        self.finish_step()
    }

    /// Sums the shards' gradients in shard order and takes the Adam step.
    fn finish_step(&mut self) -> f32 {
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
        Shard { first, rows, xt: Vec::new(), t: Vec::new(), eps: Vec::new(), grads: Vec::new(), cache: ScoreNetCache::default(), loss: 0.0 }
    }

    /// Draws this shard's rows (x_0, t, eps) of batch `step` and noises them (SPEC §4); `eps`
    /// then holds each row's target (eps itself under the eps target).
    fn draw(&mut self, data: &Points, net: &ScoreNetConfig, times: TimeRange, seed: u64, step: u32) {
        let process = net.process;
        let d = data.dim;
        let n = data.len();
        self.t.clear();
        self.eps.resize(self.rows * d, 0.0);
        self.xt.resize(self.rows * d, 0.0);
        for r in 0..self.rows {
            let eps = &mut self.eps[r * d..(r + 1) * d];
            let (j, t) = rng::counter::batch_row(seed, step, (self.first + r) as u32, n, times, eps);
            self.t.push(t);
            crate::diffusion::noise_at(&process, t as f64, data.row(j), eps, &mut self.xt[r * d..(r + 1) * d]);
            if let Some((cx0, ceps)) = net.draw_coefficients(t) {
                eps.iter_mut().zip(data.row(j)).for_each(|(e, &x)| *e = cx0 * x + ceps * *e);
            }
        }
    }
}

impl Engine for CpuEngine {
    fn describe(&self) -> String {
        let w = self.workers();
        if w > 1 {
            return format!("cpu ({w} workers)");
        }
        let t = parallel::threads();
        format!("cpu ({t} thread{})", if t == 1 { "" } else { "s" })
    }

    fn net(&self) -> &ScoreNet {
        &self.net
    }

    async fn train_steps(&mut self, steps: u32) -> Result<f32, EngineError> {
        let mut sum = 0.0f64;
        for _ in 0..steps {
            let l = if self.helpers.is_some() { self.step_with_helpers().await } else { self.step() };
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
