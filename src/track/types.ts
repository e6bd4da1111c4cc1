// Shapes of what the tracker records. Browser-safe: no node: imports.
//
// On disk (file store) a run is `<root>/<runId>/meta.json` (a RunMeta, replaced atomically) and
// `<root>/<runId>/metrics.jsonl` (one MetricRow per line, append-only).

export type RunStatus = 'running' | 'finished' | 'failed' | 'interrupted';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'interrupted'];

export interface GitInfo {
  commit: string;
  dirty: boolean;
}

export interface RunMeta {
  id: string;
  name: string;
  project: string;
  status: RunStatus;
  config: Record<string, unknown>;
  seed: number | string | null;
  recurVersion: string;
  git: GitInfo | null;
  argv: string[];
  node: string;
  host: string;
  pid: number;
  startedAt: string; // ISO 8601
  endedAt: string | null;
  heartbeatAt: string;
  summary: Record<string, unknown>;
  // One entry per `init({ resume })` of this run, oldest first. Absent on runs never resumed.
  resumes?: Array<{ at: string; pid: number; argv: string[] }>;
  // Message of the uncaught exception that failed the run, when that is how it ended.
  error?: string;
  // Why the run failed or was interrupted, when known: e.g. 'loss became NaN at step 6'.
  reason?: string;
}

// One line of metrics.jsonl: `{"step": 100, "t": 1700000000000, "loss": 0.5, "current_lr": 0.001}`.
// `t` is wall-clock milliseconds since the epoch; every other key is a metric.
export interface MetricRow {
  step: number;
  t: number;
  [metric: string]: number;
}

// A chunk of a run's metrics. `cursor` is opaque to callers (a byte offset in the file store, a
// row index in the memory store): pass it back as `since` to get only what was appended after.
export interface MetricsChunk {
  rows: MetricRow[];
  cursor: number;
  // Lines that could not be parsed (a half-written tail is not counted: it may still be growing).
  corruptLines: number;
  // True when `since` pointed past the end (the log was replaced): rows are then the whole log.
  reset: boolean;
}

// What `listRuns` returns for each run directory / entry. `meta` is null when meta.json is missing
// or corrupt, and `error` says why; `status` is what readers should show (see status.ts).
export interface RunEntry {
  id: string;
  meta: RunMeta | null;
  error?: string;
  status: RunStatus | 'corrupt';
}

// Per-metric aggregates a reader can show without keeping every row.
export interface MetricStats {
  count: number;
  last: number;
  lastStep: number;
  lastT: number; // wall time (ms) of the last value
  min: number;
  max: number;
  first: number;
}
