// Epilogue of the input-gradient product (after gemm.wgsl): dL/da of this layer's input, times
// the previous layer's activation derivative, is that layer's dL/dz.

@group(0) @binding(4) var<storage, read> z_prev: array<f32>;
@group(0) @binding(5) var<storage, read> a_prev: array<f32>;

@compute @workgroup_size(16, 16)
fn input_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
              @builtin(local_invocation_index) lidx: u32) {
  let c = tile_product(wg, lid, lidx);
  for (var i = 0u; i < R; i++) {
    let row = wg.y * TM + row_in_tile(lid.y, i);
    for (var j = 0u; j < R; j++) {
      let col = wg.x * TM + col_in_tile(lid.x, j);
      if (row < g.m && col < g.n) {
        let o = net_of(wg) * g.c_net + row * g.c_sm + col;
        c_buf[g.c_off + o] = value(c, i, j) * activate_grad(z_prev[o], a_prev[o], g.act);
      }
    }
  }
}
