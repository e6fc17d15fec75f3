// dL/dW[o][k] = sum_r dz[r][o] a_in[r][k], tiled over the batch; written (not added) into the
// gradient vector at the layer's weight offset.

struct Dims {
  rows: u32, n_in: u32, n_out: u32, w_off: u32,
  b_off: u32, act: u32, scale: f32, pad: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read> a_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

var<workgroup> tile_d: array<array<f32, 16>, 16>;
var<workgroup> tile_a: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn weight_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = wg.y * 16u + lid.y;
  let k = wg.x * 16u + lid.x;
  let o_load = wg.y * 16u + lid.x;
  var acc = 0.0;
  let tiles = (dims.rows + 15u) / 16u;
  for (var tile = 0u; tile < tiles; tile++) {
    let r = tile * 16u + lid.y;
    // tile_d[rr][oo] = dz[tile*16 + rr][wg.y*16 + oo]; tile_a[rr][kk] = a_in[tile*16 + rr][k].
    var vd = 0.0;
    if (r < dims.rows && o_load < dims.n_out) {
      vd = dz[r * dims.n_out + o_load];
    }
    tile_d[lid.y][lid.x] = vd;
    var va = 0.0;
    if (r < dims.rows && k < dims.n_in) {
      va = a_in[r * dims.n_in + k];
    }
    tile_a[lid.y][lid.x] = va;
    workgroupBarrier();
    for (var rr = 0u; rr < 16u; rr++) {
      acc += tile_d[rr][lid.y] * tile_a[rr][lid.x];
    }
    workgroupBarrier();
  }
  if (o < dims.n_out && k < dims.n_in) {
    grads[dims.w_off + o * dims.n_in + k] = acc;
  }
}
