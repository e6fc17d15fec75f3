// dL/db[o] = sum_r dz[r][o].

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;

@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x;
  if (o >= dims.n_out) {
    return;
  }
  var acc = 0.0;
  for (var r = 0u; r < dims.rows; r++) {
    acc += dz[r * dims.n_out + o];
  }
  grads[dims.b_off + o] = acc;
}
