// The per-group files of member sketches and of answers (group-sketch-cache.ts): a group's series
// served from them equal the series built from every member's run-sketch.json, a fresh reader reads
// no member's sketch file once they are written, and they are rebuilt when a member's log grows, a
// member comes or goes, or a file is damaged. A live member is never stored.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileStore } from '../src/track/file-store.js';
import { groupCacheFile } from '../src/track/group-sketch-cache.js';
import { groupSketches } from '../src/track/run-sketch.js';
import { RunsApi } from '../src/track/server-api.js';
import { SKETCH_FILE } from '../src/track/summary-file.js';
import { SummaryIndex } from '../src/track/summary-index.js';
import type { MetricRow } from '../src/track/types.js';
import { tmpRoot, writeFixtureRun } from './track-fixtures.js';

let base: string;
beforeAll(() => {
  base = tmpRoot('recur-track-grpcache-');
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const CONFIG = { lr: 0.01, cell: 'gru' };
const START = Date.now() - 1_000_000;
const QUERY = 'keys=loss,accuracy&points=120';

async function writeGroup(root: string, seeds: number[]): Promise<void> {
  for (const s of seeds) await writeFixtureRun(root, { name: `s${s}`, config: CONFIG, seed: s, steps: 1500 + 37 * s, logEvery: 1 }, START + s);
}

// A fresh reader (a new server process) of `root`: its index and API.
async function reader(root: string, persist = true): Promise<{ index: SummaryIndex; api: RunsApi }> {
  const store = new FileStore(root);
  const index = new SummaryIndex(store, undefined, { persist });
  await index.refresh(true);
  return { index, api: new RunsApi(store, index, root, { persist }) };
}

function groupOf(index: SummaryIndex, run: string): string {
  return index.get(run)!.summary.group;
}

// The group series built from every member's own sketch file (what groupSeries gave without the cache).
async function reference(root: string, group: string): Promise<unknown> {
  const { index } = await reader(root, false);
  const members = index.list().filter((e) => e.summary.group === group);
  const keys = ['loss', 'accuracy'];
  const sketches = members.map((m) => index.sketches(m.id, keys).sketches);
  const series: Record<string, unknown> = {};
  for (const k of keys) series[k] = groupSketches(sketches.map((s) => s.get(k)).filter((s) => s !== undefined), 120);
  return { group, runs: members.map((m) => m.id), series };
}

// The group series from a fresh reader, how many run-sketch.json files it read and whether it read
// the group's file of sketches.
async function served(root: string, group: string, query = QUERY): Promise<{ out: unknown; sketchReads: number; groupFileRead: boolean }> {
  const { api } = await reader(root);
  const spy = vi.spyOn(fs, 'readFileSync');
  try {
    const out = await api.groupSeries(group, new URLSearchParams(query));
    const sketchReads = spy.mock.calls.filter((c) => String(c[0]).endsWith(SKETCH_FILE)).length;
    const groupFileRead = spy.mock.calls.some((c) => String(c[0]) === groupCacheFile(root, group));
    return { out, sketchReads, groupFileRead };
  } finally {
    spy.mockRestore();
  }
}

function storedRuns(root: string, group: string): string[] {
  const buf = fs.readFileSync(groupCacheFile(root, group));
  const header = JSON.parse(buf.toString('utf8', 0, buf.indexOf(0x0a))) as { runs: [string, string, unknown][] };
  return header.runs.map((r) => r[0]).sort();
}

function moreRows(from: number, n: number): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let s = from; s < from + n; s++) rows.push({ step: s, t: START + 10_000_000 + s, loss: 5 + Math.sin(s), accuracy: s % 7 === 0 ? NaN : 0.01 * (s % 13) });
  return rows;
}

describe('group sketch cache', () => {
  it('serves what the members sketch files give, then from one file, and follows every change', async () => {
    const root = path.join(base, 'root');
    await writeGroup(root, [0, 1, 2, 3]);
    await writeFixtureRun(root, { name: 'other', config: { lr: 0.5, cell: 'lstm' }, seed: 0, steps: 800, logEvery: 1 }, START + 50);
    const { index } = await reader(root, false);
    const group = groupOf(index, 's0');
    expect(groupOf(index, 's3')).toBe(group);
    expect(groupOf(index, 'other')).not.toBe(group);
    const file = groupCacheFile(root, group);

    // First reader: no file yet; every member read from its own sketch, the file written.
    expect(fs.existsSync(file)).toBe(false);
    const first = await served(root, group);
    expect(first.out).toEqual(await reference(root, group));
    expect(first.sketchReads).toBe(4);
    expect(storedRuns(root, group)).toEqual(['s0', 's1', 's2', 's3']);

    // Next reader: the same answer, stored as it is, without reading any sketch.
    const second = await served(root, group);
    expect(second.sketchReads).toBe(0);
    expect(second.groupFileRead).toBe(false);
    expect(second.out).toEqual(first.out);
    // Another keys / points choice is built from the group's file of sketches.
    const other = await served(root, group, 'keys=loss&points=37');
    expect(other.sketchReads).toBe(0);
    expect(other.groupFileRead).toBe(true);
    expect((await served(root, group, 'keys=loss&points=37')).groupFileRead).toBe(false);
    const { api: plain } = await reader(root, false);
    expect(other.out).toEqual(await plain.groupSeries(group, new URLSearchParams('keys=loss&points=37')));

    // A member's log grows (resumed and finished again): only that member is read again.
    const store = new FileStore(root);
    const meta = await store.readMeta('s1');
    store.writeMeta({ ...meta, status: 'running', endedAt: null });
    store.appendMetrics('s1', moreRows(1600, 900));
    store.writeMeta({ ...meta, status: 'finished', endedAt: new Date().toISOString() });
    store.closeRun('s1');
    const grown = await served(root, group);
    expect(grown.sketchReads).toBe(1);
    const refGrown = await reference(root, group);
    expect(grown.out).toEqual(refGrown);
    expect(grown.out).not.toEqual(first.out);
    expect((await served(root, group)).sketchReads).toBe(0);

    // A member added, then one removed.
    await writeGroup(root, [4]);
    const added = await served(root, group);
    expect(added.sketchReads).toBe(1);
    expect(added.out).toEqual(await reference(root, group));
    expect(storedRuns(root, group)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    fs.rmSync(path.join(root, 's2'), { recursive: true });
    const removed = await served(root, group);
    expect(removed.sketchReads).toBe(0);
    expect(removed.out).toEqual(await reference(root, group));
    expect((removed.out as { runs: string[] }).runs).toEqual(['s0', 's1', 's3', 's4']);
    expect(storedRuns(root, group)).toEqual(['s0', 's1', 's3', 's4']);

    // A damaged file of sketches (truncated, then garbage) is ignored and rewritten whole.
    const whole = fs.readFileSync(file);
    const answers = file.replace(/\.bin$/, '.series.json');
    for (const damaged of [whole.subarray(0, whole.length - 8), whole.subarray(0, 30), Buffer.from('not a cache\n\0\0\0\0\0\0\0\0')]) {
      fs.writeFileSync(file, damaged);
      fs.rmSync(answers);
      const again = await served(root, group);
      expect(again.sketchReads).toBe(4);
      expect(again.out).toEqual(removed.out);
      expect(fs.readFileSync(file).equals(whole)).toBe(true);
    }
    // A damaged or tampered file of answers is not used.
    const stored = fs.readFileSync(answers, 'utf8');
    const entry = JSON.parse(stored) as { entries: { runs: [string, string][] }[] };
    entry.entries[0].runs[0][1] = '1:2:3';
    const lost = JSON.parse(stored) as { entries: { series: Record<string, unknown> }[] };
    for (const e of lost.entries) delete e.series.accuracy;
    for (const damaged of [stored.slice(0, stored.length / 2), JSON.stringify(entry), JSON.stringify(lost)]) {
      fs.writeFileSync(answers, damaged);
      const again = await served(root, group);
      expect(again.groupFileRead).toBe(true);
      expect(again.out).toEqual(removed.out);
      expect((await served(root, group)).groupFileRead).toBe(false);
    }
    // A run of the `runs=` subset is served from the file too.
    const subset = await served(root, group, `${QUERY}&runs=s3,s0`);
    expect(subset.sketchReads).toBe(0);
    expect((subset.out as { runs: string[] }).runs).toEqual(['s0', 's3']);
    expect(subset.out).toEqual(await plain.groupSeries(group, new URLSearchParams(`${QUERY}&runs=s3,s0`)));
  });

  it('never stores a live member and reads it from its own sketch', async () => {
    const root = path.join(base, 'live');
    await writeGroup(root, [0, 1]);
    await writeFixtureRun(root, { name: 'live', config: CONFIG, seed: 9, steps: 700, logEvery: 1, status: 'running' }, START + 9);
    const { index } = await reader(root, false);
    const group = groupOf(index, 's0');
    expect(groupOf(index, 'live')).toBe(group);
    expect(index.get('live')!.status).toBe('running');
    const first = await served(root, group);
    expect(first.out).toEqual(await reference(root, group));
    expect(storedRuns(root, group)).toEqual(['s0', 's1']);
    const before = fs.statSync(groupCacheFile(root, group)).mtimeMs;

    new FileStore(root).appendMetrics('live', moreRows(700, 300));
    const next = await served(root, group);
    expect(next.sketchReads).toBeGreaterThan(0);
    expect(next.out).toEqual(await reference(root, group));
    expect(next.out).not.toEqual(first.out);
    expect(fs.statSync(groupCacheFile(root, group)).mtimeMs).toBe(before);
    expect(fs.existsSync(groupCacheFile(root, group).replace(/\.bin$/, '.series.json'))).toBe(false);
  });

  it('stores answers with NaN and infinite values as they are', async () => {
    const root = path.join(base, 'nan');
    const store = new FileStore(root);
    await writeGroup(root, [0]);
    const meta = await store.readMeta('s0');
    store.writeMeta({ ...meta, status: 'running', endedAt: null });
    const rows = moreRows(1600, 400).map((r, i) => ({ ...r, accuracy: i < 200 ? NaN : i % 2 ? Infinity : -Infinity }));
    store.appendMetrics('s0', rows);
    store.writeMeta({ ...meta, status: 'finished', endedAt: new Date().toISOString() });
    store.closeRun('s0');
    const { index } = await reader(root, false);
    const group = groupOf(index, 's0');
    const first = await served(root, group);
    const acc = (first.out as { series: { accuracy: { mean: number[]; min: number[]; max: number[] } } }).series.accuracy;
    expect(acc.mean.some(Number.isNaN)).toBe(true);
    expect(acc.min).toContain(-Infinity);
    expect(acc.max).toContain(Infinity);
    const second = await served(root, group);
    expect(second.groupFileRead).toBe(false);
    expect(second.out).toEqual(first.out);
    expect(second.out).toEqual(await reference(root, group));
  });

  it('writes nothing for a reader that does not persist', async () => {
    const root = path.join(base, 'ro');
    await writeGroup(root, [0, 1]);
    const { index, api } = await reader(root, false);
    const group = groupOf(index, 's0');
    expect(await api.groupSeries(group, new URLSearchParams(QUERY))).toEqual(await reference(root, group));
    expect(fs.existsSync(groupCacheFile(root, group))).toBe(false);
  });
});
