// How many threads the float32 recurrent layers use (setNumThreads / getNumThreads, PyTorch's
// torch.set_num_threads), and the second thread itself: a worker sharing the WASM memory that runs
// registered tasks (tasks.ts) posted through a control block (protocol.ts).
//
// The library core starts no thread by itself: the platform installs a starter (Node:
// start-node.ts, installed by the package's Node entry; a browser installs none and keeps one
// thread). The worker starts the first time a layer has enough work to be worth a hand-off
// (threadTuning.minWork), runs nothing until it has loaded (the layers meanwhile run on this
// thread: the same bits), and never keeps a process alive.
//
// How the work is shared follows SplitTuner (as the article model's second thread does): a caller
// gives this thread `share` of a job; whoever reaches the join first should have had more, so the
// share moves toward the late side, and a worker that cannot keep up (the machine's cores are
// taken by other processes) rests for a while. The share never changes a result.
//
// A worker that cannot start, reports an error or does not answer within threadTuning.timeoutMs is
// dropped with one warning; the caller redoes the worker's share itself (tasks are written so that
// running one again from its inputs gives the same result), so a failure never changes a result.
import { release, reserveBlock, sharedWasmMemory } from '../../kernels/gemm-wasm.js';
import { ARGS, CLAIM, CTRL_INTS, DONE, ERROR, MAX_ARGS, NARGS, POST, QUIT, RAN, READY, TASK, readError } from './protocol.js';
import type { TaskWorkerInit } from './protocol.js';
import { awaitQuit, now, relax, spinUntil } from './spin.js';
import { SplitTuner } from '../../kernels/split-tuner.js';

/** Starts task workers on a platform (Node: start-node.ts). */
export interface ThreadStarter {
  /** Threads where neither setNumThreads nor RECUR_THREADS says (Node: min(2, cores)). */
  readonly defaultThreads: number;
  /** Starts a worker thread that calls serveTasks(init); `onError` when it fails or exits. */
  spawn(init: TaskWorkerInit, onError: (e: Error) => void): { terminate(): void };
}

/**
 * Knobs of the hand-off: `minWork`, multiply-adds of a layer's forward below which it stays on this
 * thread (a post and a join cost tens of µs when the worker has gone to sleep); `minProductWork`,
 * the same for one `Linear` product (gemm32-tasks.ts), which shares only its arithmetic, where a
 * layer also shares its cells and per-step calls; `timeoutMs`, how
 * long this thread waits for the worker's share after finishing its own before dropping it;
 * `takeBack`, whether this thread runs a share the worker has not started by then (false: it waits
 * for the worker — tests that must see the worker run every share).
 */
export const threadTuning = { minWork: 700_000, minProductWork: 2_000_000, timeoutMs: 30_000, takeBack: true };

/**
 * Counters (tests, benchmarks): tasks posted to the worker, tasks it ran, tasks this thread took
 * back before the worker started them, failures.
 */
export const threadCounts = { posted: 0, workerRan: 0, takenBack: 0, failures: 0 };

let starter: ThreadStarter | null = null;
let requested: number | null = null;
let link: TaskThread | null = null;
let broken = false; // the current starter's worker failed: one thread from now on
let warnedEnv = false;

/** Installs the platform's worker starter (null: none, one thread). Stops a running worker. */
export function setThreadStarter(s: ThreadStarter | null): void {
  closeLink();
  starter = s;
  broken = false;
}

/**
 * The number of threads the float32 recurrent layers may use: 1 (never start a worker) or 2 (a
 * second thread for layers with enough work; more than 2 counts as 2). Overrides RECUR_THREADS.
 * Results are the same bits for every setting.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected an integer ≥ 1, got ${n}`);
  requested = n;
  if (n < 2) closeLink();
}

/**
 * The number of threads the float32 recurrent layers use: setNumThreads's, else RECUR_THREADS's,
 * else the platform's default (Node: min(2, cores)) — capped at 2, and 1 where no worker can run
 * (no starter installed: a browser; WASM memory not shareable; the worker failed).
 */
export function getNumThreads(): number {
  if (starter === null || broken || sharedWasmMemory() === null) return 1;
  return Math.min(2, requested ?? envThreads() ?? starter.defaultThreads);
}

function envThreads(): number | null {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.RECUR_THREADS;
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (Number.isInteger(n) && n >= 1) return n;
  if (!warnedEnv) console.warn(`recur: RECUR_THREADS=${v} is not an integer ≥ 1; ignored`);
  warnedEnv = true;
  return null;
}

/**
 * The worker, when a job of `work` multiply-adds (at least `min` of them) should be shared with it
 * and it serves now; else null (the caller runs everything). Starts the worker the first time a
 * job is big enough.
 */
export function helperFor(work: number, min = threadTuning.minWork): TaskThread | null {
  if (work < min || getNumThreads() < 2) return null;
  if (link === null) {
    link = TaskThread.launch(starter!);
    if (link === null) return null;
  }
  return link.ready() ? link : null;
}

/**
 * The worker when it is running and serves now, else null; never starts it. For jobs that are
 * worth sharing with a thread that is there anyway, but not worth starting one for (Adam's update).
 */
export function runningHelper(): TaskThread | null {
  if (link === null || getNumThreads() < 2) return null;
  return link.ready() ? link : null;
}

/**
 * Starts the worker now (if threads are on) and waits until it serves, up to `timeoutMs`:
 * whether it does. For tests and benchmarks that want every step split from the first.
 */
export function startThreads(timeoutMs = 10_000): boolean {
  if (getNumThreads() < 2) return false;
  if (link === null) link = TaskThread.launch(starter!);
  const t0 = now();
  while (link !== null && !link.ready() && now() - t0 < timeoutMs) relax();
  return link !== null && link.ready();
}

function closeLink(): void {
  link?.close();
  link = null;
}

function fail(t: TaskThread, msg: string): void {
  threadCounts.failures++;
  console.warn(`recur: the second thread failed (${msg}); the recurrent layers run on one thread`);
  broken = true;
  if (link === t) link = null;
}

/** A worker thread serving posted tasks, one at a time. */
export class TaskThread {
  private seq = 0;
  private failed = false;
  private closed = false;
  private worker: { terminate(): void } | null = null;
  private postedAt = 0;
  /** This thread's share of each job (SplitTuner): the caller splits its work by it. */
  readonly tuner = new SplitTuner();

  private constructor(private readonly ctrl: Int32Array, private readonly block: Uint8Array) {}

  /** Reserves the control block and the worker's scratch in the shared memory and starts the worker; null if it cannot. */
  static launch(s: ThreadStarter): TaskThread | null {
    const memory = sharedWasmMemory()!;
    const ctrlAt = reserveBlock(CTRL_INTS * 4);
    const size = Math.min(16 << 20, Math.floor(memory.buffer.byteLength / 8)); // the worker's scratch (colSum32's ones)
    const arenaStart = ctrlAt < 0 ? -1 : reserveBlock(size);
    const t = new TaskThread(new Int32Array(memory.buffer, Math.max(ctrlAt, 0), CTRL_INTS), new Uint8Array(memory.buffer, Math.max(arenaStart, 0), size));
    if (arenaStart < 0) {
      t.fail('the WASM memory is full');
      return null;
    }
    try {
      t.worker = s.spawn({ memory, ctrl: ctrlAt, arenaStart, arenaEnd: arenaStart + size }, (e) => t.fail(e.message));
    } catch (e) {
      t.fail(e instanceof Error ? e.message : String(e));
      return null;
    }
    return t;
  }

  private fail(msg: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    fail(this, msg);
    this.worker?.terminate(); // its memory blocks stay reserved: it may not have stopped yet
  }

  /** Whether the worker serves now (false while it loads, while it rests, and for good after a failure). */
  ready(): boolean {
    if (this.failed || this.closed) return false;
    if (Atomics.load(this.ctrl, ERROR) === 1) {
      this.fail(readError(this.ctrl));
      return false;
    }
    return Atomics.load(this.ctrl, READY) === 1 && this.tuner.useWorker();
  }

  /** The share of a job this thread should take (within [0.2, 0.8]). */
  get share(): number {
    return this.tuner.share;
  }

  /** Posts task `id` with integer arguments (at most MAX_ARGS) to the worker, which must be ready. */
  post(id: number, args: ArrayLike<number>): void {
    if (args.length > MAX_ARGS) throw new Error(`TaskThread.post: ${args.length} arguments (at most ${MAX_ARGS})`);
    const c = this.ctrl;
    c.set(args, ARGS);
    c[NARGS] = args.length;
    c[TASK] = id;
    threadCounts.posted++;
    this.postedAt = now();
    Atomics.store(c, POST, ++this.seq); // publishes the writes above
    Atomics.notify(c, POST);
  }

  /**
   * Returns when the posted task is done: true; or false, and the caller runs the task's share
   * itself — when the worker had not started it yet (this thread claims it: a worker without a core
   * costs no wait), or failed, or did not answer (then dropped, with one warning).
   */
  join(): boolean {
    const c = this.ctrl;
    if (threadTuning.takeBack && Atomics.compareExchange(c, CLAIM, this.seq - 1, this.seq) === this.seq - 1) {
      threadCounts.takenBack++;
      this.tuner.met(true);
      return false;
    }
    const t0 = now();
    const early = Atomics.load(c, DONE) !== this.seq;
    const deadline = t0 + threadTuning.timeoutMs;
    try {
      spinUntil(c, DONE, this.seq, () => {
        if (Atomics.load(c, ERROR) === 1) throw new Error(readError(c));
        if (now() > deadline) throw new Error(`no answer for ${threadTuning.timeoutMs / 1000} s`);
      });
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      return false;
    }
    if (Atomics.load(c, ERROR) === 1) {
      this.fail(readError(c));
      return false;
    }
    threadCounts.workerRan++;
    const t1 = now();
    this.tuner.met(early);
    this.tuner.observe(t1 - t0, t1 - this.postedAt);
    return true;
  }

  /** Tasks the worker has finished (its own count, in the control block). */
  ran(): number {
    return Atomics.load(this.ctrl, RAN);
  }

  /** Stops the worker; its memory goes back once it has confirmed (within 1 s). */
  close(): void {
    if (this.closed) return;
    const served = !this.failed && Atomics.load(this.ctrl, READY) === 1;
    this.closed = true;
    if (this.worker === null) return;
    const c = this.ctrl;
    c[TASK] = QUIT;
    Atomics.store(c, POST, ++this.seq);
    Atomics.notify(c, POST);
    if (served && awaitQuit(c, READY, 1000)) {
      release(this.block);
      release(c);
    }
    this.worker.terminate();
  }
}
