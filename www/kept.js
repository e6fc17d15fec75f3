// Results kept in this browser (www/store.js) and the results shipped with the page
// (www/runs/ID.json with www/runs/provenance.json): their keys, and where they come from.
import { canonicalSpec } from '../collapse-lab.js';
import { $ } from './state.js';
import * as store from './store.js';

// Stores a finished result under `k` and says so (`what`: "the run", "the study", ...).
export function keep(k, out, what) {
  store.save(k, out).then((ok) => {
    if (ok) $('#stored-note').textContent = `Kept in this browser: reopening this link shows ${what} at once.`;
  });
}

// The key a single run is stored under: its canonical spec (the same run from the form, a file
// or the CLI has one key).
export const runKey = (spec) => store.key(canonicalSpec(JSON.stringify(spec)));

// What defines a study or a generations run, as stored (its inputs as the core plans them).
export const studyKey = (x) => store.key({ kind: 'study', pairs: x.pairs, axes: x.axes, seeds: x.seeds });

export const genKey = (x) => store.key({ kind: 'generations', pairs: x.pairs, fresh: x.fresh, samplers: x.samplers, seeds: x.seeds });

// Where the shipped files come from (www/runs/provenance.json, written by
// scripts/make-gallery-runs.sh: the command, commit, machine, date and wall time of each):
// loading, and loaded.
let provenanceIndex = null;
let provenance = null;

export async function shippedProvenance() {
  if (!provenanceIndex) {
    provenanceIndex = fetch(new URL('./runs/provenance.json', import.meta.url))
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}));
  }
  return provenanceIndex;
}

export function provenanceText(id) {
  const p = provenance && provenance[id];
  if (!p) return `Trained by the lab's CLI (${id}.json).`;
  const when = p.date ? p.date.slice(0, 10) : 'an unrecorded date';
  const wall = p.wall_s != null ? `, ${Math.round(p.wall_s)} s` : '';
  const machine = /^not recorded/.test(p.machine) ? 'machine not recorded' : p.machine;
  const note = p.note ? `; ${p.note}` : '';
  return `Trained by the lab's CLI (${p.command}; commit ${String(p.commit).slice(0, 7)}, ${when}${wall}, ${machine}${note}).`;
}

// The figures of a shipped run (www/runs/ID.figures.json, written by `collapse-lab run
// --save-figures`: the result, samples and recordings, no nets) as the page's run output, with
// the nets of the saved run `saved` (its parsed file); null where there is none. Drawn at once
// while the nets are sampled again here to check them.
export async function shippedFigures(id, saved) {
  try {
    const res = await fetch(new URL(`./runs/${encodeURIComponent(id)}.figures.json`, import.meta.url));
    if (!res.ok) return null;
    const f = await res.json();
    if (f.format !== 'collapse-lab-figures' || runKey(f.result.spec) !== runKey(saved.spec)) return null;
    const f32 = (a) => (a ? Float32Array.from(a) : undefined);
    const rec = (r) => r && { ...r, trajectories: Float32Array.from(r.trajectories) };
    const each = (o, g) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, g(v)]));
    return {
      result: f.result,
      samples: each(f.samples, f32),
      reference: f32(f.reference),
      recordings: each(f.recordings, rec),
      truth: rec(f.truth),
      params: saved.params.map(f32),
      checkpointParams: (saved.checkpoints || []).map(([iter, nets]) => ({ iter, params: nets.map(f32) })),
    };
  } catch {
    return null;
  }
}

// The run shipped with the page for a gallery link at paper size (www/runs/ID.json, made by
// scripts/make-gallery-runs.sh), if the form's spec is still the file's: opened like a saved
// run (its nets sampled and measured again here, no training). Resolves to whether it started.
// The text of a file shipped with the page (www/runs/ID.json), with its provenance loaded;
// null where there is none.
export async function shippedFile(id) {
  try {
    provenance = await shippedProvenance();
    const res = await fetch(new URL(`./runs/${encodeURIComponent(id)}.json`, import.meta.url));
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}
