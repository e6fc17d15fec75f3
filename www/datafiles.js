// The csv data set's file: read and checked in a worker, and taken back from a stored or opened
// run that holds its points.
import { settingsOf } from '../collapse-lab.js';
import { busy, validate } from './controls.js';
import { $, S, form } from './state.js';
import { spawnWorker } from './workers.js';

// Reads the csv data set's file in a worker (a bad file is named with its line and column, and
// the form keeps what it had); the form then names it, with n samples at most half its rows.
export function loadCsv(file) {
  if (busy()) return;
  const note = $('#data-csv-note');
  note.textContent = `Reading ${file.name}…`;
  const w = spawnWorker();
  const stop = (text) => {
    w.terminate();
    note.textContent = text;
    note.classList.add('error');
  };
  w.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'event' && m.event.kind === 'progress') note.textContent = `Reading ${file.name}: ${Math.round((100 * m.event.iter) / m.event.total)}%`;
    else if (m.type === 'csv') {
      w.terminate();
      note.classList.remove('error');
      S.dataCsv = { name: file.name, ...m.out };
      form.elements.csv.value = m.out.setting;
      const n = form.elements['n-samples'];
      const fits = Number(n.value) * 2 <= m.out.rows;
      if (!fits) n.value = String(Math.floor(m.out.rows / 2));
      validate();
      if (!fits) note.textContent += ` Samples per sampler set to ${n.value}, half its rows.`;
    } else if (m.type === 'error') stop(`${file.name}: ${m.message.replace(/^csv: /, '')}.`);
  };
  w.onerror = (ev) => {
    ev.preventDefault();
    stop(`${file.name}: ${ev.message || 'the worker stopped'}.`);
  };
  w.postMessage({ readCsv: file });
}

// A run's CSV points (a stored or opened run holds them) become the loaded file, so Re-run works.
export function takeCsv(out, name) {
  const spec = out.result.spec;
  if (!out.data || !spec.csv) return;
  const setting = Object.fromEntries(settingsOf(JSON.stringify(spec), false)).csv;
  S.dataCsv = { name, setting, rows: spec.csv.rows, dim: spec.csv.dim, points: out.data };
}
