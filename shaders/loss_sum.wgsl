// Sums the squared residuals of one step into losses[step % capacity] (mean over the batch),
// one workgroup, so the host reads many steps' losses in one readback.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> sq: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn loss_sum(@builtin(local_invocation_id) lid: vec3<u32>) {
  let n = dims.rows * dims.n_out;
  var acc = 0.0;
  for (var i = lid.x; i < n; i += 256u) {
    acc += sq[i];
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
    losses[state[0] % dims.extra] = part[0] * dims.scale;
  }
}
