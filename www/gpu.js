// Which engine trains: the WGSL engine on WebGPU, or the CPU engine (wasm SIMD). Used by the
// page (for its note) and by the worker (for the run). mode (URL gpu=): 'auto' (default: on a
// hardware adapter, time a few steps on both engines and train on the faster; a software
// adapter is never faster, so the CPU engine), 'time' (time both even on a software adapter),
// 'on' (gpu=1: the WGSL engine) or 'off' (gpu=0: the CPU engine).
export async function chooseEngine(mode = 'auto') {
  const cpu =
    'training runs on the CPU engine (WebAssembly SIMD) in Web Workers that share each batch (one per core; workers=N to choose), so the page stays responsive.';
  if (mode === 'off') return { gpu: false, note: `WebGPU switched off (gpu=0): ${cpu}` };
  if (!('gpu' in navigator) || !navigator.gpu) return { gpu: false, note: `No WebGPU in this browser: ${cpu}` };
  let adapter = null;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch {
    adapter = null;
  }
  if (!adapter) return { gpu: false, note: `WebGPU gave no adapter: ${cpu}` };
  const info = adapter.info || {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  const software = adapter.isFallbackAdapter || info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(name);
  if (software && mode === 'auto') {
    return {
      gpu: false,
      note: `The WebGPU adapter (${name}) is a software fallback, slower than the CPU engine: ${cpu} Add gpu=1 to the URL to train on it anyway.`,
    };
  }
  const kind = software ? ', a software adapter' : '';
  if (mode === 'auto' || mode === 'time') {
    return {
      gpu: true,
      auto: true,
      name,
      note: `WebGPU is available (${name}${kind}): the lab times a few training steps on it and on the CPU engine, and trains on the faster, in a Web Worker.`,
    };
  }
  return {
    gpu: true,
    auto: false,
    name,
    note: `Training on WebGPU (${name}${kind}) with the lab's WGSL kernels, in a Web Worker; if the GPU is lost, training restarts on the CPU engine.`,
  };
}
