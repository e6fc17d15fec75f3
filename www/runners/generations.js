// Generations in the page: chains of recursive training over Web Workers (www/batch.js), one chain per worker, drawn and kept as they finish.
import { chainRecord, generationsAggregate, generationsPlan } from '../../collapse-lab.js';
import { cancelBatch, enginesOf, failedRecord, finishBatch, runBatch, showProgress, workersFor } from '../batch.js';
import { chooseEngine } from '../gpu.js';
import { busy, setRunning, validate, yieldLanding } from '../controls.js';
import { genKey, keep } from '../kept.js';
import { genInputs, updateShare } from '../settings.js';
import { $, GPU_MODE, S } from '../state.js';
import * as generationsView from '../views/generations.js';

// A generations run: the chains come from the Rust core's plan (as `collapse-lab generations`),
// each chain runs in one of several Web Workers, and every finished generation is drawn at once.
// Cancel keeps every generation already done.
export async function startGenerations() {
  yieldLanding();
  if (!validate()) return;
  let g, plan;
  try {
    g = genInputs();
    plan = generationsPlan(g.pairs, g.fresh, g.samplers, g.seeds);
  } catch (e) {
    $('#gen-error').textContent = `Generations: ${(e && e.text) || String(e)}`;
    return;
  }
  // The engine a single run would train on (www/gpu.js), for every chain.
  const engine = await chooseEngine(GPU_MODE);
  if (busy()) return;
  $('#engine-note').textContent = engine.note;
  S.mode = 'generations';
  updateShare();
  $('#run-error').textContent = '';
  $('#run-view').hidden = !S.lastOut;
  $('#seesaw-view').hidden = !S.lastOut || $('#seesaw-view').hidden;
  const n = workersFor(engine, plan.runs.length);
  const perChain = plan.base.recursion.generations + 1;
  S.gens = {
    ...g,
    plan,
    records: [],
    partial: new Map(),
    running: new Map(),
    queue: plan.runs.slice(),
    workers: [],
    total: plan.runs.length,
    t0: performance.now(),
  };
  const s = S.gens;
  const view = $('#generations-view');
  view.dataset.state = 'running';
  setRunning(true);
  $('#progress').value = 0;
  const progress = () => {
    let done = s.records.length * perChain;
    for (const [i, frac] of s.running) done += (s.partial.get(i)?.generations.length || 0) + frac;
    const gensDone = s.records.length * perChain + [...s.running.keys()].reduce((a, i) => a + (s.partial.get(i)?.generations.length || 0), 0);
    showProgress(
      s,
      done / (s.total * perChain),
      `Generations: ${gensDone} of ${s.total * perChain} generations done (${s.records.length} of ${s.total} chains), ${s.running.size} running in ${n} workers`,
      0.02,
    );
  };
  const draw = () => {
    const live = [...s.partial.entries()].filter(([i]) => s.running.has(i)).map(([i, c]) => chainRecord(JSON.stringify(plan.runs[i]), JSON.stringify(c), ''));
    s.result = generationsAggregate(s.pairs, s.fresh, s.samplers, s.seeds, JSON.stringify(s.records.concat(live)));
    window.collapseLab.generations = s.result;
    generationsView.render(view, s.result);
  };
  s.draw = draw;
  const done = () => {
    if (S.gens !== s) return;
    draw();
    const stopped = s.records.filter((r) => r.error).length;
    finishBatch(
      s,
      view,
      (secs) =>
        `Generations done: ${s.total} chains × ${perChain} generations in ${secs} s (${n} workers, ${enginesOf(s.records)})` +
        (stopped ? `; ${stopped} chain(s) stopped early` : '') +
        '.',
    );
    if (!stopped) keep(genKey(s), s.result, 'the generations');
  };
  runBatch(
    s,
    n,
    (run) => ({ chainRun: JSON.stringify(run), useGpu: engine.gpu, auto: !!engine.auto }),
    done,
    (w, m, next) => {
      if (S.gens !== s) return;
      if (m.type === 'event' && m.event.kind === 'progress') {
        s.running.set(w.run, (0.8 * m.event.iter) / m.event.total);
        progress();
      } else if (m.type === 'event' && m.event.kind === 'chain') {
        s.partial.set(w.run, m.event.chain);
        s.running.set(w.run, 0);
        progress();
        draw();
      } else if (m.type === 'record') {
        s.running.delete(w.run);
        s.records.push(m.record);
        progress();
        draw();
        next();
      } else if (m.type === 'error') {
        // A chain that fails or whose worker stops keeps the generations it reported.
        s.running.delete(w.run);
        const c = s.partial.get(w.run);
        s.records.push(
          c ? chainRecord(JSON.stringify(plan.runs[w.run]), JSON.stringify(c), m.message) : { index: w.run, ...failedRecord(plan, w.run, m.message) },
        );
        draw();
        next();
      }
    },
  );
  progress();
  view.hidden = false;
  view.scrollIntoView({ block: 'start' });
}

export function cancelGenerations() {
  const s = S.gens;
  // The chains in flight keep the generations they finished.
  for (const i of s.running.keys()) {
    const c = s.partial.get(i);
    if (c) s.records.push(chainRecord(JSON.stringify(s.plan.runs[i]), JSON.stringify(c), `cancelled after generation ${c.generations.length - 1}`));
  }
  s.running.clear();
  const kept = s.records.reduce((a, r) => a + (r.result?.generations?.length || 0), 0);
  cancelBatch(s, $('#generations-view'), `Generations cancelled: ${kept} finished generations of ${s.records.length} chains kept.`);
  S.gens = { ...s, workers: [] };
  if (s.records.length) {
    s.result = generationsAggregate(s.pairs, s.fresh, s.samplers, s.seeds, JSON.stringify(s.records));
    window.collapseLab.generations = s.result;
    generationsView.render($('#generations-view'), s.result);
  }
}
