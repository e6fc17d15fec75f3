// The page: form <-> spec (validated by the same Rust code as the CLI), a Web Worker that runs
// the experiment, and the plots. The URL's query is the experiment: same URL, same result.
import init, { defaultSpec, specFromPairs, tidCurve } from '../collapse-lab.js';
import { COLORS, lineChart, scatter, histogram, bounds } from './plots.js';

const $ = (sel) => document.querySelector(sel);
const form = $('#controls');
const FORM_FIELDS = ['dataset', 'data-size', 'depth', 'width', 'activation', 'iters', 'batch', 'lr', 'seed', 'n-samples', 'eps'];
const PAGE_PARAMS = ['autorun', 'embed'];
let extraPairs = []; // spec settings from the URL that have no control (steps, k, repeats, ...)
let worker = null;
let lastOut = null;
let liveLoss = [];

function formValues(spec) {
  return {
    dataset: spec.dataset, 'data-size': spec.data_size ?? '', depth: spec.model.depth, width: spec.model.width,
    activation: spec.model.activation, iters: spec.training.iters, batch: spec.training.batch, lr: +spec.training.lr.toPrecision(6),
    seed: spec.seed, 'n-samples': spec.sampling.n_samples, eps: spec.metrics.eps.join(','),
    samplers: spec.sampling.samplers.join(','),
  };
}

function fillForm(spec) {
  const v = formValues(spec);
  for (const k of FORM_FIELDS) form.elements[k].value = v[k];
  for (const box of form.querySelectorAll('input[name=sampler]')) box.checked = spec.sampling.samplers.includes(box.value);
}

function formPairs() {
  const pairs = [];
  for (const k of FORM_FIELDS) {
    const v = String(form.elements[k].value).trim();
    if (v !== '') pairs.push([k, v]);
  }
  const samplers = [...form.querySelectorAll('input[name=sampler]:checked')].map((b) => b.value);
  pairs.push(['samplers', samplers.join(',')]);
  return pairs.concat(extraPairs);
}

function validate() {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  try {
    const spec = specFromPairs(JSON.stringify(formPairs()));
    $('#form-error').textContent = '';
    $('#train').disabled = worker !== null;
    updateShare();
    return spec;
  } catch (e) {
    const field = e && e.field;
    const el = field && (form.elements[field] || (field === 'samplers' && form.querySelector('input[name=sampler]')));
    if (el && el.setAttribute) el.setAttribute('aria-invalid', 'true');
    $('#form-error').textContent = (e && e.text) || String(e);
    $('#train').disabled = true;
    return null;
  }
}

function updateShare() {
  const def = formValues(defaultSpec());
  const q = new URLSearchParams();
  for (const [k, v] of formPairs()) if (String(def[k] ?? '') !== v) q.set(k, v);
  const url = `${location.pathname}${q.toString() ? '?' + q : ''}`;
  $('#share').href = url;
  history.replaceState(null, '', url + (new URLSearchParams(location.search).has('embed') ? (q.toString() ? '&' : '?') + 'embed=1' : ''));
}

function setRunning(running) {
  $('#train').disabled = running;
  $('#cancel').disabled = !running;
  for (const el of form.elements) if (el.tagName !== 'BUTTON') el.disabled = running;
  $('#results').dataset.state = running ? 'running' : (lastOut ? 'done' : 'idle');
}

function fmt(v, d = 3) { return v === null || v === undefined || !Number.isFinite(v) ? 'undefined' : (v >= 0 ? '+' : '') + v.toFixed(d); }

function start() {
  const spec = validate();
  if (!spec) return;
  $('#run-error').textContent = '';
  liveLoss = [];
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  setRunning(true);
  const t0 = performance.now();
  let lastDraw = 0;
  $('#progress-text').textContent = 'Generating data…';
  worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'event') {
      const e = m.event;
      if (e.kind === 'progress') {
        liveLoss.push([e.iter, e.loss]);
        $('#progress').value = e.iter / e.total;
        const rate = e.iter / Math.max(e.elapsed_s, 1e-6);
        const eta = (e.total - e.iter) / Math.max(rate, 1e-9);
        $('#progress-text').textContent = `Training: ${e.iter} / ${e.total} iterations · ${rate.toFixed(0)} it/s · ETA ${eta.toFixed(0)} s · loss ${e.loss.toFixed(4)}`;
        if (performance.now() - lastDraw > 150 || e.iter === e.total) { lastDraw = performance.now(); drawLoss(liveLoss); }
      } else if (e.kind === 'phase' && e.phase !== 'data' && e.phase !== 'training') {
        $('#progress-text').textContent = e.phase === 'metrics' ? 'Measuring TID…' : `Sampling ${e.phase.toUpperCase()}…`;
      }
    } else if (m.type === 'done') {
      finish();
      lastOut = m.out;
      render(m.out);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      $('#progress').value = 1;
      $('#progress-text').textContent = `Done in ${secs} s on ${m.out.result.engine.replace('cpu', 'the CPU engine')}.`;
      $('#results').dataset.state = 'done';
    } else if (m.type === 'error') {
      fail(m.message);
    }
  };
  worker.onerror = (ev) => { ev.preventDefault(); fail(ev.message || 'the worker stopped'); };
  worker.postMessage({ spec: JSON.stringify(spec) });
}

function finish() {
  if (worker) worker.terminate();
  worker = null;
  setRunning(false);
  validate();
}

function fail(message) {
  finish();
  $('#run-error').textContent = `Run failed: ${message}.` + (lastOut ? ' The previous results are still shown.' : '');
  $('#progress-text').textContent = 'Stopped.';
  if (lastOut) render(lastOut); else drawLoss([]);
  $('#results').dataset.state = lastOut ? 'done' : 'error';
}

function cancel() {
  if (!worker) return;
  const at = liveLoss.length ? liveLoss[liveLoss.length - 1][0] : 0;
  finish();
  $('#progress-text').textContent = `Cancelled at iteration ${at}.` + (lastOut ? ' The previous results are still shown.' : '');
  if (lastOut) render(lastOut); else drawLoss([]);
}

function drawLoss(losses) {
  lineChart($('#loss'), [{ name: 'loss', color: COLORS.sde, xs: losses.map((p) => p[0]), ys: losses.map((p) => p[1]) }],
    { xlabel: 'iteration', ylabel: 'DSM loss' });
}

function render(out) {
  const r = out.result;
  const dim = r.data_dim;
  drawLoss(r.training ? r.training.losses : []);
  const names = Object.keys(out.samples);
  const sets = [{ name: 'data', color: COLORS.data, values: out.reference }]
    .concat(names.map((n) => ({ name: n, color: COLORS[n] || '#009E73', values: out.samples[n] })));
  // Axes from the data alone: a few wild samples must not squash the picture.
  const b = bounds([out.reference], dim);
  const box = $('#scatters');
  box.replaceChildren();
  for (const s of sets) {
    const fig = document.createElement('figure');
    const c = document.createElement('canvas');
    c.width = 360; c.height = 340;
    c.setAttribute('aria-label', `Scatter plot of ${s.name}`);
    c.dataset.set = s.name;
    fig.append(c);
    box.append(fig);
    scatter(c, s.values, dim, s.color, b, s.name === 'data' ? 'data (training reference)' : `${s.name.toUpperCase()} samples`);
  }
  histogram($('#hist'), sets, dim, b);
  const eps = r.spec.metrics.eps;
  const series = names.filter((n) => r.tid[n]).map((n) => ({
    name: n.toUpperCase(), color: COLORS[n], xs: eps, ys: r.tid[n].map((e) => e.tid ?? NaN), markers: true,
  }));
  const nul = r.tid_null;
  const band = {
    name: 'data vs data ±2sd', xs: eps,
    lo: nul.map((e) => (e.tid ?? 0) - 2 * (e.tid_std ?? 0)), hi: nul.map((e) => (e.tid ?? 0) + 2 * (e.tid_std ?? 0)),
  };
  lineChart($('#tid'), series, { xlabel: 'e (log scale)', ylabel: 'TID', logx: true, zeroLine: true, band });
  const thead = $('#tid-table thead'), tbody = $('#tid-table tbody');
  thead.innerHTML = '<tr><th scope="col">e</th>' + names.map((n) => `<th scope="col">TID ${n.toUpperCase()}</th>`).join('') + '<th scope="col">data vs data</th></tr>';
  const cell = (e) => `${fmt(e.tid)} ± ${e.tid_std == null ? '–' : e.tid_std.toFixed(3)}`;
  tbody.innerHTML = eps.map((e, i) => `<tr><th scope="row">${e}</th>` +
    names.map((n) => `<td data-sampler="${n}">${r.tid[n] ? cell(r.tid[n][i]) : 'non-finite samples'}</td>`).join('') +
    `<td>${cell(nul[i])}</td></tr>`).join('');
}

async function main() {
  try {
    await init();
  } catch (e) {
    $('#engine-note').textContent = `This browser could not load the lab's WebAssembly: ${e}`;
    return;
  }
  const params = new URLSearchParams(location.search);
  if (params.has('embed')) document.body.classList.add('embed');
  fillForm(defaultSpec());
  extraPairs = [];
  for (const [k, v] of params) {
    if (PAGE_PARAMS.includes(k)) continue;
    if (FORM_FIELDS.includes(k)) form.elements[k].value = v;
    else if (k === 'samplers') for (const box of form.querySelectorAll('input[name=sampler]')) box.checked = v.split(',').includes(box.value);
    else extraPairs.push([k, v]);
  }
  const gpu = 'gpu' in navigator;
  $('#engine-note').textContent = (gpu ? 'WebGPU is available, but the WGSL engine is not built yet: ' : 'No WebGPU in this browser: ')
    + 'training runs on the CPU engine (WebAssembly SIMD) in a Web Worker, so the page stays responsive.';
  form.addEventListener('input', validate);
  form.addEventListener('change', validate);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); start(); });
  $('#cancel').addEventListener('click', cancel);
  drawLoss([]);
  lineChart($('#tid'), [], { xlabel: 'e', ylabel: 'TID' });
  const spec = validate();
  window.collapseLab = { tidCurve, ready: true };
  document.body.dataset.ready = 'true';
  if (spec && params.get('autorun') === '1') start();
}

main();
