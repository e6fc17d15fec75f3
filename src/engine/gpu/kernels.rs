//! The WGSL kernels of `shaders/`, compiled once per device, and the per-dispatch uniforms.

use wgpu::util::DeviceExt;

const COMMON: &str = include_str!("../../../shaders/common.wgsl");

pub struct Kernels {
    pub draw: wgpu::ComputePipeline,
    pub forward: wgpu::ComputePipeline,
    pub loss: wgpu::ComputePipeline,
    pub loss_sum: wgpu::ComputePipeline,
    pub act_backward: wgpu::ComputePipeline,
    pub weight_grad: wgpu::ComputePipeline,
    pub bias_grad: wgpu::ComputePipeline,
    pub input_grad: wgpu::ComputePipeline,
    pub adam: wgpu::ComputePipeline,
    pub advance: wgpu::ComputePipeline,
}

fn pipeline(device: &wgpu::Device, name: &str, source: &str) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(name),
        source: wgpu::ShaderSource::Wgsl(format!("{COMMON}\n{source}").into()),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(name),
        layout: None,
        module: &module,
        entry_point: Some(name),
        compilation_options: Default::default(),
        cache: None,
    })
}

impl Kernels {
    pub fn new(device: &wgpu::Device) -> Kernels {
        Kernels {
            draw: pipeline(device, "draw", include_str!("../../../shaders/batch.wgsl")),
            forward: pipeline(device, "linear_forward", include_str!("../../../shaders/forward.wgsl")),
            loss: pipeline(device, "loss_grad", include_str!("../../../shaders/loss.wgsl")),
            loss_sum: pipeline(device, "loss_sum", include_str!("../../../shaders/loss_sum.wgsl")),
            act_backward: pipeline(device, "act_backward", include_str!("../../../shaders/act_backward.wgsl")),
            weight_grad: pipeline(device, "weight_grad", include_str!("../../../shaders/weight_grad.wgsl")),
            bias_grad: pipeline(device, "bias_grad", include_str!("../../../shaders/bias_grad.wgsl")),
            input_grad: pipeline(device, "input_grad", include_str!("../../../shaders/input_grad.wgsl")),
            adam: pipeline(device, "adam", include_str!("../../../shaders/adam.wgsl")),
            advance: pipeline(device, "advance", include_str!("../../../shaders/advance.wgsl")),
        }
    }
}

/// A uniform buffer of 32-bit words.
pub fn uniform(device: &wgpu::Device, label: &str, words: &[u32]) -> wgpu::Buffer {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: &bytes,
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

/// A storage buffer of `len` f32 (or u32) words, zeroed.
pub fn storage(device: &wgpu::Device, label: &str, len: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (len.max(1) * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

pub fn bytes_of(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Bind group 0 of `pipeline` with `buffers` at bindings 0, 1, 2, ...
pub fn bind(device: &wgpu::Device, pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}
