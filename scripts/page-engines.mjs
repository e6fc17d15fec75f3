// The page's two engines on one net, measured in headless Chromium: the CPU engine on Web
// Workers and the WGSL engine on WebGPU, each training a short run of the given net; prints one
// JSON line per engine: {engine, adapter, ms_per_step, gpu (device work per step)}.
//   node scripts/page-engines.mjs DIST QUERY ITERS [hardware]
// QUERY sets the net (e.g. "depth=2&width=1000&batch=2000&dataset=mog-nd&dim=10"); ITERS the
// training steps of each run. "hardware" launches Chromium on the machine's GPU (Vulkan);
// otherwise on SwiftShader (a CPU implementation of WebGPU: correct, never a speed reference).
import { openPage } from './page-browser.mjs';

const [dist, query, iters = '20', mode = 'software'] = process.argv.slice(2);
const { base, browser, close } = await openPage(dist, mode === 'hardware' ? 'hardware' : 'software');
const n = Math.max(2, +iters);
// A short run: the net of QUERY, few samples with the ODE only (what is timed is training).
const run = `${query}&iters=${n}&report-every=${Math.max(1, Math.floor(n / 2))}&samplers=ode&steps=ode=10&n-samples=200&autorun=1`;
let failed = false;
for (const [label, extra] of [
  ['cpu workers', 'gpu=0'],
  ['webgpu', 'gpu=1'],
]) {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}?${run}&${extra}`);
    await page.waitForSelector('#results[data-state=done]:not([data-shipped])', { timeout: 580_000 });
    const r = await page.evaluate(() => window.collapseLab.last.result);
    if (label === 'webgpu' && !r.engine.startsWith('gpu')) throw new Error(`trained on ${r.engine}, not WebGPU: ${await page.textContent('#engine-note')}`);
    // The adapter by the name the browser gives the page (wgpu in wasm sees none), so that the
    // table says which device ran: on a lent GPU a Chromium that fell back to SwiftShader is
    // refused rather than timed as the GPU.
    const gpu =
      label === 'webgpu'
        ? await page.evaluate(async () => {
            const a = await navigator.gpu.requestAdapter();
            const i = (a && a.info) || {};
            return {
              name: [i.vendor, i.architecture, i.description].filter(Boolean).join(' '),
              fallback: Boolean(a && (a.isFallbackAdapter || i.isFallbackAdapter)),
            };
          })
        : null;
    const adapter = gpu ? gpu.name || r.engine.replace(/^gpu: /, '') : r.engine;
    if (gpu && mode === 'hardware' && (gpu.fallback || /swiftshader|llvmpipe|lavapipe/i.test(adapter))) {
      throw new Error(`Chromium gave a software adapter (${adapter}) where the hardware one was asked: no WebGPU figure for the GPU`);
    }
    console.log(JSON.stringify({ engine: label, adapter, ms_per_step: r.training.ms_per_step, gpu: r.training.gpu || null }));
  } catch (e) {
    failed = true;
    console.log(JSON.stringify({ engine: label, error: String(e.message || e).split('\n')[0] }));
  }
  await page.close();
}
await close();
process.exit(failed ? 1 : 0);
