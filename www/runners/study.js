// A study in the page: its plan over Web Workers (www/batch.js), each cell aggregated by the core, drawn and kept as its runs finish.
import { studyAggregate, studyGroups, studyPlan } from '../../collapse-lab.js';
import { cancelBatch, enginesOf, failedRecord, finishBatch, runBatch, showProgress, workersFor } from '../batch.js';
import { chooseEngine } from '../gpu.js';
import { busy, csvMissing, setRunning, validate, yieldLanding } from '../controls.js';
import { keep, studyKey } from '../kept.js';
import { formPairs, studyAxes } from '../settings.js';
import { $, GPU_MODE, PAGE, S, T, form } from '../state.js';
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
  let plan, together;
  try {
    if (!studyAxes().length) throw { text: 'vary: give at least one setting to vary, like width=16,64,256' };
    if (!Number.isInteger(seeds)) throw { text: `seeds: expected an integer, got "${form.elements.seeds.value}"` };
    plan = studyPlan(pairs, axes, seeds);
    together = PAGE.has('together') ? Number(PAGE.get('together')) : T.TOGETHER;
    if (!Number.isInteger(together) || together < 1 || together > T.TOGETHER_MAX)
      throw { text: `together (in the address): expected an integer in 1..=${T.TOGETHER_MAX}, got "${PAGE.get('together')}"` };
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
  // Runs that differ only after training (sampler settings, budgets, metrics) share it: one
  // worker trains once per group and samples the group's runs (study::share, as the CLI does);
  // on WebGPU a worker's job holds several groups whose nets train side by side (one submission
  // per block of steps for all). A job's runs report in order, group by group.
  const jobs = studyGroups(pairs, axes, seeds, engine.gpu && !engine.auto ? together : 1);
  const groups = jobs.map((j) => ({ index: j[0][0], runs: j.flat().map((i) => plan.runs[i]), groups: j.map((g) => g.map((i) => plan.runs[i])) }));
  const n = workersFor(engine, groups.length);
  S.study = { pairs, axes, seeds, records: [], queue: groups, running: new Map(), workers: [], total: plan.runs.length, t0: performance.now() };
  const view = $('#study-view');
  view.dataset.state = 'running';
  setRunning(true);
  $('#progress').value = 0;
  const s = S.study;
  const progress = () => {
    const inflight = [...s.running.values()].reduce((a, f) => a + f, 0);
    showProgress(
      s,
      (s.records.length + inflight) / s.total,
      `Study: ${s.records.length} / ${s.total} runs done, ${s.running.size} running in ${n} workers`,
      s.records.length ? 0 : Infinity,
    );
  };
  const draw = () => {
    s.result = studyAggregate(s.pairs, s.axes, s.seeds, JSON.stringify(s.records));
    window.collapseLab.study = s.result;
    studyView.render(view, s.result);
  };
  const done = () => {
    if (S.study !== s) return;
    draw();
    finishBatch(s, view, (secs) => `Study done: ${s.total} runs in ${secs} s (${n} worker${n === 1 ? '' : 's'}, ${enginesOf(s.records)}).`);
    if (!s.result.failed.length) keep(studyKey(s), s.result, 'the study');
  };
  const data = JSON.parse(pairs).some(([k, v]) => k === 'dataset' && v === 'csv') ? S.dataCsv.points : undefined;
  // w.run is the group's first run; w.done how many of its runs have their record;
  // s.running holds the fraction done of each worker's run in progress.
  const byFirst = new Map(groups.map((g) => [g.index, g]));
  runBatch(
    s,
    n,
    (g) => ({ studyGroup: JSON.stringify(g.groups), data, useGpu: engine.gpu, auto: !!engine.auto }),
    done,
    (w, m, next) => {
      if (S.study !== s) return;
      const g = byFirst.get(w.run);
      if (w.group !== g) {
        w.group = g;
        w.done = 0;
      }
      if (m.type === 'event' && m.event.kind === 'progress') {
        s.running.set(w.run, (m.event.iter / m.event.total) * 0.9);
        progress();
      } else if (m.type === 'record') {
        w.done += 1;
        s.running.set(w.run, 0);
        s.records.push(m.record);
        progress();
        draw();
      } else if (m.type === 'groupDone') {
        s.running.delete(w.run);
        w.group = null;
        progress();
        next();
      } else if (m.type === 'error') {
        // A worker that stops fails the runs of its group that have no record yet.
        s.running.delete(w.run);
        for (const r of g.runs.slice(w.done)) s.records.push({ index: r.index, ...failedRecord(plan, r.index, m.message) });
        w.group = null;
        draw();
        next();
      }
    },
  );
  progress();
  studyView.render(view, studyAggregate(pairs, axes, seeds, '[]'));
}

export function cancelStudy() {
  const s = S.study;
  cancelBatch(s, $('#study-view'), `Study cancelled: ${s.records.length} of ${s.total} runs done; their results stay.`);
  S.study = { ...s, workers: [] };
  if (s.records.length) studyView.render($('#study-view'), studyAggregate(s.pairs, s.axes, s.seeds, JSON.stringify(s.records)));
}
