// Adam (ADAM_BETA1, ADAM_BETA2, ADAM_EPS from nn::adam::ADAM) with bias correction, as the CPU engine's. The gradient is the sum of
// the weight-gradient kernel's copies (one per slice of the batch); the loss kernel has already
// advanced the step counter, so this is step state[0]. Several nets of one shape share a
// dispatch: parameter i is net i / n's, with its own gradient copies, step counter and rate
// (word 4 of its NET_WORDS in `nets`).

struct AdamCfg {
  n: u32, nets: u32, copies: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> cfg: AdamCfg;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> grads: array<f32>;
@group(0) @binding(7) var<storage, read> nets: array<u32>;

@compute @workgroup_size(256)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= cfg.n * cfg.nets) {
    return;
  }
  let net = i / cfg.n;
  let own = net * cfg.copies * cfg.n + i % cfg.n;
  var g = 0.0;
  for (var c = 0u; c < cfg.copies; c++) {
    g += partial[own + c * cfg.n];
  }
  grads[i] = g;
  let lr = bitcast<f32>(nets[net * NET_WORDS + 4u]);
  let step = f32(state[net * STATE_WORDS]);
  let bc1 = 1.0 - pow(ADAM_BETA1, step);
  let bc2 = 1.0 - pow(ADAM_BETA2, step);
  let mi = ADAM_BETA1 * m[i] + (1.0 - ADAM_BETA1) * g;
  let vi = ADAM_BETA2 * v[i] + (1.0 - ADAM_BETA2) * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] = params[i] - (lr / bc1) * mi / (sqrt(vi) / sqrt(bc2) + ADAM_EPS);
}
