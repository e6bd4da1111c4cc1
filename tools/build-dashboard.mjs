#!/usr/bin/env node
// Builds the dashboard page (web/dashboard) into dist/web/dashboard: app.js (the page's code,
// uPlot and the browser-safe parts of src/track bundled by esbuild), app.css, index.html.
// Run by `npm run build` after tsc; the dashboard server serves that directory.
//   node tools/build-dashboard.mjs [outDir]
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'web', 'dashboard');

export async function buildDashboard(outDir = path.join(ROOT, 'dist', 'web', 'dashboard'), { minify = true } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(SRC, 'app.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outfile: path.join(outDir, 'app.js'), // CSS imported by app.ts lands in app.css
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(SRC, 'index.html'), path.join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildDashboard(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`dashboard built in ${path.relative(process.cwd(), out) || out}`);
}
