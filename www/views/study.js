// A study's charts (SPEC §9; paper Fig. 7a/b, 8, 9): every figure as mean ± sd over seeds
// against the first varied setting, one line per combination of the others, and TID(e)
// curves per cell. Renders from the study JSON alone (the CLI's `study` output draws the same).
import { COLORS, LABELS, figure, lineChart } from '../plots.js';

export const id = 'study';
export const title = 'Study';
// Where it draws (views/index.js shows it by id).
export const box = '#study-view';

const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];
const fmt = (v, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toPrecision(d));

// x positions of the first axis: numbers when every value is one (log scale when they span a
// decade), else categories 0, 1, 2 ... with their labels.
function xAxis(values) {
  const nums = values.map(Number);
  if (values.every((v, i) => v.trim() !== '' && Number.isFinite(nums[i]))) {
    const pos = nums.every((v) => v > 0) && Math.max(...nums) / Math.min(...nums) >= 8;
    return { xs: nums, logx: pos, xticks: pos ? nums.map((v) => ({ v, label: String(v) })) : null };
  }
  return { xs: values.map((_, i) => i), logx: false, xticks: values.map((v, i) => ({ v: i, label: v })) };
}

// Lines of one metric: for each combination of the other axes, mean and sd along the first.
function lines(study, metric) {
  const [first, ...rest] = study.axes;
  const ax = xAxis(first.values);
  const groups = new Map();
  for (const c of study.cells) {
    const key = rest.map((a) => `${a.name}=${c.settings[a.name]}`).join(' ') || 'mean ± sd over seeds';
    if (!groups.has(key))
      groups.set(key, { ys: new Array(first.values.length).fill(NaN), err: new Array(first.values.length).fill(NaN), seeds: first.values.map(() => []) });
    const i = first.values.indexOf(c.settings[first.name]);
    const m = c.metrics[metric];
    if (m && m.mean !== null) {
      groups.get(key).ys[i] = m.mean;
      groups.get(key).err[i] = m.std ?? NaN;
      groups.get(key).seeds[i] = (m.values || []).filter((v) => v !== null && Number.isFinite(v));
    }
  }
  // Every seed's value is drawn too (hollow squares beside the mean): one seed far from the
  // rest shows as itself, not only as a long bar.
  const series = [...groups.entries()].map(([name, g], k) => ({
    name,
    color: PALETTE[k % PALETTE.length],
    xs: ax.xs,
    ys: g.ys,
    err: g.err,
    seeds: g.seeds,
    markers: true,
  }));
  return { series, ax, xlabel: first.name };
}

function metricNames(study) {
  const s = new Set();
  for (const c of study.cells) for (const k of Object.keys(c.metrics)) s.add(k);
  return [...s];
}

const DESCRIBE = {
  mae_velocity: (t) => [
    `MAE of v at t = ${t}`,
    t >= 0.5 ? 'High-noise velocity error (Fig. 7a); in the paper, the see-saw shows as this rising with width.' : 'Low-noise velocity error (Fig. 7a).',
  ],
  dsm: (t) => [`DSM loss at t = ${t}`, "Denoising loss at this fixed t (Fig. 8); the dashed floor is the exact score's."],
  final_loss: () => ['Final training loss', 'Mean DSM loss of the last report block.'],
  marginal_accuracy: (s) => [`Marginal accuracy, ${s}`, '1 − ½ · mean TV of the marginal histograms (workshop version).'],
};

// The core's findings of a study (studyFindings: sentences computed from its numbers), given
// by the page once the wasm module is loaded.
let findingsOf = null;
let radiusOf = null;
let FEW = 0.1;
export function setFindings(fn, radius, few) {
  findingsOf = fn;
  radiusOf = radius;
  FEW = few;
}

export function render(box, study, state = {}) {
  box.replaceChildren();
  box.hidden = false;
  const h = document.createElement('h2');
  h.textContent = 'Study';
  const p = document.createElement('p');
  p.className = 'note';
  const total = study.cells.length * study.seeds;
  p.textContent =
    `${study.cells.length} cells × ${study.seeds} seeds; ${total - study.missing.length} of ${total} runs done` +
    (study.failed.length
      ? `, ${study.failed.length} failed (${study.runs
          .filter((r) => r.error)
          .map((r) => `run ${r.index}: ${r.error}`)
          .slice(0, 3)
          .join('; ')})`
      : '') +
    ". Filled points are means over seeds, bars ± one standard deviation, hollow squares each seed's value.";
  box.append(h, p);
  if (findingsOf && study.axes.length) {
    let list = [];
    try {
      list = findingsOf(study);
    } catch {
      list = [];
    }
    if (list.length) {
      // The leading findings (the figure's answer: the see-saw, the cures against their
      // baselines, the samplers compared) in view; the rest folded under them.
      const items = (xs) =>
        xs.map((x) => {
          const li = document.createElement('li');
          li.textContent = x.text;
          return li;
        });
      const f = document.createElement('ul');
      f.id = 'study-findings';
      f.setAttribute('aria-label', 'Findings computed from these numbers');
      // (None leading, as where a study follows no headline figure: all in view.)
      const lead = list.some((x) => x.lead) ? list.filter((x) => x.lead) : list;
      f.append(...items(lead));
      const head = document.createElement('p');
      head.className = 'note';
      head.textContent = 'What the numbers say (computed from this study, not written by hand):';
      box.append(head, f);
      const rest = list.filter((x) => !lead.includes(x));
      if (rest.length) {
        const more = document.createElement('details');
        more.id = 'study-findings-more';
        const sum = document.createElement('summary');
        sum.textContent = `${rest.length} more finding${rest.length === 1 ? '' : 's'}`;
        const ul = document.createElement('ul');
        ul.append(...items(rest));
        more.append(sum, ul);
        box.append(more);
      }
    }
  }
  if (!study.axes.length) return;
  const names = metricNames(study);
  const grid = document.createElement('div');
  grid.className = 'grid-wide';
  box.append(grid);
  const chart = (metric, label, caption, extra = []) => {
    const { series, ax, xlabel } = lines(study, metric);
    const c = figure(grid, 480, 280, label, caption);
    c.dataset.metric = metric;
    lineChart(c, series.concat(extra), { xlabel, ylabel: label, logx: ax.logx, xticks: ax.xticks, title: label });
  };
  const byT = (prefix) =>
    names
      .filter((n) => n.startsWith(prefix + '@'))
      .map((n) => n.slice(prefix.length + 1))
      .sort((a, b) => b - a);
  for (const t of byT('mae_velocity')) chart(`mae_velocity@${t}`, ...DESCRIBE.mae_velocity(+t));
  for (const t of byT('dsm')) {
    const floor = lines(study, `dsm_floor@${t}`).series.map((s) => ({ ...s, name: '', err: null, markers: false, dash: [4, 4] }));
    chart(`dsm@${t}`, ...DESCRIBE.dsm(+t), names.includes(`dsm_floor@${t}`) ? floor : []);
  }
  // TID at a chosen sampler and e against the setting (Fig. 7b), and TID(e) per cell (Fig. 9a).
  const tids = names.filter((n) => n.startsWith('tid@')).map((n) => n.split('@'));
  const samplers = [...new Set(tids.map((x) => x[1]))];
  const epsList = [...new Set(tids.map((x) => x[2]))].sort((a, b) => a - b);
  let tidShown = null; // the TID column of the table: the charts' sampler and radius
  if (samplers.length) {
    const sampler = samplers.includes(state.sampler) ? state.sampler : samplers.includes('ode') ? 'ode' : samplers[0];
    // By default the findings' radius (the core's study::tid_radius: closest to 0.02 where the
    // data's points have neighbours; in 10-D the smallest radii hold none), else the radius
    // closest to 0.02 with a value.
    const valued = epsList.filter((x) => study.cells.some((c) => Number.isFinite(c.metrics[`tid@${sampler}@${x}`]?.mean)));
    let core = { radius: null, neighbours: {} };
    try {
      if (radiusOf) core = radiusOf(study);
    } catch {
      /* the fallback below */
    }
    const near = epsList.includes(core.radius)
      ? core.radius
      : (valued.length ? valued : epsList).reduce((b, x) => (Math.abs(Math.log(x / 0.02)) < Math.abs(Math.log(b / 0.02)) ? x : b));
    const e = epsList.includes(state.eps) ? state.eps : near;
    tidShown = `tid@${sampler}@${e}`;
    const pick = document.createElement('p');
    pick.className = 'note';
    pick.innerHTML =
      `TID of <select id="study-sampler">${samplers.map((s) => `<option${s === sampler ? ' selected' : ''}>${s}</option>`).join('')}</select>` +
      ` at e = <select id="study-eps">${epsList.map((x) => `<option${x === e ? ' selected' : ''}>${x}</option>`).join('')}</select>`;
    box.insertBefore(pick, grid);
    const rerender = () => render(box, study, { sampler: pick.querySelector('#study-sampler').value, eps: pick.querySelector('#study-eps').value });
    pick.querySelector('#study-sampler').addEventListener('change', rerender);
    pick.querySelector('#study-eps').addEventListener('change', rerender);
    chart(
      `tid@${sampler}@${e}`,
      `TID(${e}) of ${sampler}`,
      'TID of the samples at one e against the setting (Fig. 7b); above 0: more concentrated than the data.',
    );
    // With one axis, every sampler on one chart: deterministic against stochastic at each value.
    if (samplers.length > 1 && study.axes.length === 1) {
      const per = samplers.map((sm) => {
        const { series, ax } = lines(study, `tid@${sm}@${e}`);
        return { series: { ...series[0], name: LABELS[sm] || sm, color: COLORS[sm] || '#000' }, ax };
      });
      const c = figure(
        grid,
        480,
        280,
        `TID(${e}) of every sampler`,
        'Each sampler at each setting, mean ± sd over seeds: a deterministic sampler above the stochastic ones is collapse.',
      );
      c.dataset.metric = 'tid-samplers';
      lineChart(
        c,
        per.map((x) => x.series),
        {
          xlabel: study.axes[0].name,
          ylabel: `TID(${e})`,
          logx: per[0].ax.logx,
          xticks: per[0].ax.xticks,
          title: `TID(${e}) of every sampler`,
          zeroLine: true,
        },
      );
    }
    const c = figure(grid, 480, 280, `TID(e) of ${sampler} per cell`, 'TID(e) curves per cell, mean ± sd over seeds (Fig. 9a).');
    c.dataset.metric = 'tid-curves';
    // Radii where some cell has a value and the data's points have neighbours (as the run view's
    // chart: in 10-D the smallest radii hold almost none, and TID there is hundreds wide), if two
    // or more.
    const dense = valued.filter((x) => !((core.neighbours || {})[x] < FEW));
    const curveEps = dense.length >= 2 ? dense : valued.length >= 2 ? valued : epsList;
    const [first, ...rest] = study.axes;
    const restKey = (cell) => rest.map((a) => `${a.name}=${cell.settings[a.name]}`).join(' ');
    const restKeys = [...new Set(study.cells.map(restKey))];
    // With several axes the legend would name every cell (12 for Fig. 7, covering the plot):
    // the colour says the first axis's value, the dash the other axes'.
    const DASHES = [[], [7, 4], [2, 3], [10, 3, 2, 3], [4, 4, 1, 4]];
    const coded = rest.length > 0;
    const series = study.cells.map((cell, k) => ({
      name: coded ? '' : `${first.name}=${cell.settings[first.name]}`,
      color: PALETTE[(coded ? first.values.indexOf(cell.settings[first.name]) : k) % PALETTE.length],
      markers: true,
      dash: coded ? DASHES[restKeys.indexOf(restKey(cell)) % DASHES.length] : undefined,
      xs: curveEps.map(Number),
      ys: curveEps.map((x) => cell.metrics[`tid@${sampler}@${x}`]?.mean ?? NaN),
      err: curveEps.map((x) => cell.metrics[`tid@${sampler}@${x}`]?.std ?? NaN),
    }));
    // Legend-only entries: one colour per value of the first axis, one dash per other combination.
    const key = coded
      ? first.values
          .map((v, i) => ({ name: `${first.name}=${v}`, color: PALETTE[i % PALETTE.length], xs: [], ys: [] }))
          .concat(restKeys.map((r, i) => ({ name: r, color: '#444', dash: DASHES[i % DASHES.length], xs: [], ys: [] })))
      : [];
    lineChart(c, series.concat(key), { xlabel: 'e (log scale)', ylabel: 'TID', logx: true, zeroLine: true });
  }
  if (names.includes('final_loss')) chart('final_loss', ...DESCRIBE.final_loss());
  for (const s of names.filter((n) => n.startsWith('marginal_accuracy@')).map((n) => n.split('@')[1]))
    chart(`marginal_accuracy@${s}`, ...DESCRIBE.marginal_accuracy(s));
  // The numbers behind the charts.
  const shown = names.filter((n) => /^(mae_velocity|dsm)@/.test(n) || n === 'final_loss' || n === tidShown).sort();
  const table = document.createElement('table');
  table.id = 'study-table';
  table.innerHTML =
    `<caption>Per cell: mean ± sd over seeds (n = runs with a value)</caption><thead><tr>${study.axes.map((a) => `<th scope="col">${a.name}</th>`).join('')}` +
    shown.map((n) => `<th scope="col">${n}</th>`).join('') +
    '</tr></thead><tbody>' +
    study.cells
      .map(
        (c) =>
          '<tr>' +
          study.axes.map((a) => `<th scope="row">${c.settings[a.name]}</th>`).join('') +
          shown
            .map((n) => {
              const m = c.metrics[n];
              return `<td>${m ? `${fmt(m.mean)} ± ${fmt(m.std, 2)} (n=${m.values.filter((v) => v !== null).length})` : '–'}</td>`;
            })
            .join('') +
          '</tr>',
      )
      .join('') +
    '</tbody>';
  box.append(table);
}
