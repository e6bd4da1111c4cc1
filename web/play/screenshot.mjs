#!/usr/bin/env node
// Takes docs/img/play.png: builds the page, serves it, trains the article's `sota` and
// `sota_warmup` presets (6,000 steps, seed 2) in headless chromium at 1280 px wide, types a
// sequence, and screenshots the whole page with the flags form open.
//   node web/play/screenshot.mjs [out.png] [--steps N]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildPlay, ROOT } from '../build.mjs';

const args = process.argv.slice(2);
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? args.splice(stepsAt, 2)[1] : '6000';
const out = path.resolve(args[0] ?? path.join(ROOT, 'docs', 'img', 'play.png'));

const { outDir } = await buildPlay();
const server = http.createServer((req, res) => {
  const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/play\//, '')) || 'index.html';
  const file = path.resolve(outDir, rel);
  if (!file.startsWith(outDir + path.sep) || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
  const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' }[path.extname(file)] ?? 'application/octet-stream';
  // as `recur dashboard` serves /play: cross-origin isolated (layers big enough train on two threads)
  res.writeHead(200, { 'content-type': type, 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/play/`;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-shot-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 1000 },
  deviceScaleFactor: 1,
});
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(url);
  for (const preset of ['sota', 'sota_warmup']) {
    await page.selectOption('#preset', preset);
    await page.evaluate(() => { document.getElementById('flags-box').open = true; });
    await page.fill('#flag-total_steps', steps);
    await page.fill('#flag-seed', '2');
    const t0 = Date.now();
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('run-state').dataset.state === 'finished', null, { timeout: 600_000 });
    console.log(`${preset}: ${await page.textContent('#status-line')} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await page.fill('#digits', '4 8 2 9 6 3');
  await page.press('#digits', 'Enter');
  await page.waitForFunction(() => document.getElementById('trajectory').dataset.seq === '4 8 2 9 6 3');
  await page.mouse.move(0, 0);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`answer: ${await page.textContent('#pred-digit')} (truth ${await page.textContent('#pred-truth')}); saved ${path.relative(process.cwd(), out)}`);
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  server.close();
}
