// Export: files made in the page from the run in memory (nothing leaves the browser): the
// result JSON, the TID table, every point as CSV, and a PNG (and SVG for line charts) under
// every chart.
import { lineChartSvg } from './plots.js';

export function download(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const csvNum = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '' : String(v));

export function exportJson(lastOut) {
  if (!lastOut) return;
  download(`collapse-lab-seed${lastOut.result.spec.seed}.json`, new Blob([JSON.stringify(lastOut.result, null, 1)], { type: 'application/json' }));
}

// e, then per sampler its TID and spread, then the data-vs-data floor: the table on screen.
export function exportTid(lastOut) {
  if (!lastOut) return;
  const r = lastOut.result;
  const names = Object.keys(r.tid);
  const head = ['e', ...names.flatMap((n) => [`tid_${n}`, `tid_std_${n}`]), 'tid_null', 'tid_std_null'];
  const rows = r.spec.metrics.eps.map((e, i) =>
    [e, ...names.flatMap((n) => [csvNum(r.tid[n][i].tid), csvNum(r.tid[n][i].tid_std)]), csvNum(r.tid_null[i].tid), csvNum(r.tid_null[i].tid_std)].join(','),
  );
  download(`collapse-lab-tid-seed${r.spec.seed}.csv`, new Blob([[head.join(','), ...rows].join('\n') + '\n'], { type: 'text/csv' }));
}

// One row per point: the set (data = the training reference, or a sampler) and its coordinates.
export function exportSamples(lastOut) {
  if (!lastOut) return;
  const dim = lastOut.result.data_dim;
  const lines = ['set,' + Array.from({ length: dim }, (_, k) => `x${k + 1}`).join(',')];
  const sets = [['data', lastOut.reference], ...Object.entries(lastOut.samples)];
  for (const [name, a] of sets) {
    if (!a) continue;
    for (let i = 0; i + dim <= a.length; i += dim) lines.push(name + ',' + Array.from(a.subarray(i, i + dim), String).join(','));
  }
  download(`collapse-lab-samples-seed${lastOut.result.spec.seed}.csv`, new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
}

// A "PNG" link under every chart of `box` that has none yet (the canvas as drawn), and an "SVG"
// link under every line chart (drawn again as SVG: lineChartSvg), once the canvas holds one.
export function pngLinks(box) {
  const link = (c, kind, save) => {
    const a = document.createElement('a');
    a.className = kind;
    a.textContent = kind.toUpperCase();
    a.href = '#';
    const name = (c.getAttribute('aria-label') || c.id || 'chart').replace(/[^\w.-]+/g, '_').slice(0, 80);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      save(`${name}.${kind}`);
    });
    return a;
  };
  for (const c of box.querySelectorAll('figure canvas')) {
    const fig = c.closest('figure');
    if (!fig.querySelector('a.png')) {
      const links = document.createElement('span');
      links.className = 'chart-links';
      links.append(link(c, 'png', (file) => c.toBlob((b) => download(file, b), 'image/png')));
      // Floated right before the caption, so that the caption's text wraps around the links
      // (after it, pulled up, they overlapped a long caption's last line).
      const cap = fig.querySelector('figcaption');
      if (cap) cap.before(links);
      else fig.append(links);
    }
    if (c.lineChart && !fig.querySelector('a.svg')) {
      fig.querySelector('a.png').before(link(c, 'svg', (file) => download(file, new Blob([lineChartSvg(c)], { type: 'image/svg+xml' }))));
    }
  }
}
