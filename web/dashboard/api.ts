// Client side of the dashboard server's JSON API (the contract the server implements in
// src/track/server.ts): run summaries with a poll cursor, downsampled series per run and per seed
// group, rows appended since a cursor, and the CSV export.
import { decodeRowObject } from '../../src/track/metrics.js';
import type { MetricRow, RunMeta } from '../../src/track/types.js';
import type { RunSummary } from '../../src/track/run-summary.js';

// The server's run summary, one per run in /api/runs.
export type { RunSummary } from '../../src/track/run-summary.js';

export interface RunList {
  cursor: string;
  total: number;
  reset?: boolean; // the cursor was not recognised: `runs` is the whole list
  runs: RunSummary[];
  removed: string[];
  root?: string;
  now?: number;
  rebuilt?: Array<{ id: string; reason: string }>; // summaries rebuilt from their run's log
}

// One metric of one line: x (step, or seconds since the run's start), y (the bucket's last
// value), and the real minimum and maximum of each bucket.
export interface Series {
  x: number[];
  y: Array<number | null>;
  ymin: Array<number | null>;
  ymax: Array<number | null>;
}

export interface RunSeries {
  id: string;
  cursor: string | number;
  rows: number;
  series: Record<string, Series>;
}

export interface GroupSeries {
  group: string;
  runs: string[];
  series: Record<string, { x: number[]; mean: Array<number | null>; min: Array<number | null>; max: Array<number | null> }>;
}

export type XKind = 'step' | 'time';

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) {
    let detail = '';
    try {
      detail = ((await res.json()) as { error?: string }).error ?? '';
    } catch {
      /* not JSON */
    }
    throw new Error(`${url}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`);
  }
  return (await res.json()) as T;
}

export function fetchRuns(since?: string): Promise<RunList> {
  return getJson<RunList>(since === undefined ? 'api/runs?compact=1' : `api/runs?compact=1&since=${encodeURIComponent(since)}`);
}

export interface Window {
  x0: number;
  x1: number;
}

export function fetchRunSeries(id: string, keys: readonly string[], points: number, x: XKind, win?: Window): Promise<RunSeries> {
  const q = new URLSearchParams({ keys: keys.join(','), points: String(Math.max(2, Math.round(points))), x });
  if (win) (q.set('x0', String(win.x0)), q.set('x1', String(win.x1)));
  return getJson<RunSeries>(`api/runs/${encodeURIComponent(id)}/series?${q}`);
}

export function fetchGroupSeries(group: string, keys: readonly string[], points: number, runs: readonly string[]): Promise<GroupSeries> {
  const q = new URLSearchParams({ keys: keys.join(','), points: String(Math.max(2, Math.round(points))), runs: runs.join(',') });
  return getJson<GroupSeries>(`api/groups/${encodeURIComponent(group)}/series?${q}`);
}

// Rows appended to a run's log after `since` (a cursor from a series or metrics response).
export async function fetchAppended(id: string, since: string | number): Promise<{ rows: MetricRow[]; cursor: string | number }> {
  const chunk = await getJson<{ rows: unknown[]; cursor: string | number }>(
    `api/runs/${encodeURIComponent(id)}/metrics?since=${encodeURIComponent(String(since))}`,
  );
  const rows = chunk.rows.map(decodeRowObject).filter((r): r is MetricRow => r !== null);
  return { rows, cursor: chunk.cursor };
}

// A run's full record (argv, git, versions), for the compare view.
export async function fetchMeta(id: string): Promise<RunMeta | null> {
  try {
    return (await getJson<{ meta: RunMeta | null }>(`api/runs/${encodeURIComponent(id)}`)).meta;
  } catch {
    return null;
  }
}

export function csvUrl(ids: readonly string[]): string {
  return `api/export.csv?runs=${ids.map(encodeURIComponent).join(',')}`;
}

// Runs `jobs` at most `limit` at a time.
export async function pooled<T>(jobs: ReadonlyArray<() => Promise<T>>, limit = 6): Promise<Array<T | Error>> {
  const out: Array<T | Error> = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      try {
        out[i] = await jobs[i]();
      } catch (e) {
        out[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}
