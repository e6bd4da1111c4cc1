// The golden-data checks (every PyTorch 1.13 output and gradient in test/fixtures/golden.json:
// 80 RNN/LSTM/GRU cases, packing, Embedding, cross-entropy, schedulers, Adam) run inside
// chromium on the browser bundle dist/browser/recur.js, loaded through an import map, with the
// Node suite's tolerances. Also: the bundle has no node: imports, and a node: import reaching it
// fails the build. Skipped in the browser only without /usr/bin/chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLib, LIB_OUT } from '../web/build.mjs';
import { ensureBuilt, hasChromium, launch, serveStatic } from './web-helpers.js';
import type { Browser, StaticServer } from './web-helpers.js';

let srv: StaticServer;
let b: Browser;
let served: string;

beforeAll(async () => {
  const dir = await ensureBuilt();
  served = dir;
  if (!hasChromium) return;
  srv = await serveStatic(dir);
  b = await launch({ width: 1200, height: 900 });
}, 120_000);

afterAll(async () => {
  await b?.close();
  await srv?.close();
});

describe('browser bundle', () => {
  it('is an ES module without Node built-ins', () => {
    const text = fs.readFileSync(LIB_OUT, 'utf8');
    expect(text).not.toMatch(/from\s*["']node:/);
    expect(text).not.toMatch(/import\(\s*["']node:/);
    expect(text).not.toMatch(/\brequire\(/);
    expect(text).toMatch(/^export\s*\{/m);
  });

  it('fails the build, naming the importer, when a node: import reaches it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-bad-entry-'));
    try {
      fs.writeFileSync(path.join(dir, 'leaf.ts'), "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
      fs.writeFileSync(path.join(dir, 'entry.ts'), "export { read } from './leaf.js';\nexport * from '" + path.resolve('src/index.ts').replace(/\\/g, '/') + "';\n");
      await expect(buildLib({ entry: path.join(dir, 'entry.ts'), outfile: path.join(dir, 'out.js') }))
        .rejects.toThrow(/must not import the Node built-in 'node:fs' \(imported by .*leaf\.ts\)/);
      expect(fs.existsSync(path.join(dir, 'out.js'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasChromium)('golden checks in chromium', () => {
  it('passes every golden check, as the Node suite does', async () => {
    const p = b.page;
    const t0 = Date.now();
    await p.goto(`${srv.url}golden.html`);
    await p.waitForFunction(() => document.getElementById('summary')!.dataset.done === '1', null, { timeout: 90_000 });
    const s = await p.$eval('#summary', (e) => ({ ...(e as HTMLElement).dataset, text: e.textContent })) as Record<string, string | undefined>;
    const failures = await p.$$eval('tr.fail', (rows) => rows.map((r) => r.textContent));
    console.log(`${s.text} (${((Date.now() - t0) / 1000).toFixed(1)} s with page load)`);
    expect(s.error, s.text ?? '').toBeUndefined();
    expect(failures).toEqual([]);
    expect(Number(s.fail)).toBe(0);
    // 80 rnn + 21 pack + 5 embedding + 28 cross-entropy + 7 scheduler + 3 adam, plus one count check per suite
    expect(Number(s.total)).toBe(144 + 6);
    expect(Number(s.pass)).toBe(150);
    expect(await p.textContent('#suites')).toContain('rnn 81/81');
    // The WASM SIMD kernels, every module compiled synchronously on the page's main thread (the
    // forward cells' modules are over 4 KiB): a module that failed would leave the JS twins.
    expect(s.kernels).toBe('wasm-simd128');
    expect(b.errors).toEqual([]);
  }, 120_000);

  it('reports the cases whose PyTorch numbers were tampered with (the checks can fail)', async () => {
    const golden = JSON.parse(fs.readFileSync(path.join(served, 'golden.json'), 'utf8'));
    // float64 RNN case: one gradient entry off by 1e-7 (tolerance ~1e-9); float32 case: one
    // output entry off by 1e-3 (tolerance 1e-5 + 1e-4·|x|); one Adam trace parameter.
    const f64 = golden.rnn_cases.find((c: { dtype: string; input_kind: string }) => c.dtype === 'float64' && c.input_kind === 'packed');
    const f32 = golden.rnn_cases.find((c: { dtype: string }) => c.dtype === 'float32');
    const w = Object.keys(f64.grads).find((k) => k.startsWith('weight_hh'))!;
    f64.grads[w].data[0] += 1e-7;
    f32.outputs.h_n.data[0] += 1e-3;
    golden.adam_cases[0].trace[2].params_after.W.data[0] *= 1 + 1e-6;
    const file = path.join(served, 'golden-tampered.json');
    fs.writeFileSync(file, JSON.stringify(golden));
    try {
      const p = b.page;
      await p.goto(`${srv.url}golden.html?src=golden-tampered.json`);
      await p.waitForFunction(() => document.getElementById('summary')!.dataset.done === '1', null, { timeout: 90_000 });
      expect(Number(await p.getAttribute('#summary', 'data-fail'))).toBe(3);
      const failed = await p.$$eval('tr.fail td:nth-child(3)', (tds) => [...new Set(tds.map((t) => t.textContent))].sort());
      expect(failed).toEqual([f64.name, f32.name, golden.adam_cases[0].name].sort());
      const why = await p.$$eval('tr.fail td:nth-child(5)', (tds) => tds.map((t) => t.textContent).join('\n'));
      expect(why).toContain(`grad ${w}[0]`);
      expect(why).toContain('h_n[0]');
      expect(why).toContain('step 3 W[0]');
    } finally {
      fs.rmSync(file, { force: true });
    }
  }, 120_000);
});
