// Scale-out through BullMQ on Redis. The enqueuing process (`recur sweep|reproduce --queue URL`)
// adds one job per trial and collects each job's return value (the TrialResult: accuracy, run
// directory, host) into its sweep state; `recur worker --queue URL` processes (on any number of
// machines) run each trial in a child process, under their own `<save_dir>/<sweep>/`, exactly as
// the local pool does. So: the trial runs (metrics, checkpoints) are in the tracker of the worker's
// machine; the sweep state, summary and report are on the enqueuing machine.
//
// Job ids are `<sweep uid>.<trial>.<n>`: a re-run of the sweep finds its jobs again (resume), and
// a trial whose worker was stopped (it returns 'interrupted') is queued again as attempt n+1.
// A worker that dies (SIGKILL, lost machine) stops renewing its job's lock; after `lockDuration`
// another worker's stalled-job check puts the job back in the queue and someone else runs it.
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import type { ExecCallbacks, Executor } from './pool-node.js';
import { DEFAULT_QUEUE_NAME, forkTrial } from './pool-node.js';
import { unmeasuredResult } from './results.js';
import type { TrialResult } from './results.js';
import type { TrialJob } from './trial-node.js';
import { ensureWritableDir } from '../track/writable-dir.js';

export { DEFAULT_QUEUE_NAME };

/** What a worker reports while a trial runs (job.progress). */
interface JobProgress {
  worker: string;
  host: string;
  runDir?: string;
  step?: number;
  startStep?: number;
  total?: number;
  resumed?: boolean;
}

export class QueueError extends Error {
  override name = 'QueueError';
}

/** An ioredis connection usable by BullMQ, connected, or a one-line error. */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new QueueError(`--queue expects a redis:// URL, got '${url}'`);
  const redis = new Redis(url, {
    maxRetriesPerRequest: null, // BullMQ workers block on Redis and need this
    lazyConnect: true,
    retryStrategy: (n) => Math.min(200 * n, 2000),
  });
  let lastError: Error | null = null;
  redis.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => setTimeout(() => reject(lastError ?? new Error('timed out')), timeoutMs).unref()),
    ]);
  } catch (e) {
    redis.disconnect();
    const why = (lastError as Error | null)?.message || (e as Error).message || String(e);
    throw new QueueError(`cannot reach Redis at ${url}: ${why}`);
  }
  return redis;
}

function jobId(job: TrialJob, attempt: number): string {
  return `${job.uid}.${job.trial}.${attempt}`;
}

function failedResult(job: TrialJob, message: string, status: TrialResult['status'] = 'failed'): TrialResult {
  return unmeasuredResult({ trial: job.trial, status, runDir: null, host: '', worker: '', seed: job.config.seed ?? -1, message });
}

export class QueueExecutor implements Executor {
  readonly local = false;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(readonly o: { url: string; queueName?: string; pollMs?: number; retryFailed?: boolean }) {}

  get description(): string {
    return `queue '${this.o.queueName ?? DEFAULT_QUEUE_NAME}' at ${this.o.url} (start workers with: recur worker --queue ${this.o.url})`;
  }

  private redis: Redis | null = null;

  /** Connects first, so that an unreachable Redis is an error before the sweep starts. */
  async open(): Promise<void> {
    this.redis ??= await connectRedis(this.o.url);
  }

  close(): void {
    this.redis?.disconnect();
    this.redis = null;
  }

  stop(): void {
    // The jobs stay queued and workers go on; re-running the sweep collects their results.
    this.stopping = true;
    this.wake?.();
  }

  private async add(queue: Queue, job: TrialJob, attempt: number): Promise<void> {
    const age = 7 * 24 * 3600; // seconds finished jobs stay in Redis for a late collector
    await queue.add('trial', job, {
      jobId: jobId(job, attempt),
      attempts: 2, // a thrown processor error (not a failed trial: that is a result) gets one retry
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: { age },
      removeOnFail: { age },
    });
  }

  async run(jobs: readonly TrialJob[], cb: ExecCallbacks): Promise<void> {
    await this.open();
    const redis = this.redis!;
    this.redis = null;
    const queue = new Queue(this.o.queueName ?? DEFAULT_QUEUE_NAME, { connection: redis });
    queue.on('error', () => {});
    try {
      // Current attempt of every trial: the newest job that exists, or a new one.
      const tracked: Array<{ job: TrialJob; attempt: number; started: string | null }> = [];
      for (const job of jobs) {
        let attempt = 1;
        while (await queue.getJob(jobId(job, attempt + 1))) attempt++;
        let existing = (await queue.getJob(jobId(job, attempt))) as Job<TrialJob, TrialResult> | undefined;
        if (existing && this.o.retryFailed) {
          const state = await existing.getState();
          if (state === 'failed' || (state === 'completed' && existing.returnvalue?.status === 'failed')) {
            attempt++;
            existing = undefined;
          }
        }
        if (!existing) await this.add(queue, job, attempt);
        tracked.push({ job, attempt, started: null });
      }
      const poll = this.o.pollMs ?? 500;
      while (!this.stopping && tracked.length > 0) {
        for (let i = tracked.length - 1; i >= 0 && !this.stopping; i--) {
          const t = tracked[i];
          const j = (await queue.getJob(jobId(t.job, t.attempt))) as Job<TrialJob, TrialResult> | undefined;
          if (!j) {
            // Removed from Redis behind our back (or expired): queue it again.
            await this.add(queue, t.job, t.attempt);
            continue;
          }
          const state = await j.getState();
          const p = (typeof j.progress === 'object' ? j.progress : {}) as unknown as JobProgress;
          if (state === 'active' && p.runDir) {
            // A new worker (or a new run directory) is a new start: the previous worker died.
            const where = `${p.worker} ${p.runDir}`;
            if (t.started !== where) {
              t.started = where;
              cb.onStart(t.job, { type: 'start', runDir: p.runDir, step: p.startStep ?? 0, total: p.total ?? t.job.config.total_steps, resumed: !!p.resumed, where: p.worker });
            }
            if (p.step !== undefined) cb.onProgress(t.job, p.step, p.total ?? t.job.config.total_steps);
          } else if (state === 'completed') {
            const r = j.returnvalue;
            if (r && r.status === 'interrupted') {
              // Its worker was stopped: run it again (a worker on the same machine resumes it).
              t.attempt++;
              t.started = null;
              await this.add(queue, t.job, t.attempt);
              continue;
            }
            tracked.splice(i, 1);
            cb.onResult(t.job, r ?? failedResult(t.job, 'job completed without a result'));
          } else if (state === 'failed') {
            tracked.splice(i, 1);
            cb.onResult(t.job, failedResult(t.job, `queue job failed: ${j.failedReason}`));
          }
        }
        if (tracked.length === 0 || this.stopping) break;
        await new Promise<void>((res) => {
          const timer = setTimeout(res, poll);
          this.wake = () => (clearTimeout(timer), res());
        });
      }
    } finally {
      await queue.close().catch(() => {});
      redis.disconnect();
    }
  }
}

export interface WorkerOptions {
  url: string;
  queueName?: string;
  saveDir: string;
  concurrency: number;
  /** BullMQ lock of an active job; a dead worker's job is retried this long after it died. */
  lockMs?: number;
  /** How often workers look for jobs whose lock expired. */
  stalledMs?: number;
  out?: { write(s: string): unknown };
  handleSignals?: boolean;
}

/** `recur worker`: runs queued trials until stopped (Ctrl-C: running trials checkpoint and go back to the queue). */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const out = o.out ?? process.stdout;
  const host = os.hostname();
  const me = `${host}:${process.pid}`;
  // An unusable runs folder fails here, before any job is taken, not in every job.
  ensureWritableDir(o.saveDir);
  const redis = await connectRedis(o.url);
  const children = new Set<ChildProcess>();
  let stopping = false;
  const saveDir = path.resolve(o.saveDir);

  const worker = new Worker<TrialJob, TrialResult>(
    o.queueName ?? DEFAULT_QUEUE_NAME,
    async (job) => {
      const data = job.data;
      const root = path.join(saveDir, data.sweep);
      ensureWritableDir(root);
      // Runs of this trial live under this machine's save_dir; hints from the enqueuer's machine
      // do not apply here.
      const local: TrialJob = { ...data, config: { ...data.config, save_dir: root } };
      delete local.runDirHint;
      out.write(`job ${job.id}: ${data.sweep}/${data.trial}\n`);
      let lastSent = 0;
      let prog: JobProgress = { worker: me, host };
      const t = forkTrial(
        local,
        (e) => {
          if (e.type === 'start') {
            prog = { ...prog, runDir: e.runDir, step: e.step, startStep: e.step, total: e.total, resumed: e.resumed };
            out.write(`${e.resumed ? 'resume' : 'start'} ${data.sweep}/${data.trial} → ${e.runDir}\n`);
          } else prog = { ...prog, step: e.step, total: e.total };
          const now = Date.now();
          if (e.type === 'start' || now - lastSent > 500) {
            lastSent = now;
            void job.updateProgress(prog as unknown as object).catch(() => {});
          }
        },
        () => stopping,
      );
      children.add(t.child);
      const r = await t.done;
      children.delete(t.child);
      const result: TrialResult = { ...r, host, worker: me };
      out.write(
        `${result.status} ${data.sweep}/${data.trial}` +
          (result.test ? `: test accuracy ${(result.test.accuracy * 100).toFixed(1)}%` : '') +
          (result.message ? `: ${result.message}` : '') +
          '\n',
      );
      return result;
    },
    {
      connection: redis,
      concurrency: o.concurrency,
      lockDuration: o.lockMs ?? 30_000,
      stalledInterval: o.stalledMs ?? 30_000,
      maxStalledCount: 3,
      autorun: false,
    },
  );
  worker.on('error', (e) => out.write(`worker error: ${e.message}\n`));

  let signals = 0;
  const onSignal = () => {
    signals++;
    stopping = true;
    if (signals === 1) out.write('stopping: running trials checkpoint and return to the queue\n');
    for (const c of children) {
      try {
        c.kill(signals >= 3 ? 'SIGKILL' : 'SIGINT');
      } catch {
        /* gone */
      }
    }
    void worker.close();
  };
  if (o.handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  out.write(`worker ${me}: queue '${o.queueName ?? DEFAULT_QUEUE_NAME}' at ${o.url}, ${o.concurrency} at a time, runs under ${saveDir}\n`);
  try {
    await worker.run();
  } finally {
    if (o.handleSignals !== false) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    await worker.close().catch(() => {});
    redis.disconnect();
  }
}
