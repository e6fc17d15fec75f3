// What a link opens before anything is trained: a result kept in this browser, or the one
// shipped with the page for an unedited paper-size gallery link (a run sampled again here, a
// study or generations run drawn from its file).
import { generationsPlan, specFromPairs } from '../collapse-lab.js';
import { busy, validate } from './controls.js';
import { takeCsv } from './datafiles.js';
import { genKey, provenanceText, runKey, shippedFigures, shippedFile, studyKey } from './kept.js';
import { start } from './runners/run.js';
import { formPairs, genInputs, studyAxes } from './settings.js';
import { $, S, T, form } from './state.js';
import { render } from './views/run.js';
import * as generationsView from './views/generations.js';
import * as store from './store.js';
import * as studyView from './views/study.js';

// A stored run of the form's spec, shown at once (Train runs it again). Resolves to whether
// there was one.
export async function showStored(spec) {
  const hit = await store.load(runKey(spec));
  if (!hit || busy()) return false;
  S.lastOut = hit.out;
  takeCsv(hit.out, `the file of the stored run`);
  validate();
  window.collapseLab.last = hit.out;
  $('#run-view').hidden = false;
  render($('#results'), hit.out);
  $('#progress').value = 1;
  const when = new Date(hit.saved).toLocaleString();
  $('#progress-text').textContent = `Shown from this browser's store: run ${when} on ${hit.out.result.engine}. Train runs it again.`;
  $('#train').textContent = 'Re-run';
  $('#results').dataset.state = 'done';
  $('#results').dataset.stored = 'true';
  return true;
}

// A stored study or generations run of the form, drawn at once (its button runs it again).
export async function showStoredMany() {
  let k, view, draw, label, button;
  if (S.mode === 'generations') {
    let g;
    try {
      g = genInputs();
    } catch {
      return false;
    }
    k = genKey(g);
    view = $('#generations-view');
    draw = generationsView.render;
    label = 'generations';
    button = '#run-generations';
  } else {
    k = studyKey({ pairs: JSON.stringify(formPairs()), axes: JSON.stringify(studyAxes()), seeds: Number(form.elements.seeds.value.trim()) });
    view = $('#study-view');
    draw = studyView.render;
    label = 'study';
    button = '#study';
  }
  const hit = await store.load(k);
  if (!hit || busy()) return false;
  if (label === 'study') window.collapseLab.study = hit.out;
  else window.collapseLab.generations = hit.out;
  draw(view, hit.out);
  view.hidden = false;
  view.dataset.state = 'done';
  view.dataset.stored = 'true';
  $('#progress').value = 1;
  $('#progress-text').textContent =
    `Shown from this browser's store: the ${label} of ${new Date(hit.saved).toLocaleString()}. ${$(button).textContent} runs it again.`;
  return true;
}

// The shipped run whose paper spec the form holds: the bare URL (the default experiment is
// fig2-chessboard's paper spec) and every unedited paper link of a shipped run.
export function shippedFor(spec, presets, wanted) {
  const key = runKey(spec);
  for (const p of presets) {
    if (!p.shipped || (wanted && p.id !== wanted)) continue;
    const pairs = [...new URLSearchParams(p.paper)].filter(([k]) => !T.PAGE_PARAMS.includes(k));
    try {
      if (runKey(specFromPairs(JSON.stringify(pairs))) === key) return p;
    } catch {
      /* a preset the core refuses cannot match */
    }
  }
  return null;
}

// A shipped run: its figures drawn at once from its figures file, where it has one, while its
// nets are sampled and measured again here to check them.
export async function openShipped(spec, id) {
  const text = await shippedFile(id);
  let saved;
  try {
    saved = text && JSON.parse(text);
    if (!saved || runKey(saved.spec) !== runKey(spec)) return false;
  } catch {
    return false;
  }
  const figures = await shippedFigures(id, saved);
  if (busy()) return false;
  start(text, `${id}.json`, true, figures);
  return true;
}

// A gallery study or generations run at paper size whose file ships with the page
// (www/runs/ID.json, the CLI's `study --out` or `generations --out`, made by
// scripts/make-gallery-runs.sh): drawn at once, with where it comes from; one still being
// computed (runs missing) opens as partial and says so. Only the one the form describes opens
// (the same base run, axes and seeds). Resolves to whether it was shown.
export async function openShippedMany(id) {
  const text = await shippedFile(id);
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  if (!v || !v.base || busy() || !validate()) return false;
  const generations = S.pageMode === 'generations';
  let base, axes, seeds;
  try {
    if (generations) {
      const g = genInputs();
      const plan = generationsPlan(g.pairs, g.fresh, g.samplers, g.seeds);
      ({ base, seeds } = plan);
      axes = plan.axes.map((a) => `${a.name}=${a.values.join(',')}`);
    } else {
      base = validate();
      axes = studyAxes();
      seeds = Number(form.elements.seeds.value.trim());
    }
  } catch {
    return false;
  }
  const shippedAxes = (v.axes || []).map((a) => `${a.name}=${a.values.join(',')}`);
  if (runKey(v.base) !== runKey(base) || JSON.stringify(shippedAxes) !== JSON.stringify(axes) || v.seeds !== seeds) return false;
  const view = $(generations ? '#generations-view' : '#study-view');
  if (generations) window.collapseLab.generations = v;
  else window.collapseLab.study = v;
  (generations ? generationsView : studyView).render(view, v);
  view.hidden = false;
  $('#run-view').hidden = true;
  const planned = v.cells.length * v.seeds;
  const done = planned - v.missing.length;
  const what = generations ? 'chains' : 'runs';
  view.dataset.state = v.missing.length ? 'partial' : 'done';
  view.dataset.shipped = 'true';
  $('#progress').value = done / planned;
  // What matters first (how much of it there is), then where it comes from: the toolbar shows
  // two lines of it.
  $('#progress-text').textContent =
    `The ${generations ? 'generations run' : 'study'} shipped with this page: ${done} of ${planned} ${what}` +
    (v.missing.length ? ` — partial: the other ${v.missing.length} are still being computed by the CLI and ship later.` : '.') +
    ` Press ${$(generations ? '#run-generations' : '#study').textContent} to compute it here. ${provenanceText(id)}`;
  return true;
}
