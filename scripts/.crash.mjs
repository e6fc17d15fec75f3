import { chromium } from 'playwright-core';
import http from 'node:http'; import fs from 'node:fs'; import path from 'node:path';
const [W, H, q] = process.argv.slice(2);
const dist = path.resolve('dist');
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png', '.json': 'application/json' };
const server = http.createServer((req, res) => { const url = new URL(req.url, 'http://x'); let f = path.join(dist, decodeURIComponent(url.pathname)); if (url.pathname.endsWith('/')) f = path.join(f, 'index.html');
  fs.readFile(f, (e, b) => { if (e) { console.log('404', url.pathname); res.writeHead(404); return res.end(); } res.writeHead(200, { 'content-type': MIME[path.extname(f)] || 'application/octet-stream' }); res.end(b); }); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
browser.on('disconnected', () => console.log('BROWSER DISCONNECTED'));
const page = await browser.newPage({ viewport: { width: +W, height: +H } });
page.on('crash', () => console.log('PAGE CRASH'));
page.on('close', () => console.log('PAGE CLOSE'));
page.on('pageerror', (e) => console.log('PAGEERROR', e.message)); page.on('console', (m) => console.log('CONSOLE', m.type(), m.text().slice(0, 300)));
await page.goto(base + q);
for (let i = 0; i < 30; i++) { await page.waitForTimeout(1000); const st = await page.evaluate(() => [document.querySelector('#study-view')?.dataset.state, document.querySelector('#study-view')?.hidden, document.querySelector('#progress-text')?.textContent.slice(0, 200)]).catch((e) => 'ERR ' + e.message); console.log(i, JSON.stringify(st)); if (st && st[0] === 'true') break; }
await browser.close(); server.close();
