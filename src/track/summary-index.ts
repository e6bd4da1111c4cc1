// The runs index readers use (dashboard server, `recur runs`, `recur report`): every run's summary,
// read from its run-summary.json and never from its metrics log, except
//   - a run without a summary (written by a recur without the index) or whose summary is damaged: its log is read
//     once, and the summary written (the rebuild of a damaged one is reported in `rebuilt`);
//   - rows appended after the summary's cursor (a live run between two summary writes, or a
//     writer killed before its last write): only those bytes are read.
// Summaries of runs that are not running are written back after such a catch-up, so the next
// reader reads one small file per run.
//
// Changes are found cheaply: a run directory's mtime changes whenever its meta or summary is
// replaced (both are renamed into place); a running run's log is also checked by size. Every
// change of what the API shows bumps the run's version; `changedSince` serves cursor deltas.
import fs from 'node:fs';
import path from 'node:path';
import { FileStore, META_FILE, METRICS_FILE, nodeLivenessProbe } from './file-store.js';
import type { StepSketch } from './run-sketch.js';
import { SummaryBuilder, toRunSummary, type RunSummary, type RunSummaryData } from './run-summary.js';
import { effectiveStatus, parseMeta, type LivenessProbe } from './status.js';
import { isSafeRunId } from './store.js';
import {
  buildFromLog,
  catchUp,
  decodeSketches,
  decodeSummary,
  decodeSummaryObject,
  encodeSummary,
  writeAtomicFile,
  fileSize,
  SKETCH_FILE,
  SUMMARY_FILE,
  SummaryVersionError,
  writeSummaryFiles,
} from './summary-file.js';
import type { MetricStats, RunMeta, RunStatus } from './types.js';

export interface IndexEntry {
  id: string;
  meta: RunMeta | null;
  error?: string;
  status: RunStatus | 'corrupt';
  data: RunSummaryData;
  summary: RunSummary;
  version: number;
  // The API object (RunSummary) as UTF-8 JSON, ready to be joined into a listing.
  json: Buffer;
  dirMtime: number;
  startMs: number;
}

// A run as the CLI's tables and compare views read it: its meta and per-metric stats.
export interface IndexedRunView {
  id: string;
  meta: RunMeta | null;
  error?: string;
  status: RunStatus | 'corrupt';
  stats: Record<string, MetricStats>;
  cursor: number;
  rows: number;
  corruptLines: number;
}

export interface RebuildNote {
  id: string;
  reason: string;
}

const FULL_SWEEP_MS = 2000;
export const ROOT_CACHE_FILE = '.recur-index.jsonl';
const ROOT_CACHE_HEADER = '{"recurIndex":1}';
const SKETCH_CACHE = 300;

export class SummaryIndex {
  readonly epoch = Math.random().toString(36).slice(2, 8);
  private readonly entries = new Map<string, IndexEntry>();
  private readonly removed = new Map<string, number>(); // id -> version at removal
  private counter = 0;
  private lastSweep = -Infinity;
  private rootMtime = -1;
  private inflight: Promise<void> | null = null;
  private readonly sketchCache = new Map<string, { key: string; cursor: number; sketches: Map<string, StepSketch> }>();
  // Runs whose summary was damaged and rebuilt from the log (reported by the CLI and the server).
  readonly rebuilt: RebuildNote[] = [];
  // Runs indexed from their log because they had no summary.
  indexedFromLog = 0;

  constructor(
    readonly store: FileStore,
    private readonly probe: LivenessProbe = nodeLivenessProbe(),
    private readonly opts: {
      persist?: boolean;
      // Called every 100 runs indexed from their logs (a root written without summaries): the
      // first reader of such a root reads every log once, which takes a while for thousands.
      onIndexProgress?: (indexed: number, runs: number) => void;
    } = {},
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get cursor(): string {
    return `${this.epoch}.${this.counter}`;
  }

  // Brings the index up to date: running runs (and new or removed run directories) on every call,
  // every run directory's mtime at most every FULL_SWEEP_MS or when `force`. Concurrent callers
  // share one refresh.
  async refresh(force = false): Promise<void> {
    if (this.inflight) return this.inflight;
    this.inflight = Promise.resolve().then(() => {
      try {
        this.refreshSync(force || Date.now() - this.lastSweep >= FULL_SWEEP_MS);
      } finally {
        this.inflight = null;
      }
    });
    return this.inflight;
  }

  // Every run, oldest start first (then by id). The order is kept until a run comes or goes.
  list(): IndexEntry[] {
    if (!this.order) {
      this.order = [...this.entries.values()]
        .sort((a, b) => {
          const fa = Number.isFinite(a.startMs);
          const fb = Number.isFinite(b.startMs);
          if (fa && fb && a.startMs !== b.startMs) return a.startMs - b.startMs;
          if (fa !== fb) return fa ? -1 : 1;
          return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
        })
        .map((e) => e.id);
    }
    return this.order.map((id) => this.entries.get(id)!);
  }

  private order: string[] | null = null;

  get(id: string): IndexEntry | undefined {
    return this.entries.get(id);
  }

  views(): IndexedRunView[] {
    return this.list().map((e) => view(e));
  }

  // Runs changed after `since` (a cursor from `cursor`) and ids removed since; null when the cursor
  // is not one of this index's (the client must take the whole list).
  changedSince(since: string): { runs: IndexEntry[]; removed: string[] } | null {
    const m = /^([a-z0-9]+)\.(\d+)$/.exec(since);
    if (!m || m[1] !== this.epoch) return null;
    const v = Number(m[2]);
    if (v > this.counter) return null;
    return {
      runs: this.list().filter((e) => e.version > v),
      removed: [...this.removed].filter(([, rv]) => rv > v).map(([id]) => id),
    };
  }

  private refreshSync(fullSweep: boolean): void {
    const before = this.rebuilt.length;
    this.refreshEntries(fullSweep);
    const fresh = this.rebuilt.slice(before);
    if (fresh.length > 0) {
      const shown = fresh.slice(0, 3).map((r) => `'${r.id}' (${r.reason})`).join(', ');
      console.warn(`recur: rebuilt the damaged summary of ${fresh.length === 1 ? 'run' : `${fresh.length} runs:`} ${shown}${fresh.length > 3 ? ', …' : ''} from the run's log`);
    }
  }

  private refreshEntries(fullSweep: boolean): void {
    const root = this.store.root;
    let rootMtime = -1;
    try {
      rootMtime = fs.statSync(root).mtimeMs;
    } catch {
      /* no root yet: no runs */
    }
    if (fullSweep || rootMtime !== this.rootMtime) {
      this.rootMtime = rootMtime;
      this.lastSweep = Date.now();
      let names: string[] = [];
      try {
        names = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && isSafeRunId(d.name)).map((d) => d.name);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      const seen = new Set<string>();
      const cached = this.entries.size === 0 ? this.readRootCache() : null;
      let loadedEnded = 0;
      for (const id of names) {
        const dir = path.join(root, id);
        let mt: number;
        try {
          mt = fs.statSync(dir).mtimeMs;
        } catch {
          continue;
        }
        const e = this.entries.get(id);
        if (e && e.dirMtime === mt) {
          seen.add(id);
          if (e.meta?.status === 'running' || e.status === 'running') this.recheckLive(e, dir);
          continue;
        }
        const c = cached?.get(id);
        if (!e && c && c.dirMtime === mt) {
          this.fromRootCache(id, c.data, c.error, mt, dir);
          seen.add(id);
          continue;
        }
        const fromLog = this.indexedFromLog;
        if (this.load(id, dir, mt)) {
          seen.add(id);
          if (this.indexedFromLog !== fromLog && this.indexedFromLog % 100 === 0) this.opts.onIndexProgress?.(this.indexedFromLog, names.length);
          if (this.entries.get(id)!.status !== 'running') loadedEnded++;
        }
      }
      if ((loadedEnded > 0 || (cached !== null && cached.size !== seen.size)) && this.opts.persist !== false) this.writeRootCache();
      for (const id of [...this.entries.keys()]) {
        if (!seen.has(id)) {
          this.entries.delete(id);
          this.order = null;
          this.sketchCache.delete(id);
          this.removed.set(id, ++this.counter);
        }
      }
    } else {
      for (const e of this.entries.values()) {
        if (e.meta?.status === 'running' || e.status === 'running') {
          const dir = path.join(root, e.id);
          let mt = e.dirMtime;
          try {
            mt = fs.statSync(dir).mtimeMs;
          } catch {
            /* removed: the next sweep drops it */
          }
          if (mt !== e.dirMtime) this.load(e.id, dir, mt);
          else this.recheckLive(e, dir);
        }
      }
    }
  }

  // One file with every run's summary and directory mtime, so that a fresh reader (a new server
  // process, `recur runs`) reads one file instead of one per run; a run whose directory changed
  // since is read from its own files. Written after a sweep that read ended runs from their files.
  private readRootCache(): Map<string, { dirMtime: number; data: RunSummaryData; error?: string }> | null {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.store.root, ROOT_CACHE_FILE), 'utf8');
    } catch {
      return null;
    }
    const out = new Map<string, { dirMtime: number; data: RunSummaryData; error?: string }>();
    const lines = text.split('\n');
    if (lines[0] !== ROOT_CACHE_HEADER) return null;
    for (let i = 1; i < lines.length; i++) {
      if (lines[i] === '') continue;
      try {
        const o = JSON.parse(lines[i]) as { id: string; m: number; e?: string; s: Record<string, unknown> };
        if (typeof o.id !== 'string' || typeof o.m !== 'number' || !isSafeRunId(o.id)) continue;
        out.set(o.id, { dirMtime: o.m, data: decodeSummaryObject(o.id, o.s), ...(o.e ? { error: o.e } : {}) });
      } catch {
        /* a damaged line: that run is read from its files */
      }
    }
    return out;
  }

  private writeRootCache(): void {
    const lines = [ROOT_CACHE_HEADER];
    for (const e of this.entries.values()) {
      lines.push(`{"id":${JSON.stringify(e.id)},"m":${e.dirMtime},${e.error ? `"e":${JSON.stringify(e.error)},` : ''}"s":${encodeSummary(e.data).trimEnd()}}`);
    }
    try {
      writeAtomicFile(path.join(this.store.root, ROOT_CACHE_FILE), lines.join('\n') + '\n');
    } catch {
      /* a read-only root: every reader reads the runs' files */
    }
  }

  private fromRootCache(id: string, data: RunSummaryData, error: string | undefined, dirMtime: number, dir: string): void {
    const meta = data.meta;
    const status = meta ? effectiveStatus(meta, this.probe) : 'corrupt';
    this.put(id, meta, error, status, data, dirMtime);
    const e = this.entries.get(id)!;
    if (meta?.status === 'running') this.recheckLive(e, dir);
  }

  // (Re)reads one run directory. False when it is not a run.
  private load(id: string, dir: string, dirMtime: number): boolean {
    const metaFile = path.join(dir, META_FILE);
    const logFile = path.join(dir, METRICS_FILE);
    let metaStat: fs.Stats | undefined;
    try {
      metaStat = fs.statSync(metaFile);
    } catch {
      /* missing meta */
    }
    if (!metaStat && !fs.existsSync(logFile)) {
      // Not a run (a directory of checkpoints, say), or no longer one.
      if (this.entries.delete(id)) (this.removed.set(id, ++this.counter), (this.order = null));
      return false;
    }
    let data: RunSummaryData | null = null;
    let damaged: string | null = null;
    let text: string | null = null;
    try {
      text = fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8');
    } catch {
      /* no summary: indexed from the log below */
    }
    if (text !== null) {
      try {
        data = decodeSummary(id, text);
      } catch (e) {
        if (!(e instanceof SummaryVersionError)) damaged = (e as Error).message;
      }
    }
    // meta.json is the truth for status and config; the summary's copy is used when meta.json has
    // not been replaced since the writer copied it.
    let meta: RunMeta | null = null;
    let error: string | undefined;
    if (data && data.meta && metaStat && data.metaMtimeMs === metaStat.mtimeMs) meta = data.meta;
    else if (metaStat) {
      try {
        meta = parseMeta(id, fs.readFileSync(metaFile, 'utf8'));
      } catch (e) {
        error = (e as Error).message;
      }
    } else error = `run '${id}' has a corrupt meta.json: meta.json is missing`;

    let b: SummaryBuilder;
    let wrote = false;
    // A run that recorded its end had its summary written after its last row: its log is checked
    // only when it says it is running (a live writer, or one killed before it could say more).
    const logSize = data && meta && meta.status !== 'running' && data.meta?.status === meta.status ? data.cursor : fileSize(logFile);
    let changed = false;
    if (data && data.cursor <= logSize) {
      b = new SummaryBuilder(data, false);
      b.data.meta = meta;
      if (logSize > data.cursor) {
        b = catchUp(dir, b);
        changed = true;
      }
    } else {
      if (damaged) this.rebuilt.push({ id, reason: damaged });
      else if (data) this.rebuilt.push({ id, reason: 'it covers more of the log than there is' });
      else this.indexedFromLog++;
      b = buildFromLog(dir, id, meta, true);
      changed = true;
    }
    if (metaStat && meta) b.data.metaMtimeMs = metaStat.mtimeMs;
    const status = meta ? effectiveStatus(meta, this.probe) : 'corrupt';
    if (meta && status !== 'running' && (changed || data?.meta === null || data?.metaMtimeMs !== metaStat?.mtimeMs) && this.opts.persist !== false) {
      wrote = this.persist(dir, id, b);
    }
    let mt = dirMtime;
    if (wrote) {
      try {
        mt = fs.statSync(dir).mtimeMs;
      } catch {
        /* keep */
      }
    }
    this.put(id, meta, error, status, b.data, mt);
    return true;
  }

  // The sketches of a finished run are written with its summary; the builder here may hold only
  // stats, so a persisting reader rebuilds the sketches from the stored ones plus the tail.
  private persist(dir: string, id: string, b: SummaryBuilder): boolean {
    try {
      let full = b;
      if (!b.withSketches) {
        full = this.fullBuilder(dir, id, b.data.meta);
        full.data.metaMtimeMs = b.data.metaMtimeMs;
      }
      writeSummaryFiles(dir, full);
      return true;
    } catch {
      return false; // a read-only root: serve from memory
    }
  }

  private fullBuilder(dir: string, id: string, meta: RunMeta | null): SummaryBuilder {
    try {
      const data = decodeSummary(id, fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8'));
      const { cursor, sketches } = decodeSketches(fs.readFileSync(path.join(dir, SKETCH_FILE), 'utf8'));
      if (cursor === data.cursor) {
        const b = new SummaryBuilder(data, true);
        b.data.meta = meta;
        for (const [k, s] of sketches) b.sketches.set(k, s);
        return catchUp(dir, b);
      }
    } catch {
      /* fall through to the log */
    }
    return buildFromLog(dir, id, meta, true);
  }

  private recheckLive(e: IndexEntry, dir: string): void {
    const logSize = fileSize(path.join(dir, METRICS_FILE));
    let b = new SummaryBuilder(e.data, false);
    if (logSize > e.data.cursor) b = catchUp(dir, b);
    else if (logSize < e.data.cursor) b = buildFromLog(dir, e.id, e.meta, false);
    const status = e.meta ? effectiveStatus(e.meta, this.probe) : 'corrupt';
    if (status !== 'running' && e.status === 'running' && e.meta && this.opts.persist !== false) this.persist(dir, e.id, b);
    this.put(e.id, e.meta, e.error, status, b.data, e.dirMtime);
  }

  private put(id: string, meta: RunMeta | null, error: string | undefined, status: RunStatus | 'corrupt', data: RunSummaryData, dirMtime: number): void {
    const summary = toRunSummary(data, status, error);
    const json = Buffer.from(JSON.stringify(summary));
    const prev = this.entries.get(id);
    // A change the summary does not show (a heartbeat) is not a change for pollers; the meta is
    // still replaced for `fullJson`.
    const changed = !prev || !prev.json.equals(json) || prev.meta !== meta;
    const start = meta ? Date.parse(meta.startedAt) : NaN;
    if (!prev || !(prev.startMs === start || (Number.isNaN(prev.startMs) && Number.isNaN(start)))) this.order = null;
    this.entries.set(id, {
      id, meta, error, status, data, summary, json, dirMtime,
      version: changed ? ++this.counter : prev.version,
      startMs: start,
    });
    if (changed) this.removed.delete(id);
  }

  // The per-metric sketches of a run, caught up with its log, and the log cursor they cover.
  // `keys`: only these metrics are needed (the others are not decoded).
  sketches(id: string, keys?: readonly string[]): { cursor: number; sketches: Map<string, StepSketch> } {
    const e = this.entries.get(id);
    if (!e) return { cursor: 0, sketches: new Map() };
    const key = `${e.version}|${keys ? keys.join(',') : '*'}`;
    const hit = this.sketchCache.get(id);
    if (hit && hit.key === key) {
      this.sketchCache.delete(id);
      this.sketchCache.set(id, hit);
      return hit;
    }
    const dir = path.join(this.store.root, id);
    let got: { key: string; cursor: number; sketches: Map<string, StepSketch> } | null = null;
    try {
      const stored = decodeSketches(fs.readFileSync(path.join(dir, SKETCH_FILE), 'utf8'), keys ? new Set(keys) : undefined);
      if (stored.cursor === e.data.cursor) got = { key, cursor: stored.cursor, sketches: stored.sketches };
    } catch {
      /* missing or damaged: rebuilt below */
    }
    if (!got) {
      const b = this.fullBuilder(dir, id, e.meta);
      got = { key, cursor: b.data.cursor, sketches: b.sketches };
    }
    this.sketchCache.set(id, got);
    while (this.sketchCache.size > SKETCH_CACHE) this.sketchCache.delete(this.sketchCache.keys().next().value as string);
    return got;
  }
}

// The API object plus the fields the dashboard page reads when it does not ask for compact=1
// (meta, stats, log cursor, corruptLines, error).
export function fullJson(e: IndexEntry): Buffer {
  const full = { meta: e.meta, status: e.status, stats: e.data.stats, cursor: e.data.cursor, corruptLines: e.data.corruptLines, ...(e.error ? { error: e.error } : {}) };
  return Buffer.concat([e.json.subarray(0, e.json.length - 1), Buffer.from(',' + JSON.stringify(full).slice(1))]);
}

export function view(e: IndexEntry): IndexedRunView {
  return {
    id: e.id,
    meta: e.meta,
    ...(e.error ? { error: e.error } : {}),
    status: e.status,
    stats: e.data.stats,
    cursor: e.data.cursor,
    rows: e.data.rows,
    corruptLines: e.data.corruptLines,
  };
}

