// dL/da_in[r][k] = sum_o dz[r][o] W[o][k], tiled over the layer's outputs.

struct Dims {
  rows: u32, n_in: u32, n_out: u32, w_off: u32,
  b_off: u32, act: u32, scale: f32, pad: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> d_in: array<f32>;

var<workgroup> tile_d: array<array<f32, 16>, 16>;
var<workgroup> tile_w: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn input_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wg.y * 16u + lid.y;
  let k = wg.x * 16u + lid.x;
  var acc = 0.0;
  let tiles = (dims.n_out + 15u) / 16u;
  for (var tile = 0u; tile < tiles; tile++) {
    // tile_d[rr][oo] = dz[r][tile*16 + oo]; tile_w[oo][kk] = W[tile*16 + oo][k].
    let o_d = tile * 16u + lid.x;
    var vd = 0.0;
    if (r < dims.rows && o_d < dims.n_out) {
      vd = dz[r * dims.n_out + o_d];
    }
    tile_d[lid.y][lid.x] = vd;
    let o_w = tile * 16u + lid.y;
    var vw = 0.0;
    if (o_w < dims.n_out && k < dims.n_in) {
      vw = params[dims.w_off + o_w * dims.n_in + k];
    }
    tile_w[lid.y][lid.x] = vw;
    workgroupBarrier();
    for (var oo = 0u; oo < 16u; oo++) {
      acc += tile_d[lid.y][oo] * tile_w[oo][lid.x];
    }
    workgroupBarrier();
  }
  if (r < dims.rows && k < dims.n_in) {
    d_in[r * dims.n_in + k] = acc;
  }
}
