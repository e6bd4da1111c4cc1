// Node entry of the tracker:
//
//   const run = await init({ project: 'recur', name: 'baseline', config, seed, root: './output/' });
//   run.log({ loss: 0.5, current_lr: 0.001 }, step);
//   run.setSummary({ accuracy: 0.97 });
//   await run.finish();
//
// A run's id is its name, or name-2, name-3, ... when that directory exists (never overwritten).
// `init({ resume: dir })` reopens a run: same metrics log (appended), status back to running.
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../version.js';
import { FileStore } from './file-store.js';
import { defaultFinalStatus, installProcessHandlers, registerRun, unregisterRun } from './lifecycle.js';
import { gitInfo, processInfo } from './node-env.js';
import { Run } from './run.js';
import type { RunStore } from './store.js';
import type { RunMeta } from './types.js';

export interface InitOptions {
  project?: string;
  name?: string;
  config?: Record<string, unknown>;
  seed?: number | string | null;
  // Runs root of the default file store (default './output/').
  root?: string;
  // Explicit run directory: its parent is the runs root and its basename the id (must be new).
  dir?: string;
  // Directory (or id under `root`) of an existing run to continue.
  resume?: string;
  // With `resume`: the step the run continues after (its checkpoint's). Rows logged after it are
  // removed from the log, since the resumed run logs those steps again; each step stays once.
  resumeStep?: number;
  // Another store instead of the file store (root/dir then only name the run).
  store?: RunStore;
  // Install SIGINT/SIGTERM handlers (default true). Exit and crash handlers are always installed.
  handleSignals?: boolean;
  // Working directory for the git probe (default process.cwd()).
  cwd?: string;
}

export const DEFAULT_ROOT = './output/';

export async function init(opts: InitOptions = {}): Promise<Run> {
  installProcessHandlers({ signals: opts.handleSignals !== false });
  if (opts.resume !== undefined) return resumeRun(opts);

  let store = opts.store;
  let exactId = false;
  let name = opts.name ?? 'run';
  let root = opts.root ?? DEFAULT_ROOT;
  if (opts.dir !== undefined) {
    const dir = path.resolve(opts.dir);
    root = path.dirname(dir);
    name = path.basename(dir);
    exactId = true;
  }
  store ??= new FileStore(root);
  const cwd = opts.cwd ?? process.cwd();
  const git = await gitInfo(cwd, store instanceof FileStore ? store.root : undefined);
  const now = new Date().toISOString();
  const seed = opts.seed ?? seedFromConfig(opts.config);
  const meta = await store.createRun(
    {
      name,
      project: opts.project ?? '',
      status: 'running',
      config: structuredClone(opts.config ?? {}),
      seed,
      recurVersion: VERSION,
      git,
      ...processInfo(),
      startedAt: now,
      endedAt: null,
      heartbeatAt: now,
      summary: {},
    },
    { exactId },
  );
  return open(store, meta);
}

async function resumeRun(opts: InitOptions): Promise<Run> {
  const target = opts.resume!;
  let store = opts.store;
  let id: string;
  if (store) {
    id = target;
  } else {
    // A path to the run directory, or an id under the runs root.
    let dir = path.resolve(target);
    if (!fs.existsSync(dir) && opts.root !== undefined) dir = path.resolve(opts.root, target);
    store = new FileStore(path.dirname(dir));
    id = path.basename(dir);
  }
  const old = await store.readMeta(id);
  const now = new Date().toISOString();
  const proc = processInfo();
  const meta: RunMeta = {
    ...old,
    ...proc,
    status: 'running',
    endedAt: null,
    heartbeatAt: now,
    resumes: [...(old.resumes ?? []), { at: now, pid: proc.pid, argv: proc.argv }],
  };
  delete meta.error;
  delete meta.reason;
  if (opts.config) meta.config = { ...old.config, ...structuredClone(opts.config) };
  if (opts.resumeStep !== undefined) store.dropMetricsAfter(id, opts.resumeStep);
  store.writeMeta(meta);
  return open(store, meta);
}

function open(store: RunStore, meta: RunMeta): Run {
  const run = new Run(store, meta, { onFinish: unregisterRun, defaultFinalStatus });
  registerRun(run);
  return run;
}

function seedFromConfig(config: Record<string, unknown> | undefined): number | string | null {
  const s = config?.seed;
  return typeof s === 'number' || typeof s === 'string' ? s : null;
}

export { Run, type FinalStatus } from './run.js';
export { FileStore, isPidAlive, nodeLivenessProbe, META_FILE, METRICS_FILE } from './file-store.js';
export { MemoryStore } from './memory-store.js';
export { ensureWritableDir, UnusableDirError } from './writable-dir.js';
export { CorruptMetaError, RunExistsError, RunNotFoundError, type RunStore } from './store.js';
export { effectiveStatus } from './status.js';
export { finishAllRunsSync, installProcessHandlers, receivedSignal, uninstallSignalHandlers } from './lifecycle.js';
export { gitInfo } from './node-env.js';
export type { MetricRow, MetricStats, MetricsChunk, RunEntry, RunMeta, RunStatus } from './types.js';
