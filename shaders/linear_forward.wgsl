// Epilogue of the forward product (after gemm.wgsl): bias, activation, z and a stored.

@group(0) @binding(4) var<storage, read_write> a_out: array<f32>;

@compute @workgroup_size(16, 16)
fn linear_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                  @builtin(local_invocation_index) lidx: u32) {
  let c = tile_product(wg, lid, lidx);
  let net = net_of(wg);
  for (var i = 0u; i < R; i++) {
    let row = wg.y * TM + row_in_tile(lid.y, i);
    for (var j = 0u; j < R; j++) {
      let col = wg.x * TM + col_in_tile(lid.x, j);
      if (row < g.m && col < g.n) {
        let z = value(c, i, j) + b_buf[net * g.b_net + g.bias_off + col];
        let o = net * g.c_net + g.c_off + row * g.c_sm + col;
        c_buf[o] = z;
        a_out[o] = activate(z, g.act);
      }
    }
  }
}
