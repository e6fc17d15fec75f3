// The DSM loss of the batch in one workgroup: r = eps_hat - eps, the output gradient
// 2 scale r (scale = 1/batch), the mean of |r|^2 into losses[step % capacity] (so the host reads
// many steps' losses in one readback), and the step counter advanced for Adam and the next draw.

struct LossCfg {
  n: u32, scale: f32, capacity: u32, pad: u32,
}

@group(0) @binding(0) var<uniform> cfg: LossCfg;
@group(0) @binding(1) var<storage, read> out: array<f32>;
@group(0) @binding(2) var<storage, read> eps_target: array<f32>;
@group(0) @binding(3) var<storage, read_write> d_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<u32>;
@group(0) @binding(5) var<storage, read_write> losses: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn loss(@builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = 0.0;
  for (var i = lid.x; i < cfg.n; i += 256u) {
    let r = out[i] - eps_target[i];
    d_out[i] = 2.0 * cfg.scale * r;
    acc += r * r;
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
    let step = state[0];
    losses[step % cfg.capacity] = part[0] * cfg.scale;
    state[0] = step + 1u;
  }
}
