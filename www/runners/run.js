// One experiment in a Web Worker (www/worker.js, which spreads the batch over more workers):
// trained from the form, or a saved or shipped run's nets sampled and measured again; and
// "Your own samples", measured in a worker the same way. Nothing shown is lost when a run is
// cancelled or fails.
import { defaultSpec, saveRun, settingsOf } from '../../collapse-lab.js';
import { busy, csvMissing, setRunning, validate, yieldLanding } from '../controls.js';
import { takeCsv } from '../datafiles.js';
import { download } from '../exports.js';
import { chooseEngine } from '../gpu.js';
import { keep, provenanceText, runKey } from '../kept.js';
import { LABELS } from '../plots.js';
import { applyParams, fillForm, workersOf } from '../settings.js';
import { $, GPU_MODE, PAGE, S } from '../state.js';
import { drawLoss, render } from '../views/run.js';
import * as ownView from '../views/own.js';
import { spawnWorker } from '../workers.js';

// Runs the form's experiment, or with `saved` (a saved run's file text) samples and measures
// its nets again without training; the form takes the saved spec only once that succeeded.
// `shipped`: the file came with the page (a gallery run trained by the CLI); `figures`: its
// figures as the CLI drew them (www/runs/ID.figures.json), shown at once and marked "checked
// here" once the page's own sampling gives the file's figures.
export async function start(saved = null, savedName = '', shipped = false, figures = null) {
  yieldLanding();
  const spec = saved ? defaultSpec() : validate();
  if (!spec || (!saved && csvMissing())) return;
  S.mode = 'run';
  const engine = saved ? { gpu: false, note: $('#engine-note').textContent } : await chooseEngine(GPU_MODE);
  // The engine line stays; notes (a fallback, the engine timing, a sampler that did not
  // converge) follow it in the order they came.
  let engineLine = engine.note.split(' Note: ')[0];
  const note = (text) => {
    if (!engineLine.includes(text)) engineLine = `${engineLine} Note: ${text}.`.trim();
    $('#engine-note').textContent = engineLine;
  };
  $('#engine-note').textContent = engineLine;
  $('#run-error').textContent = '';
  // What is shown from now on is this run's, not a stored or shipped one's.
  delete $('#results').dataset.stored;
  delete $('#results').dataset.shipped;
  S.liveLoss = [];
  $('#run-view').hidden = false;
  const source = $('#figures-source');
  source.hidden = !figures;
  delete $('#results').dataset.figures;
  delete $('#results').dataset.checked;
  // What the worker is doing, said after what is shown where the file's figures are.
  const status = (what) => {
    $('#progress-text').textContent = figures
      ? `The run shipped with this page, drawn from its file; checking here: ${what[0].toLowerCase()}${what.slice(1)} Re-run trains it here. ${provenanceText(savedName.replace(/\.json$/, ''))}`
      : what;
  };
  if (figures) {
    S.lastOut = figures;
    window.collapseLab.last = figures;
    render($('#results'), figures);
    $('#results').dataset.figures = 'file';
    $('#results').dataset.checked = 'pending';
    $('#results').dataset.shipped = 'true';
    $('#train').textContent = 'Re-run';
    source.textContent = `Every figure below is drawn from the file shipped with this page (sampled by the lab's CLI); the page is sampling the nets again to check them.`;
  }
  S.worker = spawnWorker();
  S.worker.landing = shipped;
  setRunning(true, shipped);
  const t0 = performance.now();
  let lastDraw = 0;
  status('Generating data…');
  S.worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'event') {
      const e = m.event;
      if (e.kind === 'progress') {
        S.liveLoss.push([e.iter, e.loss]);
        $('#progress').value = e.iter / e.total;
        const rate = e.iter / Math.max(e.elapsed_s, 1e-6);
        const eta = (e.total - e.iter) / Math.max(rate, 1e-9);
        $('#progress-text').textContent =
          `Training: ${e.iter} / ${e.total} iterations · ${rate.toFixed(0)} it/s · ETA ${eta.toFixed(0)} s · loss ${e.loss.toFixed(4)}`;
        if (performance.now() - lastDraw > 150 || e.iter === e.total) {
          lastDraw = performance.now();
          drawLoss(S.liveLoss);
        }
      } else if (e.kind === 'note') {
        note(e.text);
      } else if (e.kind === 'phase' && e.phase === 'choosing the engine') {
        $('#progress-text').textContent = 'Timing a few training steps on WebGPU and on the CPU engine…';
      } else if (e.kind === 'phase' && e.phase !== 'data' && e.phase !== 'training') {
        status(e.phase === 'metrics' ? 'Measuring TID…' : `Sampling with ${LABELS[e.phase] || e.phase}…`);
      }
    } else if (m.type === 'done') {
      if (saved) {
        takeCsv(m.out, savedName);
        (fillForm(m.out.result.spec), applyParams(new URLSearchParams(settingsOf(JSON.stringify(m.out.result.spec), true))));
      }
      finish();
      S.lastOut = m.out;
      keep(runKey(m.out.result.spec), m.out, 'the run');
      window.collapseLab.last = m.out;
      render($('#results'), m.out);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      $('#progress').value = 1;
      const eng = m.out.result.engine.replace(/^cpu/, 'the CPU engine').replace(/^gpu: .*/, `WebGPU (${engine.name})`);
      if (figures) {
        $('#results').dataset.checked = 'true';
        source.textContent = `Checked here: sampled again in ${secs} s, the page's own figures match the file's.`;
      }
      $('#progress-text').textContent = shipped
        ? `The run shipped with this page, sampled and measured again here in ${secs} s, matching the file; Re-run trains it here. ${provenanceText(savedName.replace(/\.json$/, ''))}`
        : saved
          ? `Opened ${savedName}: its nets sampled and measured again in ${secs} s; the figures match the file's.`
          : `Done in ${secs} s on ${eng}${m.out.result.sampling_engine.startsWith('gpu') ? ', which also ran the samplers' : ''}.${gpuWork(m.out.result)}`;
      if (shipped) {
        $('#train').textContent = 'Re-run';
        $('#results').dataset.shipped = 'true';
      }
      m.out.result.notes.forEach(note);
      $('#results').dataset.state = 'done';
    } else if (m.type === 'error') {
      if (figures) {
        $('#results').dataset.checked = 'failed';
        source.textContent = `Not checked here: sampling the shipped nets again in this page gave other figures (${m.message}); the figures below are the file's.`;
      }
      if (saved) fail(`Open run ${savedName}: ${m.message}`, true);
      else fail(m.message);
    }
  };
  S.worker.onerror = (ev) => {
    ev.preventDefault();
    fail(ev.message || 'the worker stopped');
  };
  // A saved run trains nothing, but its sampling spreads over the same workers; a bad workers
  // field is refused for a run to train, and means one worker for a saved one.
  let workers = 1;
  try {
    workers = workersOf();
  } catch (e) {
    if (!saved) throw e;
  }
  S.worker.postMessage({
    spec: JSON.stringify(spec),
    workers,
    useGpu: engine.gpu,
    auto: !!engine.auto,
    loseGpuAfter: +(PAGE.get('lose-gpu-after') || 0),
    saved: saved || undefined,
    data: !saved && spec.dataset === 'csv' ? S.dataCsv.points : undefined,
  });
}

// What a WebGPU run asked of the device (the core counts it): per training step, and the
// samplers' readbacks.
function gpuWork(r) {
  const g = r.training && r.training.gpu;
  if (!g) return '';
  const f = (x) => (x >= 1 ? x.toFixed(0) : x.toFixed(3));
  const reads = Object.values(r.samplers)
    .map((s) => (s.gpu ? s.gpu.readbacks : null))
    .filter((x) => x !== null);
  return (
    ` WebGPU per training step: ${f(g.dispatches_per_step)} dispatches, ${f(g.submissions_per_step)} submissions, ${f(g.readbacks_per_step)} readbacks` +
    ` (${g.readbacks_between_reports} between loss reports)${reads.length ? `; sampling: ${reads.reduce((a, b) => a + b, 0)} readbacks for ${reads.length} samplers` : ''}.`
  );
}

// Your own samples: both files go to a worker, which reads, parses and measures them (the core's
// compareCsv); a bad file is named with its line and column, and what was shown stays.
export function startOwn() {
  const [train, samples] = [$('#own-train').files[0], $('#own-samples').files[0]];
  const err = $('#own-error');
  err.textContent = '';
  if (!train || !samples) {
    err.textContent = `Choose ${train ? '' : 'a training-set file'}${!train && !samples ? ' and ' : ''}${samples ? '' : 'a samples file'}.`;
    return;
  }
  const kText = $('#own-k').value.trim();
  const k = kText === '' ? 0 : Number(kText);
  if (!Number.isInteger(k) || (k < 1 && kText !== '')) {
    err.textContent = `Hill's k: expected a positive integer or nothing, got "${kText}"`;
    return;
  }
  if (busy()) return;
  yieldLanding();
  S.worker = spawnWorker();
  setRunning(true);
  const t0 = performance.now();
  $('#progress').value = 0;
  $('#progress-text').textContent = 'Reading your files…';
  const names = { train: train.name, samples: samples.name };
  S.worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'event' && m.event.kind === 'phase') $('#progress-text').textContent = `${m.event.phase[0].toUpperCase()}${m.event.phase.slice(1)}…`;
    else if (m.type === 'event' && m.event.kind === 'progress') $('#progress').value = m.event.iter / m.event.total;
    else if (m.type === 'compared') {
      finish();
      window.collapseLab.own = m.out.compared;
      const box = $('#own-view');
      ownView.render(box, m.out, { names });
      box.dataset.state = 'done';
      box.scrollIntoView({ block: 'start' });
      $('#progress').value = 1;
      $('#progress-text').textContent = `Measured ${names.samples} against ${names.train} in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
    } else if (m.type === 'error') {
      finish();
      // The core names the file as train or samples; say which file that is.
      err.textContent =
        m.message
          .replace(/^(train|samples):/, (_, w) => `${names[w]}:`)
          .replace(/^eps:/, 'Radii e:')
          .replace(/^k:/, "Hill's k:") + '.';
      $('#progress-text').textContent = 'Stopped.';
    }
  };
  S.worker.onerror = (ev) => {
    ev.preventDefault();
    finish();
    err.textContent = ev.message || 'the worker stopped';
  };
  S.worker.postMessage({ compare: { train, samples, eps: $('#own-eps').value, k, seed: 0, survivalEps: 0.05 } });
}

// A saved run's file: opened in the worker (checked there by the core), never half-applied.
export async function openRun(file) {
  $('#run-error').textContent = '';
  if (busy()) return;
  if (file.size > 256 * 1024 * 1024) {
    $('#run-error').textContent = `Open run ${file.name}: ${(file.size / 2 ** 20).toFixed(0)} MB is more than a saved run can be (256 MB).`;
    return;
  }
  start(await file.text(), file.name);
}

export function saveRunFile() {
  if (!S.lastOut) return;
  try {
    const text = saveRun(JSON.stringify(S.lastOut.result), S.lastOut.params || [], S.lastOut.data, S.lastOut.checkpointParams || []);
    download(`collapse-lab-run-seed${S.lastOut.result.spec.seed}.json`, new Blob([text], { type: 'application/json' }));
  } catch (e) {
    $('#run-error').textContent = `Save run: ${(e && e.message) || e}.`;
  }
}

export function finish() {
  if (S.worker) S.worker.terminate();
  S.worker = null;
  setRunning(false);
  validate();
}

export function fail(message, plain = false) {
  finish();
  $('#run-error').textContent = (plain ? `${message}.` : `Run failed: ${message}.`) + (S.lastOut ? ' The previous results are still shown.' : '');
  $('#progress-text').textContent = 'Stopped.';
  if (S.lastOut) render($('#results'), S.lastOut);
  else drawLoss([]);
  $('#results').dataset.state = S.lastOut ? 'done' : 'error';
}

export function cancelRun() {
  if (!S.worker) return;
  const at = S.liveLoss.length ? S.liveLoss[S.liveLoss.length - 1][0] : 0;
  finish();
  $('#progress-text').textContent = `Cancelled at iteration ${at}.` + (S.lastOut ? ' The previous results are still shown.' : '');
  if (S.lastOut) render($('#results'), S.lastOut);
  else drawLoss([]);
}
