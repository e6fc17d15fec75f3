// The page: form <-> spec (validated by the same Rust code as the CLI), a Web Worker that runs
// the experiment, and the plots. The URL's query is the experiment: same URL, same result.
import init, { defaultSpec, samplerKinds, settingsTable, settingsOf, gallery, saveRun, specFromPairs, torchScript, canonicalSpec, tidCurve, studyPlan, studyAggregate, hermiteSeesaw, generationsPlan, generationsAggregate, chainRecord, galleryPath, studyFindings, pageParams } from '../collapse-lab.js';
import * as runView from './views/run.js';
import * as studyView from './views/study.js';
import * as hermiteView from './views/hermite.js';
import * as generationsView from './views/generations.js';
import * as galleryView from './views/gallery.js';
import * as ownView from './views/own.js';
import * as painterView from './views/painter.js';
import { chooseEngine } from './gpu.js';
import { workersWanted } from './pool.js';
import { runBatch, failedRecord } from './batch.js';
import * as store from './store.js';
import { COLORS, LABELS, lineChart } from './plots.js';
import { download, exportJson, exportTid, exportSamples, pngLinks } from './exports.js';
import { applyClassroom, reportHeight } from './classroom.js';

const { render, drawLoss } = runView;

const $ = (sel) => document.querySelector(sel);
const form = $('#controls');
// The settings table of the Rust core (the CLI's flags, the URL's parameters): the form's fields
// are the settings with a control of that name; the page parses and prints nothing itself.
let SETTINGS = []; // [{name, field, kind, help, choices}]
let FORM_FIELDS = []; // single-run settings with a text field or a choice
let FORM_BOOLS = []; // single-run settings with a checkbox
let KINDS = []; // [{name, default_steps, stochastic}] from the Rust core
// The page's own parameters (not settings of the experiment), from the core's table.
let PAGE_PARAMS = [];
// Page settings that stay in the address bar and in the share link (a class shares one view).
const CLASSROOM = ['embed', 'hide', 'lock', 'question'];
// A study's plan inputs (its axes and seeds per cell), from the core's table.
let STUDY_PARAMS = [];
// A generations run (recursive training): its form fields (its plan inputs, fresh and
// gen-sampler being lists, one chain each, gen-seeds the chains per value, and the recursion
// settings with a text control), its checkboxes, and the recursion settings without a control;
// all from the core's table.
let GEN_FIELDS = [];
let GEN_BOOLS = [];
let GEN_EXTRA = [];
let genExtra = [];
let mode = 'run'; // what the share link reproduces: 'run' (or a study) or 'generations'
// The page's mode (its tab): 'run' (one experiment), 'study', 'generations' or 'own' (your own
// samples); each shows its own settings and its own action in the toolbar.
let pageMode = 'run';
let gens = null; // {plan inputs, workers, records, partial chains, result} while generations run or after
const PAGE = new URLSearchParams(location.search); // read once: the address bar is rewritten as the form changes
const GPU_MODE = { 1: 'on', true: 'on', 0: 'off', false: 'off', time: 'time' }[PAGE.get('gpu')] || 'auto';
let extraPairs = []; // spec settings from the URL that have no control (steps, k, repeats, ...)
let worker = null;
let study = null; // {plan inputs, workers, records, result} while a study runs or after it
let lastOut = null;
let liveLoss = [];
// The csv data set's file as read in a worker: {name, setting, rows, dim, points}. The form's
// `csv` setting names it (FINGERPRINT:ROWSxDIM); the points go to the worker with every run.
let dataCsv = null;

// One checkbox and one steps field per sampler, built from the core's list.
function buildSamplerControls() {
  const box = $('#sampler-list');
  for (const k of KINDS) {
    const row = document.createElement('div');
    row.className = 'row';
    row.innerHTML = `<label><input type="checkbox" name="sampler" value="${k.name}"> <span class="swatch" style="background:${COLORS[k.name]}"></span>${LABELS[k.name]}${k.stochastic ? '' : ' (det.)'}</label>`
      + `<input type="text" name="steps-${k.name}" inputmode="numeric" aria-label="${LABELS[k.name]} steps" title="steps">`;
    box.append(row);
  }
}

function stepsOf(spec, name) {
  return spec.sampling.steps[name] ?? KINDS.find((k) => k.name === name).default_steps;
}

// The form's text for a spec: the core's print direction of the settings table, read back by
// specFromPairs into the same spec.
function formValues(spec) {
  const v = Object.fromEntries(settingsOf(JSON.stringify(spec), false));
  v['data-size'] ??= '';
  v.dim ??= String(spec.dim); // shown, though only mog-nd reads it
  v.steps = KINDS.map((k) => `${k.name}=${stepsOf(spec, k.name)}`).join(',');
  return v;
}

// Builds the form's choices from the table and files every setting's help as its tooltip.
function buildFromTable() {
  SETTINGS = settingsTable();
  const recursion = (x) => x.field.startsWith('recursion.');
  for (const x of SETTINGS) {
    const el = form.elements[x.name];
    if (el && el.tagName === 'SELECT') el.replaceChildren(...x.choices.map((c) => new Option(c, c)));
    const label = el && el.closest && el.closest('label');
    if (label && !label.title) label.title = x.help;
  }
  const control = (x) => form.elements[x.name] && form.elements[x.name].tagName;
  FORM_FIELDS = SETTINGS.filter((x) => !recursion(x) && x.kind !== 'bool' && control(x)).map((x) => x.name);
  FORM_BOOLS = SETTINGS.filter((x) => !recursion(x) && x.kind === 'bool' && control(x)).map((x) => x.name);
  GEN_EXTRA = SETTINGS.filter((x) => recursion(x) && !control(x)).map((x) => x.name);
  const params = pageParams();
  PAGE_PARAMS = params.page;
  STUDY_PARAMS = params.plan.filter((x) => x.of === 'study').map((x) => x.name);
  const gen = new Set(params.plan.filter((x) => x.of === 'generations').map((x) => x.name)
    .concat(SETTINGS.filter((x) => recursion(x) && x.kind !== 'bool' && control(x)).map((x) => x.name)));
  // In the form's order, which the share link keeps.
  GEN_FIELDS = [...form.querySelectorAll('#generations-controls input:not([type=checkbox])')].map((el) => el.name).filter((n) => gen.has(n));
  GEN_BOOLS = SETTINGS.filter((x) => recursion(x) && x.kind === 'bool' && control(x)).map((x) => x.name);
}

function fillForm(spec) {
  const v = formValues(spec);
  for (const k of FORM_FIELDS) form.elements[k].value = v[k] ?? '';
  for (const k of FORM_BOOLS) form.elements[k].checked = v[k] === 'true';
  for (const box of form.querySelectorAll('input[name=sampler]')) box.checked = spec.sampling.samplers.includes(box.value);
  for (const k of KINDS) form.elements[`steps-${k.name}`].value = stepsOf(spec, k.name);
}

function formPairs() {
  const pairs = [];
  const dataset = form.elements.dataset.value;
  for (const k of FORM_FIELDS) {
    // A setting of one data set only (dim of mog-nd, the painted grid, the CSV file) goes with
    // that data set only: elsewhere the core refuses it rather than ignoring it.
    const only = SETTINGS.find((x) => x.name === k).dataset;
    if (only && only !== dataset) continue;
    const v = String(form.elements[k].value).trim();
    if (v !== '') pairs.push([k, v]);
  }
  for (const k of FORM_BOOLS) pairs.push([k, String(form.elements[k].checked)]);
  const samplers = [...form.querySelectorAll('input[name=sampler]:checked')].map((b) => b.value);
  pairs.push(['samplers', samplers.join(',')]);
  pairs.push(['steps', KINDS.map((k) => `${k.name}=${String(form.elements[`steps-${k.name}`].value).trim()}`).join(',')]);
  return pairs.concat(extraPairs);
}

// URL parameters onto the form; the ones without a control are kept aside.
function applyParams(params) {
  extraPairs = [];
  genExtra = [];
  const vary = params.getAll('vary');
  form.elements.vary1.value = vary[0] || '';
  form.elements.vary2.value = vary[1] || '';
  extraVary = vary.slice(2);
  if (params.has('seeds')) form.elements.seeds.value = params.get('seeds');
  for (const [k, v] of params) {
    if (PAGE_PARAMS.includes(k) || STUDY_PARAMS.includes(k)) continue;
    if (GEN_FIELDS.includes(k)) { form.elements[k].value = v; mode = 'generations'; continue; }
    if (GEN_BOOLS.includes(k)) { form.elements[k].checked = ['', '1', 'true', 'yes'].includes(v.trim()); mode = 'generations'; continue; }
    if (GEN_EXTRA.includes(k)) { genExtra.push([k, v]); mode = 'generations'; continue; }
    if (FORM_FIELDS.includes(k)) form.elements[k].value = v;
    else if (FORM_BOOLS.includes(k)) form.elements[k].checked = ['', '1', 'true', 'yes'].includes(v.trim());
    else if (k === 'samplers') for (const box of form.querySelectorAll('input[name=sampler]')) box.checked = v.split(',').map((x) => x.trim()).includes(box.value);
    else if (k === 'steps' && v.split(',').every((p) => form.elements[`steps-${p.split('=')[0].trim()}`] && p.includes('='))) {
      for (const p of v.split(',')) { const [n, x] = p.split('='); form.elements[`steps-${n.trim()}`].value = x.trim(); }
    } else extraPairs.push([k, v]);
  }
}

// The generations run of the form: the base settings with the recursion ones, the lists of a
// and samplers (the chains), and the seeds per chain.
function genInputs() {
  const list = (k) => form.elements[k].value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  // The single run's training-set size and see-saw diagnostics do not apply to generations.
  const pairs = formPairs().filter(([k]) => k !== 'data-size' && k !== 'diagnostics');
  for (const k of ['generations', 'gen-size']) pairs.push([k, form.elements[k].value.trim()]);
  pairs.push(['warm-start', String(form.elements['warm-start'].checked)]);
  const seeds = Number(form.elements['gen-seeds'].value.trim());
  if (!Number.isInteger(seeds)) throw { field: 'gen-seeds', text: `gen-seeds: expected an integer, got "${form.elements['gen-seeds'].value}"` };
  return { pairs: JSON.stringify(pairs.concat(genExtra)), fresh: JSON.stringify(list('fresh')), samplers: JSON.stringify(list('gen-sampler')), seeds };
}

// Switches the page's mode: its tab, its settings, its action in the toolbar.
function setMode(m) {
  pageMode = m;
  document.body.dataset.mode = m;
  for (const t of document.querySelectorAll('#modes [role=tab]')) t.setAttribute('aria-selected', String(t.dataset.mode === m));
  for (const b of document.querySelectorAll('#toolbar [data-for]')) b.hidden = b.dataset.for !== m;
  mode = m === 'generations' ? 'generations' : 'run';
  validate();
}

// "More settings": the controls beyond a first run's (data set, width, iterations, seed,
// samplers) are folded away unless opened, or unless a link sets one of them.
function showMore(on) {
  form.classList.toggle('show-more', on);
  $('#more-toggle').setAttribute('aria-expanded', String(on));
}

function moreDiffersFromDefault() {
  const def = formValues(defaultSpec());
  const ds = form.elements.dataset.value;
  return [...form.querySelectorAll('.more input, .more select')].some((el) => {
    if (!el.name || el.type === 'file') return false;
    if (el.type === 'checkbox') return el.checked !== (def[el.name] === 'true');
    return el.name in def && String(el.value).trim() !== String(def[el.name] ?? '') && !(el.name === 'n-samples' && ds === 'csv');
  });
}

// The run's CPU workers (the page setting workers=N, its field under More settings): checked
// like a spec setting, with its field named.
function workersOf() {
  const text = form.elements.workers.value.trim();
  const n = workersWanted(text);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw { field: 'workers', text: `workers: expected an integer in 1..=16, got "${text}"` };
  return n;
}

// The shipped or stored result a link opens on landing is sampled again in a worker; that
// worker never blocks the visitor: any action (Train, Open run, a study ...) stops it first.
function yieldLanding() {
  if (!worker || !worker.landing) return;
  worker.terminate();
  worker = null;
  setRunning(false);
}

function busy() {
  return (worker !== null && !worker.landing) || Boolean(study && study.workers.length) || Boolean(gens && gens.workers.length);
}

// The painter shows with the painted data set (and writes a first grid if there is none).
function showPainter() {
  $('#dim-label').hidden = form.elements.dataset.value !== 'mog-nd';
  const box = $('#painter');
  const on = form.elements.dataset.value === 'painted';
  const input = form.elements.painted;
  // Drawn again when the grid changed from outside the painter (a URL, an opened run).
  if (on && box.dataset.value !== input.value) {
    box.dataset.value = input.value;
    painterView.render(box, input, () => { box.dataset.value = input.value; validate(); });
  }
  box.hidden = !on;
}

// The Load CSV box shows with the csv data set. Resolves to what blocks a run: nothing when the
// file the form names is loaded, else what to load (a link names its file but cannot carry it).
function csvMissing() {
  const on = form.elements.dataset.value === 'csv';
  $('#data-csv').hidden = !on;
  if (!on) return '';
  const named = form.elements.csv.value.trim();
  const note = $('#data-csv-note');
  if (dataCsv && dataCsv.setting === named) {
    note.textContent = `${dataCsv.name}: ${dataCsv.rows} rows × ${dataCsv.dim}, fingerprint ${named.split(':')[0]}. Its rows are the training set; TID's floor compares n held-out rows with references drawn from the others.`;
    return '';
  }
  const m = /^([0-9a-f]{16}):(\d+)x(\d+)$/.exec(named);
  note.textContent = m ? `This link trains on a CSV file of ${m[2]} rows × ${m[3]} (fingerprint ${m[1]}); a link cannot carry the file.` : 'Choose a CSV file of points, one per row.';
  return m ? `csv: load the CSV file this run names (${m[2]} rows × ${m[3]}, fingerprint ${m[1]}) with Load CSV` : '';
}

// Reads the csv data set's file in a worker (a bad file is named with its line and column, and
// the form keeps what it had); the form then names it, with n samples at most half its rows.
function loadCsv(file) {
  if (busy()) return;
  const note = $('#data-csv-note');
  note.textContent = `Reading ${file.name}…`;
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const stop = (text) => { w.terminate(); note.textContent = text; note.classList.add('error'); };
  w.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'event' && m.event.kind === 'progress') note.textContent = `Reading ${file.name}: ${Math.round(100 * m.event.iter / m.event.total)}%`;
    else if (m.type === 'csv') {
      w.terminate();
      note.classList.remove('error');
      dataCsv = { name: file.name, ...m.out };
      form.elements.csv.value = m.out.setting;
      const n = form.elements['n-samples'];
      const fits = Number(n.value) * 2 <= m.out.rows;
      if (!fits) n.value = String(Math.floor(m.out.rows / 2));
      validate();
      if (!fits) note.textContent += ` Samples per sampler set to ${n.value}, half its rows.`;
    } else if (m.type === 'error') stop(`${file.name}: ${m.message.replace(/^csv: /, '')}.`);
  };
  w.onerror = (ev) => { ev.preventDefault(); stop(`${file.name}: ${ev.message || 'the worker stopped'}.`); };
  w.postMessage({ readCsv: file });
}

// A run's CSV points (a stored or opened run holds them) become the loaded file, so Re-run works.
function takeCsv(out, name) {
  const spec = out.result.spec;
  if (!out.data || !spec.csv) return;
  const setting = Object.fromEntries(settingsOf(JSON.stringify(spec), false)).csv;
  dataCsv = { name, setting, rows: spec.csv.rows, dim: spec.csv.dim, points: out.data };
}

function validate() {
  showPainter();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  try {
    const spec = specFromPairs(JSON.stringify(formPairs()));
    workersOf();
    $('#form-error').textContent = '';
    $('#train').disabled = busy();
    $('#study').disabled = busy();
    $('#run-generations').disabled = busy();
    // Generations are checked on their own: their message sits in their box, and a setting
    // that only they refuse does not block a single run.
    $('#gen-error').textContent = '';
    try {
      const g = genInputs();
      generationsPlan(g.pairs, g.fresh, g.samplers, g.seeds);
    } catch (e) {
      const el = e && e.field && form.elements[e.field];
      if (el && el.setAttribute) el.setAttribute('aria-invalid', 'true');
      $('#gen-error').textContent = `Generations: ${(e && e.text) || String(e)}`;
      $('#run-generations').disabled = true;
    }
    if (studyAxes().length) {
      try {
        studyPlan(JSON.stringify(formPairs()), JSON.stringify(studyAxes()), Number(form.elements.seeds.value.trim()));
      } catch (e) {
        $('#form-error').textContent = (e && e.text) || String(e);
        $('#study').disabled = true;
      }
    }
    updateShare();
    // A link to a run on a CSV file: the stored run can still show, but training needs the file.
    const missing = csvMissing();
    if (missing) {
      $('#form-error').textContent = missing;
      $('#train').disabled = true;
      $('#study').disabled = true;
    }
    return spec;
  } catch (e) {
    csvMissing();
    const field = e && e.field;
    const el = field && (form.elements[field] || (field === 'samplers' && form.querySelector('input[name=sampler]'))
      || (field === 'steps' && form.querySelector('input[name^=steps-]')));
    if (el && el.setAttribute) el.setAttribute('aria-invalid', 'true');
    if (el && el.closest && el.closest('.more')) showMore(true);
    $('#form-error').textContent = (e && e.text) || String(e);
    $('#train').disabled = true;
    $('#run-generations').disabled = true;
    return null;
  }
}

let extraVary = []; // a third and further axes from the URL (the form shows two)

function studyAxes() {
  if (pageMode !== 'study') return [];
  return [form.elements.vary1.value, form.elements.vary2.value].map((v) => v.trim()).filter(Boolean).concat(extraVary);
}

function updateShare() {
  const def = formValues(defaultSpec());
  const q = new URLSearchParams();
  for (const [k, v] of formPairs()) if (String(def[k] ?? '') !== v) q.set(k, v);
  for (const a of studyAxes()) q.append('vary', a);
  if (studyAxes().length) q.set('seeds', form.elements.seeds.value.trim());
  if (mode === 'generations') {
    for (const k of GEN_FIELDS) q.set(k, form.elements[k].value.trim());
    if (form.elements['warm-start'].checked) q.set('warm-start', 'true');
    for (const [k, v] of genExtra) q.set(k, v);
    q.set('view', 'generations');
  }
  for (const k of CLASSROOM) if (PAGE.has(k)) q.set(k, PAGE.get(k));
  if (form.elements.workers.value.trim()) q.set('workers', form.elements.workers.value.trim());
  const url = `${location.pathname}${q.toString() ? '?' + q : ''}`;
  $('#share').href = url;
  // Page settings other than autorun stay in the address bar (the engine ones not in the share link).
  const keep = ['gpu', 'lose-gpu-after'].filter((k) => PAGE.has(k)).map((k) => `${k}=${encodeURIComponent(PAGE.get(k))}`);
  history.replaceState(null, '', url + (keep.length ? (q.toString() ? '&' : '?') + keep.join('&') : ''));
}

// `landing`: the result a link opens is being sampled again; the form stays usable.
function setRunning(running, landing = false) {
  $('#results').dataset.state = running ? 'running' : (lastOut ? 'done' : 'idle');
  if (landing) return;
  $('#train').disabled = running;
  $('#study').disabled = running;
  $('#run-generations').disabled = running;
  $('#own-run').disabled = running;
  $('#cancel').disabled = !running;
  for (const el of form.elements) if (el.tagName !== 'BUTTON') el.disabled = running || el.dataset.locked === 'true';
}


// Runs the form's experiment, or with `saved` (a saved run's file text) samples and measures
// its nets again without training; the form takes the saved spec only once that succeeded.
// `shipped`: the file came with the page (a gallery run trained by the CLI).
async function start(saved = null, savedName = '', shipped = false) {
  yieldLanding();
  const spec = saved ? defaultSpec() : validate();
  if (!spec || (!saved && csvMissing())) return;
  mode = 'run';
  const engine = saved ? { gpu: false, note: $('#engine-note').textContent } : await chooseEngine(GPU_MODE);
  $('#engine-note').textContent = engine.note;
  $('#run-error').textContent = '';
  // What is shown from now on is this run's, not a stored or shipped one's.
  delete $('#results').dataset.stored;
  delete $('#results').dataset.shipped;
  liveLoss = [];
  $('#run-view').hidden = false;
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.landing = shipped;
  setRunning(true, shipped);
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
      } else if (e.kind === 'note') {
        $('#engine-note').textContent = `Note: ${e.text}.`;
      } else if (e.kind === 'phase' && e.phase === 'choosing the engine') {
        $('#progress-text').textContent = 'Timing a few training steps on WebGPU and on the CPU engine…';
      } else if (e.kind === 'phase' && e.phase !== 'data' && e.phase !== 'training') {
        $('#progress-text').textContent = e.phase === 'metrics' ? 'Measuring TID…' : `Sampling with ${LABELS[e.phase] || e.phase}…`;
      }
    } else if (m.type === 'done') {
      if (saved) {
        takeCsv(m.out, savedName);
        fillForm(m.out.result.spec), applyParams(new URLSearchParams(settingsOf(JSON.stringify(m.out.result.spec), true)));
      }
      finish();
      lastOut = m.out;
      keep(runKey(m.out.result.spec), m.out, 'the run');
      window.collapseLab.last = m.out;
      render(m.out);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      $('#progress').value = 1;
      const eng = m.out.result.engine.replace(/^cpu/, 'the CPU engine').replace(/^gpu: .*/, `WebGPU (${engine.name})`);
      $('#progress-text').textContent = shipped
        ? `${provenanceText(savedName.replace(/\.json$/, ''))}: sampled and measured again here in ${secs} s, matching the file. Re-run trains it here.`
        : saved ? `Opened ${savedName}: its nets sampled and measured again in ${secs} s; the figures match the file's.`
          : `Done in ${secs} s on ${eng}${m.out.result.sampling_engine.startsWith('gpu') ? ', which also ran the samplers' : ''}.`;
      if (shipped) { $('#train').textContent = 'Re-run'; $('#results').dataset.shipped = 'true'; }
      if (m.out.result.notes.length) $('#engine-note').textContent = `Note: ${m.out.result.notes.join('; ')}.`;
      $('#results').dataset.state = 'done';
    } else if (m.type === 'error') {
      if (saved) fail(`Open run ${savedName}: ${m.message}`, true); else fail(m.message);
    }
  };
  worker.onerror = (ev) => { ev.preventDefault(); fail(ev.message || 'the worker stopped'); };
  // A saved run trains nothing, but its sampling spreads over the same workers; a bad workers
  // field is refused for a run to train, and means one worker for a saved one.
  let workers = 1;
  try { workers = workersOf(); } catch (e) { if (!saved) throw e; }
  worker.postMessage({ spec: JSON.stringify(spec), workers, useGpu: engine.gpu, auto: !!engine.auto, loseGpuAfter: +(PAGE.get('lose-gpu-after') || 0), saved: saved || undefined,
    data: !saved && spec.dataset === 'csv' ? dataCsv.points : undefined });
}

// Your own samples: both files go to a worker, which reads, parses and measures them (the core's
// compareCsv); a bad file is named with its line and column, and what was shown stays.
function startOwn() {
  const [train, samples] = [$('#own-train').files[0], $('#own-samples').files[0]];
  const err = $('#own-error');
  err.textContent = '';
  if (!train || !samples) { err.textContent = `Choose ${train ? '' : 'a training-set file'}${!train && !samples ? ' and ' : ''}${samples ? '' : 'a samples file'}.`; return; }
  const kText = $('#own-k').value.trim();
  const k = kText === '' ? 0 : Number(kText);
  if (!Number.isInteger(k) || k < 1 && kText !== '') { err.textContent = `Hill's k: expected a positive integer or nothing, got "${kText}"`; return; }
  if (busy()) return;
  yieldLanding();
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  setRunning(true);
  const t0 = performance.now();
  $('#progress').value = 0;
  $('#progress-text').textContent = 'Reading your files…';
  const names = { train: train.name, samples: samples.name };
  worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'event' && m.event.kind === 'phase') $('#progress-text').textContent = `${m.event.phase[0].toUpperCase()}${m.event.phase.slice(1)}…`;
    else if (m.type === 'event' && m.event.kind === 'progress') $('#progress').value = m.event.iter / m.event.total;
    else if (m.type === 'compared') {
      finish();
      window.collapseLab.own = m.out.compared;
      const box = $('#own-view');
      ownView.render(box, m.out, names);
      box.dataset.state = 'done';
      box.scrollIntoView({ block: 'start' });
      $('#progress').value = 1;
      $('#progress-text').textContent = `Measured ${names.samples} against ${names.train} in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
    } else if (m.type === 'error') {
      finish();
      // The core names the file as train or samples; say which file that is.
      err.textContent = m.message.replace(/^(train|samples):/, (_, w) => `${names[w]}:`).replace(/^eps:/, 'Radii e:').replace(/^k:/, "Hill's k:") + '.';
      $('#progress-text').textContent = 'Stopped.';
    }
  };
  worker.onerror = (ev) => { ev.preventDefault(); finish(); err.textContent = ev.message || 'the worker stopped'; };
  worker.postMessage({ compare: { train, samples, eps: $('#own-eps').value, k, seed: 0, survivalEps: 0.05 } });
}

// A saved run's file: opened in the worker (checked there by the core), never half-applied.
async function openRun(file) {
  $('#run-error').textContent = '';
  if (busy()) return;
  if (file.size > 256 * 1024 * 1024) {
    $('#run-error').textContent = `Open run ${file.name}: ${(file.size / 2 ** 20).toFixed(0)} MB is more than a saved run can be (256 MB).`;
    return;
  }
  start(await file.text(), file.name);
}

function saveRunFile() {
  if (!lastOut) return;
  try {
    const text = saveRun(JSON.stringify(lastOut.result), lastOut.params || [], lastOut.data);
    download(`collapse-lab-run-seed${lastOut.result.spec.seed}.json`, new Blob([text], { type: 'application/json' }));
  } catch (e) {
    $('#run-error').textContent = `Save run: ${(e && e.message) || e}.`;
  }
}

// Stores a finished result under `k` and says so (`what`: "the run", "the study", ...).
function keep(k, out, what) {
  store.save(k, out).then((ok) => { if (ok) $('#stored-note').textContent = `Kept in this browser: reopening this link shows ${what} at once.`; });
}

// The key a single run is stored under: its canonical spec (the same run from the form, a file
// or the CLI has one key).
const runKey = (spec) => store.key(canonicalSpec(JSON.stringify(spec)));

// What defines a study or a generations run, as stored (its inputs as the core plans them).
const studyKey = (x) => store.key({ kind: 'study', pairs: x.pairs, axes: x.axes, seeds: x.seeds });
const genKey = (x) => store.key({ kind: 'generations', pairs: x.pairs, fresh: x.fresh, samplers: x.samplers, seeds: x.seeds });

// A stored study or generations run of the form, drawn at once (its button runs it again).
async function showStoredMany() {
  let k, view, draw, label, button;
  if (mode === 'generations') {
    let g;
    try { g = genInputs(); } catch { return false; }
    k = genKey(g); view = $('#generations-view'); draw = generationsView.render; label = 'generations'; button = '#run-generations';
  } else {
    k = studyKey({ pairs: JSON.stringify(formPairs()), axes: JSON.stringify(studyAxes()), seeds: Number(form.elements.seeds.value.trim()) });
    view = $('#study-view'); draw = studyView.render; label = 'study'; button = '#study';
  }
  const hit = await store.load(k);
  if (!hit || busy()) return false;
  if (label === 'study') window.collapseLab.study = hit.out; else window.collapseLab.generations = hit.out;
  draw(view, hit.out);
  view.hidden = false;
  view.dataset.state = 'done';
  view.dataset.stored = 'true';
  $('#progress').value = 1;
  $('#progress-text').textContent = `Shown from this browser's store: the ${label} of ${new Date(hit.saved).toLocaleString()}. ${$(button).textContent} runs it again.`;
  return true;
}

// A stored run of the form's spec, shown at once (Train runs it again). Resolves to whether
// there was one.
async function showStored(spec) {
  const hit = await store.load(runKey(spec));
  if (!hit || busy()) return false;
  lastOut = hit.out;
  takeCsv(hit.out, `the file of the stored run`);
  validate();
  window.collapseLab.last = hit.out;
  $('#run-view').hidden = false;
  render(hit.out);
  $('#progress').value = 1;
  const when = new Date(hit.saved).toLocaleString();
  $('#progress-text').textContent = `Shown from this browser's store: run ${when} on ${hit.out.result.engine}. Train runs it again.`;
  $('#train').textContent = 'Re-run';
  $('#results').dataset.state = 'done';
  $('#results').dataset.stored = 'true';
  return true;
}

// Where the shipped files come from (www/runs/provenance.json, written by
// scripts/make-gallery-runs.sh: the command, commit, machine, date and wall time of each).
let provenanceIndex = null;
let provenance = null;
async function shippedProvenance() {
  if (!provenanceIndex) {
    provenanceIndex = fetch(new URL('./runs/provenance.json', import.meta.url)).then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  }
  return provenanceIndex;
}

function provenanceText(id) {
  const p = provenance && provenance[id];
  if (!p) return `Trained by the lab's CLI and shipped with this page (${id}.json)`;
  const when = p.date ? p.date.slice(0, 10) : 'an unrecorded date';
  const wall = p.wall_s != null ? `, ${Math.round(p.wall_s)} s` : '';
  const machine = /^not recorded/.test(p.machine) ? 'machine not recorded' : p.machine;
  return `Trained by the lab's CLI (${p.command}; commit ${String(p.commit).slice(0, 7)}, ${when}${wall}, ${machine}) and shipped with this page`;
}

// The shipped run whose paper spec the form holds: the bare URL (the default experiment is
// fig2-chessboard's paper spec) and every unedited paper link of a shipped run.
function shippedFor(spec, presets, wanted) {
  const key = runKey(spec);
  for (const p of presets) {
    if (!p.shipped || (wanted && p.id !== wanted)) continue;
    const pairs = [...new URLSearchParams(p.paper)].filter(([k]) => !PAGE_PARAMS.includes(k));
    try {
      if (runKey(specFromPairs(JSON.stringify(pairs))) === key) return p;
    } catch { /* a preset the core refuses cannot match */ }
  }
  return null;
}

// The run shipped with the page for a gallery link at paper size (www/runs/ID.json, made by
// scripts/make-gallery-runs.sh), if the form's spec is still the file's: opened like a saved
// run (its nets sampled and measured again here, no training). Resolves to whether it started.
// The text of a file shipped with the page (www/runs/ID.json), with its provenance loaded;
// null where there is none.
async function shippedFile(id) {
  try {
    provenance = await shippedProvenance();
    const res = await fetch(new URL(`./runs/${encodeURIComponent(id)}.json`, import.meta.url));
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

async function openShipped(spec, id) {
  const text = await shippedFile(id);
  try {
    if (!text || runKey(JSON.parse(text).spec) !== runKey(spec)) return false;
  } catch {
    return false;
  }
  if (busy()) return false;
  start(text, `${id}.json`, true);
  return true;
}

// A gallery study or generations run at paper size whose file ships with the page
// (www/runs/ID.json, the CLI's `study --out` or `generations --out`, made by
// scripts/make-gallery-runs.sh): drawn at once, with where it comes from; one still being
// computed (runs missing) opens as partial and says so. Only the one the form describes opens
// (the same base run, axes and seeds). Resolves to whether it was shown.
async function openShippedMany(id) {
  const text = await shippedFile(id);
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  if (!v || !v.base || busy() || !validate()) return false;
  const generations = pageMode === 'generations';
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
  if (generations) window.collapseLab.generations = v; else window.collapseLab.study = v;
  (generations ? generationsView : studyView).render(view, v);
  view.hidden = false;
  $('#run-view').hidden = true;
  const planned = v.cells.length * v.seeds;
  const done = planned - v.missing.length;
  const what = generations ? 'chains' : 'runs';
  view.dataset.state = v.missing.length ? 'partial' : 'done';
  view.dataset.shipped = 'true';
  $('#progress').value = done / planned;
  $('#progress-text').textContent = `${provenanceText(id)}: ${done} of ${planned} ${what}`
    + (v.missing.length ? ` — partial: the other ${v.missing.length} are still being computed by the CLI and ship later.` : '.')
    + ` Press ${$(generations ? '#run-generations' : '#study').textContent} to compute it here.`;
  return true;
}

function finish() {
  if (worker) worker.terminate();
  worker = null;
  setRunning(false);
  validate();
}

function fail(message, plain = false) {
  finish();
  $('#run-error').textContent = (plain ? `${message}.` : `Run failed: ${message}.`) + (lastOut ? ' The previous results are still shown.' : '');
  $('#progress-text').textContent = 'Stopped.';
  if (lastOut) render(lastOut); else drawLoss([]);
  $('#results').dataset.state = lastOut ? 'done' : 'error';
}

function cancel() {
  if (study && study.workers.length) return cancelStudy();
  if (gens && gens.workers.length) return cancelGenerations();
  if (!worker) return;
  const at = liveLoss.length ? liveLoss[liveLoss.length - 1][0] : 0;
  finish();
  $('#progress-text').textContent = `Cancelled at iteration ${at}.` + (lastOut ? ' The previous results are still shown.' : '');
  if (lastOut) render(lastOut); else drawLoss([]);
}



// A study: the plan comes from the Rust core (the same as `collapse-lab study`), each run goes
// to one of several Web Workers (one net each, as many as the machine has cores), and the
// records are aggregated by the core again as they arrive.
function startStudy() {
  yieldLanding();
  const spec = validate();
  if (!spec || csvMissing()) return;
  mode = 'run';
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
  $('#run-error').textContent = '';
  // A study has its own view; the single-run views stay only if they hold a finished run.
  $('#run-view').hidden = !lastOut;
  $('#seesaw-view').hidden = !lastOut || $('#seesaw-view').hidden;
  const n = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, plan.runs.length, 16));
  study = { pairs, axes, seeds, records: [], queue: plan.runs.slice(), running: new Map(), workers: [], total: plan.runs.length, t0: performance.now() };
  const view = $('#study-view');
  view.dataset.state = 'running';
  setRunning(true);
  $('#progress').value = 0;
  const s = study;
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
    if (study !== s) return;
    draw();
    setRunning(false);
    validate();
    const secs = ((performance.now() - s.t0) / 1000).toFixed(1);
    $('#progress').value = 1;
    $('#progress-text').textContent = `Study done: ${s.total} runs in ${secs} s (${n} workers, CPU engine).`;
    view.dataset.state = 'done';
    if (!s.result.failed.length) keep(studyKey(s), s.result, 'the study');
  };
  const data = JSON.parse(pairs).some(([k, v]) => k === 'dataset' && v === 'csv') ? dataCsv.points : undefined;
  runBatch(s, n, (run) => ({ studyRun: JSON.stringify(run), data }), done, (w, m, next) => {
    if (study !== s) return;
    if (m.type === 'event' && m.event.kind === 'progress') { s.running.set(w.run, m.event.iter / m.event.total * 0.9); progress(); }
    else if (m.type === 'record') { s.running.delete(w.run); s.records.push(m.record); progress(); draw(); next(); }
    else if (m.type === 'error') { s.running.delete(w.run); s.records.push({ index: w.run, ...failedRecord(plan, w.run, m.message) }); draw(); next(); }
  });
  progress();
  studyView.render(view, studyAggregate(pairs, axes, seeds, '[]'));
}

function cancelStudy() {
  const s = study;
  for (const w of s.workers) w.terminate();
  s.workers = [];
  setRunning(false);
  validate();
  $('#progress-text').textContent = `Study cancelled: ${s.records.length} of ${s.total} runs done; their results stay.`;
  $('#study-view').dataset.state = 'cancelled';
  study = { ...s, workers: [] };
  if (s.records.length) studyView.render($('#study-view'), studyAggregate(s.pairs, s.axes, s.seeds, JSON.stringify(s.records)));
}

// A generations run: the chains come from the Rust core's plan (as `collapse-lab generations`),
// each chain runs in one of several Web Workers, and every finished generation is drawn at once.
// Cancel keeps every generation already done.
function startGenerations() {
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
  mode = 'generations';
  updateShare();
  $('#run-error').textContent = '';
  $('#run-view').hidden = !lastOut;
  $('#seesaw-view').hidden = !lastOut || $('#seesaw-view').hidden;
  const n = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, plan.runs.length, 16));
  const perChain = plan.base.recursion.generations + 1;
  gens = { ...g, plan, records: [], partial: new Map(), running: new Map(), queue: plan.runs.slice(), workers: [], total: plan.runs.length, t0: performance.now() };
  const s = gens;
  const view = $('#generations-view');
  view.dataset.state = 'running';
  setRunning(true);
  $('#progress').value = 0;
  const progress = () => {
    let done = s.records.length * perChain;
    for (const [i, frac] of s.running) done += (s.partial.get(i)?.generations.length || 0) + frac;
    const frac = done / (s.total * perChain);
    $('#progress').value = frac;
    const el = (performance.now() - s.t0) / 1000;
    const eta = frac > 0.02 ? el / frac - el : NaN;
    const gensDone = s.records.length * perChain + [...s.running.keys()].reduce((a, i) => a + (s.partial.get(i)?.generations.length || 0), 0);
    $('#progress-text').textContent = `Generations: ${gensDone} of ${s.total * perChain} generations done (${s.records.length} of ${s.total} chains), ${s.running.size} running in ${n} workers · ${el.toFixed(0)} s`
      + (Number.isFinite(eta) ? ` · ETA ${eta.toFixed(0)} s` : '');
  };
  const draw = () => {
    const live = [...s.partial.entries()].filter(([i]) => s.running.has(i)).map(([i, c]) => chainRecord(JSON.stringify(plan.runs[i]), JSON.stringify(c), ''));
    s.result = generationsAggregate(s.pairs, s.fresh, s.samplers, s.seeds, JSON.stringify(s.records.concat(live)));
    window.collapseLab.generations = s.result;
    generationsView.render(view, s.result);
  };
  s.draw = draw;
  const done = () => {
    if (gens !== s) return;
    draw();
    setRunning(false);
    validate();
    const secs = ((performance.now() - s.t0) / 1000).toFixed(1);
    $('#progress').value = 1;
    const stopped = s.records.filter((r) => r.error).length;
    $('#progress-text').textContent = `Generations done: ${s.total} chains × ${perChain} generations in ${secs} s (${n} workers, CPU engine)` + (stopped ? `; ${stopped} chain(s) stopped early` : '') + '.';
    view.dataset.state = 'done';
    if (!stopped) keep(genKey(s), s.result, 'the generations');
  };
  runBatch(s, n, (run) => ({ chainRun: JSON.stringify(run) }), done, (w, m, next) => {
    if (gens !== s) return;
    if (m.type === 'event' && m.event.kind === 'progress') { s.running.set(w.run, 0.8 * m.event.iter / m.event.total); progress(); }
    else if (m.type === 'event' && m.event.kind === 'chain') { s.partial.set(w.run, m.event.chain); s.running.set(w.run, 0); progress(); draw(); }
    else if (m.type === 'record') { s.running.delete(w.run); s.records.push(m.record); progress(); draw(); next(); }
    else if (m.type === 'error') {
      // A chain that fails or whose worker stops keeps the generations it reported.
      s.running.delete(w.run);
      const c = s.partial.get(w.run);
      s.records.push(c ? chainRecord(JSON.stringify(plan.runs[w.run]), JSON.stringify(c), m.message) : { index: w.run, ...failedRecord(plan, w.run, m.message) });
      draw(); next();
    }
  });
  progress();
  view.hidden = false;
  view.scrollIntoView({ block: 'start' });
}

function cancelGenerations() {
  const s = gens;
  for (const w of s.workers) w.terminate();
  s.workers = [];
  // The chains in flight keep the generations they finished.
  for (const i of s.running.keys()) {
    const c = s.partial.get(i);
    if (c) s.records.push(chainRecord(JSON.stringify(s.plan.runs[i]), JSON.stringify(c), `cancelled after generation ${c.generations.length - 1}`));
  }
  s.running.clear();
  setRunning(false);
  validate();
  const kept = s.records.reduce((a, r) => a + (r.result?.generations?.length || 0), 0);
  $('#progress-text').textContent = `Generations cancelled: ${kept} finished generations of ${s.records.length} chains kept.`;
  $('#generations-view').dataset.state = 'cancelled';
  gens = { ...s, workers: [] };
  if (s.records.length) {
    s.result = generationsAggregate(s.pairs, s.fresh, s.samplers, s.seeds, JSON.stringify(s.records));
    window.collapseLab.generations = s.result;
    generationsView.render($('#generations-view'), s.result);
  }
}

// A study or generations JSON from the CLI (`study --out`, `study --collect DIR` after a Slurm
// run, `generations --out`): checked for its shape, then drawn by the same views.
async function openResults(file) {
  $('#run-error').textContent = '';
  let v;
  try {
    if (file.size > 256 * 1024 * 1024) throw new Error(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB; the page opens files up to 256 MB`);
    v = JSON.parse(await file.text());
    const ok = v && Array.isArray(v.axes) && Array.isArray(v.cells) && Array.isArray(v.runs) && Number.isInteger(v.seeds) && v.base && typeof v.base === 'object';
    if (!ok) throw new Error('expected the JSON of collapse-lab study or generations (axes, cells, runs, seeds, base)');
    const isGen = v.axes.some((a) => a.name === 'fresh') && v.base.recursion;
    if (isGen && !v.runs.every((r) => Array.isArray(r.generations))) throw new Error('a generations JSON whose runs have no generations');
    if (!isGen && !v.cells.every((c) => c.settings && c.metrics)) throw new Error('a study JSON whose cells have no settings or metrics');
    if (isGen) {
      const box = $('#generations-view');
      generationsView.render(box, v);
      box.dataset.state = 'opened';
      window.collapseLab.generations = v;
      box.scrollIntoView({ block: 'start' });
    } else {
      const box = $('#study-view');
      studyView.render(box, v);
      box.dataset.state = 'opened';
      window.collapseLab.study = v;
      box.scrollIntoView({ block: 'start' });
    }
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








async function main() {
  try {
    await init();
  } catch (e) {
    $('#engine-note').textContent = `This browser could not load the lab's WebAssembly: ${e}`;
    return;
  }
  const params = new URLSearchParams(location.search);
  if (params.has('embed')) document.body.classList.add('embed');
  KINDS = samplerKinds();
  runView.setKinds(KINDS);
  studyView.setFindings((st) => studyFindings(JSON.stringify(st)));
  buildFromTable();
  buildSamplerControls();
  const pageErrors = [];
  const presets = gallery();
  galleryView.render($('#presets'), presets, galleryPath());
  const rec = (id) => presets.find((x) => x.id === id);
  $('#gen-quick').href = `?${rec('rec-fig1').quick}&autorun=1`;
  $('#gen-ode').href = `?${rec('rec-ode-vs-sde').quick}&autorun=1`;
  $('#gen-paper').href = `?${rec('rec-fig1').paper}`;
  if (params.has('preset')) {
    const p = presets.find((x) => x.id === params.get('preset'));
    if (p) galleryView.note($('#preset-note'), p, params.get('size') === 'paper' ? 'paper' : 'quick');
    else pageErrors.push(`preset: unknown preset "${params.get('preset')}"; known: ${presets.map((x) => x.id).join(', ')}`);
  }
  if (params.has('size') && !['quick', 'paper'].includes(params.get('size'))) pageErrors.push(`size: expected quick or paper, got "${params.get('size')}"`);
  fillForm(defaultSpec());
  applyParams(params);
  form.elements.workers.placeholder = String(workersWanted());
  if (params.has('workers')) form.elements.workers.value = params.get('workers');
  for (const t of document.querySelectorAll('#modes [role=tab]')) t.addEventListener('click', () => setMode(t.dataset.mode));
  $('#more-toggle').addEventListener('click', () => showMore(!form.classList.contains('show-more')));
  setMode(params.get('view') === 'generations' || mode === 'generations' ? 'generations' : params.getAll('vary').length ? 'study' : 'run');
  if (moreDiffersFromDefault()) showMore(true);
  const groups = [...form.querySelectorAll('fieldset[data-group]')].map((f) => f.dataset.group);
  const known = [...new Set([...groups, ...FORM_FIELDS, ...FORM_BOOLS, 'samplers', 'steps', 'vary1', 'vary2', 'seeds', ...GEN_FIELDS, ...GEN_BOOLS])];
  const classroomErrors = pageErrors.concat(applyClassroom(form, params, known));
  reportHeight();
  chooseEngine(GPU_MODE).then((e) => { if (!worker) $('#engine-note').textContent = e.note; });
  form.addEventListener('input', validate);
  form.addEventListener('change', validate);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); start(); });
  $('#cancel').addEventListener('click', cancel);
  $('#study').addEventListener('click', startStudy);
  $('#run-generations').addEventListener('click', startGenerations);
  $('#export-json').addEventListener('click', () => exportJson(lastOut));
  $('#torch-script').addEventListener('click', exportTorchScript);
  $('#export-tid').addEventListener('click', () => exportTid(lastOut));
  $('#export-samples').addEventListener('click', () => exportSamples(lastOut));
  $('#save-run').addEventListener('click', saveRunFile);
  $('#own-run').addEventListener('click', startOwn);
  $('#data-csv-file').addEventListener('change', (ev) => { if (ev.target.files[0]) loadCsv(ev.target.files[0]); ev.target.value = ''; });
  $('#open-run').addEventListener('change', (ev) => { if (ev.target.files[0]) openRun(ev.target.files[0]); ev.target.value = ''; });
  $('#forget-runs').addEventListener('click', async () => { await store.clear(); $('#stored-note').textContent = 'Stored runs forgotten.'; });
  // PNG links appear under every chart, whichever view drew it.
  new MutationObserver(() => pngLinks($('#results'))).observe($('#results'), { childList: true, subtree: true });
  pngLinks($('#results'));
  $('#open-json').addEventListener('change', (ev) => { if (ev.target.files[0]) openResults(ev.target.files[0]); });
  drawLoss([]);
  lineChart($('#tid'), [], { xlabel: 'e', ylabel: 'TID' });
  pngLinks($('#results'));
  const spec = validate();
  if (classroomErrors.length) $('#page-error').textContent = classroomErrors.join('; ') + '.';
  window.collapseLab = { tidCurve, ready: true };
  if (params.get('view') === 'hermite') {
    const box = $('#hermite-view');
    box.hidden = false;
    hermiteView.render(box, hermiteSeesaw);
    box.scrollIntoView();
  }
  // A single run kept in this browser shows at once, instead of running again.
  const single = mode === 'run' && !studyAxes().length;
  const stored = spec && params.get('view') !== 'hermite' ? await (single ? showStored(spec) : showStoredMany()) : false;
  // A gallery link at paper size whose trained run ships with the page: sampled here at once.
  const match = !stored && single && spec && params.get('view') !== 'hermite' ? shippedFor(spec, presets, params.get('preset')) : null;
  if (match && !params.has('preset')) galleryView.note($('#preset-note'), match, 'paper');
  const shipped = match ? await openShipped(spec, match.id)
    : !stored && spec && ['study', 'generations'].includes(pageMode) && params.get('size') === 'paper'
      && presets.some((p) => p.id === params.get('preset') && p.shipped) && await openShippedMany(params.get('preset'));
  document.body.dataset.ready = 'true';
  if (spec && params.get('autorun') === '1' && !stored && !shipped) {
    if (params.get('view') === 'generations') { if (!$('#run-generations').disabled) startGenerations(); }
    else if (studyAxes().length) { if (!$('#study').disabled) startStudy(); } else start();
  }
}

main();
