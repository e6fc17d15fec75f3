//! The WGSL kernels of `shaders/`, compiled once per device, and the per-dispatch uniforms.

use wgpu::util::DeviceExt;

const COMMON: &str = include_str!("../../../shaders/common.wgsl");

/// The constants the kernels share with the CPU code, written from the Rust values (abstract
/// WGSL constants: each use rounds to f32 as the literal did), so each number has one home.
pub fn constants() -> String {
    use crate::diffusion::{EDM_RHO, EDM_SIGMA, ProcessKind, VP_BETA};
    let (b1, b2, eps) = crate::nn::adam::ADAM;
    let mut s = format!(
        "const VP_BETA_MIN = {:?};\nconst VP_BETA_MAX = {:?};\nconst ADAM_BETA1 = {:?};\nconst ADAM_BETA2 = {:?};\nconst ADAM_EPS = {:e};\n",
        VP_BETA.0, VP_BETA.1, b1, b2, eps
    );
    s += &format!("const EDM_SIGMA_MIN = {:?};\nconst EDM_SIGMA_MAX = {:?};\nconst EDM_RHO = {:?};\n", EDM_SIGMA.0, EDM_SIGMA.1, EDM_RHO);
    let p = crate::diffusion::EDM_P;
    s += &format!("const EDM_P_MEAN = {:?};\nconst EDM_P_STD = {:?};\n", p.0, p.1);
    s += &format!("const NET_WORDS = {}u;\nconst STATE_WORDS = {}u;\n", super::NET_WORDS, super::STATE_WORDS);
    for k in ProcessKind::ALL {
        s += &format!("const PROCESS_{} = {}u;\n", k.name().replace('-', "_").to_uppercase(), k.code());
    }
    for k in crate::diffusion::Target::ALL {
        s += &format!("const TARGET_{} = {}u;\n", k.name().to_uppercase(), k.code());
    }
    for k in crate::diffusion::Precond::ALL {
        s += &format!("const PRECOND_{} = {}u;\n", k.name().to_uppercase(), k as u32);
    }
    for k in crate::diffusion::TimeDist::ALL {
        s += &format!("const T_DIST_{} = {}u;\n", k.name().replace('-', "_").to_uppercase(), k.code());
    }
    s
}

/// What every kernel starts with: [`constants`] and `common.wgsl`.
pub fn common() -> String {
    format!("{}{COMMON}", constants())
}

pub struct Kernels {
    pub draw: wgpu::ComputePipeline,
    /// The three tiled products.
    pub forward: wgpu::ComputePipeline,
    pub input_grad: wgpu::ComputePipeline,
    pub weight_grad: wgpu::ComputePipeline,
    pub loss: wgpu::ComputePipeline,
    pub adam: wgpu::ComputePipeline,
}

const GEMM: &str = include_str!("../../../shaders/gemm.wgsl");

fn pipeline(device: &wgpu::Device, name: &str, source: &str) -> wgpu::ComputePipeline {
    let module = device
        .create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(name), source: wgpu::ShaderSource::Wgsl(format!("{}\n{source}", common()).into()) });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(name),
        layout: None,
        module: &module,
        entry_point: Some(name),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// A tiled product (`gemm.wgsl`) with one of its epilogues.
fn gemm(device: &wgpu::Device, name: &str, epilogue: &str) -> wgpu::ComputePipeline {
    pipeline(device, name, &format!("{GEMM}\n{epilogue}"))
}

impl Kernels {
    pub fn new(device: &wgpu::Device) -> Kernels {
        Kernels {
            draw: pipeline(device, "draw", include_str!("../../../shaders/batch.wgsl")),
            forward: gemm(device, "linear_forward", include_str!("../../../shaders/linear_forward.wgsl")),
            input_grad: gemm(device, "input_grad", include_str!("../../../shaders/input_grad.wgsl")),
            weight_grad: gemm(device, "weight_grad", include_str!("../../../shaders/weight_grad.wgsl")),
            loss: pipeline(device, "loss", include_str!("../../../shaders/loss.wgsl")),
            adam: pipeline(device, "adam", include_str!("../../../shaders/adam.wgsl")),
        }
    }
}

/// The uniform of one tiled product (the `Gemm` struct of `gemm.wgsl`): C (m x n) = A (m x k)
/// B (k x n), with A(i, l) at `a.0 + i a.1 + l a.2` and B(l, j) at `b.0 + l b.1 + j b.2`, for
/// each of `nets` nets of one shape, net i's A, B and C `net.0`, `net.1`, `net.2` floats after
/// net 0's.
#[derive(Clone, Copy, Default)]
pub struct Gemm {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub k_chunk: u32,
    pub a: (u32, u32, u32),
    pub act: u32,
    pub b: (u32, u32, u32),
    pub bias_off: u32,
    pub c_off: u32,
    pub c_sm: u32,
    pub c_chunk: u32,
    pub n_real: u32,
    pub nets: u32,
    pub net: (u32, u32, u32),
}

/// Rows and columns of one workgroup's output tile (`gemm.wgsl`).
pub const TILE: usize = 64;

impl Gemm {
    pub fn words(&self) -> [u32; 20] {
        [
            self.m,
            self.n,
            self.k,
            self.k_chunk,
            self.a.0,
            self.a.1,
            self.a.2,
            self.act,
            self.b.0,
            self.b.1,
            self.b.2,
            self.bias_off,
            self.c_off,
            self.c_sm,
            self.c_chunk,
            self.n_real,
            self.chunks(),
            self.net.0,
            self.net.1,
            self.net.2,
        ]
    }

    /// Slices of k.
    fn chunks(&self) -> u32 {
        (self.k as usize).div_ceil(self.k_chunk.max(1) as usize) as u32
    }

    /// Workgroups: tiles of n, tiles of m, slices of k times nets.
    pub fn groups(&self) -> (u32, u32, u32) {
        ((self.n as usize).div_ceil(TILE) as u32, (self.m as usize).div_ceil(TILE) as u32, self.chunks() * self.nets.max(1))
    }
}

/// A uniform buffer of 32-bit words.
pub fn uniform(device: &wgpu::Device, label: &str, words: &[u32]) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: &bytes_of_words(words), usage: wgpu::BufferUsages::UNIFORM })
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

/// u32 words as the little-endian bytes a buffer holds (uniforms, the per-net words).
pub fn bytes_of_words(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Bind group 0 of `pipeline` with `buffers` at bindings 0, 1, 2, ...
pub fn bind(device: &wgpu::Device, pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> =
        buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() }).collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &pipeline.get_bind_group_layout(0), entries: &entries })
}

#[cfg(test)]
mod tests {
    /// The kernels' shared numbers come from the Rust values, and no kernel writes them out.
    #[test]
    fn the_kernels_constants_are_the_rust_values() {
        let c = super::constants();
        for line in [
            "const VP_BETA_MIN = 0.1;",
            "const VP_BETA_MAX = 20.0;",
            "const ADAM_BETA1 = 0.9;",
            "const ADAM_BETA2 = 0.999;",
            "const ADAM_EPS = 1e-8;",
            "const PROCESS_VP = 0u;",
            "const PROCESS_SUB_VP = 1u;",
            "const PROCESS_LINEAR = 2u;",
            "const PROCESS_VE = 3u;",
            "const EDM_SIGMA_MAX = 80.0;",
            "const EDM_RHO = 7.0;",
        ] {
            assert!(c.contains(line), "{line} not in:\n{c}");
        }
        for (name, src) in [("common", super::COMMON), ("adam", include_str!("../../../shaders/adam.wgsl"))] {
            for literal in ["19.9", "0.05 *", "0.999", "1e-8", "process == 1u", "process == 2u"] {
                assert!(!src.contains(literal), "{name}.wgsl writes {literal} itself");
            }
        }
    }
}
