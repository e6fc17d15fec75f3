// dL/dW[o][k] = sum_r dz[r][o] a_in[r][k]: one invocation per weight, looping over the batch
// (no barriers, see forward.wgsl); written (not added) into the gradient vector.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read> a_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

@compute @workgroup_size(16, 16)
fn weight_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let o = gid.y;
  if (o >= dims.n_out || k >= dims.n_in) {
    return;
  }
  var acc = 0.0;
  for (var r = 0u; r < dims.rows; r++) {
    acc += dz[r * dims.n_out + o] * a_in[r * dims.n_in + k];
  }
  grads[dims.w_off + o * dims.n_in + k] = acc;
}
