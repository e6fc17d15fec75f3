// Epilogue of the weight-gradient product (after gemm.wgsl): slice c of the batch, written to
// copy c of the net's gradient (columns < n_real are W's, the last one is b's).

@compute @workgroup_size(16, 16)
fn weight_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
               @builtin(local_invocation_index) lidx: u32) {
  let c = tile_product(wg, lid, lidx);
  let copy = net_of(wg) * g.c_net + slice_of(wg) * g.c_chunk;
  for (var i = 0u; i < R; i++) {
    let row = wg.y * TM + row_in_tile(lid.y, i);
    for (var j = 0u; j < R; j++) {
      let col = wg.x * TM + col_in_tile(lid.x, j);
      if (row < g.m && col < g.n) {
        if (col < g.n_real) {
          c_buf[copy + g.c_off + row * g.c_sm + col] = value(c, i, j);
        } else {
          c_buf[copy + g.bias_off + row] = value(c, i, j);
        }
      }
    }
  }
}
