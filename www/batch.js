// The page's one batch runner, for studies and generations alike (as study::batch is the CLI's):
// the plan comes from the Rust core, its runs go to n Web Workers (www/worker.js), one run each at
// a time (a study's runs that share training as one group: study::share), and each record comes
// back made by the core's own functions (runStudyGroup, runChain), so
// the page aggregates exactly what `collapse-lab study` and `collapse-lab generations` do.
import { setRunning, validate } from './controls.js';
import { $, T } from './state.js';
import { spawnWorker } from './workers.js';

// n Web Workers that take the queued runs of `s` ({queue, running, workers}) one at a time:
// `message(run)` is what a worker is sent, `handle(w, m, next)` hears its messages (a worker
// that stops is heard as {type: 'error'}) and calls next() when w is free; `done()` runs after
// the last worker has nothing left.
export function runBatch(s, n, message, done, handle) {
  const next = (w) => {
    const run = s.queue.shift();
    if (!run) {
      w.terminate();
      s.workers = s.workers.filter((x) => x !== w);
      if (!s.workers.length) done();
      return;
    }
    w.run = run.index;
    s.running.set(run.index, 0);
    w.postMessage(message(run));
  };
  for (let i = 0; i < n; i++) {
    const w = spawnWorker();
    s.workers.push(w);
    w.onmessage = (ev) => handle(w, ev.data, () => next(w));
    w.onerror = (ev) => {
      ev.preventDefault();
      handle(w, { type: 'error', message: ev.message || 'the worker stopped' }, () => next(w));
    };
    next(w);
  }
}

// A run a worker could not finish: its record says why (the batch's other runs go on).
export function failedRecord(plan, index, message) {
  const r = plan.runs[index];
  return { cell: r.cell, seed: r.spec.seed, settings: r.settings, spec: r.spec, metrics: {}, error: message };
}

// How many workers a batch runs on: one per core (at most T.WORKERS_MAX, at most one per run) on the CPU
// engine or with the engine chosen per run (auto); with WebGPU switched on (gpu=1), two sharing
// the GPU: a small net's steps are latency-bound, so a second run's CPU-side work overlaps the
// first's kernels, and more would only queue behind them.
export function workersFor(engine, runs) {
  const cores = navigator.hardwareConcurrency || 2;
  return Math.max(1, Math.min(engine.gpu && !engine.auto ? 2 : cores, runs, T.WORKERS_MAX));
}

// The engines a batch's records trained on, in words ("the CPU engine", "WebGPU", or both).
export function enginesOf(records) {
  const names = new Set(
    records
      .map((r) => r.result && r.result.engine)
      .filter(Boolean)
      .map((e) => (/^gpu/.test(e) ? 'WebGPU' : 'the CPU engine')),
  );
  return names.size ? [...names].sort().join(' and ') : 'no engine (nothing finished)';
}

// A batch's lifecycle, the same for studies and generations: the progress line (what is done,
// `frac` of the whole, elapsed and ETA), the end (the line, the view's state, the form back),
// and cancel (every worker stopped, what finished kept and said).
export function showProgress(s, frac, text, minFrac = 0) {
  $('#progress').value = frac;
  const el = (performance.now() - s.t0) / 1000;
  const eta = frac > minFrac ? el / frac - el : NaN;
  $('#progress-text').textContent = `${text} · ${el.toFixed(0)} s` + (Number.isFinite(eta) ? ` · ETA ${eta.toFixed(0)} s` : '');
}

export function finishBatch(s, view, text) {
  setRunning(false);
  validate();
  $('#progress').value = 1;
  $('#progress-text').textContent = text(((performance.now() - s.t0) / 1000).toFixed(1));
  view.dataset.state = 'done';
}

export function cancelBatch(s, view, text) {
  for (const w of s.workers) w.terminate();
  s.workers = [];
  setRunning(false);
  validate();
  $('#progress-text').textContent = text;
  view.dataset.state = 'cancelled';
}
