// Collapse along training (issue 25; docs/methods.md): for one run with `checkpoints`, TID of
// each sampler at the findings' radius (the one nearest 0.02) against the iterations trained,
// the run's own end included, next to the data floor's band; and the marginal accuracy. The
// sentences below the chart are counted from the same numbers. Draws from the run's result alone.
import { COLORS, LABELS, figure, lineChart } from '../plots.js';

export const id = 'checkpoints';
export const title = 'Collapse along training';
// Where it draws (views/index.js shows it by id).
export const box = '#checkpoints-view';

const fmt = (v) => (Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(3) : 'undefined');

export function render(box, result) {
  const cps = result.checkpoints || [];
  box.replaceChildren();
  box.hidden = !cps.length;
  if (box.hidden) return;
  const eps = result.spec.metrics.eps;
  let e = 0;
  eps.forEach((v, i) => {
    if (Math.abs(Math.log(v / 0.02)) < Math.abs(Math.log(eps[e] / 0.02))) e = i;
  });
  const losses = result.training?.losses || [];
  const rows = [
    ...cps.map((c) => ({ iter: c.iter, loss: c.loss, tid: c.tid, acc: c.marginal_accuracy })),
    { iter: result.spec.training.iters, loss: losses.length ? losses[losses.length - 1][1] : null, tid: result.tid, acc: result.marginal_accuracy },
  ];
  const order = Object.keys(LABELS);
  const names = Object.keys(result.tid).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const iters = rows.map((r) => r.iter);
  const h = document.createElement('h2');
  h.textContent = 'Collapse along training';
  const p = document.createElement('p');
  p.className = 'note';
  p.textContent =
    `The same run measured at ${cps.length} checkpoints and at its end (${iters.join(', ')} iterations): ` +
    `each point is the net as it was then, sampled from the same noise as the final one (a separate run of that length gives the same numbers). ` +
    `TID at e = ${eps[e]}; the grey band is the data floor ± 2 sd.`;
  const grid = document.createElement('div');
  grid.className = 'grid-auto';
  const null_ = result.tid_null[e];
  const band = {
    name: 'data vs data ±2sd',
    xs: iters,
    lo: iters.map(() => (null_.tid ?? 0) - 2 * (null_.tid_std ?? 0)),
    hi: iters.map(() => (null_.tid ?? 0) + 2 * (null_.tid_std ?? 0)),
  };
  const tidOf = (r, n) => r.tid[n]?.[e]?.tid ?? NaN;
  const c1 = figure(grid, 460, 300, `TID at e = ${eps[e]} against training iterations`);
  c1.dataset.chart = 'checkpoints-tid';
  lineChart(
    c1,
    names.map((n) => ({
      name: LABELS[n] || n,
      color: COLORS[n],
      xs: iters,
      ys: rows.map((r) => tidOf(r, n)),
      err: rows.map((r) => r.tid[n]?.[e]?.tid_std ?? NaN),
      markers: true,
    })),
    { xlabel: 'training iterations (log scale)', ylabel: `TID(${eps[e]})`, logx: true, zeroLine: true, band, title: 'TID along training' },
  );
  const c2 = figure(grid, 460, 300, 'Marginal accuracy against training iterations');
  lineChart(
    c2,
    names.map((n) => ({ name: LABELS[n] || n, color: COLORS[n], xs: iters, ys: rows.map((r) => r.acc?.[n] ?? NaN), markers: true })),
    { xlabel: 'training iterations (log scale)', ylabel: 'marginal accuracy', logx: true, title: 'Marginal accuracy along training' },
  );
  // Counted from the numbers: per sampler, first and last TID, and at how many points it lies
  // above the floor's band (more concentrated than the data).
  const list = document.createElement('ul');
  list.className = 'findings';
  for (const n of names) {
    const ys = rows.map((r) => tidOf(r, n));
    const above = ys.filter((y, i) => Number.isFinite(y) && y > band.hi[i]).length;
    const li = document.createElement('li');
    li.textContent =
      `${LABELS[n] || n}: TID(${eps[e]}) ${fmt(ys[0])} at ${iters[0]} iterations, ${fmt(ys[ys.length - 1])} at ${iters[iters.length - 1]}; ` +
      `above the data floor's band at ${above} of ${rows.length} points.`;
    list.append(li);
  }
  box.append(h, p, list, grid);
}
