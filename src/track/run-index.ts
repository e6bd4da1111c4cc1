// Per-run metric aggregates for listings (dashboard table, `recur runs`), kept up to date by
// reading only what was appended since the last look. Browser-safe (works on any RunStore).
import { updateStats } from './metrics.js';
import type { RunStore } from './store.js';
import type { MetricStats, RunEntry } from './types.js';

export interface IndexedRun extends RunEntry {
  stats: Record<string, MetricStats>;
  cursor: number; // metrics cursor the stats cover; a client holding a smaller one has rows to fetch
  rows: number;
  corruptLines: number;
}

interface Cached {
  cursor: number;
  lastStep: number;
  stats: Record<string, MetricStats>;
  rows: number;
  corruptLines: number;
}

export class RunIndex {
  private readonly cache = new Map<string, Cached>();

  constructor(readonly store: RunStore) {}

  async list(): Promise<IndexedRun[]> {
    const entries = await this.store.listRuns();
    const live = new Set(entries.map((e) => e.id));
    for (const id of this.cache.keys()) if (!live.has(id)) this.cache.delete(id);
    return Promise.all(entries.map(async (e) => ({ ...e, ...(await this.refresh(e.id)) })));
  }

  async refresh(id: string): Promise<Omit<Cached, 'lastStep'>> {
    let c = this.cache.get(id);
    try {
      let chunk = await this.store.readMetrics(id, c?.cursor ?? 0);
      // The log was replaced, or a resumed run went back in steps (its earlier rows may then be
      // superseded, see appendRows, and the aggregates must be rebuilt): start over.
      if (c && (chunk.reset || (chunk.rows.length > 0 && chunk.rows[0].step <= c.lastStep))) {
        c = undefined;
        chunk = await this.store.readMetrics(id, 0);
      }
      if (!c) c = { cursor: 0, lastStep: -Infinity, stats: {}, rows: 0, corruptLines: 0 };
      updateStats(c.stats, chunk.rows);
      c.cursor = chunk.cursor;
      c.rows += chunk.rows.length;
      c.corruptLines += chunk.corruptLines;
      if (chunk.rows.length) c.lastStep = chunk.rows[chunk.rows.length - 1].step;
      this.cache.set(id, c);
    } catch {
      c ??= { cursor: 0, lastStep: -Infinity, stats: {}, rows: 0, corruptLines: 0 };
    }
    return { cursor: c.cursor, stats: c.stats, rows: c.rows, corruptLines: c.corruptLines };
  }
}
