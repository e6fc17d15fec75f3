// Your own samples: a training set and a model's samples from two CSV files, compared in the
// page by the core's code of `collapse-lab tid` (src/metrics/compare.rs): TID(e) with its spread
// and floor, the survival plot, ANSD, marginal accuracy, scatter and histogram.
import { COLORS, figure, lineChart, scatter, histogram, bounds, sub } from '../plots.js';

export const id = 'own';
export const title = 'Your own samples';
// Where it draws (views/index.js shows it by id).
export const box = '#own-view';

const f3 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? 'undefined' : (v >= 0 ? '+' : '') + v.toFixed(3));

// `out`: {compared, train, samples} as compareCsv resolves; `names`: the two files' names.
export function render(box, out, { names }) {
  const c = out.compared;
  box.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = `Your samples: ${names.samples} against ${names.train}`;
  const p = document.createElement('p');
  p.className = 'note';
  p.textContent =
    `${c.samples_points} samples and ${c.train_points} training points in ${c.dim} dimensions; TID compares ${c.n_used} of each` +
    (c.subsampled ? ' (the larger set subsampled, seeded)' : '') +
    `, Hill's k = ${c.k}. Marginal accuracy of the samples: ${c.marginal_accuracy.toFixed(3)}.` +
    (c.tid_std.some((s) => s !== null)
      ? ' ± is the spread over 5 draws of the training set.'
      : ' No spread: the training set has no more points than the samples.') +
    (c.tid_null ? ' The grey band is a second draw of the training set against the first (the noise floor).' : '');
  box.append(h, p);
  const eps = c.results.map((r) => r.eps);
  const grid = document.createElement('div');
  grid.className = 'grid-wide';
  box.append(grid);
  const tidC = figure(grid, 480, 260, 'TID of your samples against e', 'TID(e): above zero, your samples are more concentrated than the training set.');
  tidC.dataset.chart = 'own-tid';
  const band = c.tid_null
    ? { name: 'data vs data', xs: eps, lo: c.tid_null.map((e) => Math.min(0, e.tid ?? 0)), hi: c.tid_null.map((e) => Math.max(0, e.tid ?? 0)) }
    : undefined;
  lineChart(tidC, [{ name: 'your samples', color: COLORS.ode, xs: eps, ys: c.results.map((r) => r.tid ?? NaN), markers: true }], {
    xlabel: 'e (log scale)',
    ylabel: 'TID',
    logx: true,
    zeroLine: true,
    band,
  });
  const sv = figure(grid, 480, 260, 'Survival function of neighbour counts', `P(n > x) of neighbour counts within e = ${c.survival_eps} (log-log).`);
  sv.dataset.chart = 'own-survival';
  const curve = (s, name, color) => {
    const xs = [],
      ys = [];
    s.x.forEach((x, i) => {
      if (s.p[i] > 0) {
        xs.push(x);
        ys.push(s.p[i]);
      }
    });
    return { name: `${name} α=${s.alpha == null ? 'undefined' : s.alpha.toFixed(2)}`, color, xs, ys };
  };
  const series = [curve(c.survival_train, 'training set', COLORS.data), curve(c.survival_samples, 'your samples', COLORS.ode)];
  const pmin = Math.min(1, ...series.flatMap((s) => s.ys));
  lineChart(sv, series, { xlabel: 'neighbour count x (log)', ylabel: 'P(n > x)', logx: true, logy: true, ylo: pmin / 2 });
  const table = document.createElement('table');
  table.id = 'own-table';
  table.innerHTML =
    '<caption>TID and ANSD at each radius</caption><thead><tr><th scope="col">e</th><th scope="col">TID</th><th scope="col">data vs data</th><th scope="col">ANSD samples</th><th scope="col">ANSD training</th></tr></thead>';
  const tb = document.createElement('tbody');
  c.results.forEach((r, i) => {
    const tr = document.createElement('tr');
    const cells = [
      String(r.eps),
      `${f3(r.tid)} ± ${c.tid_std[i] == null ? '–' : c.tid_std[i].toFixed(3)}`,
      c.tid_null ? f3(c.tid_null[i].tid) : '–',
      r.ansd_samples.toFixed(3),
      r.ansd_train.toFixed(3),
    ];
    cells.forEach((t, j) => {
      const td = document.createElement(j ? 'td' : 'th');
      td.textContent = t;
      tr.append(td);
    });
    tb.append(tr);
  });
  table.append(tb);
  box.append(table);
  const dim = c.dim;
  const b = bounds([out.train]);
  const sc = document.createElement('div');
  sc.className = 'grid-auto';
  box.append(sc);
  scatter(figure(sc, 360, 340, 'Scatter plot of the training set'), out.train, dim, COLORS.data, b, 'training set');
  scatter(figure(sc, 360, 340, 'Scatter plot of your samples'), out.samples, dim, COLORS.ode, b, 'your samples');
  const hc = figure(box, 960, 220, 'Histogram of the first coordinate', `Histogram of x${sub(1)}: sharp peaks the training set lacks are collapse.`);
  histogram(
    hc,
    [
      { name: 'training set', color: COLORS.data, values: out.train },
      { name: 'your samples', color: COLORS.ode, values: out.samples },
    ],
    dim,
    b,
    0,
  );
  box.hidden = false;
}
