// A second thread for RnnClsNetKernel's training step: both cores work on one step where the step
// is big enough to pay for the hand-off.
//
// The step's sorted sequences are split at s (about half the packed rows each; SplitTuner): this
// thread runs the layers' forward, the head and loss rows and the backward walks for [0, s), the
// other for [s, B), both on the same workspaces in the shared WASM memory. Every row's arithmetic
// is independent of the other rows (packed-layer.ts, `seqs`), so the split changes no bit. The only
// sums over all rows — the weight-gradient products — run after both walks meet, each product
// whole on whichever thread claims it from a shared counter, so they too keep the one-thread order.
// The loss sum, the bias and embedding gradients stay on this thread; a big flat Adam update is
// split between the two afterwards (AdamHelper: elementwise).
//
// Protocol: a control block of Int32 in the shared memory. This thread writes the batch (T, B, s,
// rows, batchSizes) and, when the workspaces were reallocated or the kernel changed, the table of
// every buffer (kind, byte address, length); then bumps POST. The worker spins briefly, then
// sleeps (Atomics.wait), on POST; it runs the command and stores DONE. Both spin on the MEET
// words between the walks and the products (src/runtime/threads/spin.ts: how they spin). Spinning, not sleeping, while a step is in flight:
// a wake-up costs tens of µs, a sota step half a millisecond.
//
// Two implementations of ShardLink, one test suite (test/rnn-cls-shard.test.ts): ThreadShardLink
// (a real second thread; the platform starts it: src/train/shard-thread-node.ts) and
// InThreadShardLink (runs the other half on this thread: the split's arithmetic without a thread).
import { adoptMemory, release, reserveBlock, sharedWasmMemory, viewOf, wasmAdam } from './gemm-wasm.js';
import type { AdamHelper } from '../optim/adam-kernel.js';
import { SplitTuner } from './split-tuner.js';
import { awaitQuit, now, spinUntil, storeWake, waitForPost } from '../runtime/threads/spin.js';
import { RnnClsNetKernel } from './rnn-cls-net.js';
import type { ClsNetDims } from './rnn-cls-net.js';
import type { CellMode } from './packed-layer.js';

/** The other half of a step's work (see the top of this file), and of the flat Adam update after it. */
export interface ShardLink extends AdamHelper {
  /** The split of the last post: sorted sequences [0, split) here, [split, B) there. */
  readonly split: number;
  /** The share of a step's rows this thread should take (the link tunes it so both finish together). */
  readonly share: number;
  /** Multiply-adds of a step below which the step runs on this thread alone (the link would cost more). */
  readonly minWork: number;
  /** Whether posts are served now (a thread may still be starting: the step then runs alone, same bits). */
  ready(): boolean;
  /** Whether this kernel's step fits the link (its buffers in shared memory, its batch in the control block). */
  canServe(kernel: RnnClsNetKernel): boolean;
  /**
   * Starts the other half of a training step: sequenceRows for [split, B), then (after meet) the
   * weight-gradient items it claims — the head weight's gradient goes to `gradFcW`.
   */
  post(kernel: RnnClsNetKernel, split: number, noise: Float32Array | null, targets: ArrayLike<number>, gradFcW: Float32Array): void;
  /** This side's sequences are done; returns when the other side's are. */
  meet(): void;
  /** After meet: the index of the next weight-gradient item for this thread (RnnClsNetKernel.weightGrads). */
  readonly claim: () => number;
  /** Returns when the other half of the posted command is done (throws what it threw). */
  waitDone(): void;
  /** Stops the other side (a closed link is never ready). */
  close(): void;
}

/** Runs the other half on this thread, at the points a thread would: the split without the thread. */
export class InThreadShardLink implements ShardLink {
  split = 0;
  private kernel: RnnClsNetKernel | null = null;
  private gradFcW: Float32Array | null = null;
  private closed = false;

  readonly minWork = 0;

  /** `share`: this side's share of the rows (fixed here). */
  constructor(readonly share = 0.5) {}

  ready(): boolean {
    return !this.closed;
  }

  canServe(): boolean {
    return true;
  }

  post(kernel: RnnClsNetKernel, split: number, noise: Float32Array | null, targets: ArrayLike<number>, gradFcW: Float32Array): void {
    this.split = split;
    this.kernel = kernel;
    this.gradFcW = gradFcW;
    kernel.sequenceRows(noise, targets, { lo: split, hi: kernel.batch.B });
  }

  private next = 0;
  /** Here the other side claims every item at meet(), this side none after. */
  readonly claim = (): number => this.next++;

  meet(): void {
    this.next = 0;
    this.kernel!.weightGrads(this.claim, this.gradFcW!);
  }

  startAdam(p: number, g: number, m: number, v: number, n: number, sc: Float32Array, flags: number): boolean {
    const adam = wasmAdam();
    if (this.closed || adam === null) return false;
    adam(p, g, m, v, n, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], flags);
    return true;
  }

  waitDone(): void {}

  close(): void {
    this.closed = true;
  }
}

// Control block: Int32 words.
const POST = 0; // sequence number of the last command posted
const CMD = 1; // 1 step, 2 Adam, 3 quit
const DONE = 2; // sequence number of the last command finished
const WMEET = 3; // worker's walks done (sequence number)
const MMEET = 4; // this side's walks done
const READY = 5; // 1 once the worker serves, 2 once it has quit
const ERROR = 6; // 1 after the worker threw (message at ERRMSG)
const GEN = 7; // buffer-table generation
const T_ = 8;
const B_ = 9;
const SPLIT = 10;
const ROWS = 11;
const PHASES_ON = 12; // 1: the worker adds its phase times at PHASE_MS
const NOISE = 13; // byte address of the noise (0: none)
const NOISE_LEN = 14;
const GRAD_FCW = 15; // byte address of the head weight's gradient [classes, hidden]
const NEXT = 16; // the next weight-gradient item to hand out (Atomics.add by both threads)
const DIMS = 17; // mode, vocab, embed, hidden, layers, classes, padIdx
const BS = 32; // batchSizes [T]
const MAX_T = 2048;
const MAX_B = 8192;
const ORDER = BS + MAX_T; // sorted position → batch index [B]
const TARGETS = ORDER + MAX_B; // [B]
const TABLE = TARGETS + MAX_B; // count, then (kind, byte address, length) per buffer
const MAX_BUFFERS = 2000;
const ERRMSG = TABLE + 1 + 3 * MAX_BUFFERS; // length, then UTF-16 code units
const ERRMSG_MAX = 1000;
const ADAM_ARGS = ERRMSG + 1 + ERRMSG_MAX; // p, g, m, v, n, flags, then the 9 float32 scalars
const PHASE_MS = (ADAM_ARGS + 6 + 9 + 1) & ~1; // float64 [WORKER_PHASES.length]: ms per phase
/** The worker's phases, as bench:profile --phases prints them. */
export const WORKER_PHASES = [
  'kernel: sequences (forward, head, backward walk)',
  "kernel: wait for the main thread's sequences",
  'kernel: weight-gradient products',
  'adam (its half)',
  'idle: waiting for a post',
] as const;
const CTRL_INTS = PHASE_MS + 2 * WORKER_PHASES.length;

const MODES: CellMode[] = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'];
const STEP = 1;
const ADAM = 2;
const QUIT = 3;

/** What a worker needs to serve: the shared memory, its control block and the block it allocates from. */
export interface ShardWorkerInit {
  memory: WebAssembly.Memory;
  /** Byte address of the control block. */
  ctrl: number;
  /** Byte range of the memory the worker's own scratch is allocated from. */
  arenaStart: number;
  arenaEnd: number;
}

/** Starts a worker that calls serveShards(init) (platform code: Node's worker_threads, a Web Worker). */
export type SpawnShardWorker = (init: ShardWorkerInit) => { terminate(): void };

/** How long this thread waits for the other half before calling it lost. */
const TIMEOUT_MS = 120_000;

/** A second thread sharing the WASM memory (see the top of this file). */
export class ThreadShardLink implements ShardLink {
  split = 0;
  /** Steps split with the worker so far (a caller running several trainings on one link counts its own). */
  splitSteps = 0;
  readonly claim = (): number => Atomics.add(this.ctrl, NEXT, 1);
  readonly tuner = new SplitTuner();
  /**
   * Measured (windows alternating one and two threads): ×1.07 for `baseline` (0.07 M multiply-adds
   * a step), ×1.23 for `large_batch` (0.28 M), ×1.54 for `sota` (3.7 M). Below 0.15 M a step keeps
   * to one core.
   */
  minWork = 150_000;
  private seq = 0;
  private gen = 0;
  private bound: RnnClsNetKernel | null = null;
  private boundLayout = -1;
  private failed: string | null = null;
  private closed = false;

  private ctrl = new Int32Array(CTRL_INTS); // replaced by the shared control block when the worker starts
  private worker: { terminate(): void } | null = null;
  private block: Uint8Array | null = null; // the worker's scratch block
  private adamScalars: Float32Array | null = null; // the Adam command's float32 arguments in the control block
  private stepAt = 0; // when the current step was posted
  private stepSeq = -1; // its sequence number
  private waited = 0; // ms this thread has spun in it so far
  private phasesOn = false;

  private constructor(private readonly spawn: SpawnShardWorker, private readonly scratchBytes: number, private readonly timeoutMs: number) {}

  /**
   * A link whose worker starts when a step first asks for it (so a run whose steps are all too
   * small never starts one); null when the WASM memory cannot be shared here (no
   * SharedArrayBuffer, no SIMD, RECUR_NO_WASM). The worker allocates its scratch from a block of
   * `scratchBytes` (at most a quarter of the memory, the default) reserved for it; untouched
   * pages of it cost no resident memory.
   */
  static start(spawn: SpawnShardWorker, scratchBytes = Infinity, timeoutMs = TIMEOUT_MS): ThreadShardLink | null {
    return sharedWasmMemory() === null ? null : new ThreadShardLink(spawn, scratchBytes, timeoutMs);
  }

  /** Reserves the control block and the worker's block in the shared memory and spawns the worker. */
  private launch(): void {
    const memory = sharedWasmMemory()!;
    const ctrlAt = reserveBlock(CTRL_INTS * 4);
    const size = Math.min(this.scratchBytes, Math.floor(memory.buffer.byteLength / 4));
    const arenaStart = ctrlAt < 0 ? -1 : reserveBlock(size);
    if (arenaStart < 0) {
      this.failed = 'the WASM memory is full';
      return;
    }
    this.ctrl = new Int32Array(memory.buffer, ctrlAt, CTRL_INTS);
    this.adamScalars = new Float32Array(memory.buffer, ctrlAt + 4 * (ADAM_ARGS + 6), 9);
    this.block = new Uint8Array(memory.buffer, arenaStart, size);
    this.ctrl[PHASES_ON] = this.phasesOn ? 1 : 0;
    this.worker = this.spawn({ memory, ctrl: ctrlAt, arenaStart, arenaEnd: arenaStart + size });
  }

  /**
   * Whether the worker times its phases (bench:profile --phases): workerPhases() then gives ms per
   * phase since this was turned on. Off, it costs the worker one load per phase.
   */
  timePhases(on: boolean): void {
    this.phasesOn = on;
    if (this.worker === null) return;
    if (on) new Float64Array(this.ctrl.buffer, this.ctrl.byteOffset + 4 * PHASE_MS, WORKER_PHASES.length).fill(0);
    Atomics.store(this.ctrl, PHASES_ON, on ? 1 : 0);
  }

  /** The worker's ms per phase (WORKER_PHASES) while timePhases was on; null before it started. */
  workerPhases(): Map<string, number> | null {
    if (this.worker === null) return null;
    const ms = new Float64Array(this.ctrl.buffer, this.ctrl.byteOffset + 4 * PHASE_MS, WORKER_PHASES.length);
    return new Map(WORKER_PHASES.map((name, i) => [name, ms[i]]));
  }

  /** The share of a step's rows this thread takes (SplitTuner). */
  get share(): number {
    return this.tuner.share;
  }

  ready(): boolean {
    if (this.failed !== null || this.closed) return false;
    if (this.worker === null) {
      this.launch();
      return false;
    }
    if (Atomics.load(this.ctrl, ERROR) === 1) {
      this.failed = readError(this.ctrl);
      return false;
    }
    return Atomics.load(this.ctrl, READY) === 1 && this.tuner.useWorker();
  }

  canServe(kernel: RnnClsNetKernel): boolean {
    if (kernel.batch.bs.length > MAX_T || kernel.batch.B > MAX_B) return false;
    if (kernel !== this.bound || kernel.layoutVersion !== this.boundLayout) return tableOf(kernel) !== null;
    return true;
  }

  post(kernel: RnnClsNetKernel, split: number, noise: Float32Array | null, targets: ArrayLike<number>, gradFcW: Float32Array): void {
    const c = this.ctrl;
    if (kernel !== this.bound || kernel.layoutVersion !== this.boundLayout) {
      const table = tableOf(kernel);
      if (table === null) throw new Error('ThreadShardLink: the kernel cannot be shared (canServe was false)');
      const d = kernel.dims;
      c.set([MODES.indexOf(d.mode), d.vocab, d.embed, d.hidden, d.layers, d.classes, d.padIdx], DIMS);
      c[TABLE] = table.length / 3;
      c.set(table, TABLE + 1);
      c[GEN] = ++this.gen;
      this.bound = kernel;
      this.boundLayout = kernel.layoutVersion;
    }
    const { B, bs, rows, order } = kernel.batch;
    c[T_] = bs.length;
    c[B_] = B;
    c[SPLIT] = split;
    c[ROWS] = rows;
    c[NOISE] = noise !== null ? noise.byteOffset : 0;
    c[NOISE_LEN] = noise !== null ? noise.length : 0;
    c.set(bs, BS);
    c.set(order, ORDER);
    if (!(gradFcW.buffer instanceof SharedArrayBuffer)) throw new Error('ThreadShardLink: the gradient is not in shared memory');
    c[GRAD_FCW] = gradFcW.byteOffset;
    for (let b = 0; b < B; b++) c[TARGETS + b] = targets[b];
    c[NEXT] = 0;
    c[CMD] = STEP;
    this.split = split;
    this.splitSteps++;
    this.stepAt = now();
    this.waited = 0;
    this.stepSeq = this.seq + 1;
    Atomics.store(c, POST, ++this.seq); // publishes the writes above
    Atomics.notify(c, POST);
  }

  meet(): void {
    storeWake(this.ctrl, MMEET, this.seq);
    this.tuner.met(Atomics.load(this.ctrl, WMEET) !== this.seq);
    this.await(WMEET);
  }

  waitDone(): void {
    this.await(DONE);
    if (this.seq === this.stepSeq) this.tuner.observe(this.waited, now() - this.stepAt); // a step (not an Adam half)
  }

  private await(word: number): void {
    if (Atomics.load(this.ctrl, word) === this.seq) return;
    const t0 = now();
    const deadline = t0 + this.timeoutMs;
    spinUntil(this.ctrl, word, this.seq, () => {
      if (Atomics.load(this.ctrl, ERROR) === 1) {
        this.failed = readError(this.ctrl);
        throw new Error(`the training step's worker thread failed: ${this.failed}`);
      }
      if (now() > deadline) {
        this.failed = 'no answer';
        throw new Error(`the training step's worker thread has not answered for ${this.timeoutMs / 1000} s`);
      }
    });
    this.waited += now() - t0;
  }

  /**
   * Stops the worker. Its memory blocks go back to the allocator once it has confirmed (within
   * 5 s: a loaded machine may be slow to wake it); a worker that does not (hung, or in a failed
   * step) keeps them.
   */
  startAdam(p: number, g: number, m: number, v: number, n: number, sc: Float32Array, flags: number): boolean {
    // Only while the worker serves steps (not when it rests: then its core is busy elsewhere).
    if (this.worker === null || this.failed !== null || this.closed || this.tuner.resting || Atomics.load(this.ctrl, READY) !== 1) return false;
    const c = this.ctrl;
    const a = ADAM_ARGS;
    c[a] = p; c[a + 1] = g; c[a + 2] = m; c[a + 3] = v; c[a + 4] = n; c[a + 5] = flags;
    this.adamScalars!.set(sc);
    c[CMD] = ADAM;
    Atomics.store(c, POST, ++this.seq);
    Atomics.notify(c, POST);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.worker === null) return;
    const c = this.ctrl;
    const served = Atomics.load(c, READY) === 1;
    c[CMD] = QUIT;
    Atomics.store(c, POST, ++this.seq);
    Atomics.notify(c, POST);
    if (served && this.failed === null && awaitQuit(c, READY, 5000)) {
      release(this.block);
      release(c);
    }
    this.worker.terminate();
  }
}

/** The kernel's buffers as (kind 1 f32 / 2 f64 / 0 none, byte address, length) triples, or null if one is outside shared memory. */
function tableOf(kernel: RnnClsNetKernel): Int32Array | null {
  const bufs = kernel.shardBuffers();
  if (bufs.length > MAX_BUFFERS) return null;
  const memory = sharedWasmMemory();
  if (memory === null) return null;
  const out = new Int32Array(3 * bufs.length);
  for (let i = 0; i < bufs.length; i++) {
    const a = bufs[i];
    if (a === null) continue;
    if (!(a.buffer instanceof SharedArrayBuffer)) return null;
    out[3 * i] = a instanceof Float32Array ? 1 : 2;
    out[3 * i + 1] = a.byteOffset;
    out[3 * i + 2] = a.length;
  }
  return out;
}

function readError(ctrl: Int32Array): string {
  const n = Math.min(ctrl[ERRMSG], ERRMSG_MAX);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(ctrl[ERRMSG + 1 + i]);
  return s;
}

function writeError(ctrl: Int32Array, e: unknown): void {
  const msg = (e instanceof Error ? e.stack ?? e.message : String(e)).slice(0, ERRMSG_MAX);
  ctrl[ERRMSG] = msg.length;
  for (let i = 0; i < msg.length; i++) ctrl[ERRMSG + 1 + i] = msg.charCodeAt(i);
  Atomics.store(ctrl, ERROR, 1);
}

/**
 * The worker's loop (never returns until told to quit): serves the commands posted to the control
 * block at `init.ctrl`, running the same kernel code on the shared workspaces.
 */
export function serveShards(init: ShardWorkerInit): void {
  const ctrl = new Int32Array(init.memory.buffer, init.ctrl, CTRL_INTS);
  if (!adoptMemory(init.memory, init.arenaStart, init.arenaEnd)) {
    writeError(ctrl, new Error('the WASM kernels could not be instantiated in the worker'));
    return;
  }
  Atomics.store(ctrl, READY, 1);
  let seen = Atomics.load(ctrl, POST);
  let gen = -1;
  let kernel: RnnClsNetKernel | null = null;
  const views = new ViewCache();
  const claim = (): number => Atomics.add(ctrl, NEXT, 1);
  const adamScalars = new Float32Array(init.memory.buffer, init.ctrl + 4 * (ADAM_ARGS + 6), 9);
  const phaseMs = new Float64Array(init.memory.buffer, init.ctrl + 4 * PHASE_MS, WORKER_PHASES.length);
  let t = -1; // the last lap's time; -1 while timing is off
  /** The time since the last lap goes to phase i (WORKER_PHASES) while timing is on. */
  const lap = (i: number): void => {
    if (ctrl[PHASES_ON] === 0) {
      t = -1;
      return;
    }
    const n = now();
    if (t >= 0) phaseMs[i] += n - t; // (the first lap after turning on only starts the clock)
    t = n;
  };
  for (;;) {
    // Wait for the next post: spin a little (the next step is usually microseconds away), then sleep.
    seen = waitForPost(ctrl, POST, seen);
    lap(4);
    const cmd = ctrl[CMD];
    if (cmd === QUIT) {
      Atomics.store(ctrl, READY, 2); // nothing of the shared memory is touched after this
      return;
    }
    if (cmd === ADAM) {
      const a = ADAM_ARGS;
      const sc = adamScalars;
      const adam = wasmAdam();
      if (adam !== null) adam(ctrl[a], ctrl[a + 1], ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], ctrl[a + 5]);
      else writeError(ctrl, new Error('the worker has no Adam kernel'));
      lap(3);
      storeWake(ctrl, DONE, seen);
      continue;
    }
    try {
      if (ctrl[GEN] !== gen) {
        kernel = kernelFromTable(ctrl);
        gen = ctrl[GEN];
      }
      const k = kernel!;
      const B = ctrl[B_];
      k.setBatch(B, ctrl.subarray(BS, BS + ctrl[T_]), ctrl[ROWS], ctrl.subarray(ORDER, ORDER + B));
      const noise = ctrl[NOISE] === 0 ? null : views.get(ctrl[NOISE], ctrl[NOISE_LEN]);
      k.sequenceRows(noise, ctrl.subarray(TARGETS, TARGETS + B), { lo: ctrl[SPLIT], hi: B });
      lap(0);
      storeWake(ctrl, WMEET, seen);
      const deadline = now() + TIMEOUT_MS;
      spinUntil(ctrl, MMEET, seen, () => {
        if (now() > deadline) throw new Error(`the main thread did not finish its sequences within ${TIMEOUT_MS / 1000} s`);
      });
      lap(1);
      k.weightGrads(claim, views.get(ctrl[GRAD_FCW], k.dims.classes * k.dims.hidden));
      lap(2);
    } catch (e) {
      writeError(ctrl, e);
    }
    storeWake(ctrl, DONE, seen);
  }
}

/** float32 views of the shared memory by (address, length), made once: a step allocates nothing. */
class ViewCache {
  private readonly map = new Map<number, Float32Array>();
  get(at: number, n: number): Float32Array {
    const v = this.map.get(at);
    if (v !== undefined && v.length === n) return v;
    if (this.map.size > 64) this.map.clear();
    const made = viewOf(1, at, n) as Float32Array;
    this.map.set(at, made);
    return made;
  }
}

function kernelFromTable(ctrl: Int32Array): RnnClsNetKernel {
  const d = ctrl.subarray(DIMS, DIMS + 7);
  const dims: ClsNetDims = { mode: MODES[d[0]], vocab: d[1], embed: d[2], hidden: d[3], layers: d[4], classes: d[5], padIdx: d[6] };
  const count = ctrl[TABLE];
  const bufs: (Float32Array | Float64Array | null)[] = [];
  for (let i = 0; i < count; i++) {
    const o = TABLE + 1 + 3 * i;
    bufs.push(ctrl[o] === 0 ? null : viewOf(ctrl[o] as 1 | 2, ctrl[o + 1], ctrl[o + 2]));
  }
  return RnnClsNetKernel.fromShardBuffers(dims, bufs);
}
