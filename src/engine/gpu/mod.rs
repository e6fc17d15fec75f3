//! The WGSL/wgpu training engine: the same DSM training as the CPU engine, as compute kernels
//! (`shaders/`). A training step is three tiled products per layer plus three more dispatches
//! (batch draw with the counter-based RNG both engines share, loss, Adam); up to [`LOSS_SLOTS`] steps are encoded before one
//! asynchronous loss readback. One engine may train several nets of one shape side by side
//! ([`GpuEngine::new_many`]), each kernel serving all of them in one dispatch. Natively it runs
//! on Vulkan (Mesa's lavapipe on CPU-only machines, which is how the tests check it against the
//! CPU engine); in the page, on WebGPU.

mod kernels;
mod readback;
pub mod sampling;
mod together;
pub use together::train_together;

use super::{Engine, EngineError};
use crate::diffusion::TimeRange;
use crate::nn::mlp::Mlp;
use crate::nn::{Activation, Parameterization, ScoreNet};
use crate::points::Points;
use crate::rng::{self, Stream};
use kernels::{Gemm, Kernels, bind, bytes_of, bytes_of_words, storage, uniform};
use readback::read_f32;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// Loss slots on the GPU: the most steps between two loss readbacks.
pub const LOSS_SLOTS: usize = super::LOSS_READBACK_STEPS as usize;
/// Steps encoded into one command buffer.
const STEPS_PER_SUBMIT: usize = 64;
/// The nets of several engines as one flat list, engine after engine (the order in which
/// [`GpuEngine::train_steps_together`] and [`GpuEngine::params_together`] give them), where
/// engine e holds `counts[e]` nets: the engines with a net for which `training` holds, and all
/// of those engines' nets (an engine's dispatches serve all of its nets).
pub fn live_nets(counts: &[usize], training: impl Fn(usize) -> bool) -> (Vec<usize>, Vec<usize>) {
    let (mut engines, mut nets, mut first) = (Vec::new(), Vec::new(), 0);
    for (e, &n) in counts.iter().enumerate() {
        if (first..first + n).any(&training) {
            engines.push(e);
            nets.extend(first..first + n);
        }
        first += n;
    }
    (engines, nets)
}

/// Words per net of the kernels' `nets` buffer: seed (low, high), t_lo, t_hi, learning rate,
/// three spare.
pub const NET_WORDS: usize = 8;
/// Words per net of the kernels' `state` buffer: the step counter, three spare.
pub const STATE_WORDS: usize = 4;

/// What one net of an engine trains on: its data set, learning rate, time range and seed. The
/// nets of one engine share everything else (architecture, batch, process, target).
#[derive(Clone, Copy)]
pub struct NetSetup<'a> {
    pub data: &'a Points,
    pub lr: f32,
    pub times: TimeRange,
    pub seed: u64,
}

impl NetSetup<'_> {
    /// Whether this net can share an engine's dispatches with `other`'s (given one architecture
    /// and batch): data sets of one size and dimension, one law of t.
    pub fn fits_with(&self, other: &NetSetup) -> bool {
        (self.data.len(), self.data.dim, self.times.dist) == (other.data.len(), other.data.dim, other.times.dist)
    }
}

/// A device and queue, with what the lab knows about the adapter and any fault it reported.
#[derive(Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// "SwiftShader Device (Vulkan)", "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)", ...
    pub adapter: String,
    /// A software implementation on the CPU (lavapipe, llvmpipe, SwiftShader).
    pub software: bool,
    fault: Arc<Mutex<Option<String>>>,
    /// What has been asked of the device so far through this context and its clones: every
    /// engine on it, or, for a job's context ([`GpuContext::for_job`]), that job's engines only.
    counts: Arc<Counters>,
}

/// [`super::GpuCounts`] as they grow; each count also goes to the `parent`'s (a job's to its
/// device's).
#[derive(Default)]
struct Counters {
    dispatches: AtomicU64,
    submissions: AtomicU64,
    writes: AtomicU64,
    readbacks: AtomicU64,
    parent: Option<Arc<Counters>>,
}

impl Counters {
    /// One more of `which`, here and in every parent.
    fn add(&self, which: fn(&Counters) -> &AtomicU64) {
        let mut at = Some(self);
        while let Some(c) = at {
            which(c).fetch_add(1, Relaxed);
            at = c.parent.as_deref();
        }
    }
}

impl GpuContext {
    /// The default adapter (WebGPU in the browser, Vulkan natively), or why there is none.
    pub async fn new() -> Result<GpuContext, String> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = if cfg!(target_arch = "wasm32") { wgpu::Backends::BROWSER_WEBGPU } else { wgpu::Backends::VULKAN };
        let instance = wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("no GPU adapter: {e}"))?;
        let info = adapter.get_info();
        // Browsers keep the adapter's name to themselves (the page names it from JS).
        let adapter_name = match (info.name.is_empty(), info.backend) {
            (true, wgpu::Backend::BrowserWebGpu) => "the browser's WebGPU adapter".to_string(),
            (true, b) => format!("an unnamed adapter ({b:?})"),
            (false, b) => format!("{} ({b:?})", info.name),
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor { label: Some("collapse-lab"), required_limits: adapter.limits(), ..Default::default() })
            .await
            .map_err(|e| format!("the GPU adapter {adapter_name} gave no device: {e}"))?;
        let fault = Arc::new(Mutex::new(None));
        let f = fault.clone();
        device.set_device_lost_callback(move |reason, msg| {
            f.lock().unwrap().get_or_insert(format!("GPU device lost ({reason:?}): {msg}"));
        });
        let f = fault.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            f.lock().unwrap().get_or_insert(format!("GPU error: {e}"));
        }));
        let software =
            info.device_type == wgpu::DeviceType::Cpu || ["swiftshader", "llvmpipe", "lavapipe"].iter().any(|s| info.name.to_lowercase().contains(s));
        Ok(GpuContext { device, queue, adapter: adapter_name, software, fault, counts: Arc::default() })
    }

    /// The same device for one job of a batch that runs several at once (`study --jobs 2`): its
    /// engines' and samplers' work is counted apart from the other jobs' (and still in this
    /// context's), so a run's device work per step is its own, never summed with a run beside it
    /// (issue 55: `--jobs 2` doubled the counts).
    pub fn for_job(&self) -> GpuContext {
        GpuContext { counts: Arc::new(Counters { parent: Some(self.counts.clone()), ..Default::default() }), ..self.clone() }
    }

    /// Dispatches, submissions, buffer writes and readbacks asked of this device so far through
    /// this context (a job's: that job's).
    pub fn counts(&self) -> super::GpuCounts {
        let c = &self.counts;
        super::GpuCounts {
            dispatches: c.dispatches.load(Relaxed),
            submissions: c.submissions.load(Relaxed),
            writes: c.writes.load(Relaxed),
            readbacks: c.readbacks.load(Relaxed),
        }
    }

    /// `pass.dispatch_workgroups`, counted.
    fn dispatch(&self, pass: &mut wgpu::ComputePass, x: u32, y: u32, z: u32) {
        self.counts.add(|c| &c.dispatches);
        pass.dispatch_workgroups(x, y, z);
    }

    /// `queue.submit` of one command buffer, counted.
    fn submit(&self, enc: wgpu::CommandEncoder) {
        self.counts.add(|c| &c.submissions);
        self.queue.submit([enc.finish()]);
    }

    /// `queue.write_buffer`, counted.
    fn write(&self, buffer: &wgpu::Buffer, data: &[u8]) {
        self.counts.add(|c| &c.writes);
        self.queue.write_buffer(buffer, 0, data);
    }

    /// The first fault the device reported, if any.
    pub fn fault(&self) -> Option<String> {
        self.fault.lock().unwrap().clone()
    }

    fn check(&self) -> Result<(), EngineError> {
        match self.fault() {
            Some(m) => Err(EngineError::Device(m)),
            None => Ok(()),
        }
    }

    fn failure(&self, what: &str) -> EngineError {
        EngineError::Device(self.fault().unwrap_or_else(|| what.to_string()))
    }

    /// Destroys the device, as a lost GPU would (for testing the fallback).
    pub fn lose(&self) {
        self.device.destroy();
    }
}

/// One tiled product: its pipeline, bind group and workgroup counts.
struct Product {
    pipeline: wgpu::ComputePipeline,
    bind: wgpu::BindGroup,
    groups: (u32, u32, u32),
}

impl Product {
    fn new(device: &wgpu::Device, pipeline: &wgpu::ComputePipeline, dims: &Gemm, buffers: &[&wgpu::Buffer]) -> Product {
        let pipeline = pipeline.clone();
        let u = uniform(device, "gemm", &dims.words());
        let mut all = vec![&u];
        all.extend_from_slice(buffers);
        Product { bind: bind(device, &pipeline, &all), pipeline, groups: dims.groups() }
    }

    fn encode(&self, ctx: &GpuContext, pass: &mut wgpu::ComputePass) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind, &[]);
        ctx.dispatch(pass, self.groups.0, self.groups.1, self.groups.2);
    }
}

/// One dense layer's three products.
struct Layer {
    forward: Product,
    weight_grad: Product,
    input_grad: Option<Product>,
}

pub struct GpuEngine {
    ctx: GpuContext,
    net: ScoreNet,
    kernels: Kernels,
    batch: usize,
    /// Nets of this one shape trained side by side, every kernel serving all of them in one
    /// dispatch (their buffers one after another in each buffer).
    nets: usize,
    n_params: usize,
    layers: Vec<Layer>,
    params: wgpu::Buffer,
    grads: wgpu::Buffer,
    input: wgpu::Buffer,
    output: wgpu::Buffer,
    /// c1(t) and c2(t) of the learned skip connection, rows 0..batch and batch..2 batch.
    coef: wgpu::Buffer,
    eps_target: wgpu::Buffer,
    losses: wgpu::Buffer,
    draw: wgpu::BindGroup,
    loss: wgpu::BindGroup,
    adam: wgpu::BindGroup,
    iter: u64,
    /// Seconds spent encoding and submitting steps on the CPU (for the benchmark).
    pub encode_s: f64,
    /// Kernels left out of every step, for profiling only: the bits of [`PROFILE_PARTS`] named
    /// in the environment variable `COLLAPSE_LAB_GPU_SKIP` (the results are then wrong).
    skip: u32,
}

/// The kernels of a step, in the order of `COLLAPSE_LAB_GPU_SKIP`'s bits.
pub const PROFILE_PARTS: [&str; 6] = ["draw", "forward", "loss", "wgrad", "igrad", "adam"];

fn skip_mask() -> u32 {
    let v = std::env::var("COLLAPSE_LAB_GPU_SKIP").unwrap_or_default();
    v.split(',').filter_map(|p| PROFILE_PARTS.iter().position(|q| *q == p.trim())).fold(0, |m, i| m | (1 << i))
}

fn act_code(a: Activation) -> u32 {
    match a {
        Activation::Tanh => 0,
        Activation::Relu => 1,
        Activation::Silu => 2,
    }
}

fn groups(n: usize, size: usize) -> u32 {
    n.div_ceil(size) as u32
}

/// Workgroups of `size` for `n` invocations as (x, y), x at most 65535 (WebGPU's limit per
/// dimension); the kernel numbers them (y nx + x) size + local index.
fn groups2(n: usize, size: usize) -> (u32, u32) {
    let wgs = groups(n, size);
    if wgs <= 65535 { (wgs, 1) } else { (65535, wgs.div_ceil(65535)) }
}

/// Copies of the gradient the weight-gradient kernels write, one per slice of the batch: enough
/// slices to spread a layer's reduction over many workgroups (slices of >= 64 rows), few enough
/// that the copies stay within `budget` bytes. Fixed by the net and batch alone, so the sums
/// (and the run) do not depend on the device.
pub fn gradient_copies(batch: usize, n_params: usize, budget: usize) -> usize {
    let by_rows = batch.div_ceil(64);
    let by_memory = budget / (4 * n_params.max(1));
    by_rows.min(by_memory).clamp(1, 64)
}

/// Bytes the gradient copies may take: well inside WebGPU's default 128 MiB binding limit.
const COPIES_BUDGET: usize = 64 << 20;

/// Where one MLP reads its input and writes its output on the GPU: the input's rows start at
/// `in_off` and are `in_stride` apart (the coefficient nets read t, the last column of [x_t, t]);
/// the last layer writes z, a and reads its dL/dz at `out_off` of the three output buffers.
/// Net i's input and output start `in_net` and `out_net` floats after net 0's.
struct MlpIo<'a> {
    input: &'a wgpu::Buffer,
    in_off: u32,
    in_stride: u32,
    in_net: u32,
    out_net: u32,
    out_z: &'a wgpu::Buffer,
    out_a: &'a wgpu::Buffer,
    out_g: &'a wgpu::Buffer,
    out_off: u32,
}

/// What every product of one engine shares.
struct Shared<'a> {
    device: &'a wgpu::Device,
    kernels: &'a Kernels,
    params: &'a wgpu::Buffer,
    partial: &'a wgpu::Buffer,
    batch: u32,
    n_params: u32,
    k_chunk: u32,
    nets: u32,
    /// Floats of one net's gradient copies.
    partial_net: u32,
}

/// The products of one MLP (hidden buffers allocated here), forward and backward.
fn build_mlp(sh: &Shared, mlp: &Mlp, io: MlpIo) -> Vec<Layer> {
    let (device, k, rows) = (sh.device, sh.kernels, sh.batch);
    let sizes = &mlp.sizes;
    let n_layers = sizes.len() - 1;
    let act = act_code(mlp.activation);
    // Hidden layer l's output: z[l], a[l], and its dL/dz g[l] (l < n_layers - 1).
    let hidden =
        |what: &str| -> Vec<wgpu::Buffer> { (0..n_layers - 1).map(|l| storage(device, what, sh.nets as usize * rows as usize * sizes[l + 1])).collect() };
    let (z, a, g) = (hidden("pre-activation"), hidden("activation"), hidden("gradient"));
    let mut layers = Vec::new();
    for l in 0..n_layers {
        let last = l + 1 == n_layers;
        let (w, b) = mlp.layer_offsets(l);
        let (w, b) = (w as u32, b as u32);
        let (n_in, n_out) = (sizes[l] as u32, sizes[l + 1] as u32);
        let (input, in_off, in_stride, in_net) = if l == 0 { (io.input, io.in_off, io.in_stride, io.in_net) } else { (&a[l - 1], 0, n_in, rows * n_in) };
        let (oz, oa, og, out_off, out_net) = if last { (io.out_z, io.out_a, io.out_g, io.out_off, io.out_net) } else { (&z[l], &a[l], &g[l], 0, rows * n_out) };
        let nets = sh.nets;
        let fwd = Gemm {
            m: rows,
            n: n_out,
            k: n_in,
            k_chunk: n_in,
            a: (in_off, in_stride, 1),
            act: if last { 3 } else { act },
            b: (w, 1, n_in),
            bias_off: b,
            c_off: out_off,
            c_sm: n_out,
            c_chunk: 0,
            n_real: n_out,
            nets,
            net: (in_net, sh.n_params, out_net),
        };
        let wgrad = Gemm {
            m: n_out,
            n: n_in + 1,
            k: rows,
            k_chunk: sh.k_chunk,
            a: (out_off, 1, n_out),
            act: 0,
            b: (in_off, in_stride, 1),
            bias_off: b,
            c_off: w,
            c_sm: n_in,
            c_chunk: sh.n_params,
            n_real: n_in,
            nets,
            net: (out_net, in_net, sh.partial_net),
        };
        let igrad = Gemm {
            m: rows,
            n: n_in,
            k: n_out,
            k_chunk: n_out,
            a: (out_off, n_out, 1),
            act,
            b: (w, n_in, 1),
            bias_off: 0,
            c_off: 0,
            c_sm: n_in,
            c_chunk: 0,
            n_real: n_in,
            nets,
            net: (out_net, sh.n_params, rows * n_in),
        };
        layers.push(Layer {
            forward: Product::new(device, &k.forward, &fwd, &[input, sh.params, oz, oa]),
            weight_grad: Product::new(device, &k.weight_grad, &wgrad, &[og, input, sh.partial]),
            input_grad: (l > 0).then(|| Product::new(device, &k.input_grad, &igrad, &[og, sh.params, &g[l - 1], &z[l - 1], &a[l - 1]])),
        });
    }
    layers
}

impl GpuEngine {
    /// Uploads the data, initialises the parameters exactly as the CPU engine does for this
    /// seed, and builds every buffer and bind group once.
    pub fn new(ctx: GpuContext, net: ScoreNet, data: &Points, batch: usize, lr: f32, times: TimeRange, seed: u64) -> Result<GpuEngine, String> {
        Self::new_many(ctx, net, &[NetSetup { data, lr, times, seed }], batch)
    }

    /// Several nets of one shape (`net`, `batch`), each with its own data set of one size,
    /// learning rate, time range and seed, trained side by side: every kernel of a step serves
    /// all of them in one dispatch, and each net is the net [`GpuEngine::new`] trains from its
    /// setup, bit for bit (each net's numbers go through the same operations in the same order).
    pub fn new_many(ctx: GpuContext, net: ScoreNet, setups: &[NetSetup], batch: usize) -> Result<GpuEngine, String> {
        let nets = setups.len();
        let Some(first) = setups.first() else { return Err("no nets to train".into()) };
        let n_data = first.data.len();
        if !setups.iter().all(|s| s.fits_with(first)) {
            return Err("the nets trained in one dispatch need data sets of one size and one law of t".into());
        }
        let max = ctx.device.limits().max_storage_buffer_binding_size as usize;
        let widest = net.main().sizes.iter().max().copied().unwrap_or(1);
        let n_params = net.n_params();
        if nets * first.data.data.len() * 4 > max || nets * batch * widest * 4 > max || nets * n_params * 4 > max {
            return Err(format!("the data set, batch or net exceeds this GPU's largest buffer ({} MB)", max >> 20));
        }
        let device = &ctx.device;
        let kernels = Kernels::new(device);
        let d = net.dim();
        // Each net's copies are those it has alone (so its sums are too), if they fit.
        let copies = gradient_copies(batch, n_params, COPIES_BUDGET.min(max));
        if nets * copies * n_params * 4 > max {
            return Err(format!("{nets} nets' gradient copies exceed this GPU's largest buffer ({} MB)", max >> 20));
        }
        let init: Vec<f32> = setups.iter().flat_map(|s| net.init_params(&mut rng::stream(s.seed, Stream::Init, 0))).collect();
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: &bytes_of(&init),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        });
        let partial = storage(device, "gradient copies", nets * copies * n_params);
        let grads = storage(device, "grads", nets * n_params);
        let m = storage(device, "adam m", nets * n_params);
        let v = storage(device, "adam v", nets * n_params);
        let state = storage(device, "state", nets * STATE_WORDS);
        let losses = storage(device, "losses", nets * LOSS_SLOTS);
        let all_data: Vec<f32> = setups.iter().flat_map(|s| s.data.data.iter().copied()).collect();
        let data_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("data"),
            contents: &bytes_of(&all_data),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let per_net: Vec<u32> =
            setups.iter().flat_map(|s| [s.seed as u32, (s.seed >> 32) as u32, s.times.lo.to_bits(), s.times.hi.to_bits(), s.lr.to_bits(), 0, 0, 0]).collect();
        debug_assert_eq!(per_net.len(), nets * NET_WORDS);
        let nets_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("nets"),
            contents: &bytes_of_words(&per_net),
            usage: wgpu::BufferUsages::STORAGE,
        });
        // The main net reads [x_t, t] and writes N(x_t, t) (eps_hat itself under the plain
        // parameterisation); the learned skip's two coefficient nets read t and write c1, c2 to
        // rows 0..batch and batch..2 batch of one buffer (the loss kernel's 8th binding). Each
        // buffer holds every net's rows, net after net.
        let input = storage(device, "input", nets * batch * (d + 1));
        let (out_z, output, out_g) =
            (storage(device, "z", nets * batch * d), storage(device, "eps_hat", nets * batch * d), storage(device, "dL/dN", nets * batch * d));
        let (coef_z, coef, coef_g) =
            (storage(device, "coef z", nets * 2 * batch), storage(device, "coef", nets * 2 * batch), storage(device, "dL/dc", nets * 2 * batch));
        let eps_target = storage(device, "eps", nets * batch * d);
        let sh = Shared {
            device,
            kernels: &kernels,
            params: &params,
            partial: &partial,
            batch: batch as u32,
            n_params: n_params as u32,
            k_chunk: batch.div_ceil(copies) as u32,
            nets: nets as u32,
            partial_net: (copies * n_params) as u32,
        };
        let (in_net, out_net) = ((batch * (d + 1)) as u32, (batch * d) as u32);
        let main_io = MlpIo { input: &input, in_off: 0, in_stride: (d + 1) as u32, in_net, out_net, out_z: &out_z, out_a: &output, out_g: &out_g, out_off: 0 };
        // The main net's layers, then each coefficient net's: each MLP's in order.
        let mut layers = build_mlp(&sh, net.main(), main_io);
        if let Some(coef_nets) = net.coef() {
            for (i, mlp) in coef_nets.iter().enumerate() {
                let io = MlpIo {
                    input: &input,
                    in_off: d as u32,
                    in_stride: (d + 1) as u32,
                    in_net,
                    out_net: (2 * batch) as u32,
                    out_z: &coef_z,
                    out_a: &coef,
                    out_g: &coef_g,
                    out_off: (i * batch) as u32,
                };
                layers.extend(build_mlp(&sh, mlp, io));
            }
        }
        let process = net.config.process.code();
        let parameterization = match net.config.parameterization {
            Parameterization::Plain => 0u32,
            Parameterization::SkipFixed => 1,
            Parameterization::SkipLearned => 2,
        };
        let batch_cfg = uniform(
            device,
            "batch",
            &[
                n_data as u32,
                d as u32,
                batch as u32,
                process,
                net.config.target.code(),
                first.times.dist.code(),
                net.config.precond as u32,
                net.config.sigma_data.to_bits(),
            ],
        );
        let loss_cfg = uniform(device, "loss", &[batch as u32, d as u32, (1.0 / batch as f32).to_bits(), LOSS_SLOTS as u32, parameterization, process, 0, 0]);
        let adam_cfg = uniform(device, "adam", &[n_params as u32, nets as u32, copies as u32, 0]);
        let k = &kernels;
        Ok(GpuEngine {
            draw: bind(device, &k.draw, &[&batch_cfg, &data_buf, &state, &input, &eps_target, &nets_buf]),
            loss: bind(device, &k.loss, &[&loss_cfg, &output, &eps_target, &out_g, &state, &losses, &input, &coef, &coef_g]),
            adam: bind(device, &k.adam, &[&adam_cfg, &partial, &state, &params, &m, &v, &grads, &nets_buf]),
            input,
            output,
            coef,
            ctx,
            net,
            kernels,
            batch,
            nets,
            n_params,
            layers,
            params,
            grads,
            eps_target,
            losses,
            iter: 0,
            encode_s: 0.0,
            skip: if cfg!(target_arch = "wasm32") { 0 } else { skip_mask() },
        })
    }

    /// How many nets this engine trains side by side.
    pub fn nets(&self) -> usize {
        self.nets
    }

    /// The one net of an engine built by [`GpuEngine::new`] (what [`Engine`]'s methods and the
    /// test hooks act on).
    fn single(&self) {
        assert_eq!(self.nets, 1, "this call acts on one net; the engine trains {}", self.nets);
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("collapse-lab") })
    }

    fn encode_forward(&self, pass: &mut wgpu::ComputePass) {
        for layer in &self.layers {
            layer.forward.encode(&self.ctx, pass);
        }
    }

    /// One training step; `draw` false trains on the batch already in the input buffers.
    /// Dispatches: draw, forward per layer, loss, weight and input gradients per layer, Adam.
    fn encode_step(&self, pass: &mut wgpu::ComputePass, draw: bool) {
        let k = &self.kernels;
        let on = |part: usize| self.skip & (1 << part) == 0;
        if draw && on(0) {
            pass.set_pipeline(&k.draw);
            pass.set_bind_group(0, &self.draw, &[]);
            self.ctx.dispatch(pass, groups(self.batch, 64), self.nets as u32, 1);
        }
        if on(1) {
            self.encode_forward(pass);
        }
        if on(2) {
            pass.set_pipeline(&k.loss);
            pass.set_bind_group(0, &self.loss, &[]);
            self.ctx.dispatch(pass, self.nets as u32, 1, 1);
        }
        for layer in self.layers.iter().rev() {
            if on(3) {
                layer.weight_grad.encode(&self.ctx, pass);
            }
            if let Some(p) = layer.input_grad.as_ref().filter(|_| on(4)) {
                p.encode(&self.ctx, pass);
            }
        }
        let (x, y) = groups2(self.nets * self.n_params, 256);
        if on(5) {
            pass.set_pipeline(&k.adam);
            pass.set_bind_group(0, &self.adam, &[]);
            self.ctx.dispatch(pass, x, y, 1);
        }
    }

    /// Encodes `steps` steps (at most [`LOSS_SLOTS`]) of a one-net engine in several
    /// submissions, then reads their losses back once.
    async fn run_block(&mut self, steps: usize, draw: bool) -> Result<Vec<f32>, EngineError> {
        self.single();
        Ok(Self::run_blocks_together(&mut [self], steps, draw).await?.pop().expect("one net"))
    }

    /// [`GpuEngine::run_block`] for several engines on one device side by side: every engine's
    /// `steps` steps go into one command buffer per [`STEPS_PER_SUBMIT`] steps (one submission
    /// for all of them), and all their losses come back in one readback. Each engine runs the
    /// dispatches it runs alone, on its own buffers, so its nets and losses are those of
    /// training it alone, bit for bit; only how the work reaches the device changes. Each
    /// engine's encoding time is its share of the group's. The losses: one list per net, the
    /// nets of each engine in turn.
    async fn run_blocks_together(engines: &mut [&mut GpuEngine], steps: usize, draw: bool) -> Result<Vec<Vec<f32>>, EngineError> {
        assert!(steps <= LOSS_SLOTS);
        let Some(ctx) = engines.first().map(|e| e.ctx.clone()) else { return Ok(Vec::new()) };
        // One device, and one job's counts: the group's work is counted once, on its context.
        if engines.iter().any(|e| !Arc::ptr_eq(&e.ctx.counts, &ctx.counts)) {
            return Err(EngineError::Device("nets trained together must share one device (and one job's context)".into()));
        }
        ctx.check()?;
        let mut left = steps;
        loop {
            let n = left.min(STEPS_PER_SUBMIT);
            let t0 = crate::clock::now_s();
            let mut enc = engines[0].encoder();
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("train"), timestamp_writes: None });
                for _ in 0..n {
                    for e in engines.iter() {
                        e.encode_step(&mut pass, draw);
                    }
                }
            }
            left -= n;
            // Each engine's share of the time to encode (and submit) the block.
            let charge = |engines: &mut [&mut GpuEngine]| {
                let share = (crate::clock::now_s() - t0) / engines.len() as f64;
                engines.iter_mut().for_each(|e| e.encode_s += share);
            };
            if left > 0 {
                ctx.submit(enc);
                charge(engines);
            } else {
                charge(engines);
                let ranges: Vec<(&wgpu::Buffer, u64, usize)> = engines.iter().map(|e| (&e.losses, 0, e.nets * LOSS_SLOTS)).collect();
                let all = readback::read_many(&ctx, enc, &ranges).await?;
                let mut out = Vec::new();
                for (e, all) in engines.iter_mut().zip(all) {
                    let from = e.iter;
                    e.iter += steps as u64;
                    for slots in all.chunks_exact(LOSS_SLOTS) {
                        out.push((0..steps as u64).map(|i| slots[((from + i) % LOSS_SLOTS as u64) as usize]).collect());
                    }
                }
                return Ok(out);
            }
        }
    }

    /// [`Engine::train_steps`] for several engines side by side ([`Self::run_blocks_together`]):
    /// each net's mean loss over the steps, or its divergence, the nets of each engine in turn.
    /// An engine whose nets have all diverged steps no further; the others go on (a diverged
    /// net that shares its engine's dispatches with others is stepped on with them, its further
    /// losses unread).
    pub async fn train_steps_together(engines: &mut [&mut GpuEngine], steps: u32) -> Result<Vec<Result<f32, EngineError>>, EngineError> {
        let mut left = steps as usize;
        let counts: Vec<usize> = engines.iter().map(|e| e.nets).collect();
        let mut sums = vec![Ok(0.0f64); counts.iter().sum()];
        while left > 0 {
            let n = left.min(LOSS_SLOTS);
            let (idx, nets) = live_nets(&counts, |j| sums[j].is_ok());
            if idx.is_empty() {
                break;
            }
            let mut active: Vec<&mut GpuEngine> = engines.iter_mut().enumerate().filter(|(k, _)| idx.contains(k)).map(|(_, e)| &mut **e).collect();
            let dim = active[0].net.dim();
            let froms: Vec<u64> = active.iter().flat_map(|e| std::iter::repeat_n(e.iter, e.nets)).collect();
            let losses = Self::run_blocks_together(&mut active, n, true).await?;
            for ((&j, l), from) in nets.iter().zip(&losses).zip(froms) {
                if let Ok(sum) = &mut sums[j] {
                    match l.iter().position(|&x| super::diverged(x, dim)) {
                        Some(i) => sums[j] = Err(EngineError::Diverged { iter: from + i as u64 + 1, loss: l[i] }),
                        None => *sum += l.iter().map(|&x| x as f64).sum::<f64>(),
                    }
                }
            }
            left -= n;
        }
        Ok(sums.into_iter().map(|s| s.map(|sum| (sum / steps.max(1) as f64) as f32)).collect())
    }

    /// Every net's parameters in one readback, the nets of each engine in turn.
    pub async fn params_together(engines: &[&mut GpuEngine]) -> Result<Vec<Vec<f32>>, EngineError> {
        let Some(first) = engines.first() else { return Ok(Vec::new()) };
        let ranges: Vec<(&wgpu::Buffer, u64, usize)> =
            engines.iter().flat_map(|e| (0..e.nets).map(|i| (&e.params, (i * e.n_params * 4) as u64, e.n_params))).collect();
        readback::read_many(&first.ctx, first.encoder(), &ranges).await
    }

    /// One step on a given batch: `input` rows are [x_t, t], `eps` the targets (for tests
    /// against the CPU engine). Returns the loss.
    pub async fn step_on_batch(&mut self, input: &[f32], eps: &[f32]) -> Result<f32, EngineError> {
        assert_eq!(input.len(), self.batch * (self.net.dim() + 1));
        assert_eq!(eps.len(), self.batch * self.net.dim());
        self.ctx.write(&self.input, &bytes_of(input));
        self.ctx.write(&self.eps_target, &bytes_of(eps));
        Ok(self.run_block(1, false).await?[0])
    }

    /// The gradient of the last step (for tests).
    pub async fn grads(&self) -> Result<Vec<f32>, EngineError> {
        self.single();
        read_f32(&self.ctx, self.encoder(), &self.grads, 0, self.n_params).await
    }

    /// Draws the batch of the current step without training on it and returns its input
    /// rows [x_t, t] and targets eps (for tests of the GPU batch sampler).
    pub async fn draw_batch(&mut self) -> Result<(Vec<f32>, Vec<f32>), EngineError> {
        self.single();
        let mut enc = self.encoder();
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("draw"), timestamp_writes: None });
            pass.set_pipeline(&self.kernels.draw);
            pass.set_bind_group(0, &self.draw, &[]);
            self.ctx.dispatch(&mut pass, groups(self.batch, 64), 1, 1);
        }
        let d = self.net.dim();
        let input = read_f32(&self.ctx, enc, &self.input, 0, self.batch * (d + 1)).await?;
        let eps = read_f32(&self.ctx, self.encoder(), &self.eps_target, 0, self.batch * d).await?;
        Ok((input, eps))
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }
}

impl Engine for GpuEngine {
    fn describe(&self) -> String {
        format!("gpu: {}", self.ctx.adapter)
    }

    fn net(&self) -> &ScoreNet {
        &self.net
    }

    async fn train_steps(&mut self, steps: u32) -> Result<f32, EngineError> {
        self.single();
        Self::train_steps_together(&mut [self], steps).await?.pop().expect("one net")
    }

    async fn eps(&mut self, x: &[f32], t: f32) -> Result<Vec<f32>, EngineError> {
        self.single();
        let d = self.net.dim();
        let mut out = Vec::with_capacity(x.len());
        for chunk in x.chunks(self.batch * d) {
            let rows = chunk.len() / d;
            let mut input = Vec::with_capacity(rows * (d + 1));
            let (c_in, time) = self.net.config.net_input(t);
            for row in chunk.chunks_exact(d) {
                if self.net.config.precond.is_none() {
                    input.extend_from_slice(row);
                } else {
                    input.extend(row.iter().map(|v| c_in * v));
                }
                input.push(time);
            }
            self.ctx.write(&self.input, &bytes_of(&input));
            let mut enc = self.encoder();
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("eps"), timestamp_writes: None });
                self.encode_forward(&mut pass);
            }
            let n = read_f32(&self.ctx, enc, &self.output, 0, rows * d).await?;
            // eps_hat = c1(t) x + c2(t) N(x, t) under the skip parameterisations and the x0 and
            // v targets, combined here as ScoreNet::forward combines it.
            let (c1, c2) = match (self.net.config.parameterization, self.net.config.output_coefficients(t)) {
                (Parameterization::SkipLearned, _) => {
                    let c = read_f32(&self.ctx, self.encoder(), &self.coef, 0, 2 * self.batch).await?;
                    (c[..rows].to_vec(), c[self.batch..self.batch + rows].to_vec())
                }
                (_, Some((c1, c2))) => (vec![c1; rows], vec![c2; rows]),
                (_, None) => {
                    out.extend(n);
                    continue;
                }
            };
            for (r, (xr, nr)) in chunk.chunks_exact(d).zip(n.chunks_exact(d)).enumerate() {
                out.extend(xr.iter().zip(nr).map(|(x, n)| c1[r] * x + c2[r] * n));
            }
        }
        Ok(out)
    }

    async fn params(&mut self) -> Result<Vec<f32>, EngineError> {
        self.single();
        read_f32(&self.ctx, self.encoder(), &self.params, 0, self.n_params).await
    }

    fn set_params(&mut self, params: &[f32]) {
        self.single();
        assert_eq!(params.len(), self.n_params);
        self.ctx.write(&self.params, &bytes_of(params));
    }

    fn gpu_counts(&self) -> Option<super::GpuCounts> {
        Some(self.ctx.counts())
    }
}
