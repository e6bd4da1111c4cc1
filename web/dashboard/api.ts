// Client side of the dashboard server's JSON API (src/track/server.ts).
import { appendRows, decodeRowObject } from '../../src/track/metrics.js';
import type { MetricRow, MetricStats, RunMeta, RunStatus } from '../../src/track/types.js';

export interface ApiRun {
  id: string;
  meta: RunMeta | null;
  error?: string;
  status: RunStatus | 'corrupt';
  stats: Record<string, MetricStats>;
  cursor: number;
  rows: number;
  corruptLines: number;
}

export interface ApiRunList {
  root: string;
  now: number;
  runs: ApiRun[];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export function fetchRuns(): Promise<ApiRunList> {
  return getJson<ApiRunList>('api/runs');
}

// A run's rows as held by the page; `cursor` is where the next incremental fetch starts.
export interface RunRows {
  rows: MetricRow[];
  cursor: number;
}

// Fetches what was appended since `have.cursor` and folds it in (resume rule included).
export async function fetchMetrics(id: string, have: RunRows | undefined): Promise<RunRows> {
  const since = have?.cursor ?? 0;
  const chunk = await getJson<{ rows: unknown[]; cursor: number; reset: boolean }>(
    `api/runs/${encodeURIComponent(id)}/metrics?since=${since}`,
  );
  const rows = chunk.rows.map(decodeRowObject).filter((r): r is MetricRow => r !== null);
  const base = have && !chunk.reset && since > 0 ? have.rows : [];
  return { rows: appendRows(base, rows), cursor: chunk.cursor };
}

export function csvUrl(ids: readonly string[]): string {
  return `api/export.csv?runs=${ids.map(encodeURIComponent).join(',')}`;
}
