// The see-saw diagnostics of one run (SPEC §7; paper Fig. 6, 7c/d, 13, 14): MAE and DSM at
// fixed t, the velocity-error correlation along each sampler's paths, and the velocity field
// (learned, exact, their difference) with the paths drawn over it in 1D.
import { COLORS, LABELS, figure, lineChart, fieldHeatmap, overlayPaths, sub } from '../plots.js';

export const id = 'seesaw';
export const title = 'See-saw diagnostics';
// Where it draws (views/index.js shows it by id).
export const box = '#seesaw-view';

const fmt = (v, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

export function render(box, out) {
  box.replaceChildren();
  const d = out.result.diagnostics;
  box.hidden = !d;
  if (!d) return;
  const h = document.createElement('h2');
  h.textContent = 'See-saw diagnostics (why collapse happens)';
  const intro = document.createElement('p');
  intro.className = 'note';
  intro.textContent =
    `Velocity v(x,t) = f(t)x − ½g(t)²s(x,t) of the trained model against the exact one, on a fresh draw of ${d.points} points. ` +
    'The see-saw: a net that learns the hard low-noise score well (small MAE at t = 0.1) spoils the simple high-noise one (MAE at t = 1), and the ODE carries that early error along t.';
  box.append(h, intro);
  const table = document.createElement('table');
  table.id = 'seesaw-table';
  const mae = new Map(d.mae_velocity.map((m) => [m.t, m.mae]));
  table.innerHTML =
    '<caption>Velocity MAE and DSM loss at fixed t</caption><thead><tr><th scope="col">t</th><th scope="col">MAE of v</th>' +
    '<th scope="col">DSM loss</th><th scope="col">DSM floor (exact score)</th></tr></thead><tbody>' +
    d.dsm_at_t
      .map((x) => `<tr><th scope="row">${x.t}</th><td data-t="${x.t}">${fmt(mae.get(x.t))}</td><td>${fmt(x.loss)}</td><td>${fmt(x.floor)}</td></tr>`)
      .join('') +
    '</tbody>';
  box.append(table);
  for (const n of d.notes) {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = n;
    box.append(p);
  }
  const grid = document.createElement('div');
  grid.className = 'grid-wide';
  box.append(grid);
  const names = Object.keys(d.error_correlation);
  if (names.length) {
    const c = figure(
      grid,
      480,
      260,
      'Velocity error correlation along t',
      "Correlation of the velocity error e_t with e_1 along each sampler's paths (Fig. 6b/13b): deterministic samplers keep it high.",
    );
    c.id = 'seesaw-corr';
    lineChart(
      c,
      names.map((n) => ({
        name: LABELS[n] || n,
        color: COLORS[n],
        xs: d.error_correlation[n].map((e) => e.t),
        ys: d.error_correlation[n].map((e) => e.corr ?? NaN),
      })),
      { xlabel: 't (1 → 0)', ylabel: 'corr(e_t, e_1)', xlo: 1, xhi: 0 },
    );
    const c2 = figure(grid, 480, 260, 'Velocity error covariance along t', 'Covariance C(t) = mean ⟨e_t, e_1⟩ / d along the paths.');
    lineChart(
      c2,
      names.map((n) => ({ name: LABELS[n] || n, color: COLORS[n], xs: d.error_correlation[n].map((e) => e.t), ys: d.error_correlation[n].map((e) => e.cov) })),
      { xlabel: 't (1 → 0)', ylabel: 'C(t)', zeroLine: true, xlo: 1, xhi: 0 },
    );
  }
  const f = d.velocity_field;
  if (!f) return;
  const dim = out.result.data_dim;
  const err = f.learned.map((row, i) => row.map((v, j) => v - f.exact[i][j]));
  const vmax = Math.max(1e-9, ...f.exact.flat().map(Math.abs));
  const emax = Math.max(1e-9, ...err.flat().map(Math.abs));
  const what = dim === 1 ? 'v(x, t)' : `v(x, t)${sub(1)} along x${sub(1)} (other coordinates fixed to one N(0, I) draw)`;
  const fields = document.createElement('div');
  fields.className = 'grid3';
  box.append(fields);
  const paths = out.recordings && (out.recordings.ode || Object.values(out.recordings)[0]);
  for (const [key, label, values, scale] of [
    ['learned', 'learned', f.learned, vmax],
    ['exact', 'exact', f.exact, vmax],
    ['error', `learned − exact (±${emax.toPrecision(2)})`, err, emax],
  ]) {
    const c = figure(
      fields,
      360,
      280,
      `Velocity field: ${label}`,
      key === 'error' ? 'Blue: learned velocity below the exact one; orange: above.' : `${what}; blue < 0 < orange, ±${vmax.toPrecision(2)}`,
    );
    c.dataset.field = key;
    const fr = fieldHeatmap(c, { xs: f.xs, ts: f.ts, values, vmax: scale, signed: true, title: `${label} ${dim === 1 ? 'v' : 'v₁'}` });
    if (dim === 1 && paths && paths.trajectory_points) overlayPaths(fr, paths, '#111', 32);
  }
  const slices = document.createElement('div');
  slices.className = 'grid-wide';
  box.append(slices);
  for (const t of [1, 0.1]) {
    const i = f.ts.reduce((b, v, k) => (Math.abs(v - t) < Math.abs(f.ts[b] - t) ? k : b), 0);
    const c = figure(
      slices,
      480,
      240,
      `Velocity at t = ${t}`,
      `First coordinate of the velocity at t ≈ ${f.ts[i].toFixed(3)} (Fig. 7c/d): learned against exact.`,
    );
    lineChart(
      c,
      [
        { name: 'exact', color: COLORS.data, xs: f.xs, ys: f.exact[i], dash: [5, 4] },
        { name: 'learned', color: COLORS.ode, xs: f.xs, ys: f.learned[i] },
      ],
      { xlabel: `x${sub(1)}`, ylabel: `v${sub(1)}`, title: `t = ${f.ts[i].toFixed(3)}` },
    );
  }
}
