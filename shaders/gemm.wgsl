// The dense layers' matrix products, tiled: each workgroup of 16 x 16 invocations computes a
// 64 x 64 tile of C = A B, 4 x 4 outputs per invocation, stepping through K in slices of 16
// staged in workgroup memory (8 KB; WebGPU's default limits allow 16 KB and 256 invocations).
// A and B are read through strides, so one core serves three products, each with its own
// epilogue (entry point):
//   linear_forward  z = a_in W^T + b, a_out = act(z)          (A = a_in, B = W^T)
//   input_grad      dL/dz_prev = (dz W) * act'(z_prev)        (A = dz, B = W)
//   weight_grad     dW, db over one slice of the batch        (A = dz^T, B = [a_in, 1])
// The weight gradient is split over the batch: workgroup z sums rows
// [z k_chunk, (z + 1) k_chunk) into its own copy of the gradient, and Adam adds the copies, so
// no invocation loops over the whole batch and no atomics are needed.

struct Gemm {
  m: u32, n: u32, k: u32, k_chunk: u32,
  a_off: u32, a_sm: u32, a_sk: u32, act: u32,
  b_off: u32, b_sk: u32, b_sn: u32, bias_off: u32,
  c_off: u32, c_sm: u32, c_chunk: u32, n_real: u32,
}

@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_buf: array<f32>;

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;

var<workgroup> a_tile: array<f32, 1024>; // [TK][TM]
var<workgroup> b_tile: array<f32, 1024>; // [TK][TN]

// acc[i * 4 + j] is C(m0 + ly + 16 i, n0 + lx + 16 j).
fn tile_product(wg: vec3<u32>, lid: vec3<u32>, lidx: u32) -> array<f32, 16> {
  var acc: array<f32, 16>;
  let m0 = wg.y * TM;
  let n0 = wg.x * TN;
  let k_begin = wg.z * g.k_chunk;
  let k_end = min(g.k, k_begin + g.k_chunk);
  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    for (var e = 0u; e < 4u; e++) {
      let i = lidx + 256u * e;
      // Walk the operand's contiguous dimension with consecutive invocations.
      var kk: u32;
      var mm: u32;
      if (g.a_sk == 1u) { kk = i % TK; mm = i / TK; } else { mm = i % TM; kk = i / TM; }
      let gm = m0 + mm;
      let gk = k0 + kk;
      var av = 0.0;
      if (gm < g.m && gk < k_end) {
        av = a_buf[g.a_off + gm * g.a_sm + gk * g.a_sk];
      }
      a_tile[kk * TM + mm] = av;
      var nn: u32;
      if (g.b_sn == 1u) { nn = i % TN; kk = i / TN; } else { kk = i % TK; nn = i / TK; }
      let gn = n0 + nn;
      let gk2 = k0 + kk;
      var bv = 0.0;
      if (gn < g.n && gk2 < k_end) {
        if (gn < g.n_real) {
          bv = b_buf[g.b_off + gk2 * g.b_sk + gn * g.b_sn];
        } else {
          bv = 1.0; // the virtual column of ones that turns dW's product into db
        }
      }
      b_tile[kk * TN + nn] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        av[i] = a_tile[kk * TM + lid.y + 16u * i];
        bv[i] = b_tile[kk * TN + lid.x + 16u * i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
        }
      }
    }
    workgroupBarrier();
  }
  return acc;
}
