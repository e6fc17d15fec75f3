// Recursive training (SPEC §10; the recursive-training paper's Fig. 1 and 5): per (a, sampler)
// a row of scatter plots over the generations, D_N = chi^2(p_hat_N || p_data) against N on a log
// chart with the geometric account dashed, TID against N per sampler, and the contribution
// matrix. Renders from the JSON of `collapse-lab generations` alone (the page builds the same).
import { COLORS, LABELS, figure, lineChart, scatter, matrixHeatmap } from '../plots.js';

export const id = 'generations';
export const title = 'Generations';
// Where it draws (views/index.js shows it by id).
export const box = '#generations-view';

const PALETTE = ['#D55E00', '#0072B2', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];
const fmt = (v, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toPrecision(d));
const label = (s) => LABELS[s] || s;

// The generations a row of scatters shows: 0, 1, 2, 5, 10, 20, 50 up to N, and N itself.
function shownGenerations(n) {
  return [...new Set([0, 1, 2, 5, 10, 20, 50, 100].filter((g) => g < n).concat([n]))];
}

function stat(cell, key) {
  const m = cell.metrics[key];
  return m ? { mean: m.mean ?? NaN, std: m.std ?? NaN } : { mean: NaN, std: NaN };
}

// The core's findings of a generations run (generationsFindings: sentences computed from its
// chains), given by the page once the wasm module is loaded.
let findingsOf = null;
let radiusOf = null;
export function setFindings(fn, radius) {
  findingsOf = fn;
  radiusOf = radius;
}

export function render(box, res, state = {}) {
  box.replaceChildren();
  box.hidden = false;
  const rec = res.base.recursion;
  const n = rec.generations;
  const gens = Array.from({ length: n + 1 }, (_, i) => i);
  const fresh = res.axes.find((a) => a.name === 'fresh').values;
  const samplers = res.axes.find((a) => a.name === 'gen-sampler').values;
  const total = res.cells.length * res.seeds;
  const h = document.createElement('h2');
  h.textContent = "Generations: recursive training on the model's own samples";
  const p = document.createElement('p');
  p.className = 'note';
  const stopped = res.runs.filter((r) => r.error);
  p.textContent =
    `${fresh.length} fresh fraction(s) a × ${samplers.length} sampler(s) × ${res.seeds} seed(s), generations 0..${n} on ${rec.gen_size} points each; ` +
    `${total - res.missing.length} of ${total} chains reported` +
    (stopped.length
      ? `, ${stopped.length} stopped early (${stopped
          .slice(0, 2)
          .map((r) => r.error)
          .join('; ')})`
      : '') +
    '. Generation i+1 trains on a fraction a of fresh data and 1 − a samples of generation i. Lines are means over seeds, bars ± one sd.';
  box.append(h, p);
  let list = [];
  try {
    list = findingsOf ? findingsOf(res) : [];
  } catch {
    list = [];
  }
  if (list.length) {
    const head = document.createElement('p');
    head.className = 'note';
    head.textContent = 'What the numbers say (computed from these chains, not written by hand):';
    const f = document.createElement('ul');
    f.id = 'generations-findings';
    f.setAttribute('aria-label', 'Findings computed from these numbers');
    for (const t of list) {
      const li = document.createElement('li');
      li.textContent = t;
      f.append(li);
    }
    box.append(head, f);
  }

  // Scatter rows (Fig. 1): the first seed of every (a, sampler).
  const first = new Map();
  for (const r of res.runs) {
    const key = `${r.fresh}|${r.sampler}`;
    if (!first.has(key) || r.seed < first.get(key).seed) first.set(key, r);
  }
  const anyRun = res.runs.find((r) => r.generations && r.generations.length);
  if (anyRun) {
    const dim = anyRun.histogram.coords;
    // The data's histogram range widened by half on each side: spreading samples stay in view.
    const h = anyRun.histogram;
    const lo = Math.min(...h.lo),
      hi = Math.max(...h.hi),
      pad = 0.5 * (hi - lo);
    const b = [lo - pad, hi + pad];
    const rows = document.createElement('div');
    rows.className = 'gen-rows';
    for (const a of fresh)
      for (const s of samplers) {
        const run = first.get(`${Number(a)}|${s}`);
        if (!run) continue;
        const row = document.createElement('div');
        row.className = 'gen-row';
        row.dataset.fresh = a;
        row.dataset.sampler = s;
        const t = document.createElement('p');
        t.className = 'note';
        t.textContent = `a = ${a}, ${label(s)} (seed ${run.seed})`;
        row.append(t);
        const strip = document.createElement('div');
        strip.className = 'gen-strip';
        for (const g of shownGenerations(n)) {
          const gen = run.generations[g];
          if (!gen) continue;
          const c = figure(strip, 200, 190, `Samples of generation ${g}, a = ${a}, ${s}`);
          scatter(c, Float32Array.from(gen.samples), dim, COLORS[s] || '#0072B2', b, `gen ${g}: D=${fmt(gen.chi2, 2)}`);
        }
        row.append(strip);
        rows.append(row);
      }
    box.append(rows);
  }

  const grid = document.createElement('div');
  grid.className = 'grid-wide';
  box.append(grid);
  const colorOf = (a) => PALETTE[fresh.indexOf(a) % PALETTE.length];
  // D_N against N per sampler, every a on one log chart, the geometric account dashed.
  for (const s of samplers) {
    const cells = res.cells.filter((c) => c.settings['gen-sampler'] === s);
    const series = [];
    for (const c of cells) {
      const a = c.settings.fresh;
      const d = gens.map((g) => stat(c, `chi2@${g}`));
      series.push({ name: `a = ${a}`, color: colorOf(a), xs: gens, ys: d.map((x) => x.mean), err: d.map((x) => x.std), markers: true });
      series.push({ color: colorOf(a), xs: gens, ys: gens.map((g) => stat(c, `geometric@${g}`).mean), dash: [6, 4] });
    }
    const canvas = figure(
      grid,
      480,
      300,
      `D_N against N, ${s}`,
      `D_N = χ²(p̂_N ‖ p_data) on the fixed histogram (solid, log scale) and the geometric account (1−a)^{2N} D₀ + Σ (1−a)^{2(N−1−i)} I_i (dashed), ${label(s)} in the loop.`,
    );
    canvas.dataset.chart = `chi2-${s}`;
    lineChart(canvas, series, { xlabel: 'generation N', ylabel: 'χ² to the data', logy: true, title: `D_N, ${label(s)}` });
  }
  // TID against N per sampler, one chart per a (does the deterministic sampler worsen the chain?).
  const epsList = res.base.metrics.eps.map(String);
  // By default the findings' radius (the core's generations::tid_radius).
  let byDefault = null;
  try {
    byDefault = radiusOf ? radiusOf(res) : null;
  } catch {
    byDefault = null;
  }
  const e = epsList.includes(state.eps)
    ? state.eps
    : byDefault !== null && byDefault !== undefined && epsList.includes(String(byDefault))
      ? String(byDefault)
      : epsList[Math.floor(epsList.length / 2)];
  for (const a of fresh) {
    const cells = res.cells.filter((c) => c.settings.fresh === a);
    const series = cells.map((c) => {
      const s = c.settings['gen-sampler'];
      const t = gens.map((g) => stat(c, `tid@${g}@${e}`));
      return { name: label(s), color: COLORS[s] || '#333', xs: gens, ys: t.map((x) => x.mean), err: t.map((x) => x.std), markers: true };
    });
    const canvas = figure(
      grid,
      480,
      280,
      `TID against N, a = ${a}`,
      `TID(${e}) of each generation's samples against the data, per sampler; above 0: more concentrated than the data.`,
    );
    canvas.dataset.chart = `tid-${a}`;
    lineChart(canvas, series, { xlabel: 'generation N', ylabel: `TID(${e})`, zeroLine: true, title: `TID(${e}), a = ${a}` });
    if (samplers.length > 1) {
      const ds = cells.map((c) => {
        const s = c.settings['gen-sampler'];
        const d = gens.map((g) => stat(c, `chi2@${g}`));
        return { name: label(s), color: COLORS[s] || '#333', xs: gens, ys: d.map((x) => x.mean), err: d.map((x) => x.std), markers: true };
      });
      const c2 = figure(
        grid,
        480,
        280,
        `D_N by sampler, a = ${a}`,
        'D_N per sampler in the loop, mean ± sd over seeds: the deterministic sampler against the stochastic one.',
      );
      c2.dataset.chart = `chi2-by-sampler-${a}`;
      lineChart(c2, ds, { xlabel: 'generation N', ylabel: 'χ² to the data', logy: true, title: `D_N by sampler, a = ${a}` });
    }
  }
  const pick = document.createElement('p');
  pick.className = 'note';
  pick.innerHTML = `TID at e = <select id="gen-eps">${epsList.map((x) => `<option${x === e ? ' selected' : ''}>${x}</option>`).join('')}</select>`;
  pick.querySelector('select').addEventListener('change', (ev) => render(box, res, { eps: ev.target.value }));
  box.insertBefore(pick, grid);

  // Contribution matrices (Fig. 5): mean over seeds of (1-a)^{2(N-j)} e_j per (a, sampler).
  const mats = document.createElement('div');
  mats.className = 'grid-auto';
  const heading = document.createElement('h2');
  heading.textContent = 'Where D_N comes from: the contribution matrix';
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent =
    "Row N, column j: generation j's own error e_j (e₀ = D₀, e_j = I_{j−1} = χ²(p̂_j ‖ q_{j−1})) discounted by (1−a)^{2(N−j)}; each row sums to the geometric account of D_N. Broad rows: old errors still count (small a); a diagonal: only recent generations matter (large a). Square-root colour scale shared by all panels.";
  const matrices = [];
  for (const c of res.cells) {
    const runs = res.runs.filter((r) => r.cell === res.cells.indexOf(c) && r.contributions && r.contributions.length);
    if (!runs.length) continue;
    const size = Math.max(...runs.map((r) => r.contributions.length));
    const rows = Array.from({ length: size }, (_, i) =>
      Array.from({ length: i + 1 }, (_, j) => {
        const v = runs.map((r) => r.contributions[i]?.[j]).filter(Number.isFinite);
        return v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN;
      }),
    );
    matrices.push([c, rows]);
  }
  const vmax = Math.max(1e-12, ...matrices.flatMap(([, rows]) => rows.flat().filter(Number.isFinite)));
  for (const [c, rows] of matrices) {
    const canvas = figure(mats, 300, 280, `Contribution matrix, a = ${c.settings.fresh}, ${c.settings['gen-sampler']}`);
    canvas.dataset.chart = `contributions-${c.settings.fresh}-${c.settings['gen-sampler']}`;
    matrixHeatmap(canvas, rows, {
      vmax,
      title: `a = ${c.settings.fresh}, ${label(c.settings['gen-sampler'])}`,
      xlabel: 'source generation j',
      ylabel: 'generation N',
    });
  }
  if (matrices.length) box.append(heading, note, mats);

  // The numbers: D and the account at the last generation reached, per (a, sampler).
  const table = document.createElement('table');
  table.id = 'generations-table';
  const last = (c) => {
    let g = n;
    while (g > 0 && !c.metrics[`chi2@${g}`]) g--;
    return g;
  };
  const nulls = res.runs.map((r) => r.chi2_null).filter(Number.isFinite);
  table.innerHTML =
    `<caption>Per (a, sampler): mean ± sd over seeds at the last generation reached. The histogram's noise floor (χ² of a fresh data draw): ${fmt(nulls.reduce((x, y) => x + y, 0) / Math.max(1, nulls.length))}.</caption>` +
    '<thead><tr><th scope="col">a</th><th scope="col">sampler</th><th scope="col">N</th><th scope="col">D₀</th><th scope="col">D_N</th><th scope="col">geometric</th><th scope="col">KL_N</th>' +
    `<th scope="col">TID(${e}) at N</th></tr></thead><tbody>` +
    res.cells
      .map((c) => {
        const g = last(c);
        const cell = (k) => {
          const m = stat(c, k);
          return `${fmt(m.mean)} ± ${fmt(m.std, 2)}`;
        };
        return (
          `<tr data-fresh="${c.settings.fresh}" data-sampler="${c.settings['gen-sampler']}"><th scope="row">${c.settings.fresh}</th><td>${label(c.settings['gen-sampler'])}</td><td>${g}</td>` +
          `<td>${cell('chi2@0')}</td><td class="dn">${cell(`chi2@${g}`)}</td><td>${cell(`geometric@${g}`)}</td><td>${cell(`kl@${g}`)}</td><td>${cell(`tid@${g}@${e}`)}</td></tr>`
        );
      })
      .join('') +
    '</tbody>';
  box.append(table);
}
