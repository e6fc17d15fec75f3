// Ends a training step: the step counter drives the batch RNG, Adam and the loss slot.

@group(0) @binding(0) var<storage, read_write> state: array<u32>;

@compute @workgroup_size(1)
fn advance() {
  state[0] = state[0] + 1u;
}
