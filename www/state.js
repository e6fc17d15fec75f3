// The page's shared state, in one place: the tables read from the Rust core once the wasm has
// loaded (T), what is running or shown now (S), and the page settings of the address bar. Every
// part of the page (settings, controls, runners, landing) reads and writes these, nothing else.

export const $ = (sel) => document.querySelector(sel);
export const form = $('#controls');

// The core's tables (filled by settings.js's buildFromTable and app.js's main).
export const T = {
  // The settings table of the Rust core (the CLI's flags, the URL's parameters): the form's
  // fields are the settings with a control of that name.
  SETTINGS: [], // [{name, field, kind, help, choices}]
  FORM_FIELDS: [], // single-run settings with a text field or a choice
  FORM_BOOLS: [], // single-run settings with a checkbox
  KINDS: [], // [{name, default_steps, stochastic}]
  FEW_NEIGHBOURS: 0.1, // neighbours per data point below which TID at a radius is noise (metrics::tid)
  // The page's own parameters (not settings of the experiment).
  PAGE_PARAMS: [],
  // A study's plan inputs (its axes and seeds per cell).
  STUDY_PARAMS: [],
  // A generations run (recursive training): its form fields (its plan inputs, fresh and
  // gen-sampler being lists, one chain each, gen-seeds the chains per value, and the recursion
  // settings with a text control), its checkboxes, and the recursion settings without a control.
  GEN_FIELDS: [],
  GEN_BOOLS: [],
  GEN_EXTRA: [],
  // Page settings that stay in the address bar and in the share link (a class shares one view).
  SHARED: [],
  WORKERS_MAX: 16, // the most Web Workers the page runs at once
  TOGETHER: 8, // on WebGPU, the most nets a study's worker trains side by side (study::share::jobs)
  TOGETHER_MAX: 64,
};
// Read once: the address bar is rewritten as the form changes.
export const PAGE = new URLSearchParams(location.search);
export const GPU_MODE = { 1: 'on', true: 'on', 0: 'off', false: 'off', time: 'time' }[PAGE.get('gpu')] || 'auto';

export const S = {
  mode: 'run', // what the share link reproduces: 'run' (or a study) or 'generations'
  // The page's mode (its tab): 'run' (one experiment), 'study', 'generations' or 'own' (your
  // own samples); each shows its own settings and its own action in the toolbar.
  pageMode: 'run',
  extraPairs: [], // spec settings from the URL that have no control (steps, k, repeats, ...)
  // The gallery entry the link opened ({id, size, q: the share query it opened with}): the
  // address bar and the share link keep naming it while the form holds those settings.
  preset: null,
  genExtra: [], // recursion settings from the URL that have no control
  extraVary: [], // a third and further axes from the URL (the form shows two)
  worker: null, // the single run's worker (`landing`: it samples the result a link opens)
  study: null, // {plan inputs, workers, records, result} while a study runs or after it
  gens: null, // {plan inputs, workers, records, partial chains, result} while generations run or after
  lastOut: null, // the single run shown
  liveLoss: [],
  // The csv data set's file as read in a worker: {name, setting, rows, dim, points}. The form's
  // `csv` setting names it (FINGERPRINT:ROWSxDIM); the points go to the worker with every run.
  dataCsv: null,
};
