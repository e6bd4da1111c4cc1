// The local executor: trials in child processes (one process per trial, so no RNG or module state
// is shared and a crash takes down only its trial), at most `workers` at a time.
//
// Children are started detached (their own process group): a Ctrl-C on the terminal reaches only
// the sweep, which then asks each child once to stop (SIGINT → checkpoint, run marked interrupted).
// A second Ctrl-C repeats the signal, which makes runTraining exit at once.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { unmeasuredResult } from './results.js';
import type { TrialResult } from './results.js';
import type { TrialEvent, TrialJob } from './trial-node.js';

/** BullMQ queue of `--queue` sweeps and `recur worker` (here so the CLI need not load BullMQ). */
export const DEFAULT_QUEUE_NAME = 'recur-trials';

export interface ExecCallbacks {
  onStart(job: TrialJob, e: Extract<TrialEvent, { type: 'start' }> & { where?: string }): void;
  onProgress(job: TrialJob, step: number, total: number): void;
  onResult(job: TrialJob, result: TrialResult): void;
}

/** Something that runs trials: the local pool, or a BullMQ queue with remote workers. */
export interface Executor {
  /** Resolves when every job has a result, or after stop() once nothing runs any more. */
  run(jobs: readonly TrialJob[], cb: ExecCallbacks): Promise<void>;
  /** First call: stop starting trials and ask running ones to checkpoint and stop. Second: hurry. */
  stop(): void;
  readonly description: string;
  /** Trials run on this machine, in the sweep directory. */
  readonly local: boolean;
  /** Called before anything is written (e.g. to check that the queue is reachable). */
  open?(): Promise<void>;
  /** Releases what open() took, if run() did not. */
  close?(): void;
}

/** The compiled child entry (dist/sweep/trial-child.js), also when this module runs from src/. */
export function trialChildPath(): string {
  const here = new URL('./trial-child.js', import.meta.url);
  const p = fileURLToPath(here);
  if (fs.existsSync(p)) return p;
  return fileURLToPath(new URL('../../dist/sweep/trial-child.js', import.meta.url));
}

export function defaultWorkers(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export interface ChildTrial {
  child: ChildProcess;
  done: Promise<TrialResult>;
}

/** Runs one job in a fresh child process; the promise always resolves (a crash is a failed result). */
export function forkTrial(job: TrialJob, onEvent: (e: TrialEvent) => void, isStopping: () => boolean = () => false): ChildTrial {
  const child = fork(trialChildPath(), [], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Debugger/loader flags of the parent do not belong in every trial.
    execArgv: process.execArgv.filter((a) => !/^--(inspect|loader|import|experimental-loader)/.test(a)),
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  let result: TrialResult | null = null;
  let runDir: string | null = null;
  const t0 = performance.now();
  child.on('message', (m: TrialEvent | { type: 'result'; result: TrialResult } | { type: 'ready' }) => {
    if (m.type === 'ready') child.send({ type: 'run', job }, (e) => void e);
    else if (m.type === 'result') result = m.result;
    else {
      if (m.type === 'start') runDir = m.runDir;
      onEvent(m);
    }
  });
  const done = new Promise<TrialResult>((resolve) => {
    const finish = (why: string) => {
      if (result) return resolve(result);
      const host = os.hostname();
      const last = stderr.trim().split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).slice(-1)[0];
      resolve(unmeasuredResult({
        trial: job.trial,
        status: isStopping() ? 'interrupted' : 'failed',
        runDir,
        host,
        worker: `${host}:${child.pid ?? 0}`,
        seed: job.config.seed ?? -1,
        seconds: (performance.now() - t0) / 1000,
        message: `trial process ${why}${last ? `: ${last.trim()}` : ''}`,
      }));
    };
    child.on('error', (e) => finish(`could not start (${e.message})`));
    child.on('exit', (code, signal) => finish(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
  return { child, done };
}

export class LocalPool implements Executor {
  readonly local = true;
  private stopping = 0;
  private readonly running = new Set<ChildProcess>();

  constructor(readonly workers: number) {
    if (!(workers >= 1)) throw new Error(`--workers must be ≥ 1, got ${workers}`);
  }

  get description(): string {
    return `${this.workers} local worker${this.workers === 1 ? '' : 's'}`;
  }

  run(jobs: readonly TrialJob[], cb: ExecCallbacks): Promise<void> {
    const queue = [...jobs];
    return new Promise((resolve) => {
      const next = (): void => {
        while (!this.stopping && queue.length > 0 && this.running.size < this.workers) {
          const job = queue.shift()!;
          const t = forkTrial(
            job,
            (e) => (e.type === 'start' ? cb.onStart(job, e) : cb.onProgress(job, e.step, e.total)),
            () => this.stopping > 0,
          );
          this.running.add(t.child);
          void t.done.then((r) => {
            this.running.delete(t.child);
            cb.onResult(job, r);
            next();
          });
        }
        if (this.running.size === 0 && (this.stopping || queue.length === 0)) resolve();
      };
      next();
    });
  }

  stop(): void {
    this.stopping++;
    for (const c of this.running) {
      try {
        c.kill('SIGINT');
      } catch {
        /* already gone */
      }
    }
    if (this.stopping >= 3) for (const c of this.running) c.kill('SIGKILL');
  }
}
