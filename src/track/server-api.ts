// The dashboard's JSON views of the runs index (served by server.ts):
//
//   /api/runs[?since=CURSOR][&compact=1]     run summaries; with `since` only runs changed after it
//   /api/runs/:id/series?keys=&points=&x=&x0=&x1=   one run's series, at most `points` per key
//   /api/groups/:group/series?keys=&points=&runs=   mean and min–max band of a group's runs
//
// Series are answered from the runs' sketches (run-sketch.ts) when the chart wants fewer points
// than a series has (a group's from its file of member sketches, group-sketch-cache.ts); from the log, at full resolution up to `points`, for a window (x0/x1), an x
// axis of time, or a series short enough to send whole.
import type { FileStore } from './file-store.js';
import { groupMemberSketches, readGroupSeries, writeGroupSeries, type GroupSeriesAnswer } from './group-sketch-cache.js';
import { coarsenTo, downsample, groupSketches, sketchSeries, type Series } from './run-sketch.js';
import { fullJson, type IndexEntry, type SummaryIndex } from './summary-index.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const DEFAULT_POINTS = 1000;
export const MAX_POINTS = 100_000;

function intParam(query: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new ApiError(400, `${name} must be an integer in [${min}, ${max}], got '${raw.slice(0, 40)}'`);
  return v;
}

function numParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new ApiError(400, `${name} must be a number, got '${raw.slice(0, 40)}'`);
  return v;
}

function listParam(query: URLSearchParams, name: string): string[] | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

const COMMA = Buffer.from(',');

function joinJson(parts: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  parts.forEach((p, i) => (i > 0 && out.push(COMMA), out.push(p)));
  return Buffer.concat(out);
}

export class RunsApi {
  private listCache: { key: string; body: Buffer } | null = null;
  private readonly groupCache = new Map<string, unknown>();

  constructor(
    readonly store: FileStore,
    readonly index: SummaryIndex,
    readonly root: string,
    // persist: false keeps the group sketch files (group-sketch-cache.ts) from being written.
    private readonly opts: { persist?: boolean } = {},
  ) {}

  // The body of /api/runs. Built from each run's cached JSON, so a warm listing costs a copy.
  async runs(query: URLSearchParams): Promise<Buffer> {
    await this.index.refresh();
    const compact = query.get('compact') === '1';
    const since = query.get('since');
    const head = (reset: boolean, total: number) =>
      Buffer.from(`{"root":${JSON.stringify(this.root)},"now":${Date.now()},"cursor":${JSON.stringify(this.index.cursor)},"total":${total},"reset":${reset},"runs":[`);
    const tail = (removed: string[]) => Buffer.from(`],"removed":${JSON.stringify(removed)},"rebuilt":${JSON.stringify(this.index.rebuilt.slice(-100))}}`);
    const pick = (e: IndexEntry) => (compact ? e.json : fullJson(e));
    if (since !== null && since !== '') {
      const delta = this.index.changedSince(since);
      if (delta) return Buffer.concat([head(false, this.index.size), joinJson(delta.runs.map(pick)), tail(delta.removed)]);
    }
    const key = `${this.index.cursor}:${compact}`;
    if (this.listCache?.key !== key) this.listCache = { key, body: joinJson(this.index.list().map(pick)) };
    return Buffer.concat([head(since !== null && since !== '', this.index.size), this.listCache.body, tail([])]);
  }

  async series(id: string, query: URLSearchParams): Promise<unknown> {
    await this.index.refresh();
    const e = this.index.get(id);
    if (!e) throw new ApiError(404, `no run '${id.slice(0, 100)}'`);
    const points = intParam(query, 'points', DEFAULT_POINTS, 1, MAX_POINTS);
    const xMode = query.get('x') ?? 'step';
    if (xMode !== 'step' && xMode !== 'time') throw new ApiError(400, `x must be step or time, got '${xMode.slice(0, 40)}'`);
    const x0 = numParam(query, 'x0');
    const x1 = numParam(query, 'x1');
    if (x0 !== undefined && x1 !== undefined && x1 < x0) throw new ApiError(400, 'x1 must not be less than x0');
    const keys = listParam(query, 'keys') ?? e.summary.metrics;
    const series: Record<string, Series> = {};
    const windowed = x0 !== undefined || x1 !== undefined;
    const fromLog: string[] = [];
    let cursor = e.data.cursor;
    if (xMode === 'step' && !windowed) {
      const sk = this.index.sketches(id);
      cursor = sk.cursor;
      for (const k of keys) {
        const s = sk.sketches.get(k);
        const count = e.data.stats[k]?.count ?? 0;
        if (!s || count <= points || s.length > points * 4) fromLog.push(k);
        else series[k] = sketchSeries(coarsenTo(s, points));
      }
    } else fromLog.push(...keys);
    if (fromLog.length) {
      const chunk = await this.store.readMetrics(id, 0);
      // With some keys from the sketch, the client must poll from where the sketch ends, or rows
      // appended between the two reads would never reach those keys (it replaces repeated steps).
      cursor = fromLog.length < keys.length ? Math.min(cursor, chunk.cursor) : chunk.cursor;
      const start = e.meta ? Date.parse(e.meta.startedAt) : NaN;
      for (const k of fromLog) {
        const xs: number[] = [];
        const ys: number[] = [];
        for (const r of chunk.rows) {
          const v = r[k];
          if (v === undefined) continue;
          xs.push(xMode === 'time' ? (r.t - start) / 1000 : r.step);
          ys.push(v);
        }
        series[k] = downsample(xs, ys, points, x0, x1);
      }
    }
    return { id, cursor, rows: e.data.rows, series };
  }

  async groupSeries(group: string, query: URLSearchParams): Promise<unknown> {
    await this.index.refresh();
    const points = intParam(query, 'points', DEFAULT_POINTS, 1, MAX_POINTS);
    const only = listParam(query, 'runs');
    const all = this.index.list().filter((e) => e.summary.group === group);
    let members = all;
    if (only) {
      const want = new Set(only);
      members = members.filter((e) => want.has(e.id));
    }
    if (members.length === 0) throw new ApiError(404, `no runs in group '${group.slice(0, 100)}'${only ? ' among the listed runs' : ''}`);
    const keys = listParam(query, 'keys') ?? [...new Set(members.flatMap((m) => m.summary.metrics))];
    const memo = `${group}|${keys.join(',')}|${points}|${members.map((m) => `${m.id}@${m.version}`).join(',')}`;
    const hit = this.groupCache.get(memo);
    if (hit) return hit;
    const persist = this.opts.persist !== false;
    const q = JSON.stringify([keys, points]);
    let out = persist ? readGroupSeries(this.index.store.root, group, q, members) : null;
    if (!out) {
      const sketches = groupMemberSketches(this.index, group, all, members, keys, persist);
      const series: GroupSeriesAnswer['series'] = {};
      for (const k of keys) series[k] = groupSketches(sketches.map((s) => s.get(k)).filter((s) => s !== undefined), points);
      out = { group, runs: members.map((m) => m.id), series };
      if (persist) writeGroupSeries(this.index.store.root, group, q, members, out, this.index);
    }
    this.groupCache.set(memo, out);
    while (this.groupCache.size > 500) this.groupCache.delete(this.groupCache.keys().next().value as string);
    return out;
  }
}
