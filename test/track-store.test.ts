// One suite, run against every RunStore backend (file and memory), plus what only the file store
// can get wrong (torn lines from a killed writer, hand-damaged files).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/track/file-store.js';
import { MemoryStore } from '../src/track/memory-store.js';
import { appendRows } from '../src/track/metrics.js';
import { effectiveStatus } from '../src/track/status.js';
import { CorruptMetaError, RunExistsError, RunNotFoundError, sanitizeRunName, type RunStore } from '../src/track/store.js';
import type { MetricRow, RunMeta } from '../src/track/types.js';
import { tmpRoot } from './track-fixtures.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function baseMeta(name: string, over: Partial<RunMeta> = {}): Omit<RunMeta, 'id'> {
  const now = new Date().toISOString();
  return {
    name, project: 'recur', status: 'running', config: { lr: 0.001, hidden_dim: 16 }, seed: 3, recurVersion: '0.1.0',
    git: null, argv: ['train.js'], node: process.version, host: os.hostname(), pid: process.pid,
    startedAt: now, endedAt: null, heartbeatAt: now, summary: {}, ...over,
  };
}

const backends: Array<[string, () => RunStore]> = [
  ['file', () => {
    const root = tmpRoot();
    roots.push(root);
    return new FileStore(root);
  }],
  ['memory', () => new MemoryStore()],
];

describe.each(backends)('RunStore contract: %s store', (_kind, make) => {
  it('allocates name, name-2, name-3 and never reuses an id', async () => {
    const s = make();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await s.createRun(baseMeta('baseline'))).id);
    expect(ids).toEqual(['baseline', 'baseline-2', 'baseline-3']);
    const other = await s.createRun(baseMeta('sota'));
    expect(other.id).toBe('sota');
    expect((await s.listRuns()).map((e) => e.id).sort()).toEqual(['baseline', 'baseline-2', 'baseline-3', 'sota']);
  });

  it('gives distinct ids to concurrent creations with one name', async () => {
    const s = make();
    const metas = await Promise.all(Array.from({ length: 8 }, () => s.createRun(baseMeta('same'))));
    expect(new Set(metas.map((m) => m.id)).size).toBe(8);
  });

  it('exactId refuses an existing run', async () => {
    const s = make();
    await s.createRun(baseMeta('x'), { exactId: true });
    await expect(s.createRun(baseMeta('x'), { exactId: true })).rejects.toBeInstanceOf(RunExistsError);
  });

  it('sanitizes names into safe ids', async () => {
    const s = make();
    const m = await s.createRun(baseMeta('../../etc/passwd'));
    expect(m.id).not.toContain('/');
    expect(m.id.startsWith('.')).toBe(false);
    expect(sanitizeRunName('')).toBe('run');
    expect(sanitizeRunName('lr 5e-3/α')).toBe('lr_5e-3__');
  });

  it('round-trips meta, and writeMeta/updateMeta replace it', async () => {
    const s = make();
    const m = await s.createRun(baseMeta('r', { config: { nested: { a: 1 }, list: [1, 2] } }));
    expect(await s.readMeta(m.id)).toEqual(m);
    s.writeMeta({ ...m, summary: { accuracy: 0.9 } });
    expect((await s.readMeta(m.id)).summary).toEqual({ accuracy: 0.9 });
    const u = await s.updateMeta(m.id, { status: 'finished', endedAt: new Date().toISOString() });
    expect(u.status).toBe('finished');
    expect((await s.readMeta(m.id)).status).toBe('finished');
    expect((await s.readMeta(m.id)).summary).toEqual({ accuracy: 0.9 });
  });

  it('lists runs oldest first', async () => {
    const s = make();
    await s.createRun(baseMeta('late', { startedAt: '2024-01-02T00:00:00.000Z' }));
    await s.createRun(baseMeta('early', { startedAt: '2024-01-01T00:00:00.000Z' }));
    expect((await s.listRuns()).map((e) => e.id)).toEqual(['early', 'late']);
  });

  it('appends and reads metrics, incrementally with the cursor', async () => {
    const s = make();
    const { id } = await s.createRun(baseMeta('m'));
    expect((await s.readMetrics(id)).rows).toEqual([]);
    const rows: MetricRow[] = [
      { step: 0, t: 1000, 'Model Params': 746 },
      { step: 100, t: 2000, loss: 2.3, current_lr: 0.001 },
    ];
    s.appendMetrics(id, rows);
    const a = await s.readMetrics(id);
    expect(a.rows).toEqual(rows);
    s.appendMetrics(id, [{ step: 200, t: 3000, loss: 2.1, current_lr: 0.0009 }, { step: 200, t: 3001, accuracy: 0.25 }]);
    const b = await s.readMetrics(id, a.cursor);
    expect(b.rows).toEqual([{ step: 200, t: 3000, loss: 2.1, current_lr: 0.0009 }, { step: 200, t: 3001, accuracy: 0.25 }]);
    expect(b.reset).toBe(false);
    const c = await s.readMetrics(id, b.cursor);
    expect(c.rows).toEqual([]);
    expect(c.cursor).toBe(b.cursor);
    // A cursor beyond the end (log replaced) starts over.
    const d = await s.readMetrics(id, b.cursor + 1000);
    expect(d.reset).toBe(true);
    expect(d.rows).toHaveLength(4);
  });

  it('keeps NaN and ±Infinity values', async () => {
    const s = make();
    const { id } = await s.createRun(baseMeta('nan'));
    s.appendMetrics(id, [{ step: 1, t: 1, loss: NaN, a: Infinity, b: -Infinity, c: -0.5 }]);
    const [row] = (await s.readMetrics(id)).rows;
    expect(row.loss).toBeNaN();
    expect(row.a).toBe(Infinity);
    expect(row.b).toBe(-Infinity);
    expect(row.c).toBe(-0.5);
  });

  it('applies the resume rule: a step going back supersedes later rows', async () => {
    const s = make();
    const { id } = await s.createRun(baseMeta('resumed'));
    s.appendMetrics(id, [100, 200, 300, 400].map((step) => ({ step, t: step, loss: 1 })));
    const first = await s.readMetrics(id);
    // Resumed from the checkpoint at step 200: steps 300, 400 are logged again.
    s.appendMetrics(id, [300, 400, 500].map((step) => ({ step, t: 10_000 + step, loss: 0.5 })));
    expect((await s.readMetrics(id)).rows.map((r) => [r.step, r.loss])).toEqual([[100, 1], [200, 1], [300, 0.5], [400, 0.5], [500, 0.5]]);
    // Equal step: a second metric at the same step is kept, a re-logged metric replaces.
    const { id: id2 } = await s.createRun(baseMeta('same-step'));
    s.appendMetrics(id2, [{ step: 500, t: 1, loss: 1 }, { step: 500, t: 2, accuracy: 0.5 }]);
    expect((await s.readMetrics(id2)).rows).toHaveLength(2);
    s.appendMetrics(id2, [{ step: 500, t: 3, loss: 0.9 }]);
    expect((await s.readMetrics(id2)).rows).toEqual([{ step: 500, t: 3, loss: 0.9 }]);
    // Chunk by chunk gives the same result.
    const next = await s.readMetrics(id, first.cursor);
    expect(appendRows([...first.rows], next.rows).map((r) => r.step)).toEqual([100, 200, 300, 400, 500]);
  });

  it('throws RunNotFoundError for unknown runs', async () => {
    const s = make();
    await expect(s.readMeta('nope')).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(s.readMetrics('nope')).rejects.toBeInstanceOf(RunNotFoundError);
    expect(await s.hasRun('nope')).toBe(false);
  });

  it('reports a running run whose heartbeat is stale (another host) as interrupted', async () => {
    const s = make();
    const old = new Date(Date.now() - 5 * 60_000).toISOString();
    await s.createRun(baseMeta('stale', { host: 'some-other-host', heartbeatAt: old }));
    await s.createRun(baseMeta('fresh', { host: 'some-other-host' }));
    await s.createRun(baseMeta('done', { status: 'finished', host: 'some-other-host', heartbeatAt: old }));
    const byId = Object.fromEntries((await s.listRuns()).map((e) => [e.id, e.status]));
    expect(byId).toEqual({ stale: 'interrupted', fresh: 'running', done: 'finished' });
  });
});

describe('effectiveStatus', () => {
  const m = { ...baseMeta('x'), id: 'x' } as RunMeta;
  it('uses the pid on the same host, the heartbeat elsewhere', () => {
    expect(effectiveStatus(m, { host: m.host, isPidAlive: () => false })).toBe('interrupted');
    expect(effectiveStatus(m, { host: m.host, isPidAlive: () => true })).toBe('running');
    expect(effectiveStatus(m, { host: 'elsewhere', isPidAlive: () => false })).toBe('running');
    expect(effectiveStatus(m, { now: Date.parse(m.heartbeatAt) + 61_000 })).toBe('interrupted');
    expect(effectiveStatus({ ...m, status: 'failed' }, { isPidAlive: () => true, host: m.host })).toBe('failed');
  });
});

describe('file store on disk', () => {
  function store(): FileStore {
    const root = tmpRoot();
    roots.push(root);
    return new FileStore(root);
  }

  it('ignores a half-written last line and counts corrupt middle lines', async () => {
    const s = store();
    const { id } = await s.createRun(baseMeta('torn'));
    const file = path.join(s.runDir(id), 'metrics.jsonl');
    fs.writeFileSync(file, '{"step":1,"t":1,"loss":1}\n{"step":2,"t":2,"loss":0.9}\n{"step":3,"t":3,"lo');
    const a = await s.readMetrics(id);
    expect(a.rows.map((r) => r.step)).toEqual([1, 2]);
    expect(a.corruptLines).toBe(0);
    // The writer finishes the line later: a reader continuing from the cursor gets it whole.
    fs.appendFileSync(file, 'ss":0.8}\n');
    const b = await s.readMetrics(id, a.cursor);
    expect(b.rows).toEqual([{ step: 3, t: 3, loss: 0.8 }]);
  });

  it('a writer reopening a torn log terminates the torn line first', async () => {
    const s = store();
    const { id } = await s.createRun(baseMeta('resume-torn'));
    const file = path.join(s.runDir(id), 'metrics.jsonl');
    fs.writeFileSync(file, '{"step":1,"t":1,"loss":1}\n{"step":2,"t":2,"lo');
    s.appendMetrics(id, [{ step: 3, t: 3, loss: 0.7 }]);
    s.closeRun(id);
    const r = await s.readMetrics(id);
    expect(r.rows).toEqual([{ step: 1, t: 1, loss: 1 }, { step: 3, t: 3, loss: 0.7 }]);
    expect(r.corruptLines).toBe(1);
    expect(fs.readFileSync(file, 'utf8').split('\n')).toHaveLength(4);
  });

  it('skips garbage lines and rows without a step', async () => {
    const s = store();
    const { id } = await s.createRun(baseMeta('garbage'));
    fs.writeFileSync(path.join(s.runDir(id), 'metrics.jsonl'), 'not json\n[1,2]\n{"t":5,"loss":1}\n{"step":7,"t":7,"loss":0.5}\n\n');
    const r = await s.readMetrics(id);
    expect(r.rows).toEqual([{ step: 7, t: 7, loss: 0.5 }]);
    expect(r.corruptLines).toBe(3);
  });

  it('lists a corrupt or missing meta.json as corrupt, and skips non-run directories', async () => {
    const s = store();
    await s.createRun(baseMeta('good'));
    fs.mkdirSync(path.join(s.root, 'bad'));
    fs.writeFileSync(path.join(s.root, 'bad', 'meta.json'), '{"id": "bad", "name": ');
    fs.mkdirSync(path.join(s.root, 'nometa'));
    fs.writeFileSync(path.join(s.root, 'nometa', 'metrics.jsonl'), '{"step":1,"t":1,"loss":1}\n');
    fs.mkdirSync(path.join(s.root, 'wrongstatus'));
    fs.writeFileSync(path.join(s.root, 'wrongstatus', 'meta.json'), JSON.stringify({ ...baseMeta('w'), id: 'w', status: 'exploded' }));
    fs.mkdirSync(path.join(s.root, 'checkpoints-only', 'step_100'), { recursive: true });
    fs.writeFileSync(path.join(s.root, 'stray.txt'), 'hello');
    const list = await s.listRuns();
    const byId = Object.fromEntries(list.map((e) => [e.id, e]));
    expect(Object.keys(byId).sort()).toEqual(['bad', 'good', 'nometa', 'wrongstatus']);
    expect(byId.good.status).toBe('running');
    for (const id of ['bad', 'nometa', 'wrongstatus']) {
      expect(byId[id].status).toBe('corrupt');
      expect(byId[id].meta).toBeNull();
      expect(byId[id].error).toMatch(/meta/);
    }
    await expect(s.readMeta('bad')).rejects.toBeInstanceOf(CorruptMetaError);
    // Metrics of a run with a broken meta are still readable.
    expect((await s.readMetrics('nometa')).rows).toHaveLength(1);
  });

  it('writes meta atomically (no temp files left, valid JSON after many rewrites)', async () => {
    const s = store();
    const m = await s.createRun(baseMeta('atomic'));
    for (let i = 0; i < 50; i++) s.writeMeta({ ...m, summary: { i } });
    expect(fs.readdirSync(s.runDir(m.id)).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(s.runDir(m.id), 'meta.json'), 'utf8')).summary).toEqual({ i: 49 });
  });

  it('an existing directory without meta (made by a trainer) can be claimed with exactId', async () => {
    const s = store();
    fs.mkdirSync(path.join(s.root, 'mine', 'checkpoints'), { recursive: true });
    const m = await s.createRun(baseMeta('mine'), { exactId: true });
    expect(m.id).toBe('mine');
    // ...while plain creation moves on to a fresh name.
    expect((await s.createRun(baseMeta('mine'))).id).toBe('mine-2');
  });

  it('an empty or missing root lists nothing', async () => {
    expect(await new FileStore(path.join(os.tmpdir(), 'recur-does-not-exist-' + process.pid)).listRuns()).toEqual([]);
  });
});
