// The run summary on disk (Node): `<run>/run-summary.json` (RunSummaryData) and
// `<run>/run-sketch.json` (one StepSketch per metric), each replaced atomically (temp file +
// rename), so a reader sees a whole old or a whole new file even if the writer is SIGKILLed
// mid-write. Each records the byte offset of metrics.jsonl it covers; rows appended after that
// (between two bounded-rate writes, or after a kill) are read from the log by whoever needs them.
//
// SummaryWriter is the writing side, owned by a FileStore: it folds every appended row in memory
// and writes both files at most every SUMMARY_INTERVAL_MS while rows come, on every meta write
// (start, heartbeat, finish) and when the run is closed.
import fs from 'node:fs';
import path from 'node:path';
import { appendRows, parseLines } from './metrics.js';
import { StepSketch, type SketchData } from './run-sketch.js';
import { SUMMARY_VERSION, SummaryBuilder, SupersededRowsError, type RunSummaryData, type SummaryStats } from './run-summary.js';
import { normalizeMeta, parseMeta, validateMeta } from './status.js';
import type { MetricRow, RunMeta } from './types.js';

export const SUMMARY_FILE = 'run-summary.json';
export const SKETCH_FILE = 'run-sketch.json';
export const SUMMARY_INTERVAL_MS = 1000;

let tmpCounter = 0;

// Writes `text` to `file` so that readers see either the old or the new content (no fsync: a
// crash may lose the newest write, never leave half a file; summaries behind their log are rebuilt).
export function writeAtomicFile(file: string, text: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* the temp file may not exist */
    }
    throw e;
  }
}

// JSON has no NaN/Infinity: stats values are written as strings "NaN", "Infinity", "-Infinity".
function enc(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function dec(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return NaN;
}

const STAT_FIELDS = ['count', 'last', 'lastStep', 'lastT', 'first', 'min', 'max', 'minStep', 'maxStep'] as const;

export function encodeSummary(d: RunSummaryData): string {
  const stats: Record<string, Record<string, number | string>> = {};
  for (const [k, s] of Object.entries(d.stats)) {
    const o: Record<string, number | string> = {};
    for (const f of STAT_FIELDS) o[f] = enc(s[f]);
    stats[k] = o;
  }
  return JSON.stringify({ ...d, stats }) + '\n';
}

// A summary written by another version of recur: not damage, just to be rebuilt.
export class SummaryVersionError extends Error {
  constructor(v: unknown) {
    super(`summary version ${String(v)}, expected ${SUMMARY_VERSION}`);
  }
}

// Parses a summary file; throws with a reason when it is not a usable summary of run `id`.
export function decodeSummary(id: string, text: string): RunSummaryData {
  return decodeSummaryObject(id, JSON.parse(text) as Record<string, unknown>);
}

export function decodeSummaryObject(id: string, o: Record<string, unknown>): RunSummaryData {
  if (o === null || typeof o !== 'object') throw new Error('not a JSON object');
  if (o.v !== SUMMARY_VERSION) throw new SummaryVersionError(o.v);
  for (const k of ['cursor', 'rows', 'corruptLines', 'updatedAt'] as const) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw new Error(`'${k}' is not a number`);
  }
  if (!o.stats || typeof o.stats !== 'object' || !Array.isArray(o.lastKeys)) throw new Error('stats or lastKeys missing');
  const stats: Record<string, SummaryStats> = {};
  for (const [k, s] of Object.entries(o.stats as Record<string, Record<string, unknown>>)) {
    const st = {} as SummaryStats;
    for (const f of STAT_FIELDS) st[f] = dec(s?.[f]);
    stats[k] = st;
  }
  let meta: RunMeta | null = null;
  if (o.meta !== null && o.meta !== undefined) {
    const err = validateMeta(o.meta);
    if (err) throw new Error(`its copy of ${err}`);
    meta = { ...normalizeMeta(o.meta as Record<string, unknown>), id };
  }
  return { ...(o as unknown as RunSummaryData), id, meta, stats };
}

export function encodeSketches(cursor: number, sketches: Record<string, SketchData>): string {
  const keys: Record<string, { w: number; b64: string }> = {};
  for (const [k, s] of Object.entries(sketches)) {
    const n = s.idx.length;
    const f = new Float64Array(5 * n);
    f.set(s.idx, 0);
    f.set(s.x, n);
    f.set(s.y, 2 * n);
    f.set(s.lo, 3 * n);
    f.set(s.hi, 4 * n);
    keys[k] = { w: s.w, b64: Buffer.from(f.buffer).toString('base64') };
  }
  return JSON.stringify({ v: SUMMARY_VERSION, cursor, keys }) + '\n';
}

// A plain array of f[from .. from+n) (Array.from on a typed array goes through its iterator).
function slice(f: Float64Array, from: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = f[from + i];
  return a;
}

export function decodeSketches(text: string, only?: ReadonlySet<string>): { cursor: number; sketches: Map<string, StepSketch> } {
  const o = JSON.parse(text) as { v?: unknown; cursor?: unknown; keys?: Record<string, { w: number; b64: string }> };
  if (o.v !== SUMMARY_VERSION || typeof o.cursor !== 'number' || !o.keys) throw new Error('not a run sketch');
  const sketches = new Map<string, StepSketch>();
  for (const [k, { w, b64 }] of Object.entries(o.keys)) {
    if (only && !only.has(k)) continue;
    const buf = Buffer.from(b64, 'base64');
    if (buf.length % 40 !== 0 || !(w > 0)) throw new Error(`sketch of '${k}' is damaged`);
    const f = buf.byteOffset % 8 === 0 ? new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8) : new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const n = f.length / 5;
    const s = new StepSketch();
    s.w = w;
    s.idx = slice(f, 0, n);
    s.x = slice(f, n, n);
    s.y = slice(f, 2 * n, n);
    s.lo = slice(f, 3 * n, n);
    s.hi = slice(f, 4 * n, n);
    sketches.set(k, s);
  }
  return { cursor: o.cursor, sketches };
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

// Reads `file` from byte `from` up to its last newline: the rows there (resume rule applied among
// them), how many bytes that was, and how many lines could not be parsed.
export function readLogTail(file: string, from: number): { rows: MetricRow[]; bytes: number; corruptLines: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], bytes: 0, corruptLines: 0 };
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= from) return { rows: [], bytes: 0, corruptLines: 0 };
    const buf = Buffer.alloc(size - from);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
    const { rows, corruptLines } = parseLines(buf.toString('utf8', 0, end));
    return { rows: appendRows([], rows), bytes: end, corruptLines };
  } finally {
    fs.closeSync(fd);
  }
}

// A summary (and sketches, unless `withSketches` is false) built from the whole log.
export function buildFromLog(dir: string, id: string, meta: RunMeta | null, withSketches = true): SummaryBuilder {
  const b = SummaryBuilder.fresh(id, meta, withSketches);
  const { rows, bytes, corruptLines } = readLogTail(path.join(dir, 'metrics.jsonl'), 0);
  b.add(rows, bytes, corruptLines);
  b.data.updatedAt = Date.now();
  return b;
}

// Folds the log's rows after the builder's cursor into it; rebuilds from the whole log when they
// supersede folded rows. Returns the builder holding the result (possibly a new one).
export function catchUp(dir: string, b: SummaryBuilder): SummaryBuilder {
  const tail = readLogTail(path.join(dir, 'metrics.jsonl'), b.data.cursor);
  if (tail.bytes === 0) return b;
  try {
    b.add(tail.rows, tail.bytes, tail.corruptLines);
    b.data.updatedAt = Date.now();
    return b;
  } catch (e) {
    if (!(e instanceof SupersededRowsError)) throw e;
    const nb = buildFromLog(dir, b.data.id, b.data.meta, b.withSketches);
    nb.data.metaMtimeMs = b.data.metaMtimeMs;
    return nb;
  }
}

export function writeSummaryFiles(dir: string, b: SummaryBuilder): void {
  if (b.withSketches) writeAtomicFile(path.join(dir, SKETCH_FILE), encodeSketches(b.data.cursor, b.sketchData()));
  writeAtomicFile(path.join(dir, SUMMARY_FILE), encodeSummary(b.data));
}

export function readMetaSync(dir: string, id: string): RunMeta | null {
  try {
    return parseMeta(id, fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  } catch {
    return null;
  }
}

// The builder of a run as stored, when its summary and sketch are whole and cover exactly
// `logSize` bytes of its log; null otherwise (missing, damaged, or behind the log).
export function loadStored(dir: string, id: string, logSize: number): SummaryBuilder | null {
  try {
    const data = decodeSummary(id, fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8'));
    const { cursor, sketches } = decodeSketches(fs.readFileSync(path.join(dir, SKETCH_FILE), 'utf8'));
    if (data.cursor !== logSize || cursor !== logSize) return null;
    const b = new SummaryBuilder(data, true);
    for (const [k, s] of sketches) b.sketches.set(k, s);
    return b;
  } catch {
    return null;
  }
}

interface WriterState {
  b: SummaryBuilder;
  lastWrite: number;
  dirty: boolean;
}

export class SummaryWriter {
  private readonly runs = new Map<string, WriterState>();
  private warned = false;

  constructor(
    private readonly dirOf: (id: string) => string,
    private readonly now: () => number = Date.now,
  ) {}

  // Call before appending to the log (after opening it): loads or rebuilds the run's summary so
  // it covers the log as it is.
  beforeAppend(id: string): void {
    this.guard(() => this.state(id));
  }

  appended(id: string, rows: readonly MetricRow[], bytes: number): void {
    this.guard(() => {
      const st = this.state(id);
      try {
        st.b.add(rows, bytes);
      } catch (e) {
        if (!(e instanceof SupersededRowsError)) throw e;
        const nb = buildFromLog(this.dirOf(id), id, st.b.data.meta);
        nb.data.metaMtimeMs = st.b.data.metaMtimeMs;
        st.b = nb;
      }
      st.dirty = true;
      if (this.now() - st.lastWrite >= SUMMARY_INTERVAL_MS) this.write(id, st);
    });
  }

  metaWritten(meta: RunMeta): void {
    this.guard(() => {
      const st = this.state(meta.id);
      st.b.data.meta = meta;
      try {
        st.b.data.metaMtimeMs = fs.statSync(path.join(this.dirOf(meta.id), 'meta.json')).mtimeMs;
      } catch {
        /* meta.json vanished: the reader will notice */
      }
      this.write(meta.id, st);
    });
  }

  // Drops the run's state unwritten (its log changed under it; state() rebuilds it from the log).
  forget(id: string): void {
    this.runs.delete(id);
  }

  // Writes what is pending and forgets the run (the log's descriptor is being closed).
  close(id: string): void {
    const st = this.runs.get(id);
    if (!st) return;
    this.runs.delete(id);
    this.guard(() => {
      if (st.dirty) this.write(id, st);
    });
  }

  private state(id: string): WriterState {
    let st = this.runs.get(id);
    if (st) return st;
    const dir = this.dirOf(id);
    const logSize = fileSize(path.join(dir, 'metrics.jsonl'));
    const b = loadStored(dir, id, logSize) ?? buildFromLog(dir, id, readMetaSync(dir, id));
    st = { b, lastWrite: -Infinity, dirty: false };
    this.runs.set(id, st);
    return st;
  }

  private write(id: string, st: WriterState): void {
    st.b.data.updatedAt = this.now();
    writeSummaryFiles(this.dirOf(id), st.b);
    st.lastWrite = this.now();
    st.dirty = false;
  }

  // The summary is derived data: a failure to keep it must not fail logging (readers rebuild it
  // from the log). Say it once.
  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (this.warned) return;
      this.warned = true;
      console.warn(`recur track: could not update a run summary (readers will rebuild it from the log): ${(e as Error).message}`);
    }
  }
}
