// The page: the wiring of its parts. The URL's query is the experiment (same URL, same result):
// settings.js reads it onto the form through the Rust core's settings table, controls.js checks
// the form as it is edited, landing.js opens what a link already has (kept or shipped), and the
// runners (runners/run.js, study.js, generations.js) run experiments in Web Workers; the views
// (views/*.js) draw results. State shared by these parts lives in state.js.
import init, {
  defaultSpec,
  gallery,
  galleryPath,
  generationsFindings,
  generationsRadius,
  headlineRadius,
  hermiteSeesaw,
  samplerKinds,
  studyFindings,
  studyRadius,
  tidCurve,
  tidFewNeighbours,
  torchScript,
} from '../collapse-lab.js';
import { applyClassroom, reportHeight } from './classroom.js';
import { setMode, validate } from './controls.js';
import { loadCsv } from './datafiles.js';
import { download, exportJson, exportSamples, exportTid, pngLinks } from './exports.js';
import { chooseEngine } from './gpu.js';
import { shippedProvenance } from './kept.js';
import { openShipped, openShippedMany, shippedFor, showStored, showStoredMany } from './landing.js';
import { lineChart, setLabels } from './plots.js';
import { workersWanted } from './pool.js';
import { cancelGenerations, startGenerations } from './runners/generations.js';
import { cancelRun, openRun, saveRunFile, start, startOwn } from './runners/run.js';
import { cancelStudy, startStudy } from './runners/study.js';
import { applyParams, buildFromTable, buildSamplerControls, fillForm, formPairs, moreDiffersFromDefault, showMore, studyAxes, urlErrors } from './settings.js';
import { $, GPU_MODE, S, T, form } from './state.js';
import { drawLoss } from './views/run.js';
import * as galleryView from './views/gallery.js';
import * as generationsView from './views/generations.js';
import { show } from './views/index.js';
import * as runView from './views/run.js';
import * as store from './store.js';
import * as studyView from './views/study.js';
import * as verdictsView from './views/verdicts.js';
import { setupShare } from './share.js';

function cancel() {
  if (S.study && S.study.workers.length) return cancelStudy();
  if (S.gens && S.gens.workers.length) return cancelGenerations();
  cancelRun();
}

// A study or generations JSON from the CLI (`study --out`, `study --collect DIR` after a Slurm
// run, `generations --out`): checked for its shape, then drawn by the same views.
async function openResults(file) {
  $('#run-error').textContent = '';
  let v;
  try {
    if (file.size > 256 * 1024 * 1024) throw new Error(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB; the page opens files up to 256 MB`);
    v = JSON.parse(await file.text());
    const ok =
      v && Array.isArray(v.axes) && Array.isArray(v.cells) && Array.isArray(v.runs) && Number.isInteger(v.seeds) && v.base && typeof v.base === 'object';
    if (!ok) throw new Error('expected the JSON of collapse-lab study or generations (axes, cells, runs, seeds, base)');
    const isGen = v.axes.some((a) => a.name === 'fresh') && v.base.recursion;
    if (isGen && !v.runs.every((r) => Array.isArray(r.generations))) throw new Error('a generations JSON whose runs have no generations');
    if (!isGen && !v.cells.every((c) => c.settings && c.metrics)) throw new Error('a study JSON whose cells have no settings or metrics');
    const box = show(isGen ? 'generations' : 'study', v);
    box.dataset.state = 'opened';
    window.collapseLab[isGen ? 'generations' : 'study'] = v;
    box.scrollIntoView({ block: 'start' });
    $('#progress-text').textContent = `Opened ${file.name}: ${v.runs.length} runs.`;
  } catch (e) {
    $('#run-error').textContent = `Open ${file.name}: ${e.message || e}.`;
  }
}

// The form's experiment as a PyTorch script (src/export/torch_script.py), to check the lab's
// numbers outside it; a form the lab refuses shows its message instead.
function exportTorchScript(ev) {
  ev.preventDefault();
  if (!validate()) return;
  try {
    const pairs = formPairs();
    const seed = (pairs.find(([n]) => n === 'seed') || [0, '0'])[1];
    const dataset = (pairs.find(([n]) => n === 'dataset') || [0, 'chessboard'])[1];
    download(`collapse-lab-${dataset}-seed${seed}.py`, new Blob([torchScript(JSON.stringify(pairs))], { type: 'text/x-python' }));
  } catch (e) {
    $('#form-error').textContent = (e && e.text) || String(e);
  }
}

// The toolbar's status line shows two lines (a shipped file's provenance is longer); when it
// holds more, its button (or a click on the text) shows all of it, and a new status folds it.
function clampStatus(el, button) {
  const fit = () => {
    const open = el.classList.contains('expanded');
    const more = open || el.scrollHeight > el.clientHeight + 1;
    el.classList.toggle('clamped', more);
    button.hidden = !more;
    button.textContent = open ? 'less' : 'all';
    button.setAttribute('aria-expanded', String(open));
  };
  const toggle = () => {
    if (el.classList.contains('clamped')) {
      el.classList.toggle('expanded');
      fit();
    }
  };
  new MutationObserver(() => {
    el.classList.remove('expanded');
    fit();
  }).observe(el, { childList: true, characterData: true, subtree: true });
  window.addEventListener('resize', fit);
  el.addEventListener('click', toggle);
  button.addEventListener('click', toggle);
}

// A gallery link names its entry (preset=ID, size=quick or paper) and carries its settings; a
// short one (?preset=ID&size=paper) opens the entry's own settings all the same. A setting the
// URL gives itself wins, and is returned as changed when it differs from the entry's.
function withPreset(params, preset, size) {
  const link = new URLSearchParams(size === 'paper' ? preset.paper : preset.quick);
  const merged = new URLSearchParams(link);
  const names = [...new Set(params.keys())];
  for (const k of names) {
    merged.delete(k);
    for (const v of params.getAll(k)) merged.append(k, v);
  }
  const changed = names
    .filter((k) => !T.PAGE_PARAMS.includes(k) && link.getAll(k).join('&') !== params.getAll(k).join('&'))
    .map((k) => `${k}=${params.getAll(k).join(' & ')}`);
  return { params: merged, changed };
}

async function main() {
  try {
    await init();
  } catch (e) {
    $('#engine-note').textContent = `This browser could not load the lab's WebAssembly: ${e}`;
    return;
  }
  let params = new URLSearchParams(location.search);
  const given = new URLSearchParams(location.search);
  // embed=1: the compact widget (views/run.js's main panels with their TID and one Re-run, and
  // a link to the whole lab); embed=full: the whole page in a frame. Anything else is refused.
  const embedErrors = [];
  if (params.has('embed')) {
    const mode = params.get('embed');
    document.body.classList.add('embed');
    if (mode === '1') {
      document.body.classList.add('compact');
      const open = document.createElement('a');
      const full = new URLSearchParams(params);
      full.delete('embed');
      open.href = `${location.pathname}?${full}`;
      open.target = '_blank';
      open.rel = 'noopener';
      open.id = 'open-lab';
      open.textContent = 'Open in Collapse Lab ↗';
      $('#toolbar .actions').append(open);
    } else if (mode !== 'full') {
      embedErrors.push(`embed: expected 1 (the compact widget) or full (the whole page), got "${mode}"`);
    }
  }
  T.KINDS = samplerKinds();
  setLabels(T.KINDS);
  T.FEW_NEIGHBOURS = tidFewNeighbours();
  runView.setKinds(T.KINDS);
  runView.setFewNeighbours(T.FEW_NEIGHBOURS);
  runView.setHeadlineRadius((eps, neighbours) => headlineRadius(Float64Array.from(eps), Float64Array.from(neighbours)) ?? null);
  studyView.setFindings(
    (st) => studyFindings(JSON.stringify(st)),
    (st) => studyRadius(JSON.stringify(st)),
    T.FEW_NEIGHBOURS,
  );
  generationsView.setFindings(
    (g) => generationsFindings(JSON.stringify(g)),
    (g) => generationsRadius(JSON.stringify(g)),
  );
  buildFromTable();
  buildSamplerControls();
  const pageErrors = [];
  const presets = gallery();
  galleryView.render($('#presets'), presets, { path: galleryPath() });
  shippedProvenance().then((index) => galleryView.counts($('#presets'), index));
  verdictsView.load().then((list) => {
    const t = verdictsView.tally(list);
    if (t) $('#verdicts-link').textContent = `Open the verdicts (${t})`;
  });
  const rec = (id) => presets.find((x) => x.id === id);
  $('#gen-quick').href = `?${rec('rec-fig1').quick}&autorun=1`;
  $('#gen-ode').href = `?${rec('rec-ode-vs-sde').quick}&autorun=1`;
  $('#gen-paper').href = `?${rec('rec-fig1').paper}`;
  if (params.has('preset')) {
    const p = presets.find((x) => x.id === params.get('preset'));
    const size = params.get('size') === 'paper' ? 'paper' : 'quick';
    if (p) {
      const own = withPreset(params, p, size);
      params = own.params;
      S.preset = { id: p.id, size, q: null };
      galleryView.note($('#preset-note'), p, size, own.changed);
    } else pageErrors.push(`preset: unknown preset "${params.get('preset')}"; known: ${presets.map((x) => x.id).join(', ')}`);
  }
  if (params.has('size') && !['quick', 'paper'].includes(params.get('size'))) pageErrors.push(`size: expected quick or paper, got "${params.get('size')}"`);
  pageErrors.push(...urlErrors(given, params));
  fillForm(defaultSpec());
  applyParams(params);
  form.elements.workers.placeholder = String(workersWanted());
  if (params.has('workers')) form.elements.workers.value = params.get('workers');
  for (const t of document.querySelectorAll('#modes [role=tab]')) t.addEventListener('click', () => setMode(t.dataset.mode));
  $('#more-toggle').addEventListener('click', () => showMore(!form.classList.contains('show-more')));
  setMode(params.get('view') === 'generations' || S.mode === 'generations' ? 'generations' : params.getAll('vary').length ? 'study' : 'run');
  if (moreDiffersFromDefault()) showMore(true);
  const groups = [...form.querySelectorAll('fieldset[data-group]')].map((f) => f.dataset.group);
  const known = [...new Set([...groups, ...T.FORM_FIELDS, ...T.FORM_BOOLS, 'samplers', 'steps', 'vary1', 'vary2', 'seeds', ...T.GEN_FIELDS, ...T.GEN_BOOLS])];
  const classroomErrors = pageErrors.concat(embedErrors, applyClassroom(form, params, known));
  setupShare(groups.filter((g) => g !== 'own'));
  reportHeight();
  // The engine note, unless a run the visitor started has written its own (the shipped result
  // the page opens on landing is sampled in a worker too, and must not leave "Loading…").
  chooseEngine(GPU_MODE).then((e) => {
    if (!S.worker || S.worker.landing) $('#engine-note').textContent = e.note;
  });
  form.addEventListener('input', validate);
  form.addEventListener('change', validate);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    start();
  });
  $('#cancel').addEventListener('click', cancel);
  $('#study').addEventListener('click', startStudy);
  $('#run-generations').addEventListener('click', startGenerations);
  $('#export-json').addEventListener('click', () => exportJson(S.lastOut));
  $('#torch-script').addEventListener('click', exportTorchScript);
  $('#export-tid').addEventListener('click', () => exportTid(S.lastOut));
  $('#export-samples').addEventListener('click', () => exportSamples(S.lastOut));
  $('#save-run').addEventListener('click', saveRunFile);
  $('#own-run').addEventListener('click', startOwn);
  $('#data-csv-file').addEventListener('change', (ev) => {
    if (ev.target.files[0]) loadCsv(ev.target.files[0]);
    ev.target.value = '';
  });
  $('#open-run').addEventListener('change', (ev) => {
    if (ev.target.files[0]) openRun(ev.target.files[0]);
    ev.target.value = '';
  });
  $('#forget-runs').addEventListener('click', async () => {
    await store.clear();
    $('#stored-note').textContent = 'Stored runs forgotten.';
  });
  clampStatus($('#progress-text'), $('#progress-more'));
  // PNG links appear under every chart, whichever view drew it.
  new MutationObserver(() => pngLinks($('#results'))).observe($('#results'), { childList: true, subtree: true });
  pngLinks($('#results'));
  $('#open-json').addEventListener('change', (ev) => {
    if (ev.target.files[0]) openResults(ev.target.files[0]);
  });
  drawLoss([]);
  lineChart($('#tid'), [], { xlabel: 'e', ylabel: 'TID' });
  pngLinks($('#results'));
  const spec = validate();
  if (classroomErrors.length) $('#page-error').textContent = classroomErrors.join('; ') + '.';
  window.collapseLab = { tidCurve, ready: true };
  // A view of its own (?view=verdicts: the verdicts the core computed from the shipped files;
  // ?view=hermite: appendix G.3) is drawn at the top.
  const own = new Map([
    ['verdicts', () => verdictsView.load()],
    ['hermite', () => hermiteSeesaw],
  ]).get(params.get('view'));
  if (own) {
    // The view's name on the body: the verdicts print as a report without the page around them.
    document.body.classList.add(`view-${params.get('view')}`);
    show(params.get('view'), await own()).scrollIntoView();
  }
  // A single run kept in this browser shows at once, instead of running again.
  const single = S.mode === 'run' && !studyAxes().length;
  const stored = spec && !own ? await (single ? showStored(spec) : showStoredMany()) : false;
  // A gallery link at paper size whose trained run ships with the page: sampled here at once.
  const match = !stored && single && spec && !own ? shippedFor(spec, presets, params.get('preset')) : null;
  if (match && !params.has('preset')) galleryView.note($('#preset-note'), match, 'paper');
  const shipped = match
    ? await openShipped(spec, match.id)
    : !stored &&
      spec &&
      ['study', 'generations'].includes(S.pageMode) &&
      params.get('size') === 'paper' &&
      presets.some((p) => p.id === params.get('preset') && p.shipped) &&
      (await openShippedMany(params.get('preset')));
  document.body.dataset.ready = 'true';
  // A link with a mistake starts nothing by itself: it says what is wrong and waits.
  if (spec && params.get('autorun') === '1' && !stored && !shipped && !classroomErrors.length) {
    if (params.get('view') === 'generations') {
      if (!$('#run-generations').disabled) startGenerations();
    } else if (studyAxes().length) {
      if (!$('#study').disabled) startStudy();
    } else start();
  }
}

main();
