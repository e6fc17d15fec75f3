// The DSM loss of the batch in one workgroup, and its gradient, under each parameterisation
// eps_hat = c1(t) x + c2(t) N(x, t): plain (c1 = 0, c2 = 1), skip-fixed (c1 = sigma_t,
// c2 = 1 - sigma_t) and skip-learned (c1, c2 from the coefficient nets). It writes
// dL/dN = 2 scale r c2 (scale = 1/batch, r = eps_hat - eps), for the learned skip also
// dL/dc1 = <2 scale r, x> and dL/dc2 = <2 scale r, N> per row, the mean of |r|^2 into
// losses[step % capacity] (the host reads many steps' losses in one readback), and advances
// the step counter for Adam and the next draw. Several nets of one shape share a dispatch:
// workgroup x is the net, with its own rows of every buffer, STATE_WORDS words of `state` and
// `capacity` loss slots.

struct LossCfg {
  rows: u32, dim: u32, scale: f32, capacity: u32,
  parameterization: u32, process: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> cfg: LossCfg;
@group(0) @binding(1) var<storage, read> out_all: array<f32>;
@group(0) @binding(2) var<storage, read> eps_all: array<f32>;
@group(0) @binding(3) var<storage, read_write> d_out_all: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<u32>;
@group(0) @binding(5) var<storage, read_write> losses: array<f32>;
@group(0) @binding(6) var<storage, read> input_all: array<f32>;
@group(0) @binding(7) var<storage, read> coef_all: array<f32>;
@group(0) @binding(8) var<storage, read_write> d_coef_all: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn loss(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let d = cfg.dim;
  let net = wg.x;
  let rows0 = net * cfg.rows * d;
  let in0 = net * cfg.rows * (d + 1u);
  let coef0 = net * 2u * cfg.rows;
  var acc = 0.0;
  for (var r = lid.x; r < cfg.rows; r += 256u) {
    let x0 = in0 + r * (d + 1u);
    var c1 = 0.0;
    var c2 = 1.0;
    if (cfg.parameterization == 1u) {
      let s = alpha_sigma(input_all[x0 + d], cfg.process).y;
      c1 = s;
      c2 = 1.0 - s;
    } else if (cfg.parameterization == 2u) {
      c1 = coef_all[coef0 + r];
      c2 = coef_all[coef0 + cfg.rows + r];
    }
    var dc1 = 0.0;
    var dc2 = 0.0;
    for (var k = 0u; k < d; k++) {
      let i = rows0 + r * d + k;
      let n = out_all[i];
      var e_hat = n;
      if (cfg.parameterization != 0u) {
        e_hat = c1 * input_all[x0 + k] + c2 * n;
      }
      let res = e_hat - eps_all[i];
      acc += res * res;
      let g = 2.0 * cfg.scale * res;
      d_out_all[i] = g * c2;
      dc1 += g * input_all[x0 + k];
      dc2 += g * n;
    }
    if (cfg.parameterization == 2u) {
      d_coef_all[coef0 + r] = dc1;
      d_coef_all[coef0 + cfg.rows + r] = dc2;
    }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      part[lid.x] += part[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let step = state[net * STATE_WORDS];
    losses[net * cfg.capacity + step % cfg.capacity] = part[0] * cfg.scale;
    state[net * STATE_WORDS] = step + 1u;
  }
}
