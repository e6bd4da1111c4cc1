// A sweep's own record, `<save_dir>/<sweep>/sweep.json`: what it plans (every trial's config and
// the test set) and where each trial stands. It is what makes re-running the same command a resume:
// finished trials are skipped, interrupted ones continue from their checkpoint. Replaced atomically
// after every change; `sweep.lock` keeps two processes from driving one sweep at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isPidAlive } from '../track/file-store.js';
import { writeAtomicFile } from '../track/summary-file.js';
import type { TrainConfig } from '../train/config.js';
import { configDiff } from './plan.js';
import type { Trial } from './plan.js';
import type { TestSpec, TrialOutcome, TrialResult } from './results.js';

export const STATE_FILE = 'sweep.json';
export const LOCK_FILE = 'sweep.lock';

export type TrialStatus = TrialOutcome['status'];

export interface TrialRecord {
  id: string;
  setting: string;
  seed: number;
  config: TrainConfig; // save_dir as planned locally (a queue worker uses its own)
  status: TrialStatus;
  attempts: number;
  runDir?: string;
  where?: string; // host that ran it
  jobId?: string; // queue mode
  result?: TrialResult;
  message?: string;
}

export interface SweepState {
  version: 1;
  name: string;
  kind: string;
  /** Random id: keeps queue job ids of different sweeps with the same name apart. */
  uid: string;
  createdAt: string;
  updatedAt: string;
  spec: Record<string, unknown>;
  test: TestSpec;
  trials: Record<string, TrialRecord>;
  order: string[];
}

export class SweepStateError extends Error {}

export function readState(dir: string): SweepState | null {
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const s = JSON.parse(text) as SweepState;
    if (s.version !== 1 || typeof s.trials !== 'object' || !Array.isArray(s.order)) throw new Error('not a sweep state');
    return s;
  } catch (e) {
    throw new SweepStateError(`${file} is unreadable (${(e as Error).message}); move it away to start the sweep over`);
  }
}

export function writeState(dir: string, s: SweepState): void {
  s.updatedAt = new Date().toISOString();
  writeAtomicFile(path.join(dir, STATE_FILE), JSON.stringify(s, null, 1) + '\n');
}

/**
 * The state for this plan: a new one, or the saved one with trials of the plan that it lacks
 * added (e.g. more seeds). A planned trial whose saved config or test set differs is an error: the
 * sweep name already means something else.
 */
export function mergeState(saved: SweepState | null, o: { name: string; kind: string; spec: Record<string, unknown>; test: TestSpec; trials: readonly Trial[] }): SweepState {
  const now = new Date().toISOString();
  const s: SweepState = saved ?? {
    version: 1,
    name: o.name,
    kind: o.kind,
    uid: randomBytes(4).toString('hex'),
    createdAt: now,
    updatedAt: now,
    spec: o.spec,
    test: o.test,
    trials: {},
    order: [],
  };
  if (saved) {
    const d = configDiff(saved.test as unknown as Partial<TrainConfig>, o.test as unknown as Partial<TrainConfig>);
    if (d.length) throw new SweepStateError(`sweep '${o.name}' was started with another test set (${d.join(', ')} differ); use another --name`);
  }
  for (const t of o.trials) {
    const old = s.trials[t.id];
    if (old) {
      const d = configDiff(old.config, t.config);
      if (d.length) {
        const k = d[0] as keyof TrainConfig;
        throw new SweepStateError(
          `sweep '${o.name}' already has trial ${t.id} with other settings (${d.map((x) => `${x}: ${JSON.stringify(old.config[x as keyof TrainConfig])} → ${JSON.stringify(t.config[x as keyof TrainConfig])}`).join(', ') || k}); use another --name to start a new sweep`,
        );
      }
      continue;
    }
    s.trials[t.id] = { id: t.id, setting: t.setting, seed: t.seed, config: t.config, status: 'pending', attempts: 0 };
    s.order.push(t.id);
  }
  return s;
}

/** Takes `sweep.lock`; fails when a live process on this host holds it. Returns the release. */
export function acquireLock(dir: string, name: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() });
  for (let i = 0; i < 2; i++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === mine) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      /* unreadable: stale */
    }
    if (holder.pid && holder.host === os.hostname() && holder.pid !== process.pid && isPidAlive(holder.pid)) {
      throw new SweepStateError(`sweep '${name}' is already running (pid ${holder.pid}); wait for it or stop it first`);
    }
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new SweepStateError(`could not take ${file}`);
}
