// Encoding and decoding of metrics.jsonl lines, and the reader-side rules every consumer of a
// metrics log applies (crash tail, corrupt lines, resumed runs). Browser-safe.
import type { MetricRow, MetricStats } from './types.js';

// JSON has no NaN/Infinity; a diverging loss is worth keeping, so non-finite values are written
// as the strings "NaN", "Infinity", "-Infinity" and turned back into numbers on read.
function encodeValue(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function decodeValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

// Validates what a caller passes to `log()`: a flat object of numbers (booleans become 0/1).
export function cleanMetrics(metrics: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (k === 'step' || k === 't') throw new Error(`metric name '${k}' is reserved`);
    if (typeof v === 'number') out[k] = v;
    else if (typeof v === 'boolean') out[k] = v ? 1 : 0;
    else if (typeof v === 'bigint') out[k] = Number(v);
    else throw new Error(`metric '${k}' must be a number, got ${v === null ? 'null' : typeof v}`);
  }
  return out;
}

// A row as a JSON-ready object (non-finite values as strings), e.g. for an HTTP API.
export function encodeRowObject(row: MetricRow): Record<string, number | string> {
  const o: Record<string, number | string> = { step: row.step, t: row.t };
  for (const [k, v] of Object.entries(row)) {
    if (k !== 'step' && k !== 't') o[k] = encodeValue(v);
  }
  return o;
}

export function encodeRow(row: MetricRow): string {
  return JSON.stringify(encodeRowObject(row)) + '\n';
}

// The inverse of encodeRowObject; null when `o` is not a row (no finite numeric step).
export function decodeRowObject(o: unknown): MetricRow | null {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
  const rec = o as Record<string, unknown>;
  if (typeof rec.step !== 'number' || !Number.isFinite(rec.step)) return null;
  const row: MetricRow = { step: rec.step, t: typeof rec.t === 'number' ? rec.t : NaN };
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'step' || k === 't') continue;
    const n = decodeValue(v);
    if (n !== undefined) row[k] = n;
  }
  return row;
}

export function decodeLine(line: string): MetricRow | null {
  try {
    return decodeRowObject(JSON.parse(line));
  } catch {
    return null;
  }
}

// Parses `text`, which must end at a line boundary (the caller cuts off the unterminated tail a
// killed writer may have left: it is not an error, it is simply not there yet / never will be).
export function parseLines(text: string): { rows: MetricRow[]; corruptLines: number } {
  const rows: MetricRow[] = [];
  let corruptLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = decodeLine(line);
    if (row) rows.push(row);
    else corruptLines++;
  }
  return { rows, corruptLines };
}

// A resumed run (restarted from a checkpoint) logs again steps that the first attempt already
// logged. As in TensorBoard's purge, the new rows supersede the old ones: when a row's step is
// lower than the previous row's, or equal to it and logging a metric already logged at that step
// (a re-log, not a second log call at the same step such as accuracy after loss), every earlier
// row with step >= the new step is dropped. `existing` is modified in place and returned, so a
// live reader can feed rows chunk by chunk and get the same result as reading everything at once.
export function appendRows(existing: MetricRow[], incoming: readonly MetricRow[]): MetricRow[] {
  for (const row of incoming) {
    const n = existing.length;
    const prev = n ? existing[n - 1].step : -Infinity;
    let purge = row.step < prev;
    if (!purge && row.step === prev) {
      for (let i = n - 1; i >= 0 && existing[i].step === row.step && !purge; i--) {
        for (const k of Object.keys(row)) {
          if (k !== 'step' && k !== 't' && k in existing[i]) {
            purge = true;
            break;
          }
        }
      }
    }
    if (purge) {
      // `existing` is kept non-decreasing in step, so the superseded rows are a suffix.
      let keep = n;
      while (keep > 0 && existing[keep - 1].step >= row.step) keep--;
      existing.length = keep;
    }
    existing.push(row);
  }
  return existing;
}

export function metricNames(rows: readonly MetricRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (k !== 'step' && k !== 't') seen.add(k);
  return [...seen];
}

// Folds rows into per-metric aggregates (NaN values count but do not move min/max).
export function updateStats(stats: Record<string, MetricStats>, rows: readonly MetricRow[]): Record<string, MetricStats> {
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      if (k === 'step' || k === 't') continue;
      const s = stats[k];
      if (!s) {
        stats[k] = { count: 1, last: v, lastStep: r.step, lastT: r.t, min: Number.isNaN(v) ? Infinity : v, max: Number.isNaN(v) ? -Infinity : v, first: v };
        continue;
      }
      s.count++;
      s.last = v;
      s.lastStep = r.step;
      s.lastT = r.t;
      if (v < s.min) s.min = v;
      if (v > s.max) s.max = v;
    }
  }
  return stats;
}
