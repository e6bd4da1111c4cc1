// CSV export of metrics: one line per logged row of every run, every point (never downsampled).
// Columns: run, step, t (ISO wall time), then one column per metric (union over the runs, first
// seen first); a metric the row did not log is an empty cell. Browser-safe.
import type { MetricRow } from './types.js';

function cell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function num(v: number | undefined): string {
  if (v === undefined) return '';
  if (Number.isNaN(v)) return 'NaN';
  return String(v); // shortest round-trip representation; Infinity / -Infinity as words
}

export function metricsToCsv(runs: ReadonlyArray<{ id: string; rows: readonly MetricRow[] }>): string {
  const cols: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const row of r.rows) {
      for (const k of Object.keys(row)) {
        if (k !== 'step' && k !== 't' && !seen.has(k)) {
          seen.add(k);
          cols.push(k);
        }
      }
    }
  }
  const lines = [['run', 'step', 't', ...cols].map(cell).join(',')];
  for (const r of runs) {
    const id = cell(r.id);
    for (const row of r.rows) {
      const t = Number.isFinite(row.t) ? new Date(row.t).toISOString() : '';
      lines.push([id, num(row.step), t, ...cols.map((c) => num(row[c]))].join(','));
    }
  }
  return lines.join('\n') + '\n';
}
