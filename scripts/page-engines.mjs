// The page's two engines on one net, measured in headless Chromium: the CPU engine on Web
// Workers and the WGSL engine on WebGPU, each training a short run of the given net; prints one
// JSON line per engine: {engine, adapter, ms_per_step, gpu (device work per step)}.
//   node scripts/page-engines.mjs DIST QUERY ITERS [hardware]
// QUERY sets the net (e.g. "depth=2&width=1000&batch=2000&dataset=mog-nd&dim=10"); ITERS the
// training steps of each run. "hardware" launches Chromium on the machine's GPU (Vulkan);
// otherwise on SwiftShader (a CPU implementation of WebGPU: correct, never a speed reference).
import { chromium } from 'playwright-core';
import http from 'node:http'; import fs from 'node:fs'; import path from 'node:path';

const [dist, query, iters = '20', mode = 'software'] = process.argv.slice(2);
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };
const root = path.resolve(dist);
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  let f = path.join(root, decodeURIComponent(u.pathname));
  if (u.pathname.endsWith('/')) f = path.join(f, 'index.html');
  fs.readFile(f, (e, body) => { if (e) { res.writeHead(404); return res.end(); } res.writeHead(200, { 'content-type': MIME[path.extname(f)] || 'application/octet-stream' }); res.end(body); });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const gpuFlags = mode === 'hardware'
  ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist']
  : ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', ...gpuFlags, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
const n = Math.max(2, +iters);
// A short run: the net of QUERY, few samples with the ODE only (what is timed is training).
const run = `${query}&iters=${n}&report-every=${Math.max(1, Math.floor(n / 2))}&samplers=ode&steps=ode=10&n-samples=200&autorun=1`;
let failed = false;
for (const [label, extra] of [['cpu workers', 'gpu=0'], ['webgpu', 'gpu=1']]) {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}?${run}&${extra}`);
    await page.waitForSelector('#results[data-state=done]:not([data-shipped])', { timeout: 580_000 });
    const r = await page.evaluate(() => window.collapseLab.last.result);
    const adapter = label === 'webgpu' ? r.engine.replace(/^gpu: /, '') : r.engine;
    if (label === 'webgpu' && !r.engine.startsWith('gpu')) throw new Error(`trained on ${r.engine}, not WebGPU: ${await page.textContent('#engine-note')}`);
    console.log(JSON.stringify({ engine: label, adapter, ms_per_step: r.training.ms_per_step, gpu: r.training.gpu || null }));
  } catch (e) {
    failed = true;
    console.log(JSON.stringify({ engine: label, error: String(e.message || e).split('\n')[0] }));
  }
  await page.close();
}
await browser.close();
server.close();
process.exit(failed ? 1 : 0);
