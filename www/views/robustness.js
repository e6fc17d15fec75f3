// TID's robustness (issue 25; docs/methods.md): for one run measured with `k-grid`, TID per
// sampler over Hill's k (rows) and the radius e (columns), next to the same grid for a fresh draw
// of the data (the floor), so a reader sees where the verdict "more concentrated than the data"
// holds and where it depends on the two choices. Draws from the run's result alone.
import { LABELS, figure, signedGrid } from '../plots.js';

export const id = 'robustness';
export const title = "TID's robustness to e and Hill's k";
// Where it draws (views/index.js shows it by id).
export const box = '#robustness-view';

export function render(box, result) {
  const grids = result.tid_grid || {};
  box.replaceChildren();
  box.hidden = !Object.keys(grids).length;
  if (box.hidden) return;
  const floor = grids.data;
  // In the order of the other figures (deterministic samplers first).
  const order = Object.keys(LABELS);
  const names = Object.keys(grids)
    .filter((n) => n !== 'data')
    .sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const h = document.createElement('h2');
  h.textContent = "TID's robustness: every radius e and Hill's k";
  const p = document.createElement('p');
  p.className = 'note';
  const n = result.spec.sampling.n_samples;
  p.textContent =
    `TID of each sampler's samples at each radius e (columns) and Hill's k (rows; the paper's choice is k = N = ${n}), ` +
    'and the same for a fresh draw of the data (the floor). Red: more concentrated than the data; blue: less. ' +
    'Pale cells are within the floor ± 2 sd of the spread over reference draws: no verdict there.';
  const grid = document.createElement('div');
  grid.className = 'grid-auto';
  box.append(h, p, grid);
  const all = Object.values(grids)
    .flatMap((g) => g.tid.flat())
    .filter(Number.isFinite);
  const vmax = Math.max(1e-9, ...all.map(Math.abs));
  const within = (g) =>
    g.tid.map((row, i) =>
      row.map((v, j) => {
        const f = floor.tid[i][j],
          sd = Math.max(floor.tid_std[i][j] ?? 0, g.tid_std[i][j] ?? 0);
        return Number.isFinite(v) && Number.isFinite(f) && Math.abs(v - f) <= 2 * sd;
      }),
    );
  // What the grid says, counted from its cells: per sampler, the cells above the floor's noise
  // (more concentrated than the data), within it, and below; and at the run's own k = N.
  const list = document.createElement('ul');
  list.className = 'findings';
  const kN = floor.k.indexOf(n);
  for (const name of names) {
    const g = grids[name];
    const faint = within(g);
    const count = (rows) => {
      const c = { above: 0, within: 0, below: 0, none: 0 };
      for (const i of rows)
        g.tid[i].forEach((v, j) => {
          if (!Number.isFinite(v) || !Number.isFinite(floor.tid[i][j])) c.none += 1;
          else if (faint[i][j]) c.within += 1;
          else if (v > floor.tid[i][j]) c.above += 1;
          else c.below += 1;
        });
      return c;
    };
    const all = count(g.k.map((_, i) => i));
    const cells = g.k.length * g.eps.length - all.none;
    const li = document.createElement('li');
    li.textContent =
      `${LABELS[name] || name}: above the floor's noise in ${all.above} of ${cells} cells, within it in ${all.within}, below it in ${all.below}` +
      (kN >= 0
        ? (() => {
            const c = count([kN]);
            return `; at k = N, above at ${c.above} of ${g.eps.length - c.none} radii, within at ${c.within}, below at ${c.below}.`;
          })()
        : '.');
    list.append(li);
  }
  box.insertBefore(list, grid);
  for (const name of [...names, 'data']) {
    const g = grids[name];
    const label = name === 'data' ? 'data vs data (the floor)' : `${LABELS[name] || name}`;
    const c = figure(grid, 420, 60 + 26 * g.k.length, `TID of ${label} over e and k`);
    c.dataset.grid = name;
    signedGrid(c, g.tid, { rows: g.k, cols: g.eps, vmax, title: `TID, ${label}`, xlabel: 'e', ylabel: "Hill's k", faint: name === 'data' ? null : within(g) });
  }
}
