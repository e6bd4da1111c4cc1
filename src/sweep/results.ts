// What a finished trial reports, and the per-setting summary of a sweep: accuracy over seeds,
// convergence count, median step to first reach 90%, accuracy at long lengths. Browser-safe.
import type { MetricRow } from '../track/types.js';

/** The fixed test set every trial is scored on after training. */
export interface TestSpec {
  samples: number; // at the trial's training lengths
  seed: number;
  lengths: number[]; // extra lengths (10, 20, 50): generalisation
  perLength: number;
  threshold: number; // converged: test accuracy ≥ threshold
  reach: number; // "step to reach": first logged accuracy ≥ reach
}

export const DEFAULT_TEST: TestSpec = { samples: 2000, seed: 1234, lengths: [10, 20, 50], perLength: 1000, threshold: 0.95, reach: 0.9 };

export interface TrialResult {
  trial: string;
  status: 'finished' | 'failed' | 'interrupted';
  /** Run directory on the machine that ran it (see `host`). */
  runDir: string | null;
  host: string;
  /** host:pid of the process that ran the trial (a queue worker, or the local pool's child). */
  worker: string;
  seed: number;
  step: number;
  seconds: number;
  stepsPerSecond: number;
  finalLoss: number | null;
  /** Last periodic evaluation during training (eval_samples fresh samples). */
  trainAccuracy: number | null;
  test: { accuracy: number; samples: number; seed: number; byLength: Array<{ length: number; accuracy: number; samples: number }> } | null;
  /** First step whose logged accuracy reached TestSpec.reach; null when it never did. */
  reachStep: number | null;
  message?: string;
  endedAt: string;
}

/** The result of a trial that measured nothing: it failed, was interrupted, or was lost with its process. */
export function unmeasuredResult(o: Pick<TrialResult, 'trial' | 'status' | 'runDir' | 'host' | 'worker' | 'seed' | 'message'> & { seconds?: number }): TrialResult {
  return {
    ...o,
    step: 0,
    seconds: o.seconds ?? 0,
    stepsPerSecond: 0,
    finalLoss: null,
    trainAccuracy: null,
    test: null,
    reachStep: null,
    endedAt: new Date().toISOString(),
  };
}

/** First step at which `metric` reached `threshold` in a metrics log, or null. */
export function firstStepReaching(rows: readonly MetricRow[], threshold: number, metric = 'accuracy'): number | null {
  for (const r of rows) {
    const v = r[metric];
    if (v !== undefined && Number.isFinite(v) && v >= threshold) return r.step;
  }
  return null;
}

/** Median where `null` means "never" (+∞): null when the middle falls on a never. */
export function medianOrNever(values: ReadonlyArray<number | null>): number | null {
  if (values.length === 0) return null;
  const v = values.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  const mid = v.length >> 1;
  const m = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return Number.isFinite(m) ? m : null;
}

export interface Range {
  mean: number;
  min: number;
  max: number;
}

export function range(values: readonly number[]): Range | null {
  if (values.length === 0) return null;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean: sum / values.length, min, max };
}

export interface SettingSummary {
  setting: string;
  /** Trials planned for this setting (one per seed). */
  n: number;
  finished: number;
  failed: number;
  /** Not run to completion yet (pending, running, interrupted). */
  pending: number;
  /** Test accuracy of finished trials. */
  accuracy: Range | null;
  converged: number;
  threshold: number;
  /** Median over all n seeds of the first step reaching `reach` (never = +∞); null: never / no data. */
  reachMedian: number | null;
  reached: number;
  reach: number;
  byLength: Array<{ length: number } & Range>;
  stepsPerSecond: number | null;
  perSeed: Array<{ seed: number; status: string; accuracy: number | null; reachStep: number | null }>;
}

export interface TrialOutcome {
  setting: string;
  seed: number;
  status: 'pending' | 'running' | 'queued' | 'interrupted' | 'finished' | 'failed';
  result?: TrialResult;
}

/** One row per setting, in the order settings first appear. */
export function summarize(trials: readonly TrialOutcome[], test: Pick<TestSpec, 'threshold' | 'reach' | 'lengths'>): SettingSummary[] {
  const order: string[] = [];
  const by = new Map<string, TrialOutcome[]>();
  for (const t of trials) {
    if (!by.has(t.setting)) (order.push(t.setting), by.set(t.setting, []));
    by.get(t.setting)!.push(t);
  }
  return order.map((setting) => {
    const ts = by.get(setting)!;
    const done = ts.filter((t) => t.status === 'finished' && t.result?.test);
    const accs = done.map((t) => t.result!.test!.accuracy);
    const byLength = test.lengths.flatMap((length) => {
      const vals = done.map((t) => t.result!.test!.byLength.find((b) => b.length === length)?.accuracy).filter((v): v is number => v !== undefined);
      const r = range(vals);
      return r ? [{ length, ...r }] : [];
    });
    // Seeds that have not finished count as "never" only once the setting is complete; until then
    // the median is over the finished seeds (a partial table says so through `pending`).
    const complete = ts.every((t) => t.status === 'finished' || t.status === 'failed');
    const reachVals = (complete ? ts : done).map((t) => (t.status === 'finished' ? (t.result?.reachStep ?? null) : null));
    const sps = range(done.map((t) => t.result!.stepsPerSecond).filter((v) => v > 0));
    return {
      setting,
      n: ts.length,
      finished: done.length,
      failed: ts.filter((t) => t.status === 'failed').length,
      pending: ts.filter((t) => t.status !== 'finished' && t.status !== 'failed').length,
      accuracy: range(accs),
      converged: accs.filter((a) => a >= test.threshold).length,
      threshold: test.threshold,
      reachMedian: medianOrNever(reachVals),
      reached: done.filter((t) => t.result!.reachStep !== null).length,
      reach: test.reach,
      byLength,
      stepsPerSecond: sps ? sps.mean : null,
      perSeed: ts.map((t) => ({
        seed: t.seed,
        status: t.status,
        accuracy: t.result?.test?.accuracy ?? null,
        reachStep: t.result?.reachStep ?? null,
      })),
    };
  });
}

function f3(v: number): string {
  return v.toFixed(3);
}

function pct(v: number): string {
  return `${(v * 100).toFixed(0)}%`;
}

export interface TableOptions {
  lengths: readonly number[];
}

/** Header and cells of the summary table (shared by the text and Markdown forms). */
export function summaryCells(rows: readonly SettingSummary[], o: TableOptions): { header: string[]; cells: string[][] } {
  const thr = rows[0]?.threshold ?? 0.95;
  const reach = rows[0]?.reach ?? 0.9;
  const header = ['setting', 'seeds', 'acc mean', 'min', 'max', `≥${pct(thr)}`, `step→${pct(reach)} (median)`, ...o.lengths.map((l) => `len ${l}`), 'steps/s'];
  const cells = rows.map((r) => {
    const notes: string[] = [];
    if (r.failed) notes.push(`${r.failed} failed`);
    if (r.pending) notes.push(`${r.pending} not done`);
    return [
      r.setting,
      `${r.finished}/${r.n}${notes.length ? ` (${notes.join(', ')})` : ''}`,
      r.accuracy ? f3(r.accuracy.mean) : '—',
      r.accuracy ? f3(r.accuracy.min) : '—',
      r.accuracy ? f3(r.accuracy.max) : '—',
      `${r.converged}/${r.n}`,
      `${r.reachMedian === null ? 'never' : String(Math.round(r.reachMedian))} (${r.reached}/${r.n} reached)`,
      ...o.lengths.map((l) => {
        const b = r.byLength.find((x) => x.length === l);
        if (!b) return '—';
        return b.min === b.max ? f3(b.mean) : `${f3(b.mean)} (${b.min.toFixed(2)}–${b.max.toFixed(2)})`;
      }),
      r.stepsPerSecond === null ? '—' : r.stepsPerSecond.toFixed(0),
    ];
  });
  return { header, cells };
}

export function summaryMarkdown(rows: readonly SettingSummary[], o: TableOptions): string {
  const { header, cells } = summaryCells(rows, o);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const c of cells) lines.push(`| ${c.map(esc).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

export function summaryText(rows: readonly SettingSummary[], o: TableOptions): string {
  const { header, cells } = summaryCells(rows, o);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}
