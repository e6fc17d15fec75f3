// Adam (0.9, 0.999, 1e-8) with bias correction, step = state[0] + 1, as the CPU engine's.

struct AdamCfg {
  n: u32, lr: f32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> cfg: AdamCfg;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= cfg.n) {
    return;
  }
  let step = f32(state[0] + 1u);
  let bc1 = 1.0 - pow(0.9, step);
  let bc2 = 1.0 - pow(0.999, step);
  let g = grads[i];
  let mi = 0.9 * m[i] + 0.1 * g;
  let vi = 0.999 * v[i] + 0.001 * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] = params[i] - (cfg.lr / bc1) * mi / (sqrt(vi) / sqrt(bc2) + 1e-8);
}
