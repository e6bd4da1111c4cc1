// The dashboard page at sweep scale, in chromium, against test/dashboard-fake-server.ts serving
// 500 synthetic runs (50 seed groups of 10, one failed, one live): grouping is automatic, the
// runs table keeps a bounded number of rows in the DOM, sorts and filters by config
// expressions, shows params and failure reasons, legends are capped and searchable, the
// "fraction of the run" axis puts runs of different lengths on one scale, and a live run's new
// rows arrive without the series being fetched again. Skipped only without /usr/bin/chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricRow } from '../src/track/types.js';
import { buildDashboard } from '../tools/build-dashboard.mjs';
import { startFakeServer, type FakeRun, type FakeServer } from './dashboard-fake-server.js';
import { mulberry32 } from './track-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`dashboard-scale tests skipped: ${CHROMIUM} is absent`);

const CELLS = ['rnn', 'gru', 'lstm'];
const LRS = [0.001, 0.002, 0.005, 0.01, 0.02];
const HIDDEN = [16, 32, 64, 128];
const SEEDS = 10;
const GROUPS = 50;
const N = GROUPS * SEEDS;
const T0 = Date.parse('2024-06-01T08:00:00Z');

function params(hidden: number, cell: string): number {
  return (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1) * hidden * (hidden + 11) + 10 * hidden + 100;
}

function makeRuns(): FakeRun[] {
  const runs: FakeRun[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const cell = CELLS[g % 3];
    const lr = LRS[Math.floor(g / 3) % 5];
    const hidden = HIDDEN[Math.floor(g / 15) % 4];
    const total = hidden <= 32 ? 1000 : 2000;
    for (let s = 0; s < SEEDS; s++) {
      const i = g * SEEDS + s;
      const id = `t-${String(i).padStart(4, '0')}`;
      const rand = mulberry32(i + 1);
      const start = T0 + i * 60_000;
      const rows: MetricRow[] = [{ step: 0, t: start, 'Model Params': params(hidden, cell) }];
      for (let step = 20; step <= total; step += 20) {
        const p = step / total;
        const row: MetricRow = { step, t: start + step * 10, loss: 2.3 * Math.exp(-3 * p * (1 + lr * 20)) + rand() * 0.1, current_lr: lr * (1 - p / 2) };
        if (step % 100 === 0) row.accuracy = Math.min(1, 0.1 + 0.9 * p * (0.5 + rand() * 0.5));
        rows.push(row);
      }
      const config = {
        task: 'seq-sum-mod', cell, lr, hidden_dim: hidden, total_steps: total, embed_dim: 10, num_layers: 1, batch_size: 32,
        min_lr: 0.0001, warmup_step: 0, min_seq_len: 2, max_seq_len: 5, max_number: 9, clip_grad_norm: 1, seed: s,
      };
      const failed = i === 7;
      const live = i === N - 1;
      runs.push({
        id, name: id, seed: s, config, startedAt: new Date(start).toISOString(),
        status: failed ? 'failed' : live ? 'running' : 'finished',
        ...(failed ? { reason: 'loss became NaN at step 6' } : {}),
        ...(live ? {} : { endedAt: new Date(rows[rows.length - 1].t).toISOString() }),
        rows: failed ? rows.slice(0, 2) : rows,
      });
    }
  }
  return runs;
}

interface DebugLine { key: string; label: string; color: string; points: number; drawn: number[]; x: [number, number] | null }
interface DebugChart { metric: string; drawn: boolean; xRange: [number, number] | null; legend: string[]; lines: DebugLine[] }

let base: string;
let profile: string;
let fake: FakeServer;
let ctx: BrowserContext;
let page: Page;
const runs = makeRuns();
const pageErrors: string[] = [];

async function charts(): Promise<DebugChart[]> {
  return page.evaluate(() => (window as unknown as { recurDashboard: { charts(): unknown } }).recurDashboard.charts()) as Promise<DebugChart[]>;
}

async function chart(metric: string): Promise<DebugChart> {
  const c = (await charts()).find((x) => x.metric === metric);
  if (!c) throw new Error(`no chart ${metric}`);
  return c;
}

async function waitDrawn(): Promise<void> {
  try {
    await page.waitForFunction(() => (window as unknown as { __recurDrawn?: boolean }).__recurDrawn === true, null, { timeout: 30_000 });
  } catch (e) {
    const state = await page.evaluate(() => ({
      drawn: (window as unknown as { __recurDrawn?: boolean }).__recurDrawn,
      charts: (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; drawn: boolean; lines: unknown[] }> } }).recurDashboard.charts().map((c) => [c.metric, c.drawn, c.lines.length]),
      status: document.getElementById('poll-status')?.textContent,
      error: document.getElementById('chart-error')?.textContent,
    }));
    throw new Error(`the page did not signal __recurDrawn: ${JSON.stringify(state)}; page errors ${JSON.stringify(pageErrors)}; last requests ${JSON.stringify(fake.requests.slice(-5))}`, { cause: e });
  }
}

async function setFilter(text: string): Promise<void> {
  await page.fill('#filter', text);
  await page.waitForTimeout(50);
}

async function rowIds(): Promise<string[]> {
  return page.$$eval('#runs-table tbody tr[data-run]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.run!));
}

beforeAll(async () => {
  if (!hasChromium) return;
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-dash-scale-'));
  const assets = await buildDashboard(path.join(base, 'assets'), { minify: false });
  fake = await startFakeServer(runs, assets);
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    deviceScaleFactor: 1,
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.goto(fake.url);
  await waitDrawn();
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await fake?.close();
  if (base) fs.rmSync(base, { recursive: true, force: true });
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('dashboard with 500 runs', () => {
  it('groups runs by config without seed automatically, one request per group, and signals __recurDrawn', async () => {
    expect(await page.isChecked('#group-seeds')).toBe(true);
    const loss = await chart('loss');
    expect(loss.drawn).toBe(true);
    expect(loss.lines).toHaveLength(GROUPS);
    for (const l of loss.lines) {
      expect(l.key).toMatch(/^group:/);
      expect(l.label).toMatch(/\(10 runs\)$/);
      expect(l.points).toBeGreaterThan(10);
    }
    // The series come per group, never per run; the charts on screen asked for all their metrics
    // in one request per line.
    const series = fake.requests.filter((r) => r.includes('/series'));
    expect(series.some((r) => r.startsWith('/api/runs/'))).toBe(false);
    expect(series.length).toBeLessThanOrEqual(2 * GROUPS);
    const points = Number(new URL(series[0], 'http://x').searchParams.get('points'));
    const width = await page.$eval('section.chart-card[data-metric="loss"] .chart-plot', (e) => e.clientWidth);
    expect(points).toBeGreaterThanOrEqual(width * 0.8);
    expect(points).toBeLessThanOrEqual(width * 1.3);
    // Model Params is a table column, not a chart.
    expect((await charts()).map((c) => c.metric)).not.toContain('Model Params');
    // Colours: distinct among the 50 drawn lines.
    expect(new Set(loss.lines.map((l) => l.color)).size).toBe(GROUPS);
  });

  it('the virtualised table keeps a bounded number of rows in the DOM, at least ten rows tall', async () => {
    const first = await rowIds();
    expect(first.length).toBeGreaterThanOrEqual(10);
    expect(first.length).toBeLessThanOrEqual(60);
    const wrap = await page.$eval('#table-wrap', (e) => ({ h: e.clientHeight, scroll: e.scrollHeight }));
    expect(wrap.h).toBeGreaterThanOrEqual(11 * 26);
    expect(wrap.scroll).toBeGreaterThanOrEqual(N * 26); // the scrollbar spans every run
    await page.$eval('#table-wrap', (e) => { e.scrollTop = e.scrollHeight; });
    await page.waitForFunction((id) => !!document.querySelector(`#runs-table tr[data-run="${id}"]`), 't-0000');
    const last = await rowIds();
    expect(last.length).toBeLessThanOrEqual(60);
    expect(last).toContain('t-0000'); // newest first: the oldest run is at the bottom
    await page.$eval('#table-wrap', (e) => { e.scrollTop = 0; });
  });

  it('shows the parameter count in the table', async () => {
    await setFilter('t-0123');
    const r = runs.find((x) => x.id === 't-0123')!;
    const expected = params(r.config.hidden_dim as number, r.config.cell as string);
    expect(await page.textContent('tr[data-run="t-0123"] td.params')).toBe(expected.toLocaleString('en-US'));
    await setFilter('');
  });

  it('sorts by any column', async () => {
    const paramsShown = async () => page.$$eval('#runs-table tbody tr[data-run] td.params', (tds) => tds.map((td) => Number(td.textContent!.replace(/,/g, ''))));
    await page.click('#runs-table th[data-col="params"]');
    const desc = await paramsShown();
    expect(desc.length).toBeGreaterThan(5);
    for (let i = 1; i < desc.length; i++) expect(desc[i]).toBeLessThanOrEqual(desc[i - 1]);
    expect(desc[0]).toBe(Math.max(...runs.map((r) => params(r.config.hidden_dim as number, r.config.cell as string))));
    await page.click('#runs-table th[data-col="params"]');
    const asc = await paramsShown();
    for (let i = 1; i < asc.length; i++) expect(asc[i]).toBeGreaterThanOrEqual(asc[i - 1]);
    await page.click('#runs-table th[data-col="name"]');
    const names = await rowIds();
    expect(names.slice(0, 3)).toEqual(['t-0000', 't-0001', 't-0002']);
    await page.click('#runs-table th[data-col="started"]');
  });

  it('filters by config expressions, and says why an expression does not parse', async () => {
    await setFilter('lr>=0.005 cell=gru');
    const expected = runs.filter((r) => (r.config.lr as number) >= 0.005 && r.config.cell === 'gru');
    expect(expected.length).toBeGreaterThan(0);
    expect(await page.textContent('#run-count')).toMatch(new RegExp(`^${expected.length} of ${N} runs`));
    const shown = await page.$$eval('#runs-table tbody tr[data-run] td.config', (tds) => tds.map((td) => ({ text: td.textContent!, full: (td as HTMLElement).title })));
    expect(shown.length).toBe(Math.min(expected.length, shown.length));
    for (const s of shown) {
      expect(s.full).toContain('cell=gru');
      expect(Number(/(?:^|\n)lr=([\d.e-]+)/.exec(s.full)![1])).toBeGreaterThanOrEqual(0.005);
      // One line per run with the keys that differ among the selected runs: cell is the same in
      // all of them, lr and hidden_dim are not.
      expect(s.text).not.toContain('cell=');
      expect(s.text).toMatch(/lr=/);
      expect(s.text).not.toMatch(/embed_dim|batch_size/);
    }
    expect((await chart('loss')).lines.length).toBe(new Set(expected.map((r) => JSON.stringify({ ...r.config, seed: 0 }))).size);
    await setFilter('lr>>1');
    expect(await page.textContent('#filter-error')).toContain("'lr>>1': unknown operator '>>'");
    expect(await page.getAttribute('#filter', 'class')).toContain('invalid');
    await setFilter('lr>=fast');
    expect(await page.textContent('#filter-error')).toContain("'lr>=fast': >= needs a number, got 'fast'");
    await setFilter('lrr>0.1');
    expect(await page.textContent('#filter-error')).toBe("no run has 'lrr'");
    await setFilter('');
    expect(await page.textContent('#filter-error')).toBe('');
    expect(await page.textContent('#run-count')).toMatch(new RegExp(`^${N} runs`));
  });

  it('shows why a run failed', async () => {
    await setFilter('status=failed');
    expect(await rowIds()).toEqual(['t-0007']);
    expect(await page.textContent('tr[data-run="t-0007"] .status')).toBe('failed');
    expect(await page.textContent('tr[data-run="t-0007"] .reason')).toBe('loss became NaN at step 6');
    await setFilter('');
  });

  it('caps the legend, finds a line by search, and highlights the hovered line', async () => {
    await waitDrawn();
    const card = 'section.chart-card[data-metric="loss"]';
    const items = await page.$$(`${card} .legend-item`);
    expect(items.length).toBeLessThanOrEqual(8);
    expect(items.length).toBeGreaterThan(0);
    expect(await page.textContent(`${card} .legend-more`)).toMatch(/^\+42 more/);
    const legendBox = await page.$eval(`${card} .chart-legend`, (e) => e.getBoundingClientRect().height);
    expect(legendBox).toBeLessThanOrEqual(60); // three lines at most, above a 240 px plot
    const target = (await chart('loss')).lines[37];
    const word = target.label.replace(/ \(10 runs\)$/, '');
    await page.fill(`${card} .legend-search`, word);
    const found = await page.$$eval(`${card} .legend-item`, (els) => els.map((e) => (e as HTMLElement).dataset.line));
    expect(found).toContain(target.key);
    await page.hover(`${card} .legend-item[data-line="${target.key}"]`);
    expect(await page.getAttribute(`${card} .legend-item[data-line="${target.key}"]`, 'class')).toContain('focused');
    await page.mouse.move(0, 0);
    await page.waitForFunction((k) => !document.querySelector(`section.chart-card[data-metric="loss"] .legend-item[data-line="${k}"]`)!.classList.contains('focused'), target.key);
    await page.fill(`${card} .legend-search`, 'no-such-line');
    expect(await page.$$(`${card} .legend-item`)).toHaveLength(0);
    expect(await page.textContent(`${card} .legend-more`)).toContain('no line matches');
    await page.fill(`${card} .legend-search`, '');
    await page.mouse.move(0, 0);
  });

  it('puts runs of different lengths on one scale with "fraction of the run"', async () => {
    await page.uncheck('#group-seeds');
    await setFilter('cell=rnn lr=0.001 seed=0');
    const chosen = runs.filter((r) => r.config.cell === 'rnn' && r.config.lr === 0.001 && r.seed === 0);
    expect(new Set(chosen.map((r) => r.config.total_steps)).size).toBe(2);
    await page.waitForFunction((n) => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; lines: unknown[] }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')?.lines.length === n, chosen.length);
    await waitDrawn();
    const bySteps = await chart('loss');
    const ends = bySteps.lines.map((l) => l.x![1]).sort((a, b) => a - b);
    expect(ends[0]).toBe(1000);
    expect(ends[ends.length - 1]).toBe(2000);
    await page.selectOption('#x-mode', 'fraction');
    await page.waitForFunction(() => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; drawn: boolean; lines: Array<{ x: number[] | null }> }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')!.lines.every((l) => l.x && l.x[1] <= 1));
    await waitDrawn();
    const frac = await chart('loss');
    for (const l of frac.lines) {
      expect(l.x![0]).toBeGreaterThanOrEqual(0);
      expect(l.x![1]).toBeCloseTo(1, 6);
    }
    expect(frac.xRange![0]).toBeCloseTo(0, 6);
    expect(frac.xRange![1]).toBeCloseTo(1, 6);
    await page.selectOption('#x-mode', 'step');
  });

  it('appends a live run\'s new rows without fetching its series again; polls send only changes', async () => {
    await setFilter('t-0499');
    await page.waitForFunction(() => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; lines: Array<{ key: string }> }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')?.lines[0]?.key === 't-0499');
    await waitDrawn();
    const before = (await chart('loss')).lines[0];
    const seriesBefore = fake.requests.filter((r) => r.startsWith('/api/runs/t-0499/series')).length;
    expect(seriesBefore).toBeGreaterThan(0);
    const live = runs[N - 1];
    const lastT = live.rows[live.rows.length - 1].t;
    fake.append('t-0499', [1, 2, 3].map((k) => ({ step: 2000 + 20 * k, t: lastT + k * 200, loss: 0.05 * k })));
    await page.waitForFunction(
      (n) => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; lines: Array<{ points: number }> }> } }).recurDashboard.charts().find((c) => c.metric === 'loss')!.lines[0].points === n,
      before.points + 3,
      { timeout: 15_000 },
    );
    const after = (await chart('loss')).lines[0];
    expect(after.drawn.slice(-3)).toEqual([0.05, 0.1, 0.15000000000000002]);
    expect(fake.requests.filter((r) => r.startsWith('/api/runs/t-0499/series')).length).toBe(seriesBefore);
    expect(fake.requests.some((r) => r.startsWith('/api/runs/t-0499/metrics?since='))).toBe(true);
    // Every poll after the first carries the cursor.
    const polls = fake.requests.filter((r) => r.startsWith('/api/runs?') || r === '/api/runs').map((r) => new URL(r, 'http://x').searchParams);
    expect(polls[0].has('since')).toBe(false);
    expect(polls.length).toBeGreaterThan(1);
    for (const p of polls.slice(1)) expect(p.get('since')).toMatch(/^\d+$/);
    await page.waitForFunction(() => document.querySelector('tr[data-run="t-0499"] td.steps')?.textContent === '2060', null, { timeout: 15_000 });
    await setFilter('');
  });

  it('reports summaries the server rebuilt from their run\'s log', async () => {
    fake.rebuilt = [{ id: 't-0003', reason: 'run-summary.json was unreadable' }];
    await page.waitForFunction(() => document.getElementById('notice')!.textContent!.includes('t-0003'), null, { timeout: 15_000 });
    expect(await page.textContent('#notice')).toBe('Rebuilt the summary of 1 run from the log: t-0003 (run-summary.json was unreadable)');
    fake.rebuilt = [];
    await page.waitForFunction(() => document.getElementById('notice')!.textContent === '', null, { timeout: 15_000 });
  });

  it('draws only the charts on screen', async () => {
    await page.check('#group-seeds');
    await page.setViewportSize({ width: 1400, height: 500 });
    const from = fake.requests.length;
    await page.reload();
    await waitDrawn();
    const byMetric = Object.fromEntries((await charts()).map((c) => [c.metric, c]));
    expect(Object.keys(byMetric)).toEqual(['loss', 'accuracy', 'current_lr']);
    expect(byMetric.current_lr.drawn).toBe(false);
    const asked = () => fake.requests.slice(from).filter((r) => r.includes('/series')).map((r) => new URL(r, 'http://x').searchParams.get('keys')!.split(','));
    expect(asked().length).toBeGreaterThan(0);
    expect(asked().some((k) => k.includes('current_lr'))).toBe(false);
    await page.$eval('section.chart-card[data-metric="current_lr"]', (e) => e.scrollIntoView());
    await page.waitForFunction(() => (window as unknown as { recurDashboard: { charts(): Array<{ metric: string; drawn: boolean }> } }).recurDashboard.charts().find((c) => c.metric === 'current_lr')!.drawn, null, { timeout: 20_000 });
    await waitDrawn();
    expect(asked().some((k) => k.includes('current_lr'))).toBe(true);
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
