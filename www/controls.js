// The form's state on screen: checked as it is edited (its message names the field), the
// buttons of the toolbar enabled as the page is busy or not, the page's modes (tabs), and the
// boxes a data set brings (the painter, Load CSV).
import { generationsPlan, specFromPairs, studyPlan } from '../collapse-lab.js';
import { formPairs, genInputs, showMore, studyAxes, updateShare, workersOf } from './settings.js';
import { $, S, form } from './state.js';
import * as painterView from './views/painter.js';

// Switches the page's mode: its tab, its settings, its action in the toolbar.
export function setMode(m) {
  S.pageMode = m;
  document.body.dataset.mode = m;
  for (const t of document.querySelectorAll('#modes [role=tab]')) t.setAttribute('aria-selected', String(t.dataset.mode === m));
  for (const b of document.querySelectorAll('#toolbar [data-for]')) b.hidden = b.dataset.for !== m;
  // The idle prompt names the button this view shows.
  const prompt = $('#progress-text');
  const button = document.querySelector(`#toolbar [data-for="${m}"]`);
  if (button && /^Press .* to start\.$/.test(prompt.textContent)) prompt.textContent = `Press ${button.textContent} to start.`;
  S.mode = m === 'generations' ? 'generations' : 'run';
  validate();
}

// The shipped or stored result a link opens on landing is sampled again in a worker; that
// worker never blocks the visitor: any action (Train, Open run, a study ...) stops it first.
export function yieldLanding() {
  if (!S.worker || !S.worker.landing) return;
  S.worker.terminate();
  S.worker = null;
  // A shipped run's check stopped for the visitor's own work: its figures stay the file's.
  if ($('#results').dataset.checked === 'pending') {
    $('#results').dataset.checked = 'stopped';
    $('#figures-source').textContent =
      "Every figure below is drawn from the file shipped with this page (sampled by the lab's CLI); its check here was stopped for your run.";
  }
  setRunning(false);
}

export function busy() {
  return (S.worker !== null && !S.worker.landing) || Boolean(S.study && S.study.workers.length) || Boolean(S.gens && S.gens.workers.length);
}

// The painter shows with the painted data set (and writes a first grid if there is none).
export function showPainter() {
  $('#dim-label').hidden = form.elements.dataset.value !== 'mog-nd';
  const box = $('#painter');
  const on = form.elements.dataset.value === 'painted';
  const input = form.elements.painted;
  // Drawn again when the grid changed from outside the painter (a URL, an opened run).
  if (on && box.dataset.value !== input.value) {
    box.dataset.value = input.value;
    painterView.render(box, input, {
      changed: () => {
        box.dataset.value = input.value;
        validate();
      },
    });
  }
  box.hidden = !on;
}

// The Load CSV box shows with the csv data set. Resolves to what blocks a run: nothing when the
// file the form names is loaded, else what to load (a link names its file but cannot carry it).
export function csvMissing() {
  const on = form.elements.dataset.value === 'csv';
  $('#data-csv').hidden = !on;
  if (!on) return '';
  const named = form.elements.csv.value.trim();
  const note = $('#data-csv-note');
  if (S.dataCsv && S.dataCsv.setting === named) {
    note.textContent = `${S.dataCsv.name}: ${S.dataCsv.rows} rows × ${S.dataCsv.dim}, fingerprint ${named.split(':')[0]}. Its rows are the training set; TID's floor compares n held-out rows with references drawn from the others.`;
    return '';
  }
  const m = /^([0-9a-f]{16}):(\d+)x(\d+)$/.exec(named);
  note.textContent = m
    ? `This link trains on a CSV file of ${m[2]} rows × ${m[3]} (fingerprint ${m[1]}); a link cannot carry the file.`
    : 'Choose a CSV file of points, one per row.';
  return m ? `csv: load the CSV file this run names (${m[2]} rows × ${m[3]}, fingerprint ${m[1]}) with Load CSV` : '';
}

export function validate() {
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
    const el =
      field &&
      (form.elements[field] ||
        (field === 'samplers' && form.querySelector('input[name=sampler]')) ||
        (field === 'steps' && form.querySelector('input[name^=steps-]')));
    if (el && el.setAttribute) el.setAttribute('aria-invalid', 'true');
    if (el && el.closest && el.closest('.more')) showMore(true);
    $('#form-error').textContent = (e && e.text) || String(e);
    $('#train').disabled = true;
    $('#run-generations').disabled = true;
    return null;
  }
}

// `landing`: the result a link opens is being sampled again; the form stays usable.
export function setRunning(running, landing = false) {
  $('#results').dataset.state = running ? 'running' : S.lastOut ? 'done' : 'idle';
  if (landing) return;
  $('#train').disabled = running;
  $('#study').disabled = running;
  $('#run-generations').disabled = running;
  $('#own-run').disabled = running;
  $('#cancel').disabled = !running;
  for (const el of form.elements) if (el.tagName !== 'BUTTON') el.disabled = running || el.dataset.locked === 'true';
}
