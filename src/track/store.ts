// The storage interface behind the tracker. Two implementations: FileStore (default, Node, plain
// files under a runs root) and MemoryStore (browser-safe). `test/track-store.test.ts` runs one
// suite against both. Writes are synchronous so `run.log()` is synchronous and an exit handler can
// still record a final status; reads are async.
import type { MetricRow, MetricsChunk, RunEntry, RunMeta } from './types.js';

export interface CreateRunOptions {
  // Use `meta.name` (sanitized) as the id exactly, failing if that run exists, instead of
  // allocating `name`, `name-2`, `name-3`, ...
  exactId?: boolean;
}

export interface RunStore {
  readonly kind: string;
  // Allocates a fresh id (never an existing run's) and records `meta` under it.
  createRun(meta: Omit<RunMeta, 'id'>, opts?: CreateRunOptions): Promise<RunMeta>;
  // Every run, oldest start first; unreadable ones with `meta: null` and an `error`.
  listRuns(): Promise<RunEntry[]>;
  hasRun(id: string): Promise<boolean>;
  // Throws RunNotFoundError, or CorruptMetaError when the stored meta cannot be used.
  readMeta(id: string): Promise<RunMeta>;
  // Replaces the meta atomically (a reader sees the old or the new one, never a mix).
  writeMeta(meta: RunMeta): void;
  updateMeta(id: string, patch: Partial<Omit<RunMeta, 'id'>>): Promise<RunMeta>;
  // Appends rows to the run's log; when it returns they survive the process being killed.
  appendMetrics(id: string, rows: readonly MetricRow[]): void;
  // Rows appended after `since` (a cursor from a previous call; 0 = from the start). Rows are
  // already passed through `appendRows` (resume rule); feed later chunks through it too.
  readMetrics(id: string, since?: number): Promise<MetricsChunk>;
  // Removes the rows logged after `step` (a run resumed from its step-`step` checkpoint logs them
  // again), atomically: a reader, or a process killed meanwhile, sees the log before or after,
  // never a part. Lines that are not rows are kept. Returns how many rows were removed.
  dropMetricsAfter(id: string, step: number): number;
  // Releases per-run resources (open file descriptors). Further appends reopen.
  closeRun(id: string): void;
  // Where the run keeps its files, for stores that have a directory per run.
  runDir?(id: string): string;
}

export class RunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`no run '${runId}'`);
    this.name = 'RunNotFoundError';
  }
}

export class CorruptMetaError extends Error {
  constructor(readonly runId: string, detail: string) {
    super(`run '${runId}' has a corrupt meta.json: ${detail}`);
    this.name = 'CorruptMetaError';
  }
}

export class RunExistsError extends Error {
  constructor(readonly runId: string) {
    super(`run '${runId}' already exists (pass resume to continue it)`);
    this.name = 'RunExistsError';
  }
}

// A run name becomes a directory name: keep letters, digits, '.', '_', '-'; the rest become '_'.
export function sanitizeRunName(name: string): string {
  let s = name.normalize('NFC').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '');
  if (s.length > 100) s = s.slice(0, 100);
  return s === '' ? 'run' : s;
}

// The n-th candidate id for a name: name, name-2, name-3, ...
export function candidateId(base: string, n: number): string {
  return n <= 1 ? base : `${base}-${n}`;
}

// Ids that are safe as one path component. Ids come from directory names, so anything else in a
// request is refused before it reaches the filesystem.
export function isSafeRunId(id: string): boolean {
  return (
    id.length > 0 &&
    id.length <= 255 &&
    id !== '.' &&
    id !== '..' &&
    !/[/\\\0]/.test(id)
  );
}

export function compareEntries(a: RunEntry, b: RunEntry): number {
  const ta = a.meta ? Date.parse(a.meta.startedAt) : NaN;
  const tb = b.meta ? Date.parse(b.meta.startedAt) : NaN;
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
  if (Number.isFinite(ta) !== Number.isFinite(tb)) return Number.isFinite(ta) ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
