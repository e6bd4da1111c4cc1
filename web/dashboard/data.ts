// The page's copy of the series it draws: per line, each metric downsampled by the server to about
// the chart's pixel width (the overview), the current zoom window at full resolution, and rows a
// live run appended since (fetched with the series' cursor, so a poll moves only what is new).
import { fetchAppended, fetchGroupSeries, fetchRunSeries, pooled, type XKind } from './api.js';
import type { MetricRow } from '../../src/track/types.js';
import { fromSeries, startMs, toServer, xKindOf, type LineSpec, type Pts, type XMode } from './lines.js';

interface Entry {
  metrics: Map<string, Pts | null>; // null: the line has no such metric
  cursor?: string | number; // run lines: where appended rows start
  rows?: number; // run lines: rows logged
}

export interface Zoom {
  min: number;
  max: number;
}

export class SeriesCache {
  private xKind: XKind = 'step';
  private points = 0;
  private readonly overview = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<void>>();
  private zoomId = '';
  private readonly zoomed = new Map<string, Map<string, Pts | null>>();
  requests = 0; // series requests made (for tests and the debug API)

  // Forget everything fetched for another x kind or a much smaller chart width.
  configure(mode: XMode, points: number): void {
    const kind = xKindOf(mode);
    if (kind !== this.xKind || points > this.points * 1.25) {
      this.overview.clear();
      this.zoomed.clear();
      this.zoomId = '';
      this.points = points;
    }
    this.xKind = kind;
  }

  get pointsPerSeries(): number {
    return this.points;
  }

  get(line: LineSpec, metric: string, zoom: Zoom | null, mode: XMode): Pts | null | undefined {
    if (zoom && !line.group) {
      const z = this.zoomed.get(this.zoomKey(line, zoom, mode))?.get(metric);
      if (z !== undefined) return z;
    }
    return this.overview.get(line.key)?.metrics.get(metric);
  }

  rowsOf(line: LineSpec): number | undefined {
    return this.overview.get(line.key)?.rows;
  }

  // Drops a line's data (a group whose members logged more: its aggregate is fetched again).
  invalidate(key: string): void {
    this.overview.delete(key);
  }

  has(line: LineSpec): boolean {
    return this.overview.has(line.key);
  }

  private zoomKey(line: LineSpec, zoom: Zoom, mode: XMode): string {
    return `${line.key}\u0000${mode}\u0000${zoom.min}\u0000${zoom.max}`;
  }

  // Fetches what `metrics` of `lines` lack: one request per line for all its missing metrics.
  async load(lines: readonly LineSpec[], metrics: readonly string[], zoom: Zoom | null, mode: XMode): Promise<void> {
    const id = zoom ? `${mode}:${zoom.min}:${zoom.max}` : '';
    if (id !== this.zoomId) {
      this.zoomed.clear();
      this.zoomId = id;
    }
    const jobs: Array<() => Promise<void>> = [];
    for (const line of lines) {
      const key = zoom && !line.group ? this.zoomKey(line, zoom, mode) : line.key;
      jobs.push(async () => {
        for (;;) {
          const pending = this.inflight.get(key);
          if (!pending) break;
          await pending;
        }
        const have = zoom && !line.group ? this.zoomed.get(key) : this.overview.get(line.key)?.metrics;
        const missing = metrics.filter((m) => !have?.has(m));
        if (missing.length === 0) return;
        const p = this.fetchLine(line, missing, zoom, mode, key);
        this.inflight.set(key, p);
        try {
          await p;
        } finally {
          this.inflight.delete(key);
        }
      });
    }
    const results = await pooled(jobs, 6);
    const failed = results.find((r): r is Error => r instanceof Error);
    if (failed) throw failed;
  }

  private async fetchLine(line: LineSpec, missing: string[], zoom: Zoom | null, mode: XMode, key: string): Promise<void> {
    this.requests++;
    if (line.group) {
      const g = await fetchGroupSeries(line.group, missing, this.points, line.runs.map((r) => r.id));
      const e = this.entry(line.key);
      for (const m of missing) {
        const s = g.series[m];
        e.metrics.set(m, s ? { x: s.x, y: s.mean, lo: s.min, hi: s.max, band: true } : null);
      }
      return;
    }
    const run = line.runs[0];
    if (zoom) {
      const f = toServer(mode, line);
      const r = await fetchRunSeries(run.id, missing, this.points, this.xKind, { x0: f(zoom.min), x1: f(zoom.max) });
      let z = this.zoomed.get(key);
      if (!z) this.zoomed.set(key, (z = new Map()));
      for (const m of missing) z.set(m, r.series[m] ? fromSeries(r.series[m]) : null);
      return;
    }
    const r = await fetchRunSeries(run.id, missing, this.points, this.xKind);
    const e = this.entry(line.key);
    for (const m of missing) e.metrics.set(m, r.series[m] ? fromSeries(r.series[m]) : null);
    // The first response sets the cursor; later ones (more metrics) must not move it back past
    // rows already appended.
    if (e.cursor === undefined) e.cursor = r.cursor;
    e.rows = Math.max(e.rows ?? 0, r.rows);
  }

  private entry(key: string): Entry {
    let e = this.overview.get(key);
    if (!e) this.overview.set(key, (e = { metrics: new Map() }));
    return e;
  }

  // Rows a live run logged since its cursor, appended to every metric the page holds for it.
  // Returns the metrics that received points.
  async appendNew(line: LineSpec): Promise<string[]> {
    const e = this.overview.get(line.key);
    if (!e || e.cursor === undefined || line.group || this.inflight.has(line.key)) return [];
    const got = await fetchAppended(line.runs[0].id, e.cursor);
    e.cursor = got.cursor;
    if (got.rows.length === 0) return [];
    e.rows = (e.rows ?? 0) + got.rows.length;
    return this.appendRows(e, got.rows, startMs(line));
  }

  // Rows in server units: x is the step, or seconds since the run's start (row.t is ms).
  private appendRows(e: Entry, rows: readonly MetricRow[], start: number): string[] {
    const touched = new Set<string>();
    for (const row of rows) {
      const x = this.xKind === 'step' ? row.step : (row.t - start) / 1000;
      for (const [m, p] of e.metrics) {
        if (!(m in row)) continue;
        const v = row[m];
        const y = Number.isFinite(v) ? v : null;
        let pts = p;
        if (!pts) e.metrics.set(m, (pts = { x: [], y: [], lo: [], hi: [], band: false }));
        // A resumed run may log a step again: the newer row replaces the older.
        while (pts.x.length && pts.x[pts.x.length - 1] >= x && this.xKind === 'step') {
          pts.x.pop(), pts.y.pop(), pts.lo.pop(), pts.hi.pop();
        }
        pts.x.push(x), pts.y.push(y), pts.lo.push(y), pts.hi.push(y);
        touched.add(m);
      }
    }
    return [...touched];
  }
}
