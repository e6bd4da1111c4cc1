// What a reader should call a run's status. A process killed with SIGKILL (or a crashed machine)
// never gets to write "interrupted", so a meta that still says `running` is checked:
//   - same host and we can probe pids: running iff the recorded pid is alive;
//   - otherwise: running iff the heartbeat is fresher than `staleMs`.
// Browser-safe: the pid probe is injected by the Node side.
import { CorruptMetaError } from './store.js';
import type { RunMeta, RunStatus } from './types.js';

export const HEARTBEAT_INTERVAL_MS = 10_000;
export const STALE_AFTER_MS = 60_000;

export interface LivenessProbe {
  host?: string; // this machine's hostname, when known
  isPidAlive?: (pid: number) => boolean;
  now?: number; // ms since epoch
  staleMs?: number;
}

export function effectiveStatus(meta: RunMeta, probe: LivenessProbe = {}): RunStatus {
  if (meta.status !== 'running') return meta.status;
  if (probe.host !== undefined && probe.isPidAlive && meta.host === probe.host && Number.isInteger(meta.pid) && meta.pid > 0) {
    return probe.isPidAlive(meta.pid) ? 'running' : 'interrupted';
  }
  const beat = Date.parse(meta.heartbeatAt);
  if (!Number.isFinite(beat)) return 'interrupted';
  const now = probe.now ?? Date.now();
  return now - beat > (probe.staleMs ?? STALE_AFTER_MS) ? 'interrupted' : 'running';
}

// Checks that parsed JSON looks like a RunMeta well enough for readers to rely on its fields.
// Returns an error message, or null when usable.
export function validateMeta(m: unknown): string | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'meta.json is not a JSON object';
  const o = m as Record<string, unknown>;
  for (const k of ['id', 'name', 'startedAt'] as const) {
    if (typeof o[k] !== 'string') return `meta.json: '${k}' missing or not a string`;
  }
  if (typeof o.status !== 'string' || !['running', 'finished', 'failed', 'interrupted'].includes(o.status)) {
    return `meta.json: bad status ${JSON.stringify(o.status)}`;
  }
  if (o.config !== undefined && (o.config === null || typeof o.config !== 'object' || Array.isArray(o.config))) {
    return "meta.json: 'config' is not an object";
  }
  return null;
}

// Fills optional fields a hand-edited or older meta may lack, so readers need no null checks.
export function normalizeMeta(o: Record<string, unknown>): RunMeta {
  const m = o as unknown as RunMeta;
  return {
    ...m,
    project: typeof m.project === 'string' ? m.project : '',
    config: (m.config as Record<string, unknown>) ?? {},
    seed: m.seed ?? null,
    recurVersion: m.recurVersion ?? '',
    git: m.git ?? null,
    argv: Array.isArray(m.argv) ? m.argv : [],
    node: m.node ?? '',
    host: m.host ?? '',
    pid: typeof m.pid === 'number' ? m.pid : 0,
    endedAt: m.endedAt ?? null,
    heartbeatAt: m.heartbeatAt ?? m.startedAt,
    summary: m.summary && typeof m.summary === 'object' ? m.summary : {},
  };
}

/**
 * meta.json's text → RunMeta, or CorruptMetaError naming the run. The id is the run's directory
 * (or key), whatever the file says: a run directory may have been renamed.
 */
export function parseMeta(id: string, text: string): RunMeta {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new CorruptMetaError(id, (e as Error).message);
  }
  const err = validateMeta(o);
  if (err) throw new CorruptMetaError(id, err);
  return { ...normalizeMeta(o as Record<string, unknown>), id };
}
