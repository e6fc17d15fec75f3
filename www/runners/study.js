import { studyAggregate, studyPlan } from '../../collapse-lab.js';
import { enginesOf, runBatch, workersFor } from '../batch.js';
import { chooseEngine } from '../gpu.js';
import { busy, csvMissing, setRunning, validate, yieldLanding } from '../controls.js';
import { keep, studyKey } from '../kept.js';
import { formPairs, studyAxes } from '../settings.js';
import { $, GPU_MODE, S, form } from '../state.js';
import * as studyView from '../views/study.js';

// A study: the plan comes from the Rust core (the same as `collapse-lab study`), each run goes
// to one of several Web Workers (one net each, as many as the machine has cores), and the
// records are aggregated by the core again as they arrive.
export async function startStudy() {
  yieldLanding();
  const spec = validate();
  if (!spec || csvMissing()) return;
  S.mode = 'run';
  const pairs = JSON.stringify(formPairs());
  const axes = JSON.stringify(studyAxes());
  const seeds = Number(form.elements.seeds.value.trim());
  let plan;
  try {
    if (!studyAxes().length) throw { text: 'vary: give at least one setting to vary, like width=16,64,256' };
    if (!Number.isInteger(seeds)) throw { text: `seeds: expected an integer, got "${form.elements.seeds.value}"` };
    plan = studyPlan(pairs, axes, seeds);
  } catch (e) {
    $('#form-error').textContent = (e && e.text) || String(e);
    return;
  }
  // The engine a single run would train on (www/gpu.js), for every run of the study.
  const engine = await chooseEngine(GPU_MODE);
  if (busy()) return;
  $('#engine-note').textContent = engine.note;
  $('#run-error').textContent = '';
  // A study has its own view; the single-run views stay only if they hold a finished run.
  $('#run-view').hidden = !S.lastOut;
  $('#seesaw-view').hidden = !S.lastOut || $('#seesaw-view').hidden;
  const n = workersFor(engine, plan.runs.length);
  S.study = { pairs, axes, seeds, records: [], queue: plan.runs.slice(), running: new Map(), workers: [], total: plan.runs.length, t0: performance.now() };
  const view = $('#study-view');
  view.dataset.state = 'running';
  setRunning(true);
  $('#progress').value = 0;
  const s = S.study;
  const progress = () => {
    const inflight = [...s.running.values()].reduce((a, f) => a + f, 0);
    $('#progress').value = (s.records.length + inflight) / s.total;
    const el = (performance.now() - s.t0) / 1000;
    const frac = (s.records.length + inflight) / s.total;
    const eta = frac > 0 ? el / frac - el : NaN;
    $('#progress-text').textContent = `Study: ${s.records.length} / ${s.total} runs done, ${s.running.size} running in ${n} workers · ${el.toFixed(0)} s` + (Number.isFinite(eta) && s.records.length ? ` · ETA ${eta.toFixed(0)} s` : '');
  };
  const draw = () => {
    s.result = studyAggregate(s.pairs, s.axes, s.seeds, JSON.stringify(s.records));
    window.collapseLab.study = s.result;
    studyView.render(view, s.result);
  };
  const done = () => {
    if (S.study !== s) return;
    draw();
    setRunning(false);
    validate();
    const secs = ((performance.now() - s.t0) / 1000).toFixed(1);
    $('#progress').value = 1;
    $('#progress-text').textContent = `Study done: ${s.total} runs in ${secs} s (${n} workers, ${enginesOf(s.records)}).`;
    view.dataset.state = 'done';
    if (!s.result.failed.length) keep(studyKey(s), s.result, 'the study');
  };
  const data = JSON.parse(pairs).some(([k, v]) => k === 'dataset' && v === 'csv') ? S.dataCsv.points : undefined;
  runBatch(s, n, (run) => ({ studyRun: JSON.stringify(run), data, useGpu: engine.gpu, auto: !!engine.auto }), done, (w, m, next) => {
    if (S.study !== s) return;
    if (m.type === 'event' && m.event.kind === 'progress') { s.running.set(w.run, m.event.iter / m.event.total * 0.9); progress(); }
    else if (m.type === 'record') { s.running.delete(w.run); s.records.push(m.record); progress(); draw(); next(); }
    else if (m.type === 'error') { s.running.delete(w.run); s.records.push({ index: w.run, ...failedRecord(plan, w.run, m.message) }); draw(); next(); }
  });
  progress();
  studyView.render(view, studyAggregate(pairs, axes, seeds, '[]'));
}

export function cancelStudy() {
  const s = S.study;
  for (const w of s.workers) w.terminate();
  s.workers = [];
  setRunning(false);
  validate();
  $('#progress-text').textContent = `Study cancelled: ${s.records.length} of ${s.total} runs done; their results stay.`;
  $('#study-view').dataset.state = 'cancelled';
  S.study = { ...s, workers: [] };
  if (s.records.length) studyView.render($('#study-view'), studyAggregate(s.pairs, s.axes, s.seeds, JSON.stringify(s.records)));
}
