// Canvas plots with axes, labels and legends. Canvas, not SVG: tens of thousands of points draw
// in milliseconds. Colours are Okabe–Ito, distinguishable with colour-blindness.
// Deterministic samplers in warm colours, stochastic ones in cool colours.
export const COLORS = {
  data: '#555555',
  truth: '#555555',
  ode: '#D55E00',
  heun: '#8F3B00',
  ddim: '#E69F00',
  dpm2: '#CC79A7',
  sde: '#0072B2',
  pc: '#009E73',
  ald: '#56B4E9',
  'edm-sde': '#332288',
  null: '#999999',
};
// The samplers' labels: filled at start-up from the Rust core's sampler table (samplerKinds).
export const LABELS = { data: 'data' };
export function setLabels(kinds) {
  for (const k of kinds) LABELS[k.name] = k.label;
}
const FONT = '13px system-ui, sans-serif';
const PAD = { l: 52, r: 12, t: 22, b: 38 };

function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = [];
  // Ticks that land on zero by floating-point sums are zero, not 5.5e-17.
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-6 ? 0 : +v.toPrecision(12));
  return out;
}

function frame(canvas, { xlo, xhi, ylo, yhi, xlabel, ylabel, title, logx, logy, xticks }) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width,
    H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const fx = logx ? (x) => Math.log10(x) : (x) => x;
  const X = (x) => PAD.l + ((fx(x) - fx(xlo)) / (fx(xhi) - fx(xlo) || 1)) * (W - PAD.l - PAD.r);
  const fy = logy ? (y) => Math.log10(y) : (y) => y;
  const Y = (y) => H - PAD.b - ((fy(y) - fy(ylo)) / (fy(yhi) - fy(ylo) || 1)) * (H - PAD.t - PAD.b);
  ctx.strokeStyle = '#333';
  ctx.lineWidth = 1;
  ctx.strokeRect(PAD.l, PAD.t, W - PAD.l - PAD.r, H - PAD.t - PAD.b);
  ctx.font = FONT;
  ctx.fillStyle = '#222';
  ctx.textAlign = 'center';
  const [xa, xb] = [Math.min(xlo, xhi), Math.max(xlo, xhi)]; // axes may run right to left (t: 1 -> 0)
  const xt = xticks ? xticks.map((t) => t.v) : logx ? niceTicks(Math.log10(xa), Math.log10(xb), 4).map((v) => 10 ** v) : niceTicks(xa, xb);
  const xlab = (v) => (xticks ? xticks.find((t) => t.v === v).label : +v.toPrecision(3) + '');
  for (const v of xt) {
    if (v < xa || v > xb) continue;
    // A label at the edge stays inside the canvas (on a phone "1000" at the right end was cut).
    const half = ctx.measureText(xlab(v)).width / 2;
    ctx.fillText(xlab(v), Math.min(Math.max(X(v), half + 1), W - half - 1), H - PAD.b + 15);
    ctx.beginPath();
    ctx.moveTo(X(v), H - PAD.b);
    ctx.lineTo(X(v), H - PAD.b + 4);
    ctx.stroke();
  }
  ctx.textAlign = 'right';
  const yt = logy
    ? niceTicks(Math.log10(ylo), Math.log10(yhi), 4)
        .filter(Number.isInteger)
        .map((v) => 10 ** v)
    : niceTicks(ylo, yhi);
  for (const v of yt) {
    ctx.fillText(+v.toPrecision(3) + '', PAD.l - 6, Y(v) + 4);
    ctx.beginPath();
    ctx.moveTo(PAD.l - 4, Y(v));
    ctx.lineTo(PAD.l, Y(v));
    ctx.stroke();
  }
  ctx.textAlign = 'center';
  if (xlabel) ctx.fillText(xlabel, PAD.l + (W - PAD.l - PAD.r) / 2, H - 6);
  if (title) {
    ctx.font = 'bold ' + FONT;
    ctx.fillText(title, PAD.l + (W - PAD.l - PAD.r) / 2, 15);
    ctx.font = FONT;
  }
  if (ylabel) {
    ctx.save();
    ctx.translate(13, PAD.t + (H - PAD.t - PAD.b) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(ylabel, 0, 0);
    ctx.restore();
  }
  return { ctx, X, Y, W, H };
}

// Legend in right-aligned rows at the top of the plot, each item on a white backing.
function legend(ctx, W, items) {
  ctx.font = FONT;
  ctx.textAlign = 'left';
  const right = W - PAD.r - 6,
    left = PAD.l + 6;
  const rows = [[]];
  let used = 0;
  for (const it of items) {
    const w = ctx.measureText(it.name).width + 26;
    if (used + w > right - left && rows[rows.length - 1].length) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push([it, w]);
    used += w;
  }
  rows.forEach((row, r) => {
    const y = PAD.t + 4 + r * 17;
    let x = right - row.reduce((a, [, w]) => a + w, 0);
    for (const [it, w] of row) {
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(x - 2, y - 1, w, 16);
      if (it.dash) {
        ctx.strokeStyle = it.color;
        ctx.setLineDash(it.dash);
        ctx.beginPath();
        ctx.moveTo(x, y + 8);
        ctx.lineTo(x + 16, y + 8);
        ctx.stroke();
        ctx.setLineDash([]);
      } else {
        ctx.fillStyle = it.color;
        ctx.fillRect(x, y + 3, 16, 10);
      }
      ctx.fillStyle = '#222';
      ctx.fillText(it.name, x + 20, y + 12);
      x += w;
    }
  });
}

// series: [{name, color, xs, ys, dash?, markers?, err?, seeds?}] (err: half-heights of error bars;
// seeds: per x, each seed's value, drawn as hollow squares);
// band: {xs, lo, hi, color, name}; opts.xticks: [{v, label}] for categorical axes.
export function lineChart(canvas, series, opts = {}) {
  // Kept so the same chart can be drawn again as SVG (lineChartSvg).
  if (!(canvas instanceof SvgCanvas)) canvas.lineChart = { series, opts };
  const all = series
    .flatMap((s) =>
      s.ys.flatMap((y, i) => {
        const e = s.err && Number.isFinite(s.err[i]) ? s.err[i] : 0;
        return (Number.isFinite(y) ? [y - e, y + e] : []).concat(s.seeds ? s.seeds[i] || [] : []);
      }),
    )
    .filter((y) => !opts.logy || y > 0);
  const band = opts.band;
  if (band) all.push(...band.lo.filter(Number.isFinite), ...band.hi.filter(Number.isFinite));
  if (opts.zeroLine) all.push(0);
  const xsAll = series.flatMap((s) => s.xs);
  if (!all.length || !xsAll.length) return frame(canvas, { xlo: 0, xhi: 1, ylo: 0, yhi: 1, ...opts });
  let ylo = Math.min(...all),
    yhi = Math.max(...all);
  let f;
  if (opts.logy) {
    f = frame(canvas, { xlo: Math.min(...xsAll), xhi: Math.max(...xsAll), ylo: opts.ylo ?? ylo / 1.5, yhi: yhi * 1.5, ...opts });
  } else {
    if (ylo === yhi) {
      ylo -= 1;
      yhi += 1;
    }
    const padY = (yhi - ylo) * 0.06;
    f = frame(canvas, { xlo: Math.min(...xsAll), xhi: Math.max(...xsAll), ylo: opts.ylo ?? ylo - padY, yhi: yhi + padY, ...opts });
  }
  const { ctx, X, Y } = f;
  if (band) {
    ctx.fillStyle = 'rgba(150,150,150,0.25)';
    ctx.beginPath();
    band.xs.forEach((x, i) => (i ? ctx.lineTo(X(x), Y(band.hi[i])) : ctx.moveTo(X(x), Y(band.hi[i]))));
    for (let i = band.xs.length - 1; i >= 0; i--) ctx.lineTo(X(band.xs[i]), Y(band.lo[i]));
    ctx.closePath();
    ctx.fill();
  }
  if (opts.zeroLine) {
    ctx.strokeStyle = '#888';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(X(Math.min(...xsAll)), Y(0));
    ctx.lineTo(X(Math.max(...xsAll)), Y(0));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false;
    s.xs.forEach((x, i) => {
      const y = s.ys[i];
      if (!Number.isFinite(y)) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(X(x), Y(y));
      else ctx.moveTo(X(x), Y(y));
      pen = true;
      if (s.markers) ((ctx.fillStyle = s.color), ctx.fillRect(X(x) - 2.5, Y(y) - 2.5, 5, 5));
    });
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.lineWidth = 1;
    if (s.seeds) {
      // Each seed's value: a hollow square, spread a little sideways so equal values stay apart.
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1;
      s.xs.forEach((x, i) =>
        (s.seeds[i] || []).forEach((v, j, vs) => {
          if (!Number.isFinite(v) || (opts.logy && v <= 0)) return;
          const dx = (j - (vs.length - 1) / 2) * 3;
          ctx.strokeRect(X(x) + dx - 2, Y(v) - 2, 4, 4);
        }),
      );
    }
    if (s.err) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      s.xs.forEach((x, i) => {
        const y = s.ys[i],
          e = s.err[i];
        if (!Number.isFinite(y) || !Number.isFinite(e) || e <= 0) return;
        const lo = opts.logy ? Math.max(y - e, y / 100) : y - e;
        ctx.beginPath();
        ctx.moveTo(X(x), Y(lo));
        ctx.lineTo(X(x), Y(y + e));
        ctx.moveTo(X(x) - 4, Y(lo));
        ctx.lineTo(X(x) + 4, Y(lo));
        ctx.moveTo(X(x) - 4, Y(y + e));
        ctx.lineTo(X(x) + 4, Y(y + e));
        ctx.stroke();
      });
      ctx.lineWidth = 1;
    }
  }
  if (!opts.noLegend) legend(ctx, f.W, series.filter((s) => s.name).concat(band && band.name ? [{ name: band.name, color: 'rgba(150,150,150,0.5)' }] : []));
  return f;
}

// Square bounds covering the 0.2%-99.8% range of every coordinate, with a margin.
export function bounds(arrays) {
  const vals = [];
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) vals.push(a[i]);
  vals.sort((x, y) => x - y);
  let lo = vals.length ? vals[Math.floor(vals.length * 0.002)] : -1;
  let hi = vals.length ? vals[Math.ceil(vals.length * 0.998) - 1] : 1;
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const m = (hi - lo) * 0.12;
  return [lo - m, hi + m];
}

// 2D scatter of the first two coordinates (1D sets: x against a small jitter-free index band).
export function scatter(canvas, pts, dim, color, [lo, hi], title) {
  const f = frame(canvas, { xlo: lo, xhi: hi, ylo: dim > 1 ? lo : 0, yhi: dim > 1 ? hi : 1, xlabel: 'x₁', ylabel: dim > 1 ? 'x₂' : '', title });
  const { ctx, X, Y } = f;
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.l, PAD.t, f.W - PAD.l - PAD.r, f.H - PAD.t - PAD.b);
  ctx.clip();
  ctx.fillStyle = color;
  ctx.globalAlpha = pts.length / dim > 5000 ? 0.35 : 0.6;
  const n = pts.length / dim;
  for (let i = 0; i < n; i++) {
    const x = pts[i * dim],
      y = dim > 1 ? pts[i * dim + 1] : (i + 0.5) / n;
    ctx.fillRect(X(x) - 1, Y(y) - 1, 2, 2);
  }
  ctx.restore();
  return f;
}

// Histograms of coordinate `coord`, drawn as outlines so overlaps stay readable.
export function histogram(canvas, sets, dim, [lo, hi], coord = 0, bins = 120) {
  const dens = sets.map((s) => {
    const h = new Float64Array(bins);
    const n = s.values.length / dim;
    for (let i = 0; i < n; i++) {
      const b = Math.floor(((s.values[i * dim + coord] - lo) / (hi - lo)) * bins);
      if (b >= 0 && b < bins) h[b]++;
    }
    const w = (hi - lo) / bins;
    return h.map((c) => c / (n * w));
  });
  const ymax = Math.max(1e-9, ...dens.flatMap((d) => [...d]));
  const f = frame(canvas, { xlo: lo, xhi: hi, ylo: 0, yhi: ymax * 1.05, xlabel: `x${sub(coord + 1)}`, ylabel: 'density' });
  const { ctx, X, Y } = f;
  sets.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.name === 'data' ? 2.5 : 1.6;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    for (let b = 0; b < bins; b++) {
      const x0 = lo + ((hi - lo) * b) / bins,
        x1 = lo + ((hi - lo) * (b + 1)) / bins;
      const y = Y(dens[k][b]);
      if (b === 0) ctx.moveTo(X(x0), y);
      else ctx.lineTo(X(x0), y);
      ctx.lineTo(X(x1), y);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  });
  ctx.lineWidth = 1;
  legend(ctx, f.W, sets);
  return f;
}

const SUBS = '₀₁₂₃₄₅₆₇₈₉';
export function sub(n) {
  return String(n)
    .split('')
    .map((c) => SUBS[+c])
    .join('');
}

// Densities per unit length of a recording's histogram rows (all points count, in range or not).
export function densities(rec) {
  const w = (rec.hi - rec.lo) / rec.bins;
  return rec.histograms.map((h, i) => {
    const total = h.reduce((a, b) => a + b, 0) + rec.outside[i];
    return h.map((c) => c / (Math.max(total, 1) * w));
  });
}

// A colour-blind-safe sequential map (viridis, 5 stops), v in [0, 1].
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
function viridis(v) {
  const x = Math.min(1, Math.max(0, v)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)),
    f = x - i;
  return VIRIDIS[i].map((a, k) => Math.round(a + f * (VIRIDIS[i + 1][k] - a)));
}

// Density evolution: time on x (1 at the left, 0 at the right), the coordinate on y, colour =
// density on a square-root scale clipped at vmax (shared between panels).
export function heatmap(canvas, rec, vmax, title) {
  const f = frame(canvas, { xlo: 1, xhi: 0, ylo: rec.lo, yhi: rec.hi, xlabel: 't', ylabel: `x${sub(rec.coordinate + 1)}`, title });
  const { ctx, X, Y } = f;
  const dens = densities(rec);
  const order = rec.times.map((t, i) => [t, i]).sort((a, b) => b[0] - a[0]);
  const w = (rec.hi - rec.lo) / rec.bins;
  order.forEach(([t, i], k) => {
    const left = k === 0 ? 1 : (t + order[k - 1][0]) / 2;
    const right = k === order.length - 1 ? 0 : (t + order[k + 1][0]) / 2;
    const x0 = X(left),
      x1 = X(right);
    for (let b = 0; b < rec.bins; b++) {
      const [r, g, bl] = viridis(Math.sqrt(dens[i][b] / vmax));
      ctx.fillStyle = `rgb(${r},${g},${bl})`;
      const y0 = Y(rec.lo + (b + 1) * w),
        y1 = Y(rec.lo + b * w);
      ctx.fillRect(x0, y0, x1 - x0 + 0.5, y1 - y0 + 0.5);
    }
  });
  ctx.strokeStyle = '#333';
  ctx.strokeRect(PAD.l, PAD.t, f.W - PAD.l - PAD.r, f.H - PAD.t - PAD.b);
  return f;
}

// Trajectories of a recording: over the data (2D and up: first two coordinates) or over t (1D).
export function trajectories(canvas, rec, data, dim, [lo, hi], color, title, opts = {}) {
  const n = rec.trajectory_points,
    T = rec.trajectory_times.length,
    tr = rec.trajectories;
  const shown = Math.min(n, opts.maxPaths ?? n);
  if (dim === 1) {
    const f = frame(canvas, { xlo: 1, xhi: 0, ylo: lo, yhi: hi, xlabel: 't', ylabel: 'x₁', title });
    const { ctx, X, Y } = f;
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.6;
    ctx.lineWidth = 1;
    for (let p = 0; p < shown; p++) {
      ctx.beginPath();
      for (let k = 0; k < T; k++) {
        const x = X(rec.trajectory_times[k]),
          y = Y(tr[k * n + p]);
        if (k) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    return f;
  }
  const f = scatter(canvas, data, dim, '#bbbbbb', [lo, hi], title);
  const { ctx, X, Y } = f;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.2;
  ctx.globalAlpha = 0.75;
  for (let p = 0; p < shown; p++) {
    ctx.beginPath();
    for (let k = 0; k < T; k++) {
      const o = (k * n + p) * dim;
      if (k) ctx.lineTo(X(tr[o]), Y(tr[o + 1]));
      else ctx.moveTo(X(tr[o]), Y(tr[o + 1]));
    }
    ctx.stroke();
    const o = ((T - 1) * n + p) * dim;
    ctx.fillStyle = color;
    ctx.fillRect(X(tr[o]) - 2, Y(tr[o + 1]) - 2, 4, 4);
  }
  ctx.globalAlpha = 1;
  ctx.lineWidth = 1;
  return f;
}

// A diverging map for signed values (blue below zero, white at zero, vermillion above).
function diverging(v) {
  const x = Math.max(-1, Math.min(1, v));
  const end = x < 0 ? [0, 114, 178] : [213, 94, 0];
  const a = Math.abs(x);
  return [0, 1, 2].map((k) => Math.round(255 + a * (end[k] - 255)));
}

// A field over (t, x): t on the horizontal axis from 1 (left) to 0 (right), x vertical, as the
// density evolution. values[t][x]; signed fields use the diverging map on [-vmax, vmax],
// others viridis on [vmin, vmax]. Returns the frame so paths can be drawn over it.
export function fieldHeatmap(canvas, { xs, ts, values, vmin, vmax, signed, title, xlabel = 'x₁' }) {
  const f = frame(canvas, { xlo: ts[0], xhi: ts[ts.length - 1], ylo: xs[0], yhi: xs[xs.length - 1], xlabel: 't', ylabel: xlabel, title });
  const { ctx, X, Y } = f;
  const dx = (xs[1] - xs[0]) / 2;
  ts.forEach((t, i) => {
    const left = i === 0 ? t : (t + ts[i - 1]) / 2;
    const right = i === ts.length - 1 ? t : (t + ts[i + 1]) / 2;
    const x0 = X(left),
      x1 = X(right);
    xs.forEach((x, j) => {
      const v = values[i][j];
      const [r, g, b] = !Number.isFinite(v) ? [200, 200, 200] : signed ? diverging(v / vmax) : viridis((v - vmin) / (vmax - vmin || 1));
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const y0 = Y(x + dx),
        y1 = Y(x - dx);
      ctx.fillRect(x0, y0, x1 - x0 + 0.5, y1 - y0 + 0.5);
    });
  });
  ctx.strokeStyle = '#333';
  ctx.strokeRect(PAD.l, PAD.t, f.W - PAD.l - PAD.r, f.H - PAD.t - PAD.b);
  return f;
}

// Paths of coordinate 0 of a recording over t, drawn on a frame from fieldHeatmap.
export function overlayPaths(f, rec, color, maxPaths) {
  const { ctx, X, Y } = f;
  const n = rec.trajectory_points,
    T = rec.trajectory_times.length,
    d = rec.dim,
    tr = rec.trajectories;
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.l, PAD.t, f.W - PAD.l - PAD.r, f.H - PAD.t - PAD.b);
  ctx.clip();
  ctx.strokeStyle = color;
  ctx.globalAlpha = 0.8;
  ctx.lineWidth = 1;
  for (let p = 0; p < Math.min(n, maxPaths); p++) {
    ctx.beginPath();
    for (let k = 0; k < T; k++) {
      const x = X(rec.trajectory_times[k]),
        y = Y(tr[(k * n + p) * d]);
      if (k) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    }
    ctx.stroke();
  }
  ctx.restore();
}

// A figure with a canvas (and an optional caption) appended to box; returns the canvas.
export function figure(box, w, h, label, caption) {
  const fig = document.createElement('figure');
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.setAttribute('aria-label', label);
  fig.append(c);
  if (caption) {
    const cap = document.createElement('figcaption');
    cap.textContent = caption;
    fig.append(cap);
  }
  box.append(fig);
  return c;
}

// A lower-triangular matrix (row N, column j <= N) as cells: x = column, y = row (0 at the
// bottom), viridis on [0, vmax] with a square-root scale; empty cells stay white.
export function matrixHeatmap(canvas, rows, { vmax, title, xlabel, ylabel }) {
  const n = rows.length;
  const f = frame(canvas, { xlo: -0.5, xhi: n - 0.5, ylo: -0.5, yhi: n - 0.5, xlabel, ylabel, title });
  const { ctx, X, Y } = f;
  rows.forEach((row, i) =>
    row.forEach((v, j) => {
      if (!Number.isFinite(v)) return;
      const [r, g, b] = viridis(Math.sqrt(Math.max(0, v) / (vmax || 1)));
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const x0 = X(j - 0.5),
        x1 = X(j + 0.5),
        y0 = Y(i - 0.5),
        y1 = Y(i + 0.5);
      ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0) + 0.5, Math.abs(y1 - y0) + 0.5);
    }),
  );
  ctx.strokeStyle = '#333';
  ctx.strokeRect(PAD.l, PAD.t, f.W - PAD.l - PAD.r, f.H - PAD.t - PAD.b);
  return f;
}

// SVG export of line charts: the same drawing code as the canvas, run against a context that
// writes SVG elements instead of pixels (the subset of CanvasRenderingContext2D the line charts
// use), so the SVG and the PNG show the same chart.
class SvgContext {
  constructor() {
    this.out = [];
    this.fillStyle = '#000';
    this.strokeStyle = '#000';
    this.lineWidth = 1;
    this.font = FONT;
    this.textAlign = 'start';
    this.dash = [];
    this.path = '';
    this.stack = [];
    this.tf = '';
    this.measure = document.createElement('canvas').getContext('2d');
  }
  setLineDash(d) {
    this.dash = d.slice();
  }
  save() {
    this.stack.push(this.tf);
  }
  restore() {
    this.tf = this.stack.pop() || '';
  }
  translate(x, y) {
    this.tf += ` translate(${r(x)} ${r(y)})`;
  }
  rotate(a) {
    this.tf += ` rotate(${r((a * 180) / Math.PI)})`;
  }
  clearRect() {}
  beginPath() {
    this.path = '';
  }
  moveTo(x, y) {
    this.path += `M${r(x)} ${r(y)}`;
  }
  lineTo(x, y) {
    this.path += `L${r(x)} ${r(y)}`;
  }
  closePath() {
    this.path += 'Z';
  }
  attrs(kind) {
    const t = this.tf ? ` transform="${this.tf.trim()}"` : '';
    if (kind === 'fill') return `fill="${esc(this.fillStyle)}" stroke="none"${t}`;
    const dash = this.dash.length ? ` stroke-dasharray="${this.dash.join(' ')}"` : '';
    return `fill="none" stroke="${esc(this.strokeStyle)}" stroke-width="${this.lineWidth}"${dash}${t}`;
  }
  stroke() {
    if (this.path) this.out.push(`<path d="${this.path}" ${this.attrs('stroke')}/>`);
  }
  fill() {
    if (this.path) this.out.push(`<path d="${this.path}" ${this.attrs('fill')}/>`);
  }
  fillRect(x, y, w, h) {
    this.out.push(`<rect x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" ${this.attrs('fill')}/>`);
  }
  strokeRect(x, y, w, h) {
    this.out.push(`<rect x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" ${this.attrs('stroke')}/>`);
  }
  measureText(t) {
    this.measure.font = this.font;
    return this.measure.measureText(t);
  }
  fillText(text, x, y) {
    const anchor = { center: 'middle', right: 'end', end: 'end' }[this.textAlign] || 'start';
    const bold = this.font.startsWith('bold') ? ' font-weight="bold"' : '';
    const t = this.tf ? ` transform="${this.tf.trim()}"` : '';
    this.out.push(
      `<text x="${r(x)}" y="${r(y)}" text-anchor="${anchor}" font-family="system-ui, sans-serif" font-size="13"${bold} fill="${esc(this.fillStyle)}"${t}>${esc(String(text))}</text>`,
    );
  }
}

class SvgCanvas {
  constructor(w, h) {
    this.width = w;
    this.height = h;
    this.ctx = new SvgContext();
  }
  getContext() {
    return this.ctx;
  }
}

const r = (v) => +v.toFixed(2);
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

// The SVG text of a canvas drawn by lineChart, or null for other charts.
export function lineChartSvg(canvas) {
  if (!canvas.lineChart) return null;
  const svg = new SvgCanvas(canvas.width, canvas.height);
  lineChart(svg, canvas.lineChart.series, canvas.lineChart.opts);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}" viewBox="0 0 ${canvas.width} ${canvas.height}">\n${svg.ctx.out.join('\n')}\n</svg>\n`;
}

// A grid of signed values (rows x columns) as coloured cells with their numbers: red above zero,
// blue below, white at zero, on one scale |v| <= vmax; `faint[i][j]` cells (within noise) are
// drawn pale and their numbers in grey. Row and column labels are given as text.
export function signedGrid(canvas, values, { rows, cols, vmax, title, xlabel, ylabel, faint }) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width,
    H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const [l, r, t, b] = [PAD.l + 8, PAD.r, PAD.t + 4, PAD.b];
  const cw = (W - l - r) / cols.length,
    ch = (H - t - b) / rows.length;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  values.forEach((row, i) =>
    row.forEach((v, j) => {
      const x = l + j * cw,
        y = t + i * ch;
      const pale = faint && faint[i] && faint[i][j];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        ctx.fillStyle = '#eee';
        ctx.fillRect(x, y, cw, ch);
        ctx.fillStyle = '#888';
        ctx.fillText('–', x + cw / 2, y + ch / 2 + 4);
        return;
      }
      const s = Math.min(1, Math.abs(v) / (vmax || 1)) * (pale ? 0.25 : 1);
      const [cr, cg, cb] = v >= 0 ? [213, 94, 0] : [0, 114, 178];
      ctx.fillStyle = `rgb(${Math.round(255 - s * (255 - cr))},${Math.round(255 - s * (255 - cg))},${Math.round(255 - s * (255 - cb))})`;
      ctx.fillRect(x, y, cw, ch);
      ctx.fillStyle = pale ? '#777' : s > 0.6 ? '#fff' : '#222';
      ctx.fillText((v >= 0 ? '+' : '') + v.toPrecision(2), x + cw / 2, y + ch / 2 + 4);
    }),
  );
  ctx.strokeStyle = '#333';
  ctx.strokeRect(l, t, cw * cols.length, ch * rows.length);
  ctx.font = FONT;
  ctx.fillStyle = '#222';
  cols.forEach((c, j) => ctx.fillText(String(c), l + (j + 0.5) * cw, H - b + 15));
  ctx.textAlign = 'right';
  rows.forEach((c, i) => ctx.fillText(String(c), l - 5, t + (i + 0.5) * ch + 4));
  ctx.textAlign = 'center';
  if (xlabel) ctx.fillText(xlabel, l + (cw * cols.length) / 2, H - 6);
  if (title) {
    ctx.font = 'bold ' + FONT;
    ctx.fillText(title, l + (cw * cols.length) / 2, 15);
    ctx.font = FONT;
  }
  if (ylabel) {
    ctx.save();
    ctx.translate(11, t + (ch * rows.length) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(ylabel, 0, 0);
    ctx.restore();
  }
}
