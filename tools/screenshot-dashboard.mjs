#!/usr/bin/env node
// Screenshot of the dashboard for a runs root (for the README):
//   node tools/screenshot-dashboard.mjs <runsRoot> <out.png> [options]
// Options:
//   --width N --height N   viewport (default 1600 x 1000)
//   --smoothing W          EMA smoothing weight (default 0)
//   --group                group runs that differ only in seed (default: automatic, above 40 runs)
//   --only a,b,c           show only these run ids (default: all)
//   --charts-only          capture the charts grid only, not the page
//   --chromium PATH        browser (default /usr/bin/chromium)
// Uses the built server and page (npm run build); falls back to building both from the sources
// with esbuild into a temp directory when dist/ is missing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { buildDashboard } from './build-dashboard.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { width: 1600, height: 1000, smoothing: 0, group: false, only: null, chartsOnly: false, chromium: '/usr/bin/chromium', pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--width') o.width = Number(argv[++i]);
    else if (a === '--height') o.height = Number(argv[++i]);
    else if (a === '--smoothing') o.smoothing = Number(argv[++i]);
    else if (a === '--group') o.group = true;
    else if (a === '--only') o.only = argv[++i].split(',').filter(Boolean);
    else if (a === '--charts-only') o.chartsOnly = true;
    else if (a === '--chromium') o.chromium = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.pos.push(a);
  }
  if (o.pos.length !== 2) throw new Error('usage: node tools/screenshot-dashboard.mjs <runsRoot> <out.png> [--width N --height N --smoothing W --group --only a,b --charts-only]');
  return o;
}

async function loadServer(tmp) {
  const built = path.join(ROOT, 'dist', 'track', 'server.js');
  if (fs.existsSync(built)) return import(pathToFileURL(built).href);
  const { build } = await import('esbuild');
  const out = path.join(tmp, 'server.mjs');
  await build({ entryPoints: [path.join(ROOT, 'src', 'track', 'server.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
  return import(pathToFileURL(out).href);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const runsRoot = path.resolve(o.pos[0]);
  const outFile = path.resolve(o.pos[1]);
  if (!fs.existsSync(runsRoot)) throw new Error(`${runsRoot} does not exist`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-shot-'));
  let srv;
  let browser;
  try {
    const { startDashboard, defaultAssetsDir } = await loadServer(tmp);
    let assetsDir = defaultAssetsDir();
    if (!fs.existsSync(path.join(assetsDir, 'index.html'))) assetsDir = await buildDashboard(path.join(tmp, 'assets'));
    srv = await startDashboard({ root: runsRoot, assetsDir, playDir: null, port: 0 });
    const ids = (await (await fetch(new URL('api/runs', srv.url))).json()).runs.map((r) => r.id);
    const hidden = o.only ? ids.filter((id) => !o.only.includes(id)) : [];
    browser = await chromium.launch({
      executablePath: o.chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: o.width, height: o.height }, deviceScaleFactor: 2 });
    const state = { settings: { smoothing: o.smoothing, group: o.group ? true : null, view: 'charts' }, hidden };
    await page.addInitScript((s) => localStorage.setItem('recur-dashboard', s), JSON.stringify(state));
    await page.goto(srv.url);
    // Every chart drawn (the page sets __recurDrawn), then the full page: charts below the fold
    // draw once scrolled into view, so scroll through the page first.
    await page.waitForFunction(() => window.__recurDrawn === true, null, { timeout: 60_000 });
    if (!o.chartsOnly) {
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await page.waitForTimeout(100);
      await page.waitForFunction(() => window.__recurDrawn === true, null, { timeout: 60_000 });
      await page.evaluate(() => window.scrollTo(0, 0));
    }
    await page.waitForTimeout(300);
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    if (o.chartsOnly) await (await page.$('#charts')).screenshot({ path: outFile });
    else await page.screenshot({ path: outFile, fullPage: true });
    console.log(`wrote ${outFile} (${ids.length - hidden.length} of ${ids.length} runs)`);
  } finally {
    await browser?.close();
    await srv?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`screenshot-dashboard: ${e.message}`);
  process.exitCode = 1;
});
