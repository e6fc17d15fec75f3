// The samplers' operations (src/sample/ops.rs) on every point of a run at once: the GPU
// interpreter of a sampler step (src/engine/gpu/sampling.rs). One uniform per dispatch, at a
// dynamic offset into one buffer holding the whole run's operations, so a run of thousands of
// steps is encoded once and read back once.

// One operation. kind: 0 load, 1 store, 2 euler, 3 affine, 4 langevin, 5 denoise.
// load / store: rows r0 .. r0 + rows of the points (sel: 0 x, 1 mid) to and from the net's
// buffers, the net's input [f1 x, f0] (f1 = 1, f0 = t but under EDM's preconditioning); store combines eps_hat by the parameterisation (param: 0 plain, 1 skip-fixed
// with c1 = f0 and c2 = f1, 2 skip-learned from the coefficient nets' rows 0 .. batch and
// batch .. 2 batch). euler: x <- x - dt (f x + c eps) [+ noise z] with dt, f, c, noise = f0 .. f3.
// affine: (sel: 0 x, 1 mid) <- a x - c eps with a, c = f0, f1. denoise: x <- (x - s eps) / a
// with a, s = f0, f1. langevin: sigma, alpha, snr = f0, f1, f2, a workgroup per block of
// BLOCK rows. z: draw `draw` of the run's noise (key), indexed by row * d + coordinate.
struct Op {
  kind: u32, r0: u32, rows: u32, n: u32,
  d: u32, sel: u32, key: u32, draw: u32,
  batch: u32, noisy: u32, param: u32, block: u32,
  f0: f32, f1: f32, f2: f32, f3: f32,
}

@group(0) @binding(0) var<uniform> op: Op;
@group(0) @binding(1) var<storage, read_write> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> mid: array<f32>;
@group(0) @binding(3) var<storage, read_write> eps: array<f32>;
@group(0) @binding(4) var<storage, read_write> net_in: array<f32>;
@group(0) @binding(5) var<storage, read_write> net_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> coef: array<f32>;

// ln(x) for positive normal x, as rng::counter::ln computes it (WGSL's log may err by 2^-21
// absolutely, sin and cos by 2^-11: SwiftShader's do, which moved SDE samples by 0.02).
fn own_ln(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) {
    m = m * 0.5;
    e = e + 1;
  }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let series = s * (2.0 + s2 * (2.0 / 3.0 + s2 * (0.4 + s2 * (2.0 / 7.0 + s2 * (2.0 / 9.0)))));
  return f32(e) * 0.693147181 + series;
}

// (cos, sin) of 2 pi u, as rng::counter::turn_sin_cos computes it.
fn turn_sin_cos(u: f32) -> vec2<f32> {
  let q = floor(u * 4.0 + 0.5);
  let theta = (u - 0.25 * q) * 6.28318531;
  let t2 = theta * theta;
  let s = theta * (1.0 - t2 / 6.0 * (1.0 - t2 / 20.0 * (1.0 - t2 / 42.0 * (1.0 - t2 / 72.0 * (1.0 - t2 / 110.0)))));
  let c = 1.0 - t2 / 2.0 * (1.0 - t2 / 12.0 * (1.0 - t2 / 30.0 * (1.0 - t2 / 56.0 * (1.0 - t2 / 90.0))));
  switch (i32(q) & 3) {
    case 0: { return vec2<f32>(c, s); }
    case 1: { return vec2<f32>(-s, c); }
    case 2: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}

// Standard normal number `index` of draw `draw` (rng::counter::normal): Box–Muller on the pair
// index / 2, cosine for even indices, sine for odd.
fn sampler_normal(key: u32, draw: u32, index: u32) -> f32 {
  let pair = index / 2u;
  let u1 = unit(hash4(key, draw, pair, 0u));
  let u2 = unit(hash4(key, draw, pair, 1u));
  let radius = sqrt(-2.0 * own_ln(u1));
  let cs = turn_sin_cos(u2);
  if (index % 2u == 0u) {
    return radius * cs.x;
  }
  return radius * cs.y;
}

// The element of a 2D dispatch of 256-wide workgroups (more than 65535 workgroups need a y).
fn element(wg: vec3<u32>, nw: vec3<u32>, lid: u32) -> u32 {
  return (wg.y * nw.x + wg.x) * 256u + lid;
}

fn point(k: u32) -> f32 {
  if (op.sel == 1u) {
    return mid[k];
  }
  return xs[k];
}

@compute @workgroup_size(256)
fn sample_load(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = element(wg, nw, lid);
  let w = op.d + 1u;
  if (i >= op.rows * w) {
    return;
  }
  let r = i / w;
  let j = i % w;
  if (j == op.d) {
    net_in[i] = op.f0;
  } else {
    net_in[i] = op.f1 * point((op.r0 + r) * op.d + j);
  }
}

@compute @workgroup_size(256)
fn sample_store(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let i = element(wg, nw, lid);
  if (i >= op.rows * op.d) {
    return;
  }
  let k = op.r0 * op.d + i;
  let n = net_out[i];
  switch op.param {
    case 1u: { eps[k] = op.f0 * point(k) + op.f1 * n; }
    case 2u: {
      let r = i / op.d;
      eps[k] = coef[r] * point(k) + coef[op.batch + r] * n;
    }
    default: { eps[k] = n; }
  }
}

@compute @workgroup_size(256)
fn sample_update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let i = element(wg, nw, lid);
  if (i >= op.n * op.d) {
    return;
  }
  let x = xs[i];
  let e = eps[i];
  switch op.kind {
    case 2u: {
      var v = x - op.f0 * (op.f1 * x + op.f2 * e);
      if (op.noisy == 1u) {
        v = v + op.f3 * sampler_normal(op.key, op.draw, i);
      }
      xs[i] = v;
    }
    case 3u: {
      let v = op.f0 * x - op.f1 * e;
      if (op.sel == 1u) {
        mid[i] = v;
      } else {
        xs[i] = v;
      }
    }
    default: { xs[i] = (x - op.f1 * e) / op.f0; }
  }
}

var<workgroup> eps_norms: array<f32, 256>;
var<workgroup> z_norms: array<f32, 256>;

fn finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// One Langevin step of one block (workgroup_id.x): the block means of the row norms of eps and
// z give the step size (rng::counter::normal for z, sample::ops::langevin_coefficients for the
// rest), then every row of the block moves.
@compute @workgroup_size(256)
fn sample_langevin(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = wg.x * op.block;
  let last = min(op.n, first + op.block);
  var en = 0.0;
  var zn = 0.0;
  for (var r = first + lid; r < last; r += 256u) {
    var e2 = 0.0;
    var z2 = 0.0;
    for (var j = 0u; j < op.d; j++) {
      let k = r * op.d + j;
      let e = eps[k];
      let z = sampler_normal(op.key, op.draw, k);
      e2 += e * e;
      z2 += z * z;
    }
    en += sqrt(e2);
    zn += sqrt(z2);
  }
  eps_norms[lid] = en;
  z_norms[lid] = zn;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) {
      eps_norms[lid] += eps_norms[lid + s];
      z_norms[lid] += z_norms[lid + s];
    }
    workgroupBarrier();
  }
  let rows = f32(last - first);
  let grad = eps_norms[0] / rows / op.f0;
  if (!(grad > 0.0) || !finite(grad)) {
    return;
  }
  let ratio = op.f2 * (z_norms[0] / rows) / grad;
  let step = 2.0 * op.f1 * ratio * ratio;
  let drift = step / op.f0;
  let noise = sqrt(2.0 * step);
  for (var r = first + lid; r < last; r += 256u) {
    for (var j = 0u; j < op.d; j++) {
      let k = r * op.d + j;
      xs[k] = xs[k] + (-drift * eps[k] + noise * sampler_normal(op.key, op.draw, k));
    }
  }
}
