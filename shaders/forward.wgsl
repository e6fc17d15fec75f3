// One dense layer, z = a_in W^T + b and a_out = act(z), as 16x16 shared-memory tiles. W is
// `n_out x n_in` row-major inside the flat parameter vector (the CPU engine's layout).

struct Dims {
  rows: u32, n_in: u32, n_out: u32, w_off: u32,
  b_off: u32, act: u32, scale: f32, pad: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a_in: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> z_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> a_out: array<f32>;

var<workgroup> tile_a: array<array<f32, 16>, 16>;
var<workgroup> tile_w: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn linear_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.y * 16u + lid.y;
  let col = wg.x * 16u + lid.x;
  let w_row = wg.x * 16u + lid.y;
  var acc = 0.0;
  let tiles = (dims.n_in + 15u) / 16u;
  for (var tile = 0u; tile < tiles; tile++) {
    let k = tile * 16u + lid.x;
    var va = 0.0;
    if (row < dims.rows && k < dims.n_in) {
      va = a_in[row * dims.n_in + k];
    }
    tile_a[lid.y][lid.x] = va;
    // tile_w[i][kk] holds W[wg.x*16 + i][tile*16 + kk].
    var vw = 0.0;
    if (w_row < dims.n_out && k < dims.n_in) {
      vw = params[dims.w_off + w_row * dims.n_in + k];
    }
    tile_w[lid.y][lid.x] = vw;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      acc += tile_a[lid.y][kk] * tile_w[lid.x][kk];
    }
    workgroupBarrier();
  }
  if (row < dims.rows && col < dims.n_out) {
    let z = acc + params[dims.b_off + col];
    z_out[row * dims.n_out + col] = z;
    a_out[row * dims.n_out + col] = activate(z, dims.act);
  }
}
