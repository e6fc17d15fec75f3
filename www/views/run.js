// The figures of one run (paper Fig. 2, 3, 5, 11, 13, 14, 17): samples, histogram, training
// loss, TID(e) with its table, the survival function, density evolution, marginals and
// trajectories; the see-saw view when the run has diagnostics. Draws from the run's result
// and points alone, whatever produced them (a run here, the store, a saved or shipped file).
import { COLORS, LABELS, figure, lineChart, scatter, histogram, bounds, heatmap, densities, trajectories, sub } from '../plots.js';
import * as seesawView from './seesaw.js';
import * as robustnessView from './robustness.js';
import * as checkpointsView from './checkpoints.js';

export const id = 'run';
export const title = 'One experiment';
// Where it draws (views/index.js shows it by id).
export const box = '#results';

const $ = (sel) => document.querySelector(sel);
// The samplers as the core lists them ([{name, default_steps, stochastic}]): their order and kind.
let KINDS = [];
export function setKinds(kinds) {
  KINDS = kinds;
}
// Neighbours per data point below which TID at a radius is noise (the core's FEW_NEIGHBOURS).
let FEW = 0.1;
export function setFewNeighbours(x) {
  FEW = x;
}

function fmt(v, d = 3) {
  return v === null || v === undefined || !Number.isFinite(v) ? 'undefined' : (v >= 0 ? '+' : '') + v.toFixed(d);
}

export function drawLoss(losses) {
  lineChart($('#loss'), [{ name: 'loss', color: COLORS.sde, xs: losses.map((p) => p[0]), ys: losses.map((p) => p[1]) }], {
    xlabel: 'iteration',
    ylabel: 'DSM loss',
  });
}

// The radius a run's panels name: the core's rule (metrics::tid::headline_radius, set by the
// app: the one closest to 0.02 on a log scale among the radii where the training set's points
// have 0.1 neighbours or more), the one the verdicts and a study's findings use.
let RADIUS = () => null;
export function setHeadlineRadius(f) {
  RADIUS = f;
}
function headlineRadius(r) {
  return RADIUS(
    r.spec.metrics.eps,
    r.spec.metrics.eps.map((_, i) => r.tid_null[i]?.ansd_train ?? NaN),
  );
}

// `box` is the results section: the figures below draw into their own parts of it.
export function render(box, out) {
  const r = out.result;
  const dim = r.data_dim;
  const coord = r.spec.record.coordinate;
  drawLoss(r.training ? r.training.losses : []);
  const names = Object.keys(out.samples).sort((a, b) => KINDS.findIndex((k) => k.name === a) - KINDS.findIndex((k) => k.name === b));
  const label = (n) => LABELS[n] || n;
  const sets = [{ name: 'data', color: COLORS.data, values: out.reference }].concat(
    names.map((n) => ({ name: label(n), key: n, color: COLORS[n] || '#009E73', values: out.samples[n] })),
  );
  // Axes from the data alone: a few wild samples must not squash the picture.
  const b = bounds([out.reference]);
  const scat = $('#scatters');
  scat.replaceChildren();
  // Under each panel its TID at the run's headline radius (the compact embed shows these alone).
  const e0 = headlineRadius(r);
  const tidAt = (side) => {
    const list = side === 'data' ? r.tid_null : r.tid[side];
    const hit = list && list[r.spec.metrics.eps.indexOf(e0)];
    return hit && hit.tid != null ? fmt(hit.tid) : 'none';
  };
  for (const s of sets) {
    const key = s.key || 'data';
    const cap = e0 == null ? undefined : key === 'data' ? `data's own: TID(${e0}) ${tidAt('data')}` : `TID(${e0}) ${tidAt(key)}`;
    const c = figure(scat, 360, 340, `Scatter plot of ${s.name}`, cap);
    c.dataset.set = key;
    if (c.nextSibling) c.nextSibling.className = 'scatter-tid';
    scatter(c, s.values, dim, s.color, b, s.name === 'data' ? 'data (training reference)' : `${s.name} samples`);
  }
  histogram($('#hist'), sets, dim, b, coord);
  $('#hist-caption').textContent = `Histogram of x${sub(coord + 1)}: the sharp peaks are collapse`;
  const eps = r.spec.metrics.eps;
  const nul = r.tid_null;
  // Radii where the data's points have almost no neighbours (10-D at 2D radii) give TID from a
  // few pairs, hundreds wide: left off the chart where two or more radii remain (the table has
  // them), so they do not flatten the rest.
  const thin = eps.map((_, i) => (nul[i]?.ansd_train ?? Infinity) < FEW);
  const keep = thin.filter((x) => !x).length >= 2 ? eps.map((_, i) => !thin[i]) : eps.map(() => true);
  const pick = (a) => a.filter((_, i) => keep[i]);
  const series = names
    .filter((n) => r.tid[n])
    .map((n) => ({
      name: label(n),
      color: COLORS[n],
      xs: pick(eps),
      ys: pick(r.tid[n].map((e) => e.tid ?? NaN)),
      markers: true,
    }));
  const band = {
    name: 'data vs data ±2sd',
    xs: pick(eps),
    lo: pick(nul.map((e) => (e.tid ?? 0) - 2 * (e.tid_std ?? 0))),
    hi: pick(nul.map((e) => (e.tid ?? 0) + 2 * (e.tid_std ?? 0))),
  };
  lineChart($('#tid'), series, { xlabel: 'e (log scale)', ylabel: 'TID', logx: true, zeroLine: true, band });
  const off = eps.filter((_, i) => !keep[i]);
  $('#tid-caption').textContent =
    'TID(e) per sampler; grey band: data vs data ±2 sd. Above zero: more concentrated than the data.' +
    (off.length
      ? ` Left off: e = ${off.join(', ')}, where the data's points have under ${FEW} neighbours each (TID there rests on a few pairs; the table has it).`
      : '');
  const thead = $('#tid-table thead'),
    tbody = $('#tid-table tbody');
  thead.innerHTML = '<tr><th scope="col">e</th>' + names.map((n) => `<th scope="col">TID ${label(n)}</th>`).join('') + '<th scope="col">data vs data</th></tr>';
  const cell = (e) => `${fmt(e.tid)} ± ${e.tid_std == null ? '–' : e.tid_std.toFixed(3)}`;
  tbody.innerHTML = eps
    .map(
      (e, i) =>
        `<tr><th scope="row">${e}</th>` +
        names.map((n) => `<td data-sampler="${n}">${r.tid[n] ? cell(r.tid[n][i]) : 'non-finite samples'}</td>`).join('') +
        `<td>${cell(nul[i])}</td></tr>`,
    )
    .join('');
  robustnessView.render($('#robustness-view'), r);
  checkpointsView.render($('#checkpoints-view'), r);
  drawSurvival(r, names);
  drawEvolution(out, names);
  drawTrajectories(out, names, dim, b);
  seesawView.render($('#seesaw-view'), out);
}

// P(n > x) on log-log axes, with Hill's fitted tail (x / x_min)^-alpha dashed.
function drawSurvival(r, names) {
  const sv = r.survival;
  const keys = ['data', ...names.filter((n) => sv[n])];
  const series = [];
  let pmin = 1;
  for (const k of keys) {
    const c = sv[k];
    const xs = [],
      ys = [];
    c.x.forEach((x, i) => {
      if (c.p[i] > 0) {
        xs.push(x);
        ys.push(c.p[i]);
        pmin = Math.min(pmin, c.p[i]);
      }
    });
    const a = c.alpha == null ? 'undefined' : c.alpha.toFixed(2);
    series.push({ name: `${LABELS[k] || k} α=${a}`, color: COLORS[k], xs, ys });
  }
  for (const k of keys) {
    const c = sv[k];
    if (c.alpha == null || !c.x.length) continue;
    const xmax = c.x[c.x.length - 1];
    const xs = [],
      ys = [];
    for (let i = 0; i <= 24; i++) {
      const x = c.x_min * (xmax / c.x_min) ** (i / 24);
      const p = (x / c.x_min) ** -c.alpha;
      if (p >= pmin / 2) {
        xs.push(x);
        ys.push(Math.min(1, p));
      }
    }
    series.push({ color: COLORS[k], xs, ys, dash: [5, 4] });
  }
  lineChart($('#survival'), series, { xlabel: 'neighbour count x (log)', ylabel: 'P(n > x)', logx: true, logy: true, ylo: pmin / 2 });
  $('#survival-caption').textContent =
    `Survival function P(n > x) of neighbour counts within e = ${r.spec.metrics.survival_eps} (log-log); dashed: Hill's fitted tail (x/x_min)^-α. A heavier tail (smaller α) is collapse.`;
}

// Density evolution heatmaps (truth and each sampler) and the marginals at t = 0.8, 0.6, 0.4, 0.
function drawEvolution(out, names) {
  const truth = out.truth;
  const box = $('#evolution');
  box.replaceChildren();
  if (!truth) return;
  // One colour scale: the truth's largest density below t = 0.9 (t = 1 is a plain Gaussian).
  const td = densities(truth);
  const vmax = Math.max(1e-9, ...td.flatMap((d, i) => (truth.times[i] < 0.9 ? d : [])));
  const panels = [['truth', 'true noised data', truth], ...names.map((n) => [n, LABELS[n] || n, out.recordings[n]])];
  for (const [key, title, rec] of panels) {
    const c = figure(box, 360, 260, `Density evolution of ${title}`);
    c.dataset.set = key;
    heatmap(c, rec, vmax, title);
  }
  const mbox = $('#marginals');
  mbox.replaceChildren();
  const w = (truth.hi - truth.lo) / truth.bins;
  const centers = Array.from({ length: truth.bins }, (_, i) => truth.lo + (i + 0.5) * w);
  for (const [j, t] of [0.8, 0.6, 0.4, 0].entries()) {
    const idx = (rec) => rec.requested.reduce((best, v, i) => (Math.abs(v - t) < Math.abs(rec.requested[best] - t) ? i : best), 0);
    const c = figure(mbox, 300, 220, `Marginal at t = ${t}`);
    const series = [{ name: 'true', color: COLORS.truth, xs: centers, ys: densities(truth)[idx(truth)] }].concat(
      names.map((n) => ({ name: LABELS[n] || n, color: COLORS[n], xs: centers, ys: densities(out.recordings[n])[idx(out.recordings[n])] })),
    );
    lineChart(c, series, { xlabel: `x${sub(truth.coordinate + 1)}`, ylabel: 'density', title: `t = ${t}`, ylo: 0, noLegend: j > 0 });
  }
}

function drawTrajectories(out, names, dim, b) {
  const box = $('#trajectories');
  box.replaceChildren();
  const lim = dim === 1 ? [Math.min(b[0], -3.5), Math.max(b[1], 3.5)] : b;
  for (const n of names) {
    const rec = out.recordings[n];
    if (!rec || !rec.trajectory_points) continue;
    const c = figure(box, 360, 300, `Trajectories of ${LABELS[n] || n}`);
    c.dataset.set = n;
    // Noisy paths hide each other: a few of them tell the story.
    const stochastic = KINDS.find((k) => k.name === n).stochastic;
    const shown = Math.min(rec.trajectory_points, stochastic ? 8 : 64);
    const title = `${LABELS[n] || n}: ${shown} of ${rec.trajectory_points} paths`;
    trajectories(c, rec, out.reference, dim, lim, COLORS[n], title, { maxPaths: shown });
  }
}
