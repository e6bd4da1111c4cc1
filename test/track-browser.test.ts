// The dashboard in a real browser (Debian chromium driven by playwright-core) against the real
// server over a fixture runs root: runs list, one line per selected run, toggling, smoothing,
// seed groups, downsampled series and full-resolution zoom windows, compare view, CSV and PNG
// export, live updates. The page at 500 runs is in dashboard-scale.test.ts. Skipped only when
// /usr/bin/chromium is absent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/track/file-store.js';
import { startDashboard, type DashboardServer } from '../src/track/server.js';
import { buildDashboard } from '../tools/build-dashboard.mjs';
import { tmpRoot, writeArticleFixture, writeFixtureRun, BASE_CONFIG } from './track-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`track-browser tests skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

interface DebugLine { key: string; label: string; color: string; points: number; rows: number | null; drawn: number[]; raw: number[] | null; x: [number, number] | null }
interface DebugChart { metric: string; drawn: boolean; xRange: [number, number] | null; legend: string[]; lines: DebugLine[] }

let base: string;
let root: string;
let srv: DashboardServer;
let ctx: BrowserContext;
let page: Page;
let profile: string | undefined;
const pageErrors: string[] = [];
const BIG_POINTS = 5000;

async function charts(): Promise<DebugChart[]> {
  return page.evaluate(() => (window as unknown as { recurDashboard: { charts(): unknown } }).recurDashboard.charts()) as Promise<DebugChart[]>;
}

async function chart(metric: string): Promise<DebugChart> {
  const c = (await charts()).find((x) => x.metric === metric);
  if (!c) throw new Error(`no chart ${metric}`);
  return c;
}

// Pixels of the metric's canvas within a small distance of each colour: a drawn line leaves
// many; a hidden one none.
async function colorPixels(metric: string, colors: string[]): Promise<Record<string, number>> {
  return page.evaluate(
    ([m, cols]) => {
      const canvas = document.querySelector(`section.chart-card[data-metric="${m}"] canvas`) as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const rgb = (cols as string[]).map((c) => [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)]);
      const counts = rgb.map(() => 0);
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] < 250) continue;
        rgb.forEach(([r, g, b], k) => {
          if (Math.abs(data[i] - r) <= 6 && Math.abs(data[i + 1] - g) <= 6 && Math.abs(data[i + 2] - b) <= 6) counts[k]++;
        });
      }
      return Object.fromEntries((cols as string[]).map((c, k) => [c, counts[k]]));
    },
    [metric, colors] as const,
  );
}

async function canvasHash(metric: string): Promise<string> {
  return page.evaluate((m) => (document.querySelector(`section.chart-card[data-metric="${m}"] canvas`) as HTMLCanvasElement).toDataURL(), metric);
}

async function setVisible(ids: string[]): Promise<void> {
  await page.click('#hide-all');
  for (const id of ids) await page.check(`input.vis-toggle[data-run="${id}"]`);
  await page.waitForFunction(
    (n) => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; lines: unknown[] }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')?.lines.length === n,
    ids.length,
  );
  await waitDrawn();
}

async function waitDrawn(): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __recurDrawn?: boolean }).__recurDrawn === true, null, { timeout: 20_000 });
}

beforeAll(async () => {
  if (!hasChromium) return;
  base = tmpRoot('recur-track-web-');
  root = path.join(base, 'runs');
  const assets = await buildDashboard(path.join(base, 'assets'), { minify: false });
  await writeArticleFixture(root, 2000);
  // A long run (every step logged), a live one, and a corrupt one.
  await writeFixtureRun(root, { name: 'long', config: { ...BASE_CONFIG, lr: 0.002 }, seed: 9, steps: BIG_POINTS, logEvery: 1, evalEvery: 1000 }, Date.parse('2024-05-02T10:00:00Z'));
  await writeFixtureRun(root, { name: 'live', config: { ...BASE_CONFIG, lr: 0.003 }, seed: 4, steps: 300, status: 'running' }, Date.now() - 60_000);
  fs.mkdirSync(path.join(root, 'broken'));
  fs.writeFileSync(path.join(root, 'broken', 'meta.json'), '{ not json');
  srv = await startDashboard({ root, assetsDir: assets, playDir: null, port: 0 });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    deviceScaleFactor: 1,
    acceptDownloads: true,
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.goto(srv.url);
  await page.waitForFunction(() => (window as unknown as { recurDashboard?: { ready: boolean } }).recurDashboard?.ready === true, null, { timeout: 20_000 });
  await waitDrawn();
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await srv?.close();
  if (base) fs.rmSync(base, { recursive: true, force: true });
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('dashboard in chromium', () => {
  it('lists every run, the corrupt one as corrupt', async () => {
    const api = (await (await fetch(new URL('api/runs', srv.url))).json()).runs as Array<{ id: string }>;
    expect(api).toHaveLength(11);
    const rows = await page.$$eval('#runs-table tbody tr[data-run]', (trs) => trs.map((tr) => ({ id: (tr as HTMLElement).dataset.run, status: tr.querySelector('.status')!.textContent, name: tr.querySelector('td.name')!.textContent })));
    expect(rows.map((r) => r.id).sort()).toEqual(api.map((r) => r.id).sort());
    expect(rows.find((r) => r.id === 'broken')!.status).toBe('corrupt');
    expect(rows.find((r) => r.id === 'live')!.status).toBe('running');
    expect(rows.find((r) => r.id === 'sota_warmup-2')!.name).toBe('sota_warmup-2');
    const seed = await page.textContent('tr[data-run="sota_warmup-3"] td.seed');
    expect(seed).toBe('2');
    expect(await page.textContent('tr[data-run="baseline"] td.config')).toContain('batch_size=16');
    expect(Number(await page.textContent('tr[data-run="long"] td.steps'))).toBe(BIG_POINTS);
    // Model Params is a column (the fixture logs 746 + hidden_dim).
    expect(await page.textContent('tr[data-run="baseline"] td.params')).toBe('762');
    expect(await page.textContent('tr[data-run="deeper_rnn"] td.params')).toBe('778');
  });

  it('draws one line per visible run on each chart, like the article figures', async () => {
    const metrics = (await charts()).map((c) => c.metric);
    // The parameter count is in the table, not a chart.
    expect(metrics).toEqual(['loss', 'accuracy', 'current_lr']);
    const loss = await chart('loss');
    const ids = ['baseline', 'large_batch', 'large_batch_lr5e-3', 'deeper_rnn', 'sota', 'sota_warmup', 'sota_warmup-2', 'sota_warmup-3', 'long', 'live'];
    expect(loss.lines.map((l) => l.key).sort()).toEqual([...ids].sort());
    expect(new Set(loss.lines.map((l) => l.color)).size).toBe(ids.length);
    // The legend lists 8 lines and finds the others.
    const legendOf = () => page.$$eval('section.chart-card[data-metric="loss"] .legend-item', (els) => els.map((e) => (e as HTMLElement).dataset.line!));
    const legend = await legendOf();
    expect(legend).toHaveLength(8);
    expect(await page.textContent('section.chart-card[data-metric="loss"] .legend-more')).toMatch(/^\+2 more/);
    const missing = ids.find((id) => !legend.includes(id))!;
    await page.fill('section.chart-card[data-metric="loss"] .legend-search', missing);
    expect(await legendOf()).toContain(missing);
    await page.fill('section.chart-card[data-metric="loss"] .legend-search', '');
    // Pixels: the article's runs are visibly drawn in their own colours.
    await setVisible(['baseline', 'large_batch', 'sota_warmup-2']);
    const shown = await chart('loss');
    const counts = await colorPixels('loss', shown.lines.map((l) => l.color));
    for (const l of shown.lines) expect(counts[l.color], l.key).toBeGreaterThan(40);
  });

  it('toggling a run hides its line', async () => {
    await setVisible(['baseline', 'large_batch', 'sota_warmup-2']);
    const before = await chart('loss');
    const purple = before.lines.find((l) => l.key === 'large_batch')!.color;
    const colors = before.lines.map((l) => l.color);
    expect((await colorPixels('loss', colors))[purple]).toBeGreaterThan(40);
    await page.uncheck('input.vis-toggle[data-run="large_batch"]');
    const after = await chart('loss');
    expect(after.lines.map((l) => l.key).sort()).toEqual(['baseline', 'sota_warmup-2']);
    const counts = await colorPixels('loss', colors);
    expect(counts[purple]).toBeLessThan(3);
    for (const l of after.lines) expect(counts[l.color]).toBeGreaterThan(40);
    expect(await page.$('section.chart-card[data-metric="loss"] .legend-item[data-line="large_batch"]')).toBeNull();
    await page.check('input.vis-toggle[data-run="large_batch"]');
    expect((await chart('loss')).lines).toHaveLength(3);
  });

  it('smoothing (bias-corrected EMA) changes the drawn line and keeps the raw one', async () => {
    await setVisible(['baseline']);
    const raw = (await chart('loss')).lines[0];
    expect(raw.raw).toBeNull();
    const hash0 = await canvasHash('loss');
    await page.fill('#smoothing-value', '0.8');
    await page.press('#smoothing-value', 'Enter');
    const smoothed = (await chart('loss')).lines[0];
    expect(smoothed.raw).toEqual(raw.drawn); // the raw line is still drawn (faint)
    expect(smoothed.drawn).not.toEqual(raw.drawn);
    // TensorBoard's debiased EMA, computed here independently.
    let m = 0;
    const expected = raw.drawn.map((v, k) => ((m = 0.8 * m + 0.2 * v), m / (1 - Math.pow(0.8, k + 1))));
    smoothed.drawn.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 9));
    expect(smoothed.drawn[0]).toBeCloseTo(raw.drawn[0], 12);
    expect(await canvasHash('loss')).not.toBe(hash0);
    await page.fill('#smoothing-value', '0');
    await page.press('#smoothing-value', 'Enter');
    expect((await chart('loss')).lines[0].drawn).toEqual(raw.drawn);
  });

  it('fetches a long run downsampled, and a zoom window at full resolution', async () => {
    await setVisible(['long']);
    const l = (await chart('loss')).lines[0];
    expect(l.rows).toBe(BIG_POINTS + 1);
    expect(l.points).toBeLessThan(BIG_POINTS / 2);
    expect(l.points).toBeGreaterThan(100);
    // Each point is the last of its bucket: the first one is a few steps in, the last is the last.
    expect(l.x![0]).toBeLessThanOrEqual(BIG_POINTS / 100);
    expect(l.x![1]).toBe(BIG_POINTS);
    await page.evaluate(() => (window as unknown as { recurDashboard: { zoom(a: number, b: number): void } }).recurDashboard.zoom(1000, 1300));
    await page.waitForFunction(() => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; lines: Array<{ x: number[] | null }> }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')!.lines[0].x?.[0] === 1000);
    await waitDrawn();
    const z = (await chart('loss')).lines[0];
    expect(z.points).toBe(301); // every logged step in [1000, 1300]
    expect(z.x).toEqual([1000, 1300]);
    expect((await chart('loss')).xRange).toEqual([1000, 1300]);
    await page.click('#reset-zoom');
    await page.waitForFunction((x0) => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; lines: Array<{ x: number[] | null }> }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')!.lines[0].x?.[0] === x0, l.x![0]);
  });

  it('groups runs that differ only in seed into one line with a band', async () => {
    await setVisible(['sota_warmup', 'sota_warmup-2', 'sota_warmup-3', 'baseline']);
    await page.check('#group-seeds');
    await waitDrawn();
    const loss = await chart('loss');
    expect(loss.lines).toHaveLength(2);
    const group = loss.lines.find((l) => l.key.startsWith('group:'))!;
    expect(group.label).toMatch(/\(3 runs\)$/);
    expect(loss.lines.find((l) => !l.key.startsWith('group:'))!.key).toBe('baseline');
    // The mean of the three seeds, step by step (the fixture logs the same steps in each).
    const store = new FileStore(root);
    const per = await Promise.all(['sota_warmup', 'sota_warmup-2', 'sota_warmup-3'].map(async (id) => (await store.readMetrics(id)).rows.filter((r) => 'loss' in r)));
    const mean = per[0].map((_, k) => (per[0][k].loss + per[1][k].loss + per[2][k].loss) / 3);
    expect(group.drawn).toHaveLength(mean.length);
    group.drawn.forEach((v, k) => expect(v).toBeCloseTo(mean[k], 9));
    await page.uncheck('#group-seeds');
    expect((await chart('loss')).lines).toHaveLength(4);
    await waitDrawn();
  });

  it('zooms by dragging (all charts follow), resets on double-click, hovers values', async () => {
    await setVisible(['baseline', 'sota']);
    const full = (await chart('loss')).xRange!;
    const over = (await page.$('section.chart-card[data-metric="loss"] .u-over'))!;
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    expect(await page.textContent('section.chart-card[data-metric="loss"] .legend-x')).toMatch(/^step \d+/);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await waitDrawn();
    const zoomed = (await chart('loss')).xRange!;
    expect(zoomed[1] - zoomed[0]).toBeLessThan((full[1] - full[0]) * 0.5);
    const acc = (await chart('accuracy')).xRange!;
    expect(acc[0]).toBeCloseTo(zoomed[0], 6);
    expect(acc[1]).toBeCloseTo(zoomed[1], 6);
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await waitDrawn();
    expect((await chart('loss')).xRange).toEqual(full);
  });

  it('switches the x axis to time and the y axis to log scale', async () => {
    await setVisible(['baseline']);
    await page.selectOption('#x-mode', 'relative');
    await waitDrawn();
    const rel = (await chart('loss')).xRange!;
    expect(rel[1]).toBeLessThanOrEqual(2000 * 5 / 1000 + 1); // fixture: 5 ms per step
    await page.selectOption('#x-mode', 'wall');
    await waitDrawn();
    expect((await chart('loss')).xRange![0]).toBeGreaterThan(1.7e9); // seconds since the epoch
    await page.selectOption('#x-mode', 'fraction');
    await waitDrawn();
    expect((await chart('loss')).xRange).toEqual([0, 1]);
    expect((await chart('loss')).lines[0].x![1]).toBe(1); // 2,000 of total_steps 2,000
    await page.selectOption('#x-mode', 'step');
    await waitDrawn();
    await page.check('#log-y');
    await waitDrawn();
    expect((await chart('loss')).lines[0].drawn.length).toBeGreaterThan(0);
    await page.uncheck('#log-y');
  });

  it('compare view shows only the differing keys', async () => {
    await setVisible(['baseline', 'large_batch']);
    await page.click('#tab-compare');
    await page.waitForSelector('#compare tr.compare-row');
    const keys = async () => page.$$eval('#compare tr.compare-row', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.key));
    // The fixture's runs differ in batch_size, their name and their command line, nothing else.
    expect(await keys()).toEqual(['batch_size', 'run_name', 'command']);
    const cells = await page.$$eval('#compare tr[data-key="batch_size"] td', (tds) => tds.map((td) => td.textContent));
    expect(cells).toEqual(['batch_size', '16', '64']);
    await page.uncheck('#diff-only');
    await page.waitForFunction(() => document.querySelectorAll('#compare tr.compare-row').length > 3);
    expect(await keys()).toEqual(expect.arrayContaining(['lr', 'hidden_dim', 'seed', 'batch_size']));
    await page.check('#diff-only');
    await page.waitForFunction(() => document.querySelectorAll('#compare tr.compare-row').length === 3);
    await page.click('#tab-charts');
    expect(await page.isVisible('#charts')).toBe(true);
  });

  it('exports every point of the selected runs as CSV, and a chart as PNG', async () => {
    await setVisible(['baseline', 'long']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\n');
    const store = new FileStore(root);
    const nBase = (await store.readMetrics('baseline')).rows.length;
    const nLong = (await store.readMetrics('long')).rows.length;
    expect(nLong).toBe(BIG_POINTS + 1);
    expect(csv).toHaveLength(1 + nBase + nLong);
    const longSteps = csv.filter((l) => l.startsWith('long,')).map((l) => Number(l.split(',')[1]));
    expect(longSteps).toEqual(Array.from({ length: BIG_POINTS + 1 }, (_, i) => i));
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('section.chart-card[data-metric="loss"] .png-export')]);
    expect(png.suggestedFilename()).toBe('loss.png');
    const bytes = fs.readFileSync((await png.path())!);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.length).toBeGreaterThan(5000);
  });

  it('updates charts and the table live while a run trains', async () => {
    await setVisible(['live']);
    const before = (await chart('loss')).lines[0].points;
    const file = path.join(root, 'live', 'metrics.jsonl');
    const now = Date.now();
    fs.appendFileSync(file, [400, 500, 600].map((s, i) => JSON.stringify({ step: s, t: now + i, loss: 0.1 })).join('\n') + '\n');
    await page.waitForFunction(
      (n) => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; lines: Array<{ points: number }> }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')!.lines[0].points === n,
      before + 3,
      { timeout: 15_000 },
    );
    await page.waitForFunction(() => document.querySelector('tr[data-run="live"] td.steps')?.textContent === '600', null, { timeout: 15_000 });
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
