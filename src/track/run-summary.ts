// A run's summary: what listings show without reading its metrics log (status and config from the
// meta, per-metric last / best values, row count, first and last step), plus one StepSketch per
// metric for charts. SummaryBuilder folds rows into both; the file store keeps them on disk
// (summary-file.ts). Browser-safe.
import { groupKey } from './group.js';
import { StepSketch, type SketchData } from './run-sketch.js';
import { flattenConfig, isIdentityKey, SEED_KEYS, formatValue } from './summary.js';
import type { MetricRow, MetricStats, RunMeta, RunStatus } from './types.js';

export const SUMMARY_VERSION = 1;

// MetricStats plus the steps where the extremes were first reached (for "best at step").
export interface SummaryStats extends MetricStats {
  minStep: number;
  maxStep: number;
}

export interface RunSummaryData {
  v: number;
  id: string;
  meta: RunMeta | null;
  metaError?: string;
  // Bytes of metrics.jsonl folded in (a reader catches up from here).
  cursor: number;
  rows: number;
  corruptLines: number;
  firstStep: number | null;
  lastStep: number | null;
  // Metric keys logged at lastStep (to recognise a resumed run re-logging that step).
  lastKeys: string[];
  stats: Record<string, SummaryStats>;
  updatedAt: number; // ms since epoch
  // mtime of meta.json when the writer last copied it here (a reader seeing another one rereads it).
  metaMtimeMs?: number;
}

export function emptySummary(id: string, meta: RunMeta | null): RunSummaryData {
  return { v: SUMMARY_VERSION, id, meta, cursor: 0, rows: 0, corruptLines: 0, firstStep: null, lastStep: null, lastKeys: [], stats: {}, updatedAt: 0 };
}

// Thrown by `add` when a row supersedes rows already folded in (a resumed run going back in
// steps, see appendRows): aggregates cannot be un-folded, so the caller rebuilds from the log.
export class SupersededRowsError extends Error {
  constructor(step: number) {
    super(`row at step ${step} supersedes earlier rows`);
  }
}

export class SummaryBuilder {
  readonly sketches = new Map<string, StepSketch>();
  // False when the builder was loaded from a summary without its sketches (listing readers).
  constructor(
    readonly data: RunSummaryData,
    readonly withSketches = true,
  ) {}

  static fresh(id: string, meta: RunMeta | null, withSketches = true): SummaryBuilder {
    return new SummaryBuilder(emptySummary(id, meta), withSketches);
  }

  // Would folding `row` supersede folded rows (the resume rule of appendRows)?
  supersedes(row: MetricRow): boolean {
    const last = this.data.lastStep;
    if (last === null) return false;
    if (row.step < last) return true;
    if (row.step > last) return false;
    for (const k of Object.keys(row)) if (k !== 'step' && k !== 't' && this.data.lastKeys.includes(k)) return true;
    return false;
  }

  // Folds rows in log order. Throws SupersededRowsError before changing anything if one of them
  // supersedes earlier rows.
  add(rows: readonly MetricRow[], bytes: number, corruptLines = 0): void {
    let prevStep = this.data.lastStep;
    let prevKeys = new Set(this.data.lastKeys);
    for (const r of rows) {
      if (prevStep !== null && (r.step < prevStep || (r.step === prevStep && Object.keys(r).some((k) => k !== 'step' && k !== 't' && prevKeys.has(k))))) {
        throw new SupersededRowsError(r.step);
      }
      if (r.step !== prevStep) prevKeys = new Set();
      for (const k of Object.keys(r)) if (k !== 'step' && k !== 't') prevKeys.add(k);
      prevStep = r.step;
    }
    const d = this.data;
    for (const r of rows) {
      if (d.firstStep === null) d.firstStep = r.step;
      if (d.lastStep !== r.step) d.lastKeys = [];
      d.lastStep = r.step;
      d.rows++;
      for (const [k, v] of Object.entries(r)) {
        if (k === 'step' || k === 't') continue;
        if (!d.lastKeys.includes(k)) d.lastKeys.push(k);
        const s = d.stats[k];
        const fin = !Number.isNaN(v);
        if (!s) {
          d.stats[k] = {
            count: 1, last: v, lastStep: r.step, lastT: r.t, first: v,
            min: fin ? v : Infinity, max: fin ? v : -Infinity, minStep: r.step, maxStep: r.step,
          };
        } else {
          s.count++;
          s.last = v;
          s.lastStep = r.step;
          s.lastT = r.t;
          if (fin && v < s.min) (s.min = v), (s.minStep = r.step);
          if (fin && v > s.max) (s.max = v), (s.maxStep = r.step);
        }
        if (this.withSketches) {
          let sk = this.sketches.get(k);
          if (!sk) this.sketches.set(k, (sk = new StepSketch()));
          sk.add(r.step, v);
        }
      }
    }
    d.cursor += bytes;
    d.corruptLines += corruptLines;
  }

  sketchData(): Record<string, SketchData> {
    const out: Record<string, SketchData> = {};
    for (const [k, s] of this.sketches) out[k] = s;
    return out;
  }
}

// ---- What /api/runs and `recur runs` show of a run --------------------------------------------

export interface RunSummary {
  id: string;
  name: string;
  project?: string;
  status: RunStatus | 'corrupt';
  reason?: string;
  seed?: number | string;
  config: Record<string, unknown>;
  group: string;
  groupLabel: string;
  params?: number;
  rows: number;
  firstStep?: number;
  lastStep?: number;
  startedAt?: string;
  endedAt?: string;
  updatedAt: string;
  metrics: string[];
  last: Record<string, number | null>;
  best: Record<string, { value: number; step: number }>;
}

// Loss-like metrics are best when lowest; accuracy-like (and anything named like a score) highest.
export function higherIsBetter(metric: string): boolean {
  return /acc|accuracy|f1|auc|score|precision|recall|bleu|reward|return/i.test(metric) && !/loss|error|err\b/i.test(metric);
}

// Stable short id of a config-without-seed group (FNV-1a, 64 bits as 16 hex digits): safe in a URL.
export function groupId(meta: RunMeta): string {
  return hash64(groupKey(meta));
}

export function hash64(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 7), 0x01000193) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

// "cell=gru lr=0.005 …": the config without seed and identity keys, short values first.
export function groupLabel(meta: RunMeta, maxLen = 80): string {
  const flat = flattenConfig(meta.config);
  const parts = Object.keys(flat)
    .filter((k) => !SEED_KEYS.has(k) && !isIdentityKey(k))
    .sort()
    .map((k) => `${k}=${formatValue(flat[k])}`);
  const text = parts.join(' ') || meta.name;
  return text.length > maxLen ? text.slice(0, maxLen - 1) + '…' : text;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

// The API view of a summary. `status` is the effective one (a dead writer's run is interrupted).
export function toRunSummary(d: RunSummaryData, status: RunStatus | 'corrupt', error?: string): RunSummary {
  const m = d.meta;
  const last: Record<string, number | null> = {};
  const best: Record<string, { value: number; step: number }> = {};
  for (const [k, s] of Object.entries(d.stats)) {
    last[k] = finiteOrNull(s.last);
    if (higherIsBetter(k)) {
      if (s.max !== -Infinity) best[k] = { value: s.max, step: s.maxStep };
    } else if (s.min !== Infinity) best[k] = { value: s.min, step: s.minStep };
  }
  const out: RunSummary = {
    id: d.id,
    name: m?.name ?? d.id,
    status,
    config: m?.config ?? {},
    group: m ? groupId(m) : `corrupt:${d.id}`,
    groupLabel: m ? groupLabel(m) : d.id,
    rows: d.rows,
    updatedAt: new Date(d.updatedAt || Date.now()).toISOString(),
    metrics: Object.keys(d.stats),
    last,
    best,
  };
  if (m?.project) out.project = m.project;
  const reason = runReason(m, status, error);
  if (reason) out.reason = reason;
  if (m && m.seed !== null && m.seed !== undefined) out.seed = m.seed;
  const params = paramCount(d);
  if (params !== undefined) out.params = params;
  if (d.firstStep !== null) out.firstStep = d.firstStep;
  if (d.lastStep !== null) out.lastStep = d.lastStep;
  if (m?.startedAt) out.startedAt = m.startedAt;
  if (m?.endedAt) out.endedAt = m.endedAt;
  return out;
}

function runReason(m: RunMeta | null, status: string, error?: string): string | undefined {
  if (!m) return error;
  const own = (m as RunMeta & { reason?: unknown }).reason;
  if (typeof own === 'string' && own) return own;
  if (m.error) return m.error;
  if (status === 'interrupted' && m.status === 'running') return 'its process is gone (killed before it could record an end)';
  return undefined;
}

// "Model Params" from the summary the trainer set, else the logged metric.
function paramCount(d: RunSummaryData): number | undefined {
  for (const k of ['Model Params', 'model_params', 'params']) {
    const v = d.meta?.summary?.[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    const s = d.stats[k];
    if (s && Number.isFinite(s.last)) return s.last;
  }
  return undefined;
}
