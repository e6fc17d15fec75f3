// Shared by every kernel (prepended by the host): activations, a counter-based RNG and the
// diffusion schedules of SPEC §2 in f32.

// One dense layer's shape and place in the flat parameter vector, shared by the layer kernels:
// batch rows, inputs, outputs, weight and bias offsets, activation code, 1/batch, and one
// kernel-specific word (loss_sum: the number of loss slots).
struct Dims {
  rows: u32, n_in: u32, n_out: u32, w_off: u32,
  b_off: u32, act: u32, scale: f32, extra: u32,
}

// Activation codes: 0 tanh, 1 relu, 2 silu, 3 identity (the output layer). Past |z| = 15, tanh
// is its sign: some implementations compute tanh from exp(2z) and give NaN past |z| ~ 44
// (SwiftShader in the page did, on a sampler's far-out points), and tanh of anything past 9.01
// is +-1 in f32, so this changes no value. A NaN z fails the test and stays NaN (a clamp would
// hide it, and with it a diverged net).
fn activate(z: f32, act: u32) -> f32 {
  switch act {
    case 0u: {
      if (abs(z) > 15.0) { return sign(z); }
      return tanh(z);
    }
    case 1u: { return max(z, 0.0); }
    case 2u: { return z / (1.0 + exp(-z)); }
    default: { return z; }
  }
}

// d act / dz from the pre-activation z and the output a (as the CPU engine computes it).
fn activate_grad(z: f32, a: f32, act: u32) -> f32 {
  switch act {
    case 0u: { return 1.0 - a * a; }
    case 1u: { return select(0.0, 1.0, a > 0.0); }
    case 2u: {
      let s = 1.0 / (1.0 + exp(-z));
      return s * (1.0 + z * (1.0 - s));
    }
    default: { return 1.0; }
  }
}

// PCG hash (Jarzynski & Olano 2020): a counter-based RNG, so every (seed, step, row, k) has its
// own random number and no RNG state lives on the GPU.
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn hash4(a: u32, b: u32, c: u32, d: u32) -> u32 {
  return pcg(d ^ pcg(c ^ pcg(b ^ pcg(a))));
}

// Uniform in (0, 1) from the top 24 bits.
fn unit(h: u32) -> f32 {
  return (f32(h >> 8u) + 0.5) * (1.0 / 16777216.0);
}

fn expm1_(x: f32) -> f32 {
  if (abs(x) < 1e-2) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0)));
  }
  return exp(x) - 1.0;
}

// (alpha_t, sigma_t) of each process (the PROCESS_* codes and VP_BETA_* come from the Rust
// values: engine::gpu::kernels::constants).
fn alpha_sigma(t: f32, process: u32) -> vec2<f32> {
  if (process == PROCESS_LINEAR) {
    return vec2<f32>(1.0 - t, t);
  }
  if (process == PROCESS_VE) {
    return vec2<f32>(1.0, pow(ve_root(t), EDM_RHO));
  }
  let la = -0.25 * t * t * (VP_BETA_MAX - VP_BETA_MIN) - (0.5 * VP_BETA_MIN) * t;
  let one_minus_a2 = -expm1_(2.0 * la);
  if (process == PROCESS_SUB_VP) {
    return vec2<f32>(exp(la), one_minus_a2);
  }
  return vec2<f32>(exp(la), sqrt(one_minus_a2));
}

// VE's sigma^(1/rho), linear in t (diffusion::Ve).
fn ve_root(t: f32) -> f32 {
  let lo = pow(EDM_SIGMA_MIN, 1.0 / EDM_RHO);
  let hi = pow(EDM_SIGMA_MAX, 1.0 / EDM_RHO);
  return lo + t * (hi - lo);
}

// (alpha'_t, sigma'_t) of each process: the v target's coefficients (diffusion::Target::V).
// VP: alpha' = -beta alpha / 2, sigma' = beta alpha^2 / (2 sigma); sub-VP: sigma' = beta alpha^2;
// linear: (-1, 1).
fn velocity(t: f32, process: u32) -> vec2<f32> {
  if (process == PROCESS_LINEAR) {
    return vec2<f32>(-1.0, 1.0);
  }
  if (process == PROCESS_VE) {
    let lo = pow(EDM_SIGMA_MIN, 1.0 / EDM_RHO);
    let hi = pow(EDM_SIGMA_MAX, 1.0 / EDM_RHO);
    return vec2<f32>(0.0, EDM_RHO * pow(ve_root(t), EDM_RHO - 1.0) * (hi - lo));
  }
  let as_ = alpha_sigma(t, process);
  let beta = VP_BETA_MIN + t * (VP_BETA_MAX - VP_BETA_MIN);
  let a2 = as_.x * as_.x;
  if (process == PROCESS_SUB_VP) {
    return vec2<f32>(-0.5 * beta * as_.x, beta * a2);
  }
  return vec2<f32>(-0.5 * beta * as_.x, 0.5 * beta * a2 / as_.y);
}
