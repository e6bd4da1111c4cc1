// The runs index: summaries kept by the writer (and whole after a SIGKILL mid-write), a root
// written without summaries indexed once, a damaged summary rebuilt and reported, downsampling that
// keeps each bucket's extremes and last point, window fetches, and cursor deltas that hold only the
// runs that changed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/track/file-store.js';
import { coarsenTo, downsample, groupSketches, StepSketch } from '../src/track/run-sketch.js';
import { startDashboard } from '../src/track/server.js';
import { decodeSketches, decodeSummary, SKETCH_FILE, SUMMARY_FILE } from '../src/track/summary-file.js';
import { ROOT_CACHE_FILE, SummaryIndex } from '../src/track/summary-index.js';
import type { MetricRow, RunMeta } from '../src/track/types.js';
import { metricRows, mulberry32, tmpRoot, writeFixtureRun } from './track-fixtures.js';

const REPO = path.resolve(__dirname, '..');
let base: string;

beforeAll(() => {
  base = tmpRoot('recur-track-sum-');
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function newMeta(name: string, extra: Partial<RunMeta> = {}): Omit<RunMeta, 'id'> {
  const now = new Date().toISOString();
  return {
    name, project: 'p', status: 'running', config: { lr: 0.01, seed: 1 }, seed: 1, recurVersion: '0.1.0', git: null,
    argv: [], node: process.version, host: 'elsewhere', pid: 1, startedAt: now, endedAt: null, heartbeatAt: now, summary: {}, ...extra,
  };
}

function logRows(n: number, from = 0): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let s = from; s < from + n; s++) rows.push({ step: s, t: 1000 + s, loss: 1 / (s + 1), acc: s / 1000 });
  return rows;
}

describe('summary writer', () => {
  it('keeps run-summary.json and run-sketch.json up to date and writes them at finish', async () => {
    const root = path.join(base, 'writer');
    const store = new FileStore(root);
    const meta = await store.createRun(newMeta('w'));
    const dir = store.runDir(meta.id);
    expect(decodeSummary('w', fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8')).rows).toBe(0);
    for (const r of logRows(500)) store.appendMetrics(meta.id, [r]);
    store.appendMetrics(meta.id, [{ step: 500, t: 2000, loss: NaN, acc: 0.9 }]);
    store.writeMeta({ ...meta, status: 'finished', endedAt: new Date().toISOString() });
    store.closeRun(meta.id);
    const s = decodeSummary('w', fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8'));
    expect(s.cursor).toBe(fs.statSync(path.join(dir, 'metrics.jsonl')).size);
    expect(s.rows).toBe(501);
    expect(s.meta!.status).toBe('finished');
    expect(s.firstStep).toBe(0);
    expect(s.lastStep).toBe(500);
    expect(s.stats.loss.min).toBe(1 / 500);
    expect(s.stats.loss.minStep).toBe(499);
    expect(Number.isNaN(s.stats.loss.last)).toBe(true);
    expect(s.stats.acc.max).toBe(0.9);
    const { cursor, sketches } = decodeSketches(fs.readFileSync(path.join(dir, SKETCH_FILE), 'utf8'));
    expect(cursor).toBe(s.cursor);
    const sk = sketches.get('loss')!;
    expect(sk.length).toBeLessThanOrEqual(256);
    expect(Math.max(...sk.hi)).toBe(1);
    expect(Math.min(...sk.lo)).toBe(1 / 500);
  });

  it('a resumed run that goes back in steps has its summary rebuilt with the superseded rows dropped', async () => {
    const root = path.join(base, 'resume');
    const store = new FileStore(root);
    const meta = await store.createRun(newMeta('r'));
    store.appendMetrics(meta.id, logRows(100));
    store.closeRun(meta.id);
    store.appendMetrics(meta.id, logRows(10, 50)); // steps 50..59 again: 50..99 are superseded
    store.closeRun(meta.id);
    const s = decodeSummary('r', fs.readFileSync(path.join(store.runDir(meta.id), SUMMARY_FILE), 'utf8'));
    expect(s.rows).toBe(60);
    expect(s.lastStep).toBe(59);
    expect(s.stats.loss.min).toBe(1 / 60); // the lower values of steps 60..99 were superseded
    const all = await store.readMetrics(meta.id);
    expect(all.rows.length).toBe(60);
    expect(Math.min(...all.rows.map((r) => r.loss))).toBe(1 / 60);
  });

  it('a writer SIGKILLed while writing summaries leaves whole files, and readers see every row', async () => {
    const root = path.join(base, 'killed');
    const script = path.join(base, 'killer.mjs');
    await build({
      stdin: {
        contents: `
import { FileStore } from './src/track/file-store.ts';
const store = new FileStore(process.argv[2]);
const now = new Date().toISOString();
const meta = await store.createRun({ name: 'k', project: '', status: 'running', config: { big: 'x'.repeat(20000) }, seed: 0,
  recurVersion: '', git: null, argv: [], node: '', host: (await import('node:os')).hostname(), pid: process.pid,
  startedAt: now, endedAt: null, heartbeatAt: now, summary: {} });
let s = 0;
for (;;) {
  for (let i = 0; i < 20; i++, s++) store.appendMetrics(meta.id, [{ step: s, t: s, loss: 1 / (s + 1) }]);
  store.writeMeta({ ...meta, heartbeatAt: new Date().toISOString() }); // rewrites both summary files
  if (s === 200) process.stdout.write('going\\n');
}`,
        resolveDir: REPO, loader: 'ts', sourcefile: 'killer.ts',
      },
      bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, logLevel: 'error',
    });
    const proc = spawn(process.execPath, [script, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => proc.stdout!.on('data', (d) => String(d).includes('going') && resolve()));
    await new Promise((r) => setTimeout(r, 150 + Math.floor(mulberry32(7)() * 200)));
    proc.kill('SIGKILL');
    await new Promise((r) => proc.on('exit', r));
    const dir = path.join(root, 'k');
    const s = decodeSummary('k', fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8'));
    decodeSketches(fs.readFileSync(path.join(dir, SKETCH_FILE), 'utf8'));
    expect(s.rows).toBeGreaterThan(200);
    const store = new FileStore(root);
    const log = await store.readMetrics('k');
    const idx = new SummaryIndex(store);
    await idx.refresh(true);
    const e = idx.get('k')!;
    expect(e.status).toBe('interrupted');
    expect(e.summary.rows).toBe(log.rows.length);
    expect(e.summary.lastStep).toBe(log.rows[log.rows.length - 1].step);
    expect(idx.rebuilt).toEqual([]);
    // The reader wrote the caught-up summary back: the dead writer will not.
    expect(decodeSummary('k', fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8')).rows).toBe(log.rows.length);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length).toBeLessThanOrEqual(1);
  }, 30_000);
});

describe('index of a root written without summaries', () => {
  it('indexes each run from its log once, writes its summary, then reads summaries only', async () => {
    const root = path.join(base, 'legacy');
    const start = Date.parse('2024-05-01T10:00:00Z');
    for (let i = 0; i < 6; i++) {
      await writeFixtureRun(root, { name: `run${i}`, config: { lr: 0.001 * (i + 1), cell: i % 2 ? 'gru' : 'lstm' }, seed: i, steps: 400, logEvery: 10, evalEvery: 100 }, start + i * 1000);
    }
    // Remove what today's writer made, as a root written before summaries existed.
    for (const id of fs.readdirSync(root)) for (const f of [SUMMARY_FILE, SKETCH_FILE]) fs.rmSync(path.join(root, id, f));
    const idx = new SummaryIndex(new FileStore(root));
    await idx.refresh(true);
    expect(idx.indexedFromLog).toBe(6);
    expect(idx.list().map((e) => e.id)).toEqual(['run0', 'run1', 'run2', 'run3', 'run4', 'run5']);
    const e = idx.get('run3')!;
    const rows = metricRows({ name: 'run3', config: { lr: 0.004, cell: 'gru' }, seed: 3, steps: 400, logEvery: 10, evalEvery: 100 }, start + 3000);
    expect(e.summary.rows).toBe(rows.length);
    expect(e.summary.last.loss).toBe(rows[rows.length - 1].loss);
    expect(e.summary.best.loss.value).toBe(Math.min(...rows.filter((r) => 'loss' in r).map((r) => r.loss)));
    expect(e.summary.best.accuracy.value).toBe(Math.max(...rows.filter((r) => 'accuracy' in r).map((r) => r.accuracy)));
    expect(e.summary.params).toBe(762);
    const ids = fs.readdirSync(root).filter((d) => d.startsWith('run'));
    for (const id of ids) expect(fs.existsSync(path.join(root, id, SUMMARY_FILE))).toBe(true);
    // A second reader does not read the logs: empty them in place and it still lists the rows.
    for (const id of ids) fs.writeFileSync(path.join(root, id, 'metrics.jsonl'), '');
    const again = new SummaryIndex(new FileStore(root));
    await again.refresh(true);
    expect(again.indexedFromLog).toBe(0);
    expect(again.get('run3')!.summary.rows).toBe(rows.length);
  });

  it("a fresh reader reads the root cache, and the runs' own files only for runs changed since", async () => {
    const root = path.join(base, 'rootcache');
    for (let i = 0; i < 4; i++) await writeFixtureRun(root, { name: `c${i}`, config: { i }, seed: i, steps: 100, logEvery: 10 }, Date.now() - 50_000 + i);
    const first = new SummaryIndex(new FileStore(root));
    await first.refresh(true);
    expect(fs.existsSync(path.join(root, ROOT_CACHE_FILE))).toBe(true);
    // Spoil c0's summary in place (its directory's mtime stays): a reader using the cache never reads it.
    const saved = fs.readFileSync(path.join(root, 'c0', SUMMARY_FILE));
    fs.writeFileSync(path.join(root, 'c0', SUMMARY_FILE), 'garbage');
    // c1 changes after the cache was written: its meta is replaced.
    const store = new FileStore(root);
    await new Promise((r) => setTimeout(r, 15));
    await store.updateMeta('c1', { name: 'renamed' });
    const second = new SummaryIndex(store);
    await second.refresh(true);
    expect(second.indexedFromLog).toBe(0);
    expect(second.rebuilt).toEqual([]);
    expect(second.get('c0')!.summary.rows).toBe(11);
    expect(second.get('c1')!.summary.name).toBe('renamed');
    expect(second.list().map((e) => e.id)).toEqual(['c0', 'c1', 'c2', 'c3']);
    fs.writeFileSync(path.join(root, 'c0', SUMMARY_FILE), saved);
  });

  it('rebuilds a damaged summary from the log and reports it', async () => {
    const root = path.join(base, 'damaged');
    await writeFixtureRun(root, { name: 'd', config: {}, seed: 0, steps: 300, logEvery: 10 }, Date.now() - 10_000);
    fs.writeFileSync(path.join(root, 'd', SUMMARY_FILE), '{"v":1,"rows":');
    const idx = new SummaryIndex(new FileStore(root));
    await idx.refresh(true);
    expect(idx.rebuilt.map((r) => r.id)).toEqual(['d']);
    expect(idx.get('d')!.summary.rows).toBe(31);
    expect(decodeSummary('d', fs.readFileSync(path.join(root, 'd', SUMMARY_FILE), 'utf8')).rows).toBe(31);
  });
});

describe('downsampling', () => {
  const rand = mulberry32(3);
  const xs = Array.from({ length: 5000 }, (_, i) => i);
  const ys = xs.map(() => rand() * 10 - 5);
  ys[1234] = 99;
  ys[4321] = -99;

  it('min/max buckets keep every bucket’s extremes and the last point', () => {
    const d = downsample(xs, ys, 100);
    expect(d.x.length).toBeLessThanOrEqual(100);
    expect(Math.max(...d.ymax)).toBe(99);
    expect(Math.min(...d.ymin)).toBe(-99);
    expect(d.x[d.x.length - 1]).toBe(4999);
    expect(d.y[d.y.length - 1]).toBe(ys[4999]);
    // Each bucket's band is exactly the extremes of the points it covers.
    let from = 0;
    for (let b = 0; b < d.x.length; b++) {
      const to = d.x[b];
      const seg = ys.slice(from, to + 1);
      expect(d.ymin[b]).toBe(Math.min(...seg));
      expect(d.ymax[b]).toBe(Math.max(...seg));
      from = to + 1;
    }
  });

  it('a window is sent at full resolution when it fits', () => {
    const d = downsample(xs, ys, 500, 1000, 1199);
    expect(d.x).toEqual(xs.slice(1000, 1200));
    expect(d.y).toEqual(ys.slice(1000, 1200));
  });

  it('the step sketch keeps extremes and the last point, and groups give mean and band', () => {
    const sk = new StepSketch();
    for (let i = 0; i < xs.length; i++) sk.add(xs[i], ys[i]);
    expect(sk.length).toBeLessThanOrEqual(256);
    expect(sk.length).toBeGreaterThan(128);
    expect(Math.max(...sk.hi)).toBe(99);
    expect(Math.min(...sk.lo)).toBe(-99);
    expect(sk.y[sk.length - 1]).toBe(ys[4999]);
    const c = coarsenTo(sk, 50);
    expect(c.idx.length).toBeLessThanOrEqual(50);
    expect(Math.max(...c.hi)).toBe(99);
    const other = new StepSketch();
    for (let i = 0; i < 1000; i++) other.add(i, 1000);
    const g = groupSketches([sk, other], 300);
    expect(Math.max(...g.max)).toBe(1000);
    expect(Math.min(...g.min)).toBe(-99);
    expect(g.n[0]).toBe(2);
    expect(g.n[g.n.length - 1]).toBe(1);
    expect(g.mean[g.mean.length - 1]).toBe(ys[4999]);
  });
});

describe('dashboard API over the index', () => {
  it('series from sketches and windows from the log; polls return only changed runs', async () => {
    const root = path.join(base, 'api');
    const start = Date.now() - 100_000;
    for (let i = 0; i < 5; i++) await writeFixtureRun(root, { name: `g${i}`, config: { lr: 0.01, cell: 'gru' }, seed: i, steps: 3000, logEvery: 1 }, start + i);
    const store = new FileStore(root);
    const live = await store.createRun(newMeta('live', { host: 'elsewhere', config: { lr: 0.5 } }));
    store.appendMetrics(live.id, logRows(10));
    const srv = await startDashboard({ root, playDir: null, port: 0 });
    try {
      const get = async (p: string) => {
        const r = await fetch(new URL(p, srv.url));
        return { status: r.status, body: await r.json() };
      };
      const first = (await get('api/runs?compact=1')).body;
      expect(first.total).toBe(6);
      expect(first.runs[0].meta).toBeUndefined();
      const g0 = first.runs.find((r: { id: string }) => r.id === 'g0');
      expect(first.runs.filter((r: { group: string }) => r.group === g0.group).length).toBe(5);

      const s = (await get('api/runs/g0/series?keys=loss&points=200')).body;
      const rows = metricRows({ name: 'g0', config: { lr: 0.01, cell: 'gru' }, seed: 0, steps: 3000, logEvery: 1 }, start);
      const loss = rows.filter((r) => 'loss' in r).map((r) => r.loss);
      expect(s.series.loss.x.length).toBeLessThanOrEqual(200);
      expect(Math.min(...s.series.loss.ymin)).toBe(Math.min(...loss));
      expect(Math.max(...s.series.loss.ymax)).toBe(Math.max(...loss));
      expect(s.series.loss.y.at(-1)).toBe(loss.at(-1));
      const w = (await get('api/runs/g0/series?keys=loss&points=200&x0=1000&x1=1099')).body;
      expect(w.series.loss.x).toEqual(rows.filter((r) => r.step >= 1000 && r.step <= 1099 && 'loss' in r).map((r) => r.step));
      expect(w.series.loss.y).toEqual(rows.filter((r) => r.step >= 1000 && r.step <= 1099 && 'loss' in r).map((r) => r.loss));
      const grp = (await get(`api/groups/${g0.group}/series?keys=loss&points=100`)).body;
      expect(grp.runs.length).toBe(5);
      expect(grp.series.loss.mean.length).toBeLessThanOrEqual(100);
      expect((await get('api/runs/g0/series?points=0')).status).toBe(400);
      expect((await get('api/groups/nope/series')).status).toBe(404);

      const quiet = (await get(`api/runs?since=${first.cursor}`)).body;
      expect(quiet.runs).toEqual([]);
      expect(quiet.reset).toBe(false);
      store.appendMetrics(live.id, logRows(5, 10));
      const delta = (await get(`api/runs?since=${quiet.cursor}`)).body;
      expect(delta.runs.map((r: { id: string }) => r.id)).toEqual(['live']);
      expect(delta.runs[0].rows).toBe(15);
      fs.rmSync(path.join(root, 'g4'), { recursive: true });
      await new Promise((r) => setTimeout(r, 20));
      const gone = (await get(`api/runs?since=${delta.cursor}`)).body;
      expect(gone.removed).toEqual(['g4']);
      const stale = (await get('api/runs?since=zzz.3')).body;
      expect(stale.reset).toBe(true);
      expect(stale.runs.length).toBe(5);
    } finally {
      store.closeRun(live.id);
      await srv.close();
    }
  }, 60_000);
});
