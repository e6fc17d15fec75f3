// dL/da_in[r][k] = sum_o dz[r][o] W[o][k]: one invocation per element (no barriers, see
// forward.wgsl).

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> d_in: array<f32>;

@compute @workgroup_size(16, 16)
fn input_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let r = gid.y;
  if (r >= dims.rows || k >= dims.n_in) {
    return;
  }
  var acc = 0.0;
  for (var o = 0u; o < dims.n_out; o++) {
    acc += dz[r * dims.n_out + o] * params[dims.w_off + o * dims.n_in + k];
  }
  d_in[r * dims.n_in + k] = acc;
}
