// In-memory RunStore: the same contract as the file store, for the browser (the /play page) and
// for tests. Metas are kept serialized so callers cannot mutate stored state by reference, and
// rows as encoded lines so both stores round-trip values (NaN, Infinity) the same way.
import { appendRows, decodeLine, encodeRow } from './metrics.js';
import { effectiveStatus, parseMeta, type LivenessProbe } from './status.js';
import {
  candidateId,
  compareEntries,
  RunExistsError,
  RunNotFoundError,
  sanitizeRunName,
  type CreateRunOptions,
  type RunStore,
} from './store.js';
import type { MetricRow, MetricsChunk, RunEntry, RunMeta } from './types.js';

interface Slot {
  meta: string; // JSON text
  lines: string[];
}

export class MemoryStore implements RunStore {
  readonly kind = 'memory';
  private readonly runs = new Map<string, Slot>();

  // Without a host/pid probe, liveness is judged by heartbeat age only.
  constructor(private readonly probe: LivenessProbe = {}) {}

  async createRun(meta: Omit<RunMeta, 'id'>, opts: CreateRunOptions = {}): Promise<RunMeta> {
    const base = sanitizeRunName(meta.name);
    for (let n = 1; ; n++) {
      const id = candidateId(base, n);
      if (this.runs.has(id)) {
        if (opts.exactId) throw new RunExistsError(id);
        continue;
      }
      const full: RunMeta = { ...meta, id };
      this.runs.set(id, { meta: JSON.stringify(full), lines: [] });
      return full;
    }
  }

  async listRuns(): Promise<RunEntry[]> {
    const out: RunEntry[] = [];
    for (const id of this.runs.keys()) out.push(this.entry(id));
    return out.sort(compareEntries);
  }

  async hasRun(id: string): Promise<boolean> {
    return this.runs.has(id);
  }

  async readMeta(id: string): Promise<RunMeta> {
    return parseMeta(id, this.slot(id).meta);
  }

  writeMeta(meta: RunMeta): void {
    this.slot(meta.id).meta = JSON.stringify(meta);
  }

  async updateMeta(id: string, patch: Partial<Omit<RunMeta, 'id'>>): Promise<RunMeta> {
    const next = { ...(await this.readMeta(id)), ...patch, id };
    this.writeMeta(next);
    return next;
  }

  appendMetrics(id: string, rows: readonly MetricRow[]): void {
    const slot = this.slot(id);
    for (const r of rows) slot.lines.push(encodeRow(r));
  }

  async readMetrics(id: string, since = 0): Promise<MetricsChunk> {
    const lines = this.slot(id).lines;
    const reset = since > lines.length || since < 0;
    const from = reset ? 0 : since;
    const parsed: MetricRow[] = [];
    let corruptLines = 0;
    for (let i = from; i < lines.length; i++) {
      const row = decodeLine(lines[i]);
      if (row) parsed.push(row);
      else corruptLines++;
    }
    return { rows: appendRows([], parsed), cursor: lines.length, corruptLines, reset };
  }

  dropMetricsAfter(id: string, step: number): number {
    const slot = this.slot(id);
    const kept = slot.lines.filter((l) => {
      const row = decodeLine(l);
      return row === null || row.step <= step;
    });
    const dropped = slot.lines.length - kept.length;
    slot.lines = kept;
    return dropped;
  }

  closeRun(_id: string): void {}

  // Test hook mirroring a hand-damaged meta.json in the file store.
  setRawMeta(id: string, text: string): void {
    const slot = this.runs.get(id);
    if (slot) slot.meta = text;
    else this.runs.set(id, { meta: text, lines: [] });
  }

  private slot(id: string): Slot {
    const s = this.runs.get(id);
    if (!s) throw new RunNotFoundError(id);
    return s;
  }

  private entry(id: string): RunEntry {
    try {
      const meta = parseMeta(id, this.slot(id).meta);
      return { id, meta, status: effectiveStatus(meta, this.probe) };
    } catch (e) {
      return { id, meta: null, error: (e as Error).message, status: 'corrupt' };
    }
  }
}
