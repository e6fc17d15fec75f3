// The form <-> spec <-> URL, all from the Rust core's settings table (the CLI's flags, the URL's
// parameters): the page parses and prints no setting itself. The form's fields are the
// settings with a control of that name; the share link writes back what differs from the
// defaults (and the classroom settings); a generations run and a study read their plan inputs
// from the same form.
import { defaultSpec, pageParams, settingsOf, settingsTable, specFromPairs } from '../collapse-lab.js';
import { COLORS, LABELS } from './plots.js';
import { workersWanted } from './pool.js';
import { $, PAGE, S, T, form } from './state.js';

// One checkbox and one steps field per sampler, built from the core's list.
export function buildSamplerControls() {
  const box = $('#sampler-list');
  for (const k of T.KINDS) {
    const row = document.createElement('div');
    row.className = 'row';
    row.innerHTML =
      `<label><input type="checkbox" name="sampler" value="${k.name}"> <span class="swatch" style="background:${COLORS[k.name]}"></span>${LABELS[k.name]}${k.stochastic ? '' : ' (det.)'}</label>` +
      `<input type="text" name="steps-${k.name}" inputmode="numeric" aria-label="${LABELS[k.name]} steps" title="steps">`;
    box.append(row);
  }
}

export function stepsOf(spec, name) {
  return spec.sampling.steps[name] ?? T.KINDS.find((k) => k.name === name).default_steps;
}

// The form's text for a spec: the core's print direction of the settings table, read back by
// specFromPairs into the same spec.
export function formValues(spec) {
  const v = Object.fromEntries(settingsOf(JSON.stringify(spec), false));
  v['data-size'] ??= '';
  v.dim ??= String(spec.dim); // shown, though only mog-nd reads it
  v.steps = T.KINDS.map((k) => `${k.name}=${stepsOf(spec, k.name)}`).join(',');
  return v;
}

// Builds the form's choices from the table and files every setting's help as its tooltip.
export function buildFromTable() {
  T.SETTINGS = settingsTable();
  const recursion = (x) => x.field.startsWith('recursion.');
  for (const x of T.SETTINGS) {
    const el = form.elements[x.name];
    if (el && el.tagName === 'SELECT') el.replaceChildren(...x.choices.map((c) => new Option(c, c)));
    const label = el && el.closest && el.closest('label');
    if (label && !label.title) label.title = x.help;
  }
  const control = (x) => form.elements[x.name] && form.elements[x.name].tagName;
  T.FORM_FIELDS = T.SETTINGS.filter((x) => !recursion(x) && x.kind !== 'bool' && control(x)).map((x) => x.name);
  T.FORM_BOOLS = T.SETTINGS.filter((x) => !recursion(x) && x.kind === 'bool' && control(x)).map((x) => x.name);
  T.GEN_EXTRA = T.SETTINGS.filter((x) => recursion(x) && !control(x)).map((x) => x.name);
  const params = pageParams();
  T.PAGE_PARAMS = params.page;
  T.SHARED = params.shared;
  T.WORKERS_MAX = params.workers_max;
  T.TOGETHER = params.together;
  T.TOGETHER_MAX = params.together_max;
  T.STUDY_PARAMS = params.plan.filter((x) => x.of === 'study').map((x) => x.name);
  const gen = new Set(
    params.plan
      .filter((x) => x.of === 'generations')
      .map((x) => x.name)
      .concat(T.SETTINGS.filter((x) => recursion(x) && x.kind !== 'bool' && control(x)).map((x) => x.name)),
  );
  // In the form's order, which the share link keeps.
  T.GEN_FIELDS = [...form.querySelectorAll('#generations-controls input:not([type=checkbox])')].map((el) => el.name).filter((n) => gen.has(n));
  T.GEN_BOOLS = T.SETTINGS.filter((x) => recursion(x) && x.kind === 'bool' && control(x)).map((x) => x.name);
}

export function fillForm(spec) {
  const v = formValues(spec);
  for (const k of T.FORM_FIELDS) form.elements[k].value = v[k] ?? '';
  for (const k of T.FORM_BOOLS) form.elements[k].checked = v[k] === 'true';
  for (const box of form.querySelectorAll('input[name=sampler]')) box.checked = spec.sampling.samplers.includes(box.value);
  for (const k of T.KINDS) form.elements[`steps-${k.name}`].value = stepsOf(spec, k.name);
}

export function formPairs() {
  const pairs = [];
  const dataset = form.elements.dataset.value;
  for (const k of T.FORM_FIELDS) {
    // A setting of one data set only (dim of mog-nd, the painted grid, the CSV file) goes with
    // that data set only: elsewhere the core refuses it rather than ignoring it.
    const only = T.SETTINGS.find((x) => x.name === k).dataset;
    if (only && only !== dataset) continue;
    const v = String(form.elements[k].value).trim();
    if (v !== '') pairs.push([k, v]);
  }
  for (const k of T.FORM_BOOLS) pairs.push([k, String(form.elements[k].checked)]);
  const samplers = [...form.querySelectorAll('input[name=sampler]:checked')].map((b) => b.value);
  pairs.push(['samplers', samplers.join(',')]);
  pairs.push(['steps', T.KINDS.map((k) => `${k.name}=${String(form.elements[`steps-${k.name}`].value).trim()}`).join(',')]);
  return pairs.concat(S.extraPairs);
}

// The URL's mistakes, each naming its parameter (one rule with the CLI, which refuses the same):
// a parameter given twice (only vary may repeat), a setting's value the core refuses (an
// unknown data set, a sampler listed twice, a seed past what a browser holds exactly), and a
// page parameter outside its values. `given`: the link as typed; `params`: with a gallery
// entry's settings merged in.
export function urlErrors(given, params) {
  const errors = [];
  const names = [...new Set(given.keys())];
  for (const k of names)
    if (k !== 'vary' && given.getAll(k).length > 1) errors.push(`${k}: given ${given.getAll(k).length} times (${given.getAll(k).join(', ')}); give it once`);
  const settings = [...params].filter(([k]) => T.SETTINGS.some((x) => x.name === k) && k !== 'fresh' && k !== 'gen-sampler');
  try {
    specFromPairs(JSON.stringify(settings));
  } catch (e) {
    errors.push(e && e.field ? `${e.field}: ${e.message}` : String(e && e.message ? e.message : e));
  }
  const oneOf = { autorun: ['0', '1'], gpu: ['auto', '1', '0', 'true', 'false', 'time'], view: ['verdicts', 'hermite', 'generations'] };
  for (const [k, values] of Object.entries(oneOf)) {
    if (params.has(k) && !values.includes(params.get(k))) errors.push(`${k}: expected ${values.join(', ')}, got "${params.get(k)}"`);
  }
  const count = (k, lo, hi) => {
    if (!params.has(k)) return;
    const v = params.get(k);
    if (!/^\d+$/.test(v) || +v < lo || +v > hi) errors.push(`${k}: expected an integer in ${lo}..=${hi}, got "${v}"`);
  };
  count('together', 1, T.TOGETHER_MAX);
  count('lose-gpu-after', 0, 1e9);
  return errors;
}

// URL parameters onto the form; the ones without a control are kept aside.
export function applyParams(params) {
  S.extraPairs = [];
  S.genExtra = [];
  const vary = params.getAll('vary');
  form.elements.vary1.value = vary[0] || '';
  form.elements.vary2.value = vary[1] || '';
  S.extraVary = vary.slice(2);
  if (params.has('seeds')) form.elements.seeds.value = params.get('seeds');
  for (const [k, v] of params) {
    if (T.PAGE_PARAMS.includes(k) || T.STUDY_PARAMS.includes(k)) continue;
    if (T.GEN_FIELDS.includes(k)) {
      form.elements[k].value = v;
      S.mode = 'generations';
      continue;
    }
    if (T.GEN_BOOLS.includes(k)) {
      form.elements[k].checked = ['', '1', 'true', 'yes'].includes(v.trim());
      S.mode = 'generations';
      continue;
    }
    if (T.GEN_EXTRA.includes(k)) {
      S.genExtra.push([k, v]);
      S.mode = 'generations';
      continue;
    }
    if (T.FORM_FIELDS.includes(k)) form.elements[k].value = v;
    else if (T.FORM_BOOLS.includes(k)) form.elements[k].checked = ['', '1', 'true', 'yes'].includes(v.trim());
    else if (k === 'samplers')
      for (const box of form.querySelectorAll('input[name=sampler]'))
        box.checked = v
          .split(',')
          .map((x) => x.trim())
          .includes(box.value);
    else if (k === 'steps' && v.split(',').every((p) => form.elements[`steps-${p.split('=')[0].trim()}`] && p.includes('='))) {
      for (const p of v.split(',')) {
        const [n, x] = p.split('=');
        form.elements[`steps-${n.trim()}`].value = x.trim();
      }
    } else S.extraPairs.push([k, v]);
  }
}

// The generations run of the form: the base settings with the recursion ones, the lists of a
// and samplers (the chains), and the seeds per chain.
export function genInputs() {
  const list = (k) =>
    form.elements[k].value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  // The single run's training-set size and see-saw diagnostics do not apply to generations.
  const pairs = formPairs().filter(([k]) => k !== 'data-size' && k !== 'diagnostics');
  for (const k of ['generations', 'gen-size']) pairs.push([k, form.elements[k].value.trim()]);
  pairs.push(['warm-start', String(form.elements['warm-start'].checked)]);
  const seeds = Number(form.elements['gen-seeds'].value.trim());
  if (!Number.isInteger(seeds)) throw { field: 'gen-seeds', text: `gen-seeds: expected an integer, got "${form.elements['gen-seeds'].value}"` };
  return { pairs: JSON.stringify(pairs.concat(S.genExtra)), fresh: JSON.stringify(list('fresh')), samplers: JSON.stringify(list('gen-sampler')), seeds };
}

export function studyAxes() {
  if (S.pageMode !== 'study') return [];
  return [form.elements.vary1.value, form.elements.vary2.value]
    .map((v) => v.trim())
    .filter(Boolean)
    .concat(S.extraVary);
}

// "More settings": the controls beyond a first run's (data set, width, iterations, seed,
// samplers) are folded away unless opened, or unless a link sets one of them.
export function showMore(on) {
  form.classList.toggle('show-more', on);
  $('#more-toggle').setAttribute('aria-expanded', String(on));
}

export function moreDiffersFromDefault() {
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
export function workersOf() {
  const text = form.elements.workers.value.trim();
  const n = workersWanted(text);
  if (!Number.isInteger(n) || n < 1 || n > T.WORKERS_MAX)
    throw { field: 'workers', text: `workers: expected an integer in 1..=${T.WORKERS_MAX}, got "${text}"` };
  return n;
}

export function updateShare() {
  const def = formValues(defaultSpec());
  let q = new URLSearchParams();
  for (const [k, v] of formPairs()) if (String(def[k] ?? '') !== v) q.set(k, v);
  for (const a of studyAxes()) q.append('vary', a);
  if (studyAxes().length) q.set('seeds', form.elements.seeds.value.trim());
  if (S.mode === 'generations') {
    for (const k of T.GEN_FIELDS) q.set(k, form.elements[k].value.trim());
    if (form.elements['warm-start'].checked) q.set('warm-start', 'true');
    for (const [k, v] of S.genExtra) q.set(k, v);
    q.set('view', 'generations');
  }
  for (const k of T.SHARED) if (PAGE.has(k)) q.set(k, PAGE.get(k));
  if (form.elements.workers.value.trim()) q.set('workers', form.elements.workers.value.trim());
  // A gallery link keeps naming its entry (preset, size) while the form holds the settings it
  // opened with, so that reloading or sharing it opens the figure again, its shipped file
  // included; a changed setting drops them (the figure's note would no longer hold).
  if (S.preset) {
    S.preset.q ??= q.toString();
    if (q.toString() === S.preset.q) q = new URLSearchParams([['preset', S.preset.id], ...(S.preset.size === 'paper' ? [['size', 'paper']] : []), ...q]);
  }
  const url = `${location.pathname}${q.toString() ? '?' + q : ''}`;
  $('#share').href = url;
  // Page settings other than autorun stay in the address bar (the engine ones not in the share link).
  const keep = ['gpu', 'lose-gpu-after'].filter((k) => PAGE.has(k)).map((k) => `${k}=${encodeURIComponent(PAGE.get(k))}`);
  history.replaceState(null, '', url + (keep.length ? (q.toString() ? '&' : '?') + keep.join('&') : ''));
}
