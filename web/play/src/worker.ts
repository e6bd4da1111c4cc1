// The training worker: runs recur's Trainer in small time slices so a 'stop' message is seen
// within one slice (~SLICE_MS), and posts the logged metrics in batches every ~POST_MS.
// Same loop as the CLI (src/train/run-node.ts): log loss/current_lr/grad_norm every log_every
// steps, accuracy every eval_every steps and once at the end. On a cross-origin-isolated page
// (`recur dashboard` serves /play so) the float32 recurrent layers of any model trained here share
// the work of layers big enough (threadTuning.minWork in src/runtime/threads/pool.ts) with a second
// thread, task-worker.js, as `recur train` does on Node: the same bits as on one thread.
import { NonFiniteOutputError, Trainer, encodeModel, kernelCounts, setThreadStarter, threadCounts } from '../../../src/internal.js';
import type { TaskWorkerInit, ThreadStarter, TrainConfig } from '../../../src/internal.js';
import type { FromWorker, MetricPoint, ToWorker } from './protocol.js';

const SLICE_MS = 12;
const POST_MS = 50;

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(msg: FromWorker, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let stopRequested = false;
let running = false;

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'stop') {
    stopRequested = true;
  } else if (msg.type === 'train') {
    if (running) {
      scope.postMessage({ type: 'error', message: 'already training: stop the current run first' });
      return;
    }
    stopRequested = false;
    running = true;
    train(msg.config)
      .catch((err: unknown) => scope.postMessage({ type: 'error', message: (err as Error)?.message ?? String(err) }))
      .finally(() => { running = false; });
  }
};

/** Lets queued messages (a 'stop') run: a MessageChannel round trip, not clamped like setTimeout. */
const channel = new MessageChannel();
const waiting: Array<() => void> = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

/**
 * Starts the task worker (task-worker.js, a module Web Worker) on the WASM memory this worker
 * shares with it. The pool (src/runtime/threads/pool.ts) starts it with the first layer big enough
 * to share, runs that layer's work here alone until it has loaded, and drops it with one warning
 * (the layers then run on one thread, with the same results) if it fails to load, fails a task or
 * stops answering.
 */
const browserThreadStarter: ThreadStarter = {
  defaultThreads: 2,
  spawn(init: TaskWorkerInit, onError: (e: Error) => void) {
    const w = new Worker(new URL('./task-worker.js', import.meta.url), { type: 'module' });
    w.onerror = (e) => {
      e.preventDefault(); // reported once, by the pool's warning
      onError(new Error(`the task worker failed: ${e.message || 'it could not be loaded'}`));
    };
    w.postMessage(init);
    return { terminate: () => w.terminate() };
  },
};

// The memory can be shared only on a cross-origin-isolated page (SharedArrayBuffer); with one core a
// second thread only takes time from this one. Installed once, for all the runs of this worker.
const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
if (isolated && (navigator.hardwareConcurrency ?? 1) >= 2) setThreadStarter(browserThreadStarter);

function modelBytes(trainer: Trainer): Uint8Array {
  return encodeModel(trainer.model, { step: trainer.step, config: trainer.config });
}

async function train(config: TrainConfig): Promise<void> {
  const postedBefore = threadCounts.posted;
  const simdBefore = kernelCounts.gemm32 + kernelCounts.cells32;
  const trainer = new Trainer(config);
  scope.postMessage({ type: 'started', params: trainer.model.numParameters(), config });
  const t0 = performance.now();
  let pending: MetricPoint[] = [];
  let lastPost = t0;
  // steps/s over a sliding window of (time, step) marks, ~1 s long.
  const marks: Array<[number, number]> = [[t0, 0]];
  const rate = (now: number): number => {
    while (marks.length > 2 && now - marks[1][0] > 1000) marks.shift();
    const [t, s] = marks[0];
    return now > t ? ((trainer.step - s) * 1000) / (now - t) : 0;
  };
  const flush = (now: number): void => {
    marks.push([now, trainer.step]);
    scope.postMessage({ type: 'metrics', points: pending, step: trainer.step, stepsPerSec: rate(now), elapsedMs: now - t0 });
    pending = [];
    lastPost = now;
  };
  let status = 'finished' as 'finished' | 'stopped' | 'failed';
  let message: string | undefined;
  // False when the model's output is no longer finite: the run then fails, as with a NaN loss.
  const evaluate = (): boolean => {
    let accuracy: number;
    try {
      accuracy = trainer.evaluate();
    } catch (e) {
      if (!(e instanceof NonFiniteOutputError)) throw e;
      status = 'failed';
      message = `the weights became unusable at step ${trainer.step} (the model's output is ${e.value}); try a lower lr or clip_grad_norm`;
      return false;
    }
    pending.push({ step: trainer.step, accuracy });
    const model = modelBytes(trainer);
    scope.postMessage({ type: 'snapshot', step: trainer.step, model }, [model.buffer]);
    return true;
  };

  outer: while (trainer.step < config.total_steps) {
    const sliceEnd = performance.now() + SLICE_MS;
    do {
      const r = trainer.trainStep();
      if (!Number.isFinite(r.loss)) {
        status = 'failed';
        message = `loss became ${r.loss} at step ${r.step}; try a lower lr or clip_grad_norm`;
        break outer;
      }
      if (r.step % config.log_every === 0) {
        pending.push({ step: r.step, loss: r.loss, current_lr: r.lr, grad_norm: r.gradNorm });
      }
      if (r.step % config.eval_every === 0 && r.step !== config.total_steps && !evaluate()) break outer;
    } while (trainer.step < config.total_steps && performance.now() < sliceEnd);
    const now = performance.now();
    if (now - lastPost >= POST_MS) flush(now);
    await yieldToEvents();
    if (stopRequested) {
      status = 'stopped';
      break;
    }
  }
  if (status === 'finished') {
    try {
      pending.push({ step: trainer.step, accuracy: trainer.evaluate() });
    } catch (e) {
      if (!(e instanceof NonFiniteOutputError)) throw e;
      status = 'failed';
      message = `the weights became unusable at step ${trainer.step} (the model's output is ${e.value}); try a lower lr or clip_grad_norm`;
    }
  }
  const now = performance.now();
  flush(now);
  const model = modelBytes(trainer);
  // 2 once work of this run was posted to the second thread (as `recur train` reports it)
  const threads = threadCounts.posted > postedBefore ? 2 : 1;
  // calls of the WASM SIMD products and cells on this thread (the task worker's are not counted)
  const simdCalls = kernelCounts.gemm32 + kernelCounts.cells32 - simdBefore;
  scope.postMessage(
    { type: 'done', status, step: trainer.step, model, message, stepsPerSec: (trainer.step * 1000) / Math.max(1, now - t0), elapsedMs: now - t0, threads, simdCalls },
    [model.buffer],
  );
}
