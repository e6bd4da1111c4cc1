// The play page's form and prediction box in chromium, without training: every flag label is
// readable at 1280 px (no ellipsis), and an input error replaces the previous prediction instead
// of standing beside it. Skipped only without /usr/bin/chromium.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, hasChromium, launch, serveStatic } from './web-helpers.js';
import type { Browser, StaticServer } from './web-helpers.js';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'web', 'model.safetensors');

let srv: StaticServer;
let b: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  srv = await serveStatic(await ensureBuilt());
  b = await launch({ width: 1280, height: 900 });
}, 120_000);

afterAll(async () => {
  await b?.close();
  await srv?.close();
});

describe.skipIf(!hasChromium)('play page form', () => {
  it('shows every flag name in full at 1280 px wide', async () => {
    const p = b.page;
    await p.goto(srv.url);
    await p.evaluate(() => { (document.getElementById('flags-box') as HTMLDetailsElement).open = true; });
    const labels = await p.$$eval('#flags .flag-name', (els) =>
      els.map((e) => ({ text: e.textContent, scroll: e.scrollWidth, client: e.clientWidth, width: e.getBoundingClientRect().width })));
    expect(labels.length).toBeGreaterThan(20);
    for (const l of labels) {
      expect(l.width, `${l.text} is not laid out`).toBeGreaterThan(0);
      // An ellipsis means the text is wider than its box.
      expect(l.scroll, `label ${l.text} is cut off (${l.scroll} px of text in ${l.client} px)`).toBeLessThanOrEqual(l.client);
    }
    expect(labels.map((l) => l.text)).toEqual(expect.arrayContaining(['hidden_dim', 'warmup_step', 'clip_grad_norm']));
    // The inputs stay usable beside them.
    const inputs = await p.$$eval('#flags .flag input[type=text]', (els) => els.map((e) => e.getBoundingClientRect().width));
    for (const w of inputs) expect(w).toBeGreaterThanOrEqual(50);
  });

  it('an input error clears the previous prediction', async () => {
    const p = b.page;
    await p.goto(srv.url);
    await p.setInputFiles('#ckpt-file', FIXTURE);
    await p.waitForFunction(() => document.getElementById('model-info')!.dataset.step === '6000');
    await p.fill('#digits', '3 7 1 9');
    await p.press('#digits', 'Enter');
    await p.waitForFunction(() => document.getElementById('trajectory')!.dataset.seq === '3 7 1 9');
    expect(await p.textContent('#pred-digit')).toBe('0');
    expect(await p.textContent('#pred-truth')).toBe('0');
    expect(await p.$$('#probs .prob')).toHaveLength(10);

    await p.fill('#digits', '3 x 1');
    await p.press('#digits', 'Enter');
    await p.waitForFunction(() => document.getElementById('pred-seq')!.classList.contains('error'));
    const shown = await p.evaluate(() => ({
      digit: document.getElementById('pred-digit')!.textContent,
      prediction: document.getElementById('pred-digit')!.dataset.prediction,
      prob: document.getElementById('pred-prob')!.textContent!.trim(),
      truth: document.getElementById('pred-truth')!.textContent,
      sum: document.getElementById('pred-sum')!.textContent!.trim(),
      verdict: document.getElementById('pred-verdict')!.textContent,
      bars: document.querySelectorAll('#probs .prob').length,
      ready: document.getElementById('answer')!.dataset.ready,
      seq: document.getElementById('pred-seq')!.textContent,
      explained: document.getElementById('trajectory')!.dataset.seq ?? null,
      heatmaps: document.querySelectorAll('#trajectory canvas, #trajectory svg').length,
    }));
    expect(shown).toMatchObject({ digit: '–', prediction: undefined, prob: '', truth: '–', sum: '', verdict: '', bars: 0, ready: '0', explained: null, heatmaps: 0 });
    expect(shown.seq).not.toBe('');
    expect(shown.seq).not.toMatch(/^sequence \[/);

    // A valid sequence brings the answer back.
    await p.fill('#digits', '4 8 2 9 6');
    await p.press('#digits', 'Enter');
    await p.waitForFunction(() => document.getElementById('trajectory')!.dataset.seq === '4 8 2 9 6');
    expect(await p.textContent('#pred-digit')).toBe('9');
    expect(await p.textContent('#pred-verdict')).toBe('✓');
  });

  it('raised no page errors', () => {
    expect(b.errors).toEqual([]);
  });
});
