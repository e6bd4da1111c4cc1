// What tables show about runs: key config, best/last accuracy, final loss, duration, config
// differences. Shared by `recur runs`, `recur report` and the dashboard. Browser-safe.
import type { MetricStats, RunMeta } from './types.js';

// Nested config objects become dotted keys ({optim: {lr: 1}} -> 'optim.lr'); arrays stay values.
export function flattenConfig(config: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(config)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      flattenConfig(v as Record<string, unknown>, key, out);
    } else {
      out[key] = v;
    }
  }
  return out;
}

// Config keys that name or place a run rather than change what it computes.
const IDENTITY_KEYS = new Set(['run_name', 'runName', 'name', 'save_dir', 'saveDir', 'output', 'out', 'dir', 'resume', 'run_dir', 'runDir']);
export const SEED_KEYS = new Set(['seed']);

export function isIdentityKey(key: string): boolean {
  return IDENTITY_KEYS.has(key);
}

export function formatValue(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

// Keys whose values differ among `configs` (missing counts as a value). Order: first seen.
export function differingKeys(configs: ReadonlyArray<Record<string, unknown>>): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c)) if (!seen.has(k)) (seen.add(k), keys.push(k));
  return keys.filter((k) => {
    const first = JSON.stringify(configs[0]?.[k]);
    return configs.some((c) => JSON.stringify(c[k]) !== first);
  });
}

// Rows of a compare table: key and each run's value, config keys first, then what the tracker
// recorded (seed, git, versions). `differencesOnly` keeps rows whose values are not all equal.
export interface CompareRow {
  key: string;
  section: 'config' | 'run';
  values: string[];
  differs: boolean;
}

export function compareRows(metas: readonly RunMeta[], differencesOnly: boolean): CompareRow[] {
  const flat = metas.map((m) => flattenConfig(m.config));
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const c of flat) for (const k of Object.keys(c)) if (!seen.has(k)) (seen.add(k), keys.push(k));
  const rows: CompareRow[] = keys.map((k) => row(k, 'config', flat.map((c) => (k in c ? formatValue(c[k]) : '—'))));
  const runFields: Array<[string, (m: RunMeta) => unknown]> = [
    ['seed', (m) => m.seed],
    ['project', (m) => m.project],
    ['git commit', (m) => (m.git ? m.git.commit.slice(0, 12) + (m.git.dirty ? ' (dirty)' : '') : 'none')],
    ['recur version', (m) => m.recurVersion],
    ['node', (m) => m.node],
    ['host', (m) => m.host],
    ['command', (m) => m.argv.join(' ')],
  ];
  // A config that already carries the seed does not need it twice.
  for (const [k, get] of runFields) {
    if (k === 'seed' && seen.has('seed')) continue;
    rows.push(row(k, 'run', metas.map((m) => formatValue(get(m)))));
  }
  return differencesOnly ? rows.filter((r) => r.differs) : rows;
}

function row(key: string, section: 'config' | 'run', values: string[]): CompareRow {
  return { key, section, values, differs: values.some((v) => v !== values[0]) };
}

// Short "key=value" text of the config keys that vary across the listed runs (identity keys and
// the seed excluded: they have their own columns).
export function keyConfig(meta: RunMeta, varying: readonly string[]): string {
  const flat = flattenConfig(meta.config);
  return varying
    .filter((k) => k in flat)
    .map((k) => `${k}=${formatValue(flat[k])}`)
    .join(' ');
}

export function varyingConfigKeys(metas: readonly RunMeta[]): string[] {
  if (metas.length < 2) return [];
  return differingKeys(metas.map((m) => flattenConfig(m.config))).filter((k) => !IDENTITY_KEYS.has(k) && !SEED_KEYS.has(k));
}

// The metric shown as "accuracy": 'accuracy' itself, else the first name ending in accuracy/acc.
export function accuracyMetric(names: Iterable<string>): string | undefined {
  const all = [...names];
  return all.find((n) => n === 'accuracy') ?? all.find((n) => /(^|[^a-z])acc(uracy)?$/i.test(n) || /accuracy$/i.test(n));
}

export function lossMetric(names: Iterable<string>): string | undefined {
  const all = [...names];
  return all.find((n) => n === 'loss') ?? all.find((n) => /loss$/i.test(n));
}

export interface RunColumns {
  bestAccuracy?: number;
  lastAccuracy?: number;
  finalLoss?: number;
  steps?: number;
  durationMs?: number;
}

export function runColumns(meta: RunMeta | null, stats: Record<string, MetricStats>, status: string, now = Date.now()): RunColumns {
  const acc = accuracyMetric(Object.keys(stats));
  const loss = lossMetric(Object.keys(stats));
  const cols: RunColumns = {};
  if (acc) {
    cols.bestAccuracy = stats[acc].max;
    cols.lastAccuracy = stats[acc].last;
  }
  if (loss) cols.finalLoss = stats[loss].last;
  const steps = Object.values(stats).map((s) => s.lastStep);
  if (steps.length) cols.steps = Math.max(...steps);
  const lastT = Math.max(...Object.values(stats).map((s) => (Number.isFinite(s.lastT) ? s.lastT : -Infinity)));
  if (meta) cols.durationMs = runDurationMs(meta, status, now, lastT);
  return cols;
}

// Wall time of a run: to its end, to now while running, to its last sign of life (heartbeat or
// last logged row, `lastT`) when it died without recording an end.
export function runDurationMs(meta: RunMeta, status: string, now = Date.now(), lastT = -Infinity): number | undefined {
  const start = Date.parse(meta.startedAt);
  if (!Number.isFinite(start)) return undefined;
  let end = meta.endedAt ? Date.parse(meta.endedAt) : NaN;
  if (!Number.isFinite(end)) {
    const beat = Date.parse(meta.heartbeatAt);
    end = status === 'running' ? now : Math.max(Number.isFinite(beat) ? beat : -Infinity, lastT);
  }
  return Number.isFinite(end) ? Math.max(0, end - start) : undefined;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

// Metrics in the order the article's charts use, then the rest alphabetically.
const PREFERRED = ['loss', 'accuracy', 'current_lr', 'Model Params'];
export function orderMetrics(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => {
    const ia = PREFERRED.indexOf(a);
    const ib = PREFERRED.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.localeCompare(b);
  });
}
