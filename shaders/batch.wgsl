// Draws one training batch on the GPU (SPEC §4): row r of step s takes data row j ~ U{0..N-1},
// t in (t_lo, t_hi) (uniform, or logit-normal: diffusion::TimeDist) and eps ~ N(0, I)
// (Box–Muller), all from hash(seed, s, r, .), and writes the network input [x_t, t] with
// x_t = alpha_t x_0 + sigma_t eps, and the target y = cx0 x_0 + ceps eps (diffusion::Target:
// eps, x_0, or the path's velocity alpha' x_0 + sigma' eps).

struct BatchCfg {
  n_data: u32, dim: u32, rows: u32, seed_lo: u32,
  seed_hi: u32, process: u32, t_lo: f32, t_hi: f32,
  target_kind: u32, t_dist: u32, precond: u32, sigma_data: f32,
}

@group(0) @binding(0) var<uniform> cfg: BatchCfg;
@group(0) @binding(1) var<storage, read> data: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> input: array<f32>;
@group(0) @binding(4) var<storage, read_write> eps_target: array<f32>;

@compute @workgroup_size(64)
fn draw(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= cfg.rows) {
    return;
  }
  let key = hash4(cfg.seed_lo, cfg.seed_hi, state[0], r);
  let j = hash4(key, 1u, 0u, 0u) % cfg.n_data;
  let u1 = unit(hash4(key, 2u, 0u, 0u));
  var t = cfg.t_lo + u1 * (cfg.t_hi - cfg.t_lo);
  if (cfg.t_dist == T_DIST_LOGIT_NORMAL) {
    let n = sqrt(-2.0 * log(u1)) * cos(6.2831853 * unit(hash4(key, 2u, 1u, 0u)));
    t = cfg.t_lo + (cfg.t_hi - cfg.t_lo) / (1.0 + exp(-n));
  } else if (cfg.t_dist == T_DIST_LOGNORMAL) {
    // EDM: ln sigma ~ N(P_mean, P_std^2), t the VE time of that sigma, kept in [t_lo, t_hi].
    let n = sqrt(-2.0 * log(u1)) * cos(6.2831853 * unit(hash4(key, 2u, 1u, 0u)));
    let sigma = exp(EDM_P_MEAN + EDM_P_STD * n);
    let a = pow(EDM_SIGMA_MIN, 1.0 / EDM_RHO);
    let b = pow(EDM_SIGMA_MAX, 1.0 / EDM_RHO);
    t = clamp((pow(sigma, 1.0 / EDM_RHO) - a) / (b - a), cfg.t_lo, cfg.t_hi);
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
  let d = cfg.dim;
  for (var k = 0u; k < d; k++) {
    let u1 = unit(hash4(key, 3u, k / 2u, 0u));
    let u2 = unit(hash4(key, 3u, k / 2u, 1u));
    let radius = sqrt(-2.0 * log(u1));
    let angle = 6.2831853 * u2;
    let z = select(radius * sin(angle), radius * cos(angle), k % 2u == 0u);
    let x0 = data[j * d + k];
    eps_target[r * d + k] = c.x * x0 + c.y * z;
    input[r * (d + 1u) + k] = c_in * (as_.x * x0 + as_.y * z);
  }
  input[r * (d + 1u) + d] = time_in;
}
