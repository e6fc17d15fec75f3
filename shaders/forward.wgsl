// One dense layer, z = a_in W^T + b and a_out = act(z): one invocation per output element,
// looping over the inputs. No shared memory or barriers: software adapters (SwiftShader,
// lavapipe) run barrier-heavy tiles an order of magnitude slower, and these matrices are small.
// W is `n_out x n_in` row-major inside the flat parameter vector (the CPU engine's layout).

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a_in: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> z_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> a_out: array<f32>;

@compute @workgroup_size(16, 16)
fn linear_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let row = gid.y;
  if (row >= dims.rows || col >= dims.n_out) {
    return;
  }
  let a0 = row * dims.n_in;
  let w0 = dims.w_off + col * dims.n_in;
  var acc = params[dims.b_off + col];
  for (var k = 0u; k < dims.n_in; k++) {
    acc += a_in[a0 + k] * params[w0 + k];
  }
  z_out[row * dims.n_out + col] = acc;
  a_out[row * dims.n_out + col] = activate(acc, dims.act);
}
