// ms per training step of the page's CPU engine, two builds side by side, alternating.
//   node scripts/page-speed.mjs DIST_A DIST_B [rounds]
// (the default net, 3x100 Tanh, batch 2000, 400 steps, gpu=0; see the README, "The browser's CPU engine").
import { chromium } from 'playwright-core';
import http from 'node:http'; import fs from 'node:fs'; import path from 'node:path';
const [a, b, rounds = '3'] = process.argv.slice(2);
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
async function serve(dir) {
  const root = path.resolve(dir);
  const s = http.createServer((req, res) => { const u = new URL(req.url, 'http://x'); let f = path.join(root, decodeURIComponent(u.pathname)); if (u.pathname.endsWith('/')) f = path.join(f, 'index.html');
    fs.readFile(f, (e, body) => { if (e) { res.writeHead(404); return res.end(); } res.writeHead(200, { 'content-type': MIME[path.extname(f)] || 'application/octet-stream' }); res.end(body); }); });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { s, base: `http://127.0.0.1:${s.address().port}/` };
}
const A = await serve(a), B = await serve(b);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const q = '?iters=400&report-every=100&n-samples=200&samplers=ode&steps=ode=5&eps=0.1&repeats=1&record-times=0&trajectories=0&gpu=0&autorun=1';
const res = { A: [], B: [] };
for (let r = 0; r < +rounds; r++) {
  for (const [name, srv] of [['A', A], ['B', B]]) {
    const page = await browser.newPage();
    await page.goto(srv.base + q);
    await page.waitForSelector('#results[data-state=done]', { timeout: 300_000 });
    res[name].push(await page.evaluate(() => window.collapseLab.last.result.training.ms_per_step));
    await page.close();
  }
}
const mean = (v) => v.reduce((x, y) => x + y, 0) / v.length;
console.log(`A ${a}: ${res.A.map((x) => x.toFixed(2)).join(', ')} ms/step (mean ${mean(res.A).toFixed(2)})`);
console.log(`B ${b}: ${res.B.map((x) => x.toFixed(2)).join(', ')} ms/step (mean ${mean(res.B).toFixed(2)})`);
console.log(`A / B = ${(mean(res.A) / mean(res.B)).toFixed(2)}`);
await browser.close(); A.s.close(); B.s.close();
