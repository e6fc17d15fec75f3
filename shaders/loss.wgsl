// DSM loss of the batch: r = eps_hat - eps; the output gradient 2 scale r (scale = 1/batch) and
// each element's r^2 for the reduction in loss_sum.wgsl.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> out: array<f32>;
@group(0) @binding(2) var<storage, read> eps_target: array<f32>;
@group(0) @binding(3) var<storage, read_write> d_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> sq: array<f32>;

@compute @workgroup_size(256)
fn loss_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= dims.rows * dims.n_out) {
    return;
  }
  let r = out[i] - eps_target[i];
  d_out[i] = 2.0 * dims.scale * r;
  sq[i] = r * r;
}
