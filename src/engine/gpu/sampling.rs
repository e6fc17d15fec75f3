//! The samplers on the GPU: the interpreter of `sample::ops` in WGSL (`shaders/sample.wgsl`).
//! Every point of a run lives on the GPU from the initial noise to the samples. Each evaluation
//! runs the trained net's forward kernels on chunks of up to [`SAMPLE_ROWS`] rows (one engine
//! per net; two-model training splits at t'), and each update is one dispatch over all points,
//! with the noise drawn on the GPU from the counter-based generator the CPU samplers use. The
//! whole run's operations are uploaded once and encoded without waiting; the samples (and what
//! is recorded) are read back once at the end. So the samples are the CPU samplers' up to float
//! rounding, for the same net, initial points and seed.

use super::kernels::{bytes_of, storage};
use super::readback::read_many;
use super::{GpuContext, GpuEngine, groups2};
use crate::diffusion::Process;
use crate::diffusion::TimeRange;
use crate::engine::{Engine, EngineError};
use crate::nn::Parameterization;
use crate::points::Points;
use crate::rng::counter;
use crate::sample::{BLOCK, Buf, Op, Recording, RunOptions, Sampler, TrainedNet, ops};
use wgpu::util::DeviceExt;

/// Rows of one forward pass when sampling.
pub const SAMPLE_ROWS: usize = 16_384;
/// Bytes between two operations' uniforms (WebGPU's default minUniformBufferOffsetAlignment).
const SLOT: usize = 256;
/// Grid steps encoded into one command buffer.
const STEPS_PER_SUBMIT: usize = 32;

const SOURCE: &str = include_str!("../../../shaders/sample.wgsl");

/// What varies between operations of `Op` in `sample.wgsl` (see [`Words::bytes`]).
#[derive(Clone, Copy, Default)]
struct Words {
    kind: u32,
    r0: u32,
    rows: u32,
    sel: u32,
    key: u32,
    draw: u32,
    noisy: u32,
    param: u32,
    f: [f32; 4],
}

impl Words {
    /// The 16 words of `Op` in `sample.wgsl`, with the run's points (n x d) and the rows of
    /// one forward pass, as bytes.
    fn bytes(&self, n: usize, d: usize, rows: usize) -> impl Iterator<Item = u8> {
        let f = self.f.map(f32::to_bits);
        let words = [
            self.kind,
            self.r0,
            self.rows,
            n as u32,
            d as u32,
            self.sel,
            self.key,
            self.draw,
            rows as u32,
            self.noisy,
            self.param,
            BLOCK as u32,
            f[0],
            f[1],
            f[2],
            f[3],
        ];
        words.into_iter().flat_map(u32::to_le_bytes)
    }
}

/// What the encoder does, in order.
enum Cmd {
    /// A dispatch of `pipeline` (0 load, 1 store, 2 update, 3 langevin) with the uniform of
    /// slot `slot`, bound to net `net`'s buffers, over `groups` workgroups; then, for loads,
    /// that net's forward pass.
    Dispatch {
        pipeline: usize,
        slot: usize,
        net: usize,
        groups: (u32, u32),
    },
    Forward {
        net: usize,
    },
    /// Copies of the points for the recording at grid index `i`.
    Record {
        i: usize,
    },
    /// The end of grid step `i`.
    StepEnd,
}

pub struct GpuSampler {
    ctx: GpuContext,
    nets: Vec<GpuEngine>,
    /// With two nets: the first answers for t < split, the second for t >= split.
    split: Option<f32>,
    n: usize,
    d: usize,
    rows: usize,
    x: wgpu::Buffer,
    mid: wgpu::Buffer,
    eps: wgpu::Buffer,
    layout: wgpu::BindGroupLayout,
    /// load, store, update, langevin.
    pipelines: [wgpu::ComputePipeline; 4],
}

impl GpuSampler {
    /// What this sampler's device has been asked so far.
    pub fn counts(&self) -> crate::engine::GpuCounts {
        self.ctx.counts()
    }

    /// Uploads the trained nets' parameters to forward-only engines and allocates the points of
    /// runs of `n` points.
    pub fn new(ctx: &GpuContext, nets: &[TrainedNet], split: Option<f32>, n: usize) -> Result<GpuSampler, String> {
        Self::with_rows(ctx, nets, split, n, SAMPLE_ROWS)
    }

    /// [`GpuSampler::new`] with forward passes of at most `rows` rows.
    pub fn with_rows(ctx: &GpuContext, nets: &[TrainedNet], split: Option<f32>, n: usize, rows: usize) -> Result<GpuSampler, String> {
        assert!(!nets.is_empty() && (nets.len() == 1) == split.is_none());
        let rows = n.min(rows).max(1);
        let d = nets[0].net.dim();
        let max = ctx.device.limits().max_storage_buffer_binding_size as usize;
        if n * d * 4 > max {
            return Err(format!("{n} points of dimension {d} exceed this GPU's largest buffer ({} MB)", max >> 20));
        }
        // A forward-only engine still takes a data set: one row of zeros.
        let dummy = Points::new(d, vec![0.0; d]);
        let engines = nets
            .iter()
            .map(|net| {
                let mut eng = GpuEngine::new(ctx.clone(), net.net.clone(), &dummy, rows, 0.0, TimeRange::default(), 0)?;
                eng.set_params(&net.params);
                Ok(eng)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let device = &ctx.device;
        let entry = |binding: u32, ty: wgpu::BufferBindingType, dynamic: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: dynamic, min_binding_size: None },
            count: None,
        };
        let mut entries = vec![entry(0, wgpu::BufferBindingType::Uniform, true)];
        entries.extend((1..7).map(|b| entry(b, wgpu::BufferBindingType::Storage { read_only: false }, false)));
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some("sample"), entries: &entries });
        let pipeline_layout =
            device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor { label: Some("sample"), bind_group_layouts: &[Some(&layout)], immediate_size: 0 });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("sample"),
            source: wgpu::ShaderSource::Wgsl(format!("{}\n{SOURCE}", super::kernels::common()).into()),
        });
        let pipeline = |name: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(name),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let pipelines = [pipeline("sample_load"), pipeline("sample_store"), pipeline("sample_update"), pipeline("sample_langevin")];
        Ok(GpuSampler {
            ctx: ctx.clone(),
            nets: engines,
            split,
            n,
            d,
            rows,
            x: storage(device, "points", n * d),
            mid: storage(device, "midpoints", n * d),
            eps: storage(device, "eps_hat", n * d),
            layout,
            pipelines,
        })
    }

    pub fn describe(&self) -> String {
        self.nets[0].describe()
    }

    /// The net answering at time `t`.
    fn net_at(&self, t: f64) -> usize {
        match self.split {
            Some(s) if t as f32 >= s => 1,
            _ => 0,
        }
    }

    /// The run's operations as dispatches (`cmds`) and their uniforms (`slots`).
    fn plan(&self, sampler: &dyn Sampler, process: &dyn Process, grid: &[f64], key: u32, opts: &RunOptions) -> (Vec<Cmd>, Vec<Words>) {
        let (n, d) = (self.n, self.d);
        let mut cmds = Vec::new();
        let mut slots: Vec<Words> = Vec::new();
        let mut slot = |w: Words| {
            slots.push(w);
            slots.len() - 1
        };
        let mut draws = 0u32;
        let elems = groups2(n * d, 256);
        let steps = grid.len() - 1;
        let mut list = Vec::new();
        for i in 0..=steps {
            // The points are recorded before each step, and at the end after the denoising.
            if i < steps {
                cmds.push(Cmd::Record { i });
            }
            list.clear();
            if i < steps {
                sampler.ops(process, grid[i], grid[i + 1], i + 1 == steps, &mut list);
            } else if opts.denoise {
                ops::denoise(process, grid[steps], &mut list);
            }
            for op in &list {
                match *op {
                    Op::Eval { src, t } => {
                        let net = self.net_at(t);
                        let sel = (src == Buf::Mid) as u32;
                        let config = &self.nets[net].net.config;
                        let (param, f) = match (config.parameterization, config.output_coefficients(t as f32)) {
                            (Parameterization::SkipLearned, _) => (2, [0.0; 4]),
                            (_, Some((c1, c2))) => (1, [c1, c2, 0.0, 0.0]),
                            (_, None) => (0, [t as f32, 0.0, 0.0, 0.0]),
                        };
                        for r0 in (0..n).step_by(self.rows) {
                            let rows = self.rows.min(n - r0);
                            let (c_in, time) = config.net_input(t as f32);
                            let load = slot(Words { kind: 0, r0: r0 as u32, rows: rows as u32, sel, f: [time, c_in, 0.0, 0.0], ..Default::default() });
                            cmds.push(Cmd::Dispatch { pipeline: 0, slot: load, net, groups: groups2(rows * (d + 1), 256) });
                            cmds.push(Cmd::Forward { net });
                            let store = slot(Words { kind: 1, r0: r0 as u32, rows: rows as u32, sel, param, f, ..Default::default() });
                            cmds.push(Cmd::Dispatch { pipeline: 1, slot: store, net, groups: groups2(rows * d, 256) });
                        }
                    }
                    Op::Euler { dt, f, c, noise } => {
                        let w = Words { kind: 2, key, draw: draws, noisy: noise.is_some() as u32, f: [dt, f, c, noise.unwrap_or(0.0)], ..Default::default() };
                        cmds.push(Cmd::Dispatch { pipeline: 2, slot: slot(w), net: 0, groups: elems });
                    }
                    Op::Affine { dst, a, c } => {
                        let w = Words { kind: 3, sel: (dst == Buf::Mid) as u32, f: [a, c, 0.0, 0.0], ..Default::default() };
                        cmds.push(Cmd::Dispatch { pipeline: 2, slot: slot(w), net: 0, groups: elems });
                    }
                    Op::Denoise { a, s } => {
                        let w = Words { kind: 5, f: [a, s, 0.0, 0.0], ..Default::default() };
                        cmds.push(Cmd::Dispatch { pipeline: 2, slot: slot(w), net: 0, groups: elems });
                    }
                    Op::Langevin { sigma, alpha, snr } => {
                        let w = Words { kind: 4, key, draw: draws, f: [sigma as f32, alpha as f32, snr as f32, 0.0], ..Default::default() };
                        cmds.push(Cmd::Dispatch { pipeline: 3, slot: slot(w), net: 0, groups: (n.div_ceil(BLOCK) as u32, 1) });
                    }
                }
                draws += op.draws_noise() as u32;
            }
            if i == steps {
                cmds.push(Cmd::Record { i });
            }
            cmds.push(Cmd::StepEnd);
        }
        (cmds, slots)
    }

    /// Runs `sampler` from `init` (x at t = 1) to t_eps on the GPU: `sample::run_with`'s samples
    /// and recording, up to float rounding.
    #[allow(clippy::too_many_arguments)]
    pub async fn run(
        &self,
        sampler: &dyn Sampler,
        process: &dyn Process,
        init: &Points,
        seed: u64,
        stream: u64,
        opts: &RunOptions<'_>,
    ) -> Result<(Points, Option<Recording>), EngineError> {
        let (n, d) = (self.n, self.d);
        assert_eq!((init.len(), init.dim), (n, d), "the GPU sampler was made for {n} points of dimension {d}");
        self.ctx.check()?;
        let device = &self.ctx.device;
        let grid = opts.grid(sampler.steps(), process);
        let key = counter::sampler_key(seed, stream);
        let (cmds, slots) = self.plan(sampler, process, &grid, key, opts);
        // Every uniform of the run in one buffer, 256 bytes apart.
        let mut bytes = vec![0u8; slots.len().max(1) * SLOT];
        for (s, w) in slots.iter().enumerate() {
            for (k, b) in w.bytes(n, d, self.rows).enumerate() {
                bytes[s * SLOT + k] = b;
            }
        }
        let uniforms =
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("sampler ops"), contents: &bytes, usage: wgpu::BufferUsages::UNIFORM });
        let binds: Vec<wgpu::BindGroup> = self
            .nets
            .iter()
            .map(|eng| {
                let buffers = [&self.x, &self.mid, &self.eps, &eng.input, &eng.output, &eng.coef];
                let mut entries = vec![wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: &uniforms, offset: 0, size: wgpu::BufferSize::new(64) }),
                }];
                entries.extend(buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32 + 1, resource: b.as_entire_binding() }));
                device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some("sample"), layout: &self.layout, entries: &entries })
            })
            .collect();
        // What the recording needs: all points at its histograms' grid indices, the first
        // trajectory rows at every index.
        let snap_at = opts.record.map(|p| p.snapshot_steps(&grid)).unwrap_or_default();
        let traj_rows = opts.record.map_or(0, |p| p.trajectories.min(BLOCK).min(n));
        let snaps = storage(device, "snapshots", snap_at.len() * n * d);
        let traj = storage(device, "trajectory", grid.len() * traj_rows * d);
        self.ctx.write(&self.x, &bytes_of(&init.data));
        let mut enc = self.encoder();
        let mut steps_in = 0;
        let mut pass: Option<wgpu::ComputePass<'static>> = None;
        for cmd in &cmds {
            match cmd {
                Cmd::Record { i } => {
                    let s = snap_at.iter().position(|a| a == i);
                    if s.is_some() || traj_rows > 0 {
                        drop(pass.take());
                        if let Some(s) = s {
                            enc.copy_buffer_to_buffer(&self.x, 0, &snaps, (s * n * d * 4) as u64, (n * d * 4) as u64);
                        }
                        if traj_rows > 0 {
                            enc.copy_buffer_to_buffer(&self.x, 0, &traj, (i * traj_rows * d * 4) as u64, (traj_rows * d * 4) as u64);
                        }
                    }
                }
                Cmd::Dispatch { pipeline, slot, net, groups } => {
                    let p = pass.get_or_insert_with(|| begin(&mut enc));
                    p.set_pipeline(&self.pipelines[*pipeline]);
                    p.set_bind_group(0, &binds[*net], &[(*slot * SLOT) as u32]);
                    self.ctx.dispatch(p, groups.0, groups.1, 1);
                }
                Cmd::Forward { net } => {
                    let p = pass.get_or_insert_with(|| begin(&mut enc));
                    self.nets[*net].encode_forward(p);
                }
                Cmd::StepEnd => {
                    steps_in += 1;
                    if steps_in == STEPS_PER_SUBMIT {
                        drop(pass.take());
                        let full = std::mem::replace(&mut enc, self.encoder());
                        self.ctx.submit(full);
                        self.ctx.check()?;
                        steps_in = 0;
                    }
                }
            }
        }
        drop(pass.take());
        // The samples, the recording's snapshots and trajectories: one readback at the end.
        let recorded = opts.record.is_some();
        let mut ranges = vec![(&self.x, 0u64, n * d)];
        if recorded {
            ranges.push((&snaps, 0, snap_at.len() * n * d));
            ranges.push((&traj, 0, grid.len() * traj_rows * d));
        }
        let mut read = read_many(&self.ctx, enc, &ranges).await?.into_iter();
        let out = read.next().unwrap_or_default();
        let recording = match opts.record {
            Some(plan) => {
                let (snaps, all) = (read.next().unwrap_or_default(), read.next().unwrap_or_default());
                let snapshots: Vec<Vec<f32>> = snaps.chunks(n * d).map(|c| c.to_vec()).take(snap_at.len()).collect();
                let trajectory: Vec<Vec<f32>> = (0..grid.len()).map(|i| all[i * traj_rows * d..(i + 1) * traj_rows * d].to_vec()).collect();
                Some(plan.replay(&grid, d, n, &snapshots, &trajectory))
            }
            None => None,
        };
        Ok((Points::new(d, out), recording))
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sample") })
    }
}

fn begin(enc: &mut wgpu::CommandEncoder) -> wgpu::ComputePass<'static> {
    enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("sample"), timestamp_writes: None }).forget_lifetime()
}
