// A run resumed from its step-N checkpoint logs steps N+1.. again; the rows the killed attempt had
// logged after N are removed first, atomically, so metrics.jsonl holds each step exactly once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { recur, recurAsync, tmpDir } from './helpers/cli.js';
import { FileStore, METRICS_FILE } from '../src/track/file-store.js';
import { MemoryStore } from '../src/track/memory-store.js';
import { encodeRow } from '../src/track/metrics.js';
import type { MetricRow, RunMeta } from '../src/track/types.js';
import type { RunStore } from '../src/track/store.js';

const META: Omit<RunMeta, 'id'> = {
  name: 'r', project: '', status: 'running', config: {}, seed: 1, recurVersion: '0', git: null, argv: [], node: '', host: '', pid: 1,
  startedAt: '2026-01-01T00:00:00.000Z', endedAt: null, heartbeatAt: '2026-01-01T00:00:00.000Z', summary: {},
};
const row = (step: number, k = 'loss'): MetricRow => ({ step, t: 1000 + step, [k]: step / 10 });

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each<[string, () => RunStore]>([
  ['FileStore', () => new FileStore(tmpDir())],
  ['MemoryStore', () => new MemoryStore()],
])('%s.dropMetricsAfter', (_name, makeStore) => {
  it('removes the rows after the step, keeps the others in order, and appends continue after them', async () => {
    const s = makeStore();
    const { id } = await s.createRun(META);
    s.appendMetrics(id, [row(0, 'Model Params'), row(10), row(20), row(20, 'accuracy'), row(30), row(40)]);
    expect(s.dropMetricsAfter(id, 20)).toBe(2);
    s.appendMetrics(id, [row(30), row(40)]);
    const { rows } = await s.readMetrics(id);
    expect(rows.map((r) => [r.step, Object.keys(r).filter((k) => k !== 'step' && k !== 't')[0]])).toEqual([
      [0, 'Model Params'], [10, 'loss'], [20, 'loss'], [20, 'accuracy'], [30, 'loss'], [40, 'loss'],
    ]);
    expect(s.dropMetricsAfter(id, 40)).toBe(0);
  });
});

describe('FileStore.dropMetricsAfter on disk', () => {
  it('also drops the unterminated tail of a killed writer and keeps lines that are not rows', async () => {
    const s = new FileStore(tmpDir());
    const { id } = await s.createRun(META);
    const file = path.join(s.runDir(id), METRICS_FILE);
    fs.writeFileSync(file, encodeRow(row(10)) + 'not json\n' + encodeRow(row(20)) + encodeRow(row(30)) + '{"step": 40, "lo');
    expect(s.dropMetricsAfter(id, 20)).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(encodeRow(row(10)) + 'not json\n' + encodeRow(row(20)));
    expect(fs.readdirSync(s.runDir(id)).sort()).toEqual(['meta.json', 'metrics.jsonl', 'run-sketch.json', 'run-summary.json']); // no temp file left
  });

  it('replaces the file in one rename: if the process dies before it, the old log is intact', async () => {
    const s = new FileStore(tmpDir());
    const { id } = await s.createRun(META);
    s.appendMetrics(id, [row(10), row(20), row(30)]);
    const file = path.join(s.runDir(id), METRICS_FILE);
    const before = fs.readFileSync(file, 'utf8');
    vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw new Error('killed');
    });
    expect(() => s.dropMetricsAfter(id, 10)).toThrow('killed');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(s.runDir(id)).sort()).toEqual(['meta.json', 'metrics.jsonl', 'run-sketch.json', 'run-summary.json']);
  });

  it('a reader whose cursor no longer falls on a line boundary of the replaced log reads it whole', async () => {
    const s = new FileStore(tmpDir());
    const { id } = await s.createRun(META);
    s.appendMetrics(id, [row(10), row(20), row(30)]);
    const before = await s.readMetrics(id);
    s.dropMetricsAfter(id, 10);
    s.appendMetrics(id, [{ step: 20, t: 1, loss: 0.123456789 }, row(30), row(40)]); // longer lines than before
    const after = await s.readMetrics(id, before.cursor);
    expect(after.reset).toBe(true);
    expect(after.corruptLines).toBe(0);
    expect(after.rows.map((r) => r.step)).toEqual([10, 20, 30, 40]);
    s.closeRun(id);
  });

  it('appends after the replacement go to the new file, not the replaced one', async () => {
    const s = new FileStore(tmpDir());
    const { id } = await s.createRun(META);
    s.appendMetrics(id, [row(10), row(20), row(30)]); // the log's descriptor is open now
    s.dropMetricsAfter(id, 10);
    s.appendMetrics(id, [row(20)]);
    const file = path.join(s.runDir(id), METRICS_FILE);
    expect(fs.readFileSync(file, 'utf8')).toBe(encodeRow(row(10)) + encodeRow(row(20)));
    s.closeRun(id);
  });
});

describe('recur train killed with SIGKILL, then --resume', () => {
  it('metrics.jsonl holds every step exactly once', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'killed');
    const log = path.join(dir, METRICS_FILE);
    const child = recurAsync(['train', '--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '5000', '--log_every', '10', '--eval_every', '200',
      '--save_every', '200', '--seed', '7', '--save_dir', root, '--run_name', 'killed']);
    const exited = new Promise((res) => child.on('exit', res));
    const lastStep = (): number => {
      try {
        const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
        return JSON.parse(lines[lines.length - 1]).step as number;
      } catch {
        return -1;
      }
    };
    // Kill halfway between two checkpoints, so rows past the newest checkpoint are in the log.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = lastStep();
      if (s >= 300 && s % 200 >= 60 && s % 200 <= 140) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the run was not caught between checkpoints (last step ${s})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;

    const steps = (): number[] => fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'loss' in r).map((r) => r.step);
    const checkpoints = fs.readdirSync(path.join(dir, 'checkpoints')).filter((n) => n.startsWith('step-')).map((n) => Number(n.slice(5)));
    const ckpt = Math.max(...checkpoints);
    const killedAt = Math.max(...steps());
    expect(killedAt).toBeGreaterThan(ckpt); // the killed attempt logged steps the resume runs again

    const r = recur(['train', '--resume', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`continuing from step ${ckpt} of 5000`);

    const rows = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const seen = new Map<string, number>();
    for (const x of rows) for (const k of Object.keys(x)) if (k !== 'step' && k !== 't') seen.set(`${k}@${x.step}`, (seen.get(`${k}@${x.step}`) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n !== 1)).toEqual([]);
    expect(steps()).toEqual(Array.from({ length: 500 }, (_, i) => (i + 1) * 10));
    expect(rows.filter((x) => 'accuracy' in x).map((x) => x.step)).toEqual(Array.from({ length: 25 }, (_, i) => (i + 1) * 200));
    expect(rows.filter((x) => 'Model Params' in x).map((x) => x.step)).toEqual([0]);
  }, 180_000);
});
