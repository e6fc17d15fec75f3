// scratch: node scripts/.crop.mjs W H 'query' out-prefix waitSelector elementSelector — screenshots of one element, split in 900px-tall pieces
import { chromium } from 'playwright-core';
import http from 'node:http'; import fs from 'node:fs'; import path from 'node:path';
const [W, H, q, out, wait, sel] = process.argv.slice(2);
const dist = path.resolve('dist');
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png', '.json': 'application/json' };
const server = http.createServer((req, res) => { const url = new URL(req.url, 'http://x'); let f = path.join(dist, decodeURIComponent(url.pathname)); if (url.pathname.endsWith('/')) f = path.join(f, 'index.html');
  fs.readFile(f, (e, b) => { if (e) { res.writeHead(404); return res.end(); } res.writeHead(200, { 'content-type': MIME[path.extname(f)] || 'application/octet-stream' }); res.end(b); }); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: +W, height: +H } });
await page.goto(base + q);
await page.waitForSelector(wait, { timeout: 120000 });
await page.waitForTimeout(500);
const box = await page.locator(sel).boundingBox();
let i = 0;
for (let y = box.y; y < box.y + box.height; y += 900, i++) {
  await page.screenshot({ path: `${out}-${i}.png`, fullPage: true, clip: { x: box.x, y, width: box.width, height: Math.min(900, box.y + box.height - y) } });
}
console.log(i, 'pieces');
await browser.close(); server.close();
