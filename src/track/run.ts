// A run being recorded: `log()` appends metric rows, `setSummary()` merges into the meta,
// `finish()` records the final status. Browser-safe: the Node entry (index.ts) gathers the
// environment (git, host, argv) and installs the process handlers.
import { cleanMetrics } from './metrics.js';
import { HEARTBEAT_INTERVAL_MS } from './status.js';
import type { RunStore } from './store.js';
import type { MetricRow, RunMeta, RunStatus } from './types.js';

export type FinalStatus = Exclude<RunStatus, 'running'>;

export interface RunHooks {
  // Called once when the run finishes (by finish(), finishSync() or a process handler).
  onFinish?: (run: Run) => void;
  // The status `finish()` records when called without one (lets the Node side say
  // 'interrupted' after a SIGINT that the trainer handled by stopping its loop).
  defaultFinalStatus?: () => FinalStatus;
  now?: () => number;
}

export class Run {
  private lastStep = -1;
  private finished = false;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastBeat: number;
  private warned = false;
  private readonly now: () => number;

  constructor(
    readonly store: RunStore,
    private meta: RunMeta,
    private readonly hooks: RunHooks = {},
  ) {
    this.now = hooks.now ?? Date.now;
    this.lastBeat = this.now();
    // Timers do not fire while a synchronous training loop holds the thread, so log() also
    // beats; the timer covers long awaits (evaluation, checkpoint I/O) between logs.
    this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_INTERVAL_MS);
    (this.heartbeatTimer as { unref?: () => void }).unref?.();
  }

  get id(): string {
    return this.meta.id;
  }

  // Absolute directory of the run (file store); '' for stores without directories.
  get dir(): string {
    return this.store.runDir ? this.store.runDir(this.meta.id) : '';
  }

  get name(): string {
    return this.meta.name;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  // A copy of the meta as last written.
  getMeta(): RunMeta {
    return structuredClone(this.meta);
  }

  // Appends one row `{ step, t: now, ...metrics }`. Without `step`, uses the previous step + 1
  // (0 for the first row). Synchronous: when it returns, the row is in the store.
  log(metrics: Record<string, unknown>, step?: number): void {
    if (step === undefined) step = this.lastStep + 1;
    else if (typeof step !== 'number' || !Number.isFinite(step)) throw new Error(`step must be a finite number, got ${String(step)}`);
    const values = cleanMetrics(metrics);
    if (this.finished) {
      this.warnOnce(new Error('log() after finish() is ignored'));
      return;
    }
    this.lastStep = step;
    const t = this.now();
    const row: MetricRow = { step, t, ...values };
    try {
      this.store.appendMetrics(this.meta.id, [row]);
    } catch (e) {
      this.warnOnce(e);
    }
    if (t - this.lastBeat >= HEARTBEAT_INTERVAL_MS) this.heartbeat();
  }

  // Merges `values` into meta.summary (final metrics, parameter counts...).
  setSummary(values: Record<string, unknown>): void {
    this.meta = { ...this.meta, summary: { ...this.meta.summary, ...values } };
    this.save();
  }

  // Merges into meta.config (for values known only after init, e.g. a resolved device).
  updateConfig(values: Record<string, unknown>): void {
    this.meta = { ...this.meta, config: { ...this.meta.config, ...values } };
    this.save();
  }

  // `reason`: why a run failed or was interrupted, in words (meta.reason), e.g. 'loss became NaN
  // at step 6'.
  async finish(status?: FinalStatus, reason?: string): Promise<void> {
    this.finishSync(status, undefined, reason);
  }

  // Synchronous finish for exit and signal handlers. The first call wins; later ones do nothing.
  // `error`: the message of an uncaught exception (meta.error); it is also the reason unless one
  // is given.
  finishSync(status?: FinalStatus, error?: string, reason: string | undefined = error): void {
    if (this.finished) return;
    this.finished = true;
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const final = status ?? this.hooks.defaultFinalStatus?.() ?? 'finished';
    const at = new Date(this.now()).toISOString();
    this.meta = { ...this.meta, status: final, endedAt: at, heartbeatAt: at };
    if (error !== undefined) this.meta.error = error;
    if (reason !== undefined) this.meta.reason = reason;
    this.save();
    try {
      this.store.closeRun(this.meta.id);
    } catch {
      /* nothing to release */
    }
    this.hooks.onFinish?.(this);
  }

  heartbeat(): void {
    if (this.finished) return;
    this.lastBeat = this.now();
    this.meta = { ...this.meta, heartbeatAt: new Date(this.lastBeat).toISOString() };
    this.save();
  }

  private save(): void {
    try {
      this.store.writeMeta(this.meta);
    } catch (e) {
      this.warnOnce(e);
    }
  }

  // Tracking must not kill a training run (a deleted run directory, a full disk): say it once.
  private warnOnce(e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(`recur track: run '${this.meta.id}': ${(e as Error)?.message ?? e}`);
  }
}
