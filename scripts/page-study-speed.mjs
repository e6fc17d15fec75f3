// A study's nets on WebGPU in the page, trained alone and side by side, in one browser:
//   node scripts/page-study-speed.mjs DIST [fraction=50] [rounds=1] [preset=fig7-seesaw] [SETTINGS]
// Opens the gallery entry's quick link (the quick Fig. 7 see-saw study by default) with its
// training cut to 1/fraction of its steps (the quick size runs for hours on SwiftShader), on
// WebGPU (gpu=1), once with together=1 (each group of runs trains alone, the page's workers
// sharing the GPU) and once with the default (up to 8 nets side by side in a worker: one
// submission per block of steps for all), alternating per round. Prints each study's wall time,
// the device's work per training step of one net (submissions, readbacks, dispatches, from the
// records' engine counters) and the largest difference between the two studies' figures (every
// figure but the times): it must be 0. On SwiftShader the GPU is the CPU: the submissions
// counted are what a hardware GPU would see; the times are not a hardware GPU's. SETTINGS
// (name=value&...) change the link's, e.g. diagnostics=0&steps=ode=20 to time the training
// (on SwiftShader the see-saw's diagnostics take minutes a run).
import { openPage } from './page-browser.mjs';
import os from 'node:os';
const [dist, fraction = '50', rounds = '1', preset = 'fig7-seesaw', extra = ''] = process.argv.slice(2);
const { base, browser, close } = await openPage(dist, 'software');
const first = await browser.newPage();
await first.goto(base);
await first.waitForSelector('body[data-ready=true]');
const href = await first.$eval(`#gallery li[data-preset="${preset}"] a.quick`, (a) => a.getAttribute('href'));
await first.close();
const q = new URLSearchParams(href.slice(1));
q.set('iters', String(Math.max(1, Math.round(Number(q.get('iters')) / Number(fraction)))));
q.set('gpu', '1');
q.delete('autorun');
for (const [k, v] of new URLSearchParams(extra)) q.set(k, v);
console.log(`study: ${preset} quick, training cut to 1/${fraction}${extra ? `, with ${extra}` : ''}: ?${q}`);
const mean = (v) => v.reduce((x, y) => x + y, 0) / Math.max(1, v.length);
const runs = { alone: [], together: [] };
const kept = {};
for (let r = 0; r < +rounds; r++) {
  for (const mode of ['alone', 'together']) {
    // A fresh context: a stored study would show instead of running.
    const page = await browser.newPage();
    page.on('crash', () => console.log(`  ${mode}: the page crashed`));
    page.on('console', (m) => {
      if (m.type() === 'error') console.log(`  ${mode} console: ${m.text()}`);
    });
    const t = new URLSearchParams(q);
    if (mode === 'alone') t.set('together', '1');
    await page.goto(`${base}?${t}&autorun=1`);
    const tick = setInterval(
      () =>
        page.textContent('#progress-text').then(
          (x) => console.log(`  ${mode}: ${x.trim()}`),
          () => {},
        ),
      60_000,
    );
    await page.waitForSelector('#study-view[data-state=done]', { timeout: 3_600_000 }).finally(() => clearInterval(tick));
    const line = await page.textContent('#progress-text');
    const study = await page.evaluate(() => window.collapseLab.study);
    await page.close();
    const failed = study.runs.filter((x) => x.error);
    if (failed.length) throw new Error(`${mode}: ${failed.length} run(s) failed: ${failed[0].error}`);
    const wall = Number(/in ([\d.]+) s/.exec(line)[1]);
    // Per training step of one net: each trained net's report (a two-net model's per net).
    const work = study.runs
      .flatMap((x) => (x.result.training_nets ? x.result.training_nets.map((n) => n.report.gpu) : [x.result.training.gpu]))
      .filter(Boolean);
    const per = (k) => mean(work.map((g) => g[k]));
    runs[mode].push(wall);
    kept[mode] = study;
    console.log(
      `round ${r + 1}, ${mode}: ${line.trim()}  per net-step: ${per('submissions_per_step').toFixed(4)} submissions, ${per('readbacks_per_step').toFixed(4)} readbacks, ${per('dispatches_per_step').toFixed(1)} dispatches; nets per job ${Math.max(...work.map((g) => g.together || 1))}`,
    );
  }
}
let diff = 0;
const figures = (m) => Object.keys(m).filter((k) => !/_s$|ms_per_step/.test(k));
for (const a of kept.alone.runs) {
  const b = kept.together.runs.find((x) => x.index === a.index);
  for (const k of figures(a.metrics)) {
    const [x, y] = [a.metrics[k], b.metrics[k]];
    if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) diff = Math.max(diff, Math.abs(x - y) || Infinity);
  }
}
const [ta, tt] = [mean(runs.alone), mean(runs.together)];
console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; WebGPU on SwiftShader; ${rounds} round(s); ${kept.alone.runs.length} runs`);
console.log(`study wall time: alone ${ta.toFixed(1)} s, side by side ${tt.toFixed(1)} s: ${(ta / tt).toFixed(2)}x`);
console.log(`largest difference between the two studies' figures (all but the times): ${diff}`);
await close();
process.exit(diff === 0 ? 0 : 1);
