//! The WGSL/wgpu training engine: the same DSM training as the CPU engine, as compute kernels
//! (`shaders/`). A training step is three tiled products per layer plus three more dispatches
//! (batch draw with the counter-based RNG both engines share, loss, Adam); up to [`LOSS_SLOTS`] steps are encoded before one
//! asynchronous loss readback. Natively it runs on Vulkan (Mesa's lavapipe on CPU-only
//! machines, which is how the tests check it against the CPU engine); in the page, on WebGPU.

mod kernels;
mod readback;

use super::cpu::TimeRange;
use super::{Engine, EngineError};
use crate::nn::{Activation, Parameterization, ScoreNet};
use crate::points::Points;
use crate::rng::{self, Stream};
use kernels::{bind, bytes_of, storage, uniform, Gemm, Kernels};
use readback::read_f32;
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// Loss slots on the GPU: the most steps between two loss readbacks.
pub const LOSS_SLOTS: usize = 1024;
/// Steps encoded into one command buffer.
const STEPS_PER_SUBMIT: usize = 64;

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
        let name = if info.name.is_empty() { "unnamed adapter".to_string() } else { info.name.clone() };
        let adapter_name = format!("{name} ({:?})", info.backend);
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("collapse-lab"),
                required_limits: adapter.limits(),
                ..Default::default()
            })
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
        let software = info.device_type == wgpu::DeviceType::Cpu
            || ["swiftshader", "llvmpipe", "lavapipe"].iter().any(|s| info.name.to_lowercase().contains(s));
        Ok(GpuContext { device, queue, adapter: adapter_name, software, fault })
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

    fn encode(&self, pass: &mut wgpu::ComputePass) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind, &[]);
        pass.dispatch_workgroups(self.groups.0, self.groups.1, self.groups.2);
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
    n_params: usize,
    layers: Vec<Layer>,
    params: wgpu::Buffer,
    grads: wgpu::Buffer,
    input: wgpu::Buffer,
    output: wgpu::Buffer,
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

impl GpuEngine {
    /// Uploads the data, initialises the parameters exactly as the CPU engine does for this
    /// seed, and builds every buffer and bind group once.
    pub fn new(
        ctx: GpuContext,
        net: ScoreNet,
        data: &Points,
        batch: usize,
        lr: f32,
        times: TimeRange,
        seed: u64,
    ) -> Result<GpuEngine, String> {
        if net.config.parameterization != Parameterization::Plain {
            return Err(format!(
                "the GPU engine trains the plain parameterisation; {} runs on the CPU engine",
                net.config.parameterization.name()
            ));
        }
        let max = ctx.device.limits().max_storage_buffer_binding_size as usize;
        let widest = net.main().sizes.iter().max().copied().unwrap_or(1);
        let n_params = net.n_params();
        if data.data.len() * 4 > max || batch * widest * 4 > max || n_params * 4 > max {
            return Err(format!("the data set, batch or net exceeds this GPU's largest buffer ({} MB)", max >> 20));
        }
        let device = &ctx.device;
        let kernels = Kernels::new(device);
        let mlp = net.main().clone();
        let sizes = mlp.sizes.clone();
        let n_layers = sizes.len() - 1;
        let d = net.dim();
        let copies = gradient_copies(batch, n_params, COPIES_BUDGET.min(max));
        let k_chunk = batch.div_ceil(copies) as u32;
        let init = net.init_params(&mut rng::stream(seed, Stream::Init, 0));
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: &bytes_of(&init),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        });
        let partial = storage(device, "gradient copies", copies * n_params);
        let grads = storage(device, "grads", n_params);
        let m = storage(device, "adam m", n_params);
        let v = storage(device, "adam v", n_params);
        let state = storage(device, "state", 4);
        let losses = storage(device, "losses", LOSS_SLOTS);
        let data_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("data"),
            contents: &bytes_of(&data.data),
            usage: wgpu::BufferUsages::STORAGE,
        });
        // a[l]: input of layer l (a[0] = [x_t, t], a[L] = eps_hat); z[l]: its pre-activation;
        // g[l]: dL/dz of layer l - 1 (g[L] = dL/d eps_hat).
        let a: Vec<wgpu::Buffer> = (0..=n_layers).map(|l| storage(device, "activation", batch * sizes[l])).collect();
        let z: Vec<wgpu::Buffer> = (0..n_layers).map(|l| storage(device, "pre-activation", batch * sizes[l + 1])).collect();
        let g: Vec<wgpu::Buffer> = (0..=n_layers).map(|l| storage(device, "gradient", if l == 0 { 1 } else { batch * sizes[l] })).collect();
        let eps_target = storage(device, "eps", batch * d);
        let k = &kernels;
        let rows = batch as u32;
        let act = act_code(mlp.activation);
        let mut layers = Vec::new();
        for l in 0..n_layers {
            let last = l + 1 == n_layers;
            let (w, b) = mlp.layer_offsets(l);
            let (w, b) = (w as u32, b as u32);
            let (n_in, n_out) = (sizes[l] as u32, sizes[l + 1] as u32);
            let fwd = Gemm {
                m: rows,
                n: n_out,
                k: n_in,
                k_chunk: n_in,
                a: (0, n_in, 1),
                act: if last { 3 } else { act },
                b: (w, 1, n_in),
                bias_off: b,
                c_off: 0,
                c_sm: n_out,
                c_chunk: 0,
                n_real: n_out,
            };
            let wgrad = Gemm {
                m: n_out,
                n: n_in + 1,
                k: rows,
                k_chunk,
                a: (0, 1, n_out),
                act: 0,
                b: (0, n_in, 1),
                bias_off: b,
                c_off: w,
                c_sm: n_in,
                c_chunk: n_params as u32,
                n_real: n_in,
            };
            let igrad = Gemm {
                m: rows,
                n: n_in,
                k: n_out,
                k_chunk: n_out,
                a: (0, n_out, 1),
                act,
                b: (w, n_in, 1),
                bias_off: 0,
                c_off: 0,
                c_sm: n_in,
                c_chunk: 0,
                n_real: n_in,
            };
            layers.push(Layer {
                forward: Product::new(device, &k.forward, &fwd, &[&a[l], &params, &z[l], &a[l + 1]]),
                weight_grad: Product::new(device, &k.weight_grad, &wgrad, &[&g[l + 1], &a[l], &partial]),
                input_grad: (l > 0)
                    .then(|| Product::new(device, &k.input_grad, &igrad, &[&g[l + 1], &params, &g[l], &z[l - 1], &a[l]])),
            });
        }
        let process = match net.config.process {
            crate::diffusion::ProcessKind::Vp => 0u32,
            crate::diffusion::ProcessKind::SubVp => 1,
            crate::diffusion::ProcessKind::Linear => 2,
        };
        let batch_cfg = uniform(
            device,
            "batch",
            &[data.len() as u32, d as u32, batch as u32, seed as u32, (seed >> 32) as u32, process, times.lo.to_bits(), times.hi.to_bits()],
        );
        let loss_cfg = uniform(device, "loss", &[(batch * d) as u32, (1.0 / batch as f32).to_bits(), LOSS_SLOTS as u32, 0]);
        let adam_cfg = uniform(device, "adam", &[n_params as u32, lr.to_bits(), copies as u32, 0]);
        Ok(GpuEngine {
            draw: bind(device, &k.draw, &[&batch_cfg, &data_buf, &state, &a[0], &eps_target]),
            loss: bind(device, &k.loss, &[&loss_cfg, &a[n_layers], &eps_target, &g[n_layers], &state, &losses]),
            adam: bind(device, &k.adam, &[&adam_cfg, &partial, &state, &params, &m, &v, &grads]),
            input: a[0].clone(),
            output: a[n_layers].clone(),
            ctx,
            net,
            kernels,
            batch,
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

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("collapse-lab") })
    }

    fn encode_forward(&self, pass: &mut wgpu::ComputePass) {
        for layer in &self.layers {
            layer.forward.encode(pass);
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
            pass.dispatch_workgroups(groups(self.batch, 64), 1, 1);
        }
        if on(1) {
            self.encode_forward(pass);
        }
        if on(2) {
            pass.set_pipeline(&k.loss);
            pass.set_bind_group(0, &self.loss, &[]);
            pass.dispatch_workgroups(1, 1, 1);
        }
        for layer in self.layers.iter().rev() {
            if on(3) {
                layer.weight_grad.encode(pass);
            }
            if let Some(p) = layer.input_grad.as_ref().filter(|_| on(4)) {
                p.encode(pass);
            }
        }
        let wgs = groups(self.n_params, 256);
        let (x, y) = if wgs <= 65535 { (wgs, 1) } else { (65535, wgs.div_ceil(65535)) };
        if on(5) {
            pass.set_pipeline(&k.adam);
            pass.set_bind_group(0, &self.adam, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
    }

    /// Encodes `steps` steps (at most [`LOSS_SLOTS`]) in several submissions, then reads their
    /// losses back once.
    async fn run_block(&mut self, steps: usize, draw: bool) -> Result<Vec<f32>, EngineError> {
        assert!(steps <= LOSS_SLOTS);
        self.ctx.check()?;
        let mut left = steps;
        loop {
            let n = left.min(STEPS_PER_SUBMIT);
            let t0 = crate::clock::now_s();
            let mut enc = self.encoder();
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("train"), timestamp_writes: None });
                for _ in 0..n {
                    self.encode_step(&mut pass, draw);
                }
            }
            left -= n;
            if left == 0 {
                self.encode_s += crate::clock::now_s() - t0;
                let all = read_f32(&self.ctx, enc, &self.losses, 0, LOSS_SLOTS).await?;
                let first = self.iter;
                self.iter += steps as u64;
                return Ok((0..steps as u64).map(|i| all[((first + i) % LOSS_SLOTS as u64) as usize]).collect());
            }
            self.ctx.queue.submit([enc.finish()]);
            self.encode_s += crate::clock::now_s() - t0;
        }
    }

    /// One step on a given batch: `input` rows are [x_t, t], `eps` the targets (for tests
    /// against the CPU engine). Returns the loss.
    pub async fn step_on_batch(&mut self, input: &[f32], eps: &[f32]) -> Result<f32, EngineError> {
        assert_eq!(input.len(), self.batch * (self.net.dim() + 1));
        assert_eq!(eps.len(), self.batch * self.net.dim());
        self.ctx.queue.write_buffer(&self.input, 0, &bytes_of(input));
        self.ctx.queue.write_buffer(&self.eps_target, 0, &bytes_of(eps));
        Ok(self.run_block(1, false).await?[0])
    }

    /// The gradient of the last step (for tests).
    pub async fn grads(&self) -> Result<Vec<f32>, EngineError> {
        read_f32(&self.ctx, self.encoder(), &self.grads, 0, self.n_params).await
    }

    /// Draws the batch of the current step without training on it and returns its input
    /// rows [x_t, t] and targets eps (for tests of the GPU batch sampler).
    pub async fn draw_batch(&mut self) -> Result<(Vec<f32>, Vec<f32>), EngineError> {
        let mut enc = self.encoder();
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("draw"), timestamp_writes: None });
            pass.set_pipeline(&self.kernels.draw);
            pass.set_bind_group(0, &self.draw, &[]);
            pass.dispatch_workgroups(groups(self.batch, 64), 1, 1);
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
        let mut left = steps as usize;
        let mut sum = 0.0f64;
        while left > 0 {
            let n = left.min(LOSS_SLOTS);
            let start = self.iter;
            let losses = self.run_block(n, true).await?;
            if let Some(i) = losses.iter().position(|l| !l.is_finite()) {
                return Err(EngineError::Diverged { iter: start + i as u64 + 1, loss: losses[i] });
            }
            sum += losses.iter().map(|&l| l as f64).sum::<f64>();
            left -= n;
        }
        Ok((sum / steps.max(1) as f64) as f32)
    }

    async fn eps(&mut self, x: &[f32], t: f32) -> Result<Vec<f32>, EngineError> {
        let d = self.net.dim();
        let mut out = Vec::with_capacity(x.len());
        for chunk in x.chunks(self.batch * d) {
            let rows = chunk.len() / d;
            let mut input = Vec::with_capacity(rows * (d + 1));
            for row in chunk.chunks_exact(d) {
                input.extend_from_slice(row);
                input.push(t);
            }
            self.ctx.queue.write_buffer(&self.input, 0, &bytes_of(&input));
            let mut enc = self.encoder();
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("eps"), timestamp_writes: None });
                self.encode_forward(&mut pass);
            }
            out.extend(read_f32(&self.ctx, enc, &self.output, 0, rows * d).await?);
        }
        Ok(out)
    }

    async fn params(&mut self) -> Result<Vec<f32>, EngineError> {
        read_f32(&self.ctx, self.encoder(), &self.params, 0, self.n_params).await
    }

    fn set_params(&mut self, params: &[f32]) {
        assert_eq!(params.len(), self.n_params);
        self.ctx.queue.write_buffer(&self.params, 0, &bytes_of(params));
    }
}
