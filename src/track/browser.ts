// Browser entry of the tracker (the /play page): the same Run API over any RunStore, usually a
// MemoryStore, with what a browser can tell about itself in place of git/host/argv.
import { VERSION } from '../version.js';
import { MemoryStore } from './memory-store.js';
import { Run } from './run.js';
import type { RunStore } from './store.js';

export interface BrowserInitOptions {
  project?: string;
  name?: string;
  config?: Record<string, unknown>;
  seed?: number | string | null;
  store?: RunStore; // default: a new MemoryStore
}

export async function initBrowserRun(opts: BrowserInitOptions = {}): Promise<Run> {
  const store = opts.store ?? new MemoryStore();
  const now = new Date().toISOString();
  const seed = opts.seed ?? (typeof opts.config?.seed === 'number' || typeof opts.config?.seed === 'string' ? opts.config.seed : null);
  const ua = typeof navigator !== 'undefined' ? navigator.userAgent : '';
  const meta = await store.createRun({
    name: opts.name ?? 'run',
    project: opts.project ?? '',
    status: 'running',
    config: structuredClone(opts.config ?? {}),
    seed,
    recurVersion: VERSION,
    git: null,
    argv: [],
    node: '',
    host: ua,
    pid: 0,
    startedAt: now,
    endedAt: null,
    heartbeatAt: now,
    summary: {},
  });
  return new Run(store, meta);
}

export { MemoryStore } from './memory-store.js';
export { Run, type FinalStatus } from './run.js';
export type { RunStore } from './store.js';
export { RunIndex } from './run-index.js';
export { emaSmooth, downsampleIndices } from './smoothing.js';
export { metricsToCsv } from './csv.js';
export { groupRuns, aggregateGroup } from './group.js';
export { compareRows, runColumns, formatNumber, formatDuration } from './summary.js';
export { svgLineChart } from './svg-chart.js';
export { reportHtml } from './report-html.js';
export type { MetricRow, MetricStats, RunEntry, RunMeta, RunStatus } from './types.js';
