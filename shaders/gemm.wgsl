// The dense layers' matrix products, tiled (this file is prepended to each epilogue). A
// workgroup of 16 x 16 invocations computes a 64 x 64 tile of C = A B, 4 x 4 outputs per
// invocation, stepping through K in slices of 16 staged in workgroup memory (8.7 KB; WebGPU's
// default limits allow 16 KB and 256 invocations). A and B are read through strides, so one core serves three
// products, each with its own epilogue (entry point):
//   linear_forward  z = a_in W^T + b, a_out = act(z)          (A = a_in, B = W^T)
//   input_grad      dL/dz_prev = (dz W) * act'(z_prev)        (A = dz, B = W)
//   weight_grad     dW, db over one slice of the batch        (A = dz^T, B = [a_in, 1])
// The weight gradient is split over the batch: slice c sums rows [c k_chunk, (c + 1) k_chunk)
// into its own copy of the gradient, and Adam adds the copies, so no invocation loops over the
// whole batch and no atomics are needed. Several nets of one shape share a dispatch: workgroup z
// is net z / chunks, slice z % chunks, and net i's A, B and C start a_net, b_net, c_net floats
// after net 0's (a net's bias lives where its B or C does, per epilogue).
// Accumulators are vec4s, never arrays indexed at run time (which compilers may place in slow
// local memory), and the tiles are read as vec4s: an invocation's rows (and columns) are four
// consecutive ones. Each slice row of a tile is padded by one vec4, so that an operand stored
// across the slice (K contiguous in memory) spreads over the memory banks. Measured on an H100
// (README), a 128 x 128 tile with 8 x 8 outputs per invocation was slower at every size here.

struct Gemm {
  m: u32, n: u32, k: u32, k_chunk: u32,
  a_off: u32, a_sm: u32, a_sk: u32, act: u32,
  b_off: u32, b_sk: u32, b_sn: u32, bias_off: u32,
  c_off: u32, c_sm: u32, c_chunk: u32, n_real: u32,
  chunks: u32, a_net: u32, b_net: u32, c_net: u32,
}

@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_buf: array<f32>;

const TM: u32 = 64u;
const TK: u32 = 16u;
const R: u32 = 4u;
// A tile's slice row in floats (TM + 4) and in vec4s.
const ROW: u32 = 68u;
const ROW4: u32 = 17u;

// [TK][ROW] each: A(m0 + i, k0 + kk) at kk * ROW + i, B(k0 + kk, n0 + j) at kk * ROW + j.
var<workgroup> a_tile: array<vec4<f32>, 272>;
var<workgroup> b_tile: array<vec4<f32>, 272>;

// Net i of a dispatch: workgroup z / chunks; its slice of K: workgroup z % chunks.
fn net_of(wg: vec3<u32>) -> u32 {
  return wg.z / g.chunks;
}

fn slice_of(wg: vec3<u32>) -> u32 {
  return wg.z % g.chunks;
}

fn load_tiles(m0: u32, n0: u32, k0: u32, k_end: u32, lidx: u32, a_base: u32, b_base: u32) {
  for (var e = 0u; e < 4u; e++) {
    let i = lidx + 256u * e;
    // Consecutive invocations walk each operand's contiguous dimension in memory.
    var kk = i / TM;
    var mm = i % TM;
    if (g.a_sk == 1u) { kk = i % TK; mm = i / TK; }
    var av = 0.0;
    if (m0 + mm < g.m && k0 + kk < k_end) {
      av = a_buf[a_base + g.a_off + (m0 + mm) * g.a_sm + (k0 + kk) * g.a_sk];
    }
    let ai = kk * ROW + mm;
    a_tile[ai / 4u][ai % 4u] = av;
    var kb = i / TM;
    var nn = i % TM;
    if (g.b_sn != 1u) { kb = i % TK; nn = i / TK; }
    let gn = n0 + nn;
    var bv = 0.0;
    if (gn < g.n && k0 + kb < k_end) {
      bv = 1.0; // the virtual column of ones that turns dW's product into db
      if (gn < g.n_real) {
        bv = b_buf[b_base + g.b_off + (k0 + kb) * g.b_sk + gn * g.b_sn];
      }
    }
    let bi = kb * ROW + nn;
    b_tile[bi / 4u][bi % 4u] = bv;
  }
}

// Row i (0 .. R) of an invocation's block within the tile, and column j.
fn row_in_tile(ly: u32, i: u32) -> u32 {
  return ly * 4u + i;
}

fn col_in_tile(lx: u32, j: u32) -> u32 {
  return lx * 4u + j;
}


struct Block {
  r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>,
}

fn value(c: Block, i: u32, j: u32) -> f32 {
  switch i {
    case 0u: { return c.r0[j]; }
    case 1u: { return c.r1[j]; }
    case 2u: { return c.r2[j]; }
    default: { return c.r3[j]; }
  }
}

fn tile_product(wg: vec3<u32>, lid: vec3<u32>, lidx: u32) -> Block {
  var c: Block;
  let net = net_of(wg);
  let k_begin = slice_of(wg) * g.k_chunk;
  let k_end = min(g.k, k_begin + g.k_chunk);
  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    load_tiles(wg.y * TM, wg.x * TM, k0, k_end, lidx, net * g.a_net, net * g.b_net);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = a_tile[kk * ROW4 + lid.y];
      let b = b_tile[kk * ROW4 + lid.x];
      c.r0 = fma(vec4<f32>(a.x), b, c.r0);
      c.r1 = fma(vec4<f32>(a.y), b, c.r1);
      c.r2 = fma(vec4<f32>(a.z), b, c.r2);
      c.r3 = fma(vec4<f32>(a.w), b, c.r3);
    }
    workgroupBarrier();
  }
  return c;
}
