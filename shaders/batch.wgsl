// Draws one training batch on the GPU (SPEC §4): row r of step s takes data row j ~ U{0..N-1},
// t in (t_lo, t_hi) (uniform, or logit-normal: diffusion::TimeDist) and eps ~ N(0, I)
// (Box–Muller), all from hash(seed, s, r, .), and writes the network input [x_t, t] with
// x_t = alpha_t x_0 + sigma_t eps, and the target y = cx0 x_0 + ceps eps (diffusion::Target:
// eps, x_0, or the path's velocity alpha' x_0 + sigma' eps).
// Several nets of one shape draw in one dispatch: y is the net, each with its own data set,
// seed and time range (NET_WORDS words of `nets`: seed_lo, seed_hi, t_lo, t_hi, lr) and its own
// step counter (STATE_WORDS words of `state`).

struct BatchCfg {
  n_data: u32, dim: u32, rows: u32, process: u32,
  target_kind: u32, t_dist: u32, precond: u32, sigma_data: f32,
}

@group(0) @binding(0) var<uniform> cfg: BatchCfg;
@group(0) @binding(1) var<storage, read> data_all: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> input_all: array<f32>;
@group(0) @binding(4) var<storage, read_write> eps_all: array<f32>;
@group(0) @binding(5) var<storage, read> nets: array<u32>;

@compute @workgroup_size(64)
fn draw(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= cfg.rows) {
    return;
  }
  let net = gid.y;
  let at = net * NET_WORDS;
  let t_lo = bitcast<f32>(nets[at + 2u]);
  let t_hi = bitcast<f32>(nets[at + 3u]);
  let d = cfg.dim;
  let data0 = net * cfg.n_data * d;
  let in0 = net * cfg.rows * (d + 1u);
  let eps0 = net * cfg.rows * d;
  let key = hash4(nets[at], nets[at + 1u], state[net * STATE_WORDS], r);
  let j = hash4(key, 1u, 0u, 0u) % cfg.n_data;
  let u1 = unit(hash4(key, 2u, 0u, 0u));
  var t = t_lo + u1 * (t_hi - t_lo);
  if (cfg.t_dist == T_DIST_LOGIT_NORMAL) {
    let n = sqrt(-2.0 * log(u1)) * cos(6.2831853 * unit(hash4(key, 2u, 1u, 0u)));
    t = t_lo + (t_hi - t_lo) / (1.0 + exp(-n));
  } else if (cfg.t_dist == T_DIST_LOGNORMAL) {
    // EDM: ln sigma ~ N(P_mean, P_std^2), t the VE time of that sigma, kept in [t_lo, t_hi].
    let n = sqrt(-2.0 * log(u1)) * cos(6.2831853 * unit(hash4(key, 2u, 1u, 0u)));
    let sigma = exp(EDM_P_MEAN + EDM_P_STD * n);
    let a = pow(EDM_SIGMA_MIN, 1.0 / EDM_RHO);
    let b = pow(EDM_SIGMA_MAX, 1.0 / EDM_RHO);
    t = clamp((pow(sigma, 1.0 / EDM_RHO) - a) / (b - a), t_lo, t_hi);
  }
  let as_ = alpha_sigma(t, cfg.process);
  // The target's coefficients (cx0, ceps), and the net's input [c_in x_t, time input].
  var c = vec2<f32>(0.0, 1.0);
  var c_in = 1.0;
  var time_in = t;
  if (cfg.precond == PRECOND_EDM) {
    // EDM (diffusion::Precond, alpha = 1): F's target (x_0 - c_skip x) / c_out.
    let s = as_.y;
    let sd = cfg.sigma_data;
    let r2 = s * s + sd * sd;
    let c_skip = sd * sd / r2;
    let c_out = s * sd / sqrt(r2);
    c = vec2<f32>((1.0 - c_skip) / c_out, -c_skip * s / c_out);
    c_in = 1.0 / sqrt(r2);
    time_in = log(s) / 4.0;
  } else if (cfg.target_kind == TARGET_X0) {
    c = vec2<f32>(1.0, 0.0);
  } else if (cfg.target_kind == TARGET_V) {
    c = velocity(t, cfg.process);
  }
  for (var k = 0u; k < d; k++) {
    let u1 = unit(hash4(key, 3u, k / 2u, 0u));
    let u2 = unit(hash4(key, 3u, k / 2u, 1u));
    let radius = sqrt(-2.0 * log(u1));
    let angle = 6.2831853 * u2;
    let z = select(radius * sin(angle), radius * cos(angle), k % 2u == 0u);
    let x0 = data_all[data0 + j * d + k];
    eps_all[eps0 + r * d + k] = c.x * x0 + c.y * z;
    input_all[in0 + r * (d + 1u) + k] = c_in * (as_.x * x0 + as_.y * z);
  }
  input_all[in0 + r * (d + 1u) + d] = time_in;
}
