// Runs experiments off the page's main thread. Cancel = the page terminates this worker. The
// page decides the engine (www/gpu.js) and says so in useGpu.
import init, { runExperiment } from '../collapse-lab.js';

const ready = init();

self.onmessage = async (ev) => {
  try {
    await ready;
    const out = await runExperiment(ev.data.spec, (e) => {
      self.postMessage({ type: 'event', event: e });
      return true;
    }, ev.data.useGpu, ev.data.loseGpuAfter || 0);
    const arrays = [...Object.values(out.samples), out.reference, ...Object.values(out.recordings || {}).map((r) => r.trajectories)];
    const buffers = arrays.filter(Boolean).map((a) => a.buffer);
    self.postMessage({ type: 'done', out }, buffers);
  } catch (err) {
    const message = typeof err === 'string' ? err : (err && (err.text || err.message)) || String(err);
    self.postMessage({ type: 'error', message });
  }
};
