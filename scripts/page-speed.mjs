// The page's CPU engine on 1 worker and on N workers, side by side in one browser, alternating:
//   node scripts/page-speed.mjs DIST [rounds=1] [workers=2] [query]
// Runs the default experiment (the paper's chessboard: 3 x 100 Tanh net, batch 2000, 10,000
// steps, ODE and SDE, 2000 samples each; gpu=0) or the given query, and prints per run the
// training time and the whole run's time, the ratios of the means, and the largest difference
// between the runs' results (trained parameters, loss curve, every TID): it must be 0.
import { openPage } from './page-browser.mjs';
import os from 'node:os';
const [dist, rounds = '1', many = '2', query = ''] = process.argv.slice(2);
const { base, browser, close } = await openPage(dist);
// The bare URL would show the shipped run: Train is pressed, so the run trains here.
const runs = { 1: [], [many]: [] };
const kept = {};
for (let r = 0; r < +rounds; r++) {
  for (const n of [1, +many]) {
    const page = await browser.newPage();
    await page.goto(`${base}?gpu=0&workers=${n}${query ? '&' + query : ''}`);
    await page.waitForSelector('body[data-ready=true]');
    await page.waitForFunction(() => !document.querySelector('#train').disabled, null, { timeout: 60_000 });
    const t0 = Date.now();
    await page.click('#train');
    await page.waitForSelector('#results[data-state=done]:not([data-shipped])', { timeout: 1_800_000 });
    const wall = (Date.now() - t0) / 1000;
    const out = await page.evaluate(() => ({ r: window.collapseLab.last.result, p: Array.from(window.collapseLab.last.params[0]) }));
    runs[n].push({ train: out.r.timings.train_s, wall, engine: out.r.engine });
    kept[n] = out;
    console.log(
      `round ${r + 1}, ${out.r.engine}: training ${out.r.timings.train_s.toFixed(1)} s (${out.r.training.ms_per_step.toFixed(2)} ms/step), whole run ${wall.toFixed(1)} s`,
    );
    await page.close();
  }
}
const mean = (v) => v.reduce((x, y) => x + y, 0) / v.length;
const [a, b] = [kept[1], kept[many]];
let diff = 0;
a.p.forEach((v, i) => {
  diff = Math.max(diff, Math.abs(v - b.p[i]));
});
a.r.training.losses.forEach(([, l], i) => {
  diff = Math.max(diff, Math.abs(l - b.r.training.losses[i][1]));
});
for (const s of Object.keys(a.r.tid))
  a.r.tid[s].forEach((e, i) => {
    diff = Math.max(diff, Math.abs(e.tid - b.r.tid[s][i].tid));
  });
const t1 = mean(runs[1].map((x) => x.train)),
  tn = mean(runs[many].map((x) => x.train));
const w1 = mean(runs[1].map((x) => x.wall)),
  wn = mean(runs[many].map((x) => x.wall));
console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; ${rounds} round(s)`);
console.log(`training: 1 worker ${t1.toFixed(1)} s, ${many} workers ${tn.toFixed(1)} s: ${(t1 / tn).toFixed(2)}x`);
console.log(`whole run: 1 worker ${w1.toFixed(1)} s, ${many} workers ${wn.toFixed(1)} s: ${(w1 / wn).toFixed(2)}x`);
console.log(`largest difference between the two runs' results (parameters, losses, TID): ${diff}`);
await close();
process.exit(diff === 0 ? 0 : 1);
