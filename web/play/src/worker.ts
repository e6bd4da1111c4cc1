// The training worker: runs recur's Trainer in small time slices so a 'stop' message is seen
// within one slice (~SLICE_MS), and posts the logged metrics in batches every ~POST_MS.
// Same loop as the CLI (src/train/run-node.ts): log loss/current_lr/grad_norm every log_every
// steps, accuracy every eval_every steps and once at the end. On a cross-origin-isolated page
// (`recur dashboard` serves /play so) a run whose steps are big enough splits each step with a
// second thread, shard-worker.js, as `recur train` does on Node: the same bits, faster.
import { NonFiniteOutputError, ThreadShardLink, Trainer, encodeModel } from '../../../src/internal.js';
import type { ShardWorkerInit, TrainConfig } from '../../../src/internal.js';
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
 * The second training thread, or null where the WASM memory cannot be shared (the page is not
 * cross-origin isolated: no SharedArrayBuffer) or there is one core. One for all the runs of this
 * worker, as one `recur train` process has one (each link reserves a block of the memory). Its
 * worker starts with the first step big enough to split (ThreadShardLink.minWork); until it has
 * loaded, and for small models, steps run here alone.
 */
let shardLink: ThreadShardLink | null | undefined;
function sharedLink(): ThreadShardLink | null {
  shardLink ??= startShardLink();
  return shardLink;
}

function startShardLink(): ThreadShardLink | null {
  const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated || (navigator.hardwareConcurrency ?? 1) < 2) return null;
  return ThreadShardLink.start((init: ShardWorkerInit) => {
    const w = new Worker(new URL('./shard-worker.js', import.meta.url), { type: 'module' });
    w.postMessage(init);
    return { terminate: () => w.terminate() };
  });
}

function modelBytes(trainer: Trainer): Uint8Array {
  return encodeModel(trainer.model, { step: trainer.step, config: trainer.config });
}

async function train(config: TrainConfig): Promise<void> {
  const link = sharedLink();
  const splitBefore = link?.splitSteps ?? 0;
  const trainer = new Trainer(config, { shardLink: link });
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
  // 2 once a step of this run was split between the threads (as `recur train` reports it)
  const threads = link !== null && link.splitSteps > splitBefore ? 2 : 1;
  scope.postMessage(
    { type: 'done', status, step: trainer.step, model, message, stepsPerSec: (trainer.step * 1000) / Math.max(1, now - t0), elapsedMs: now - t0, threads },
    [model.buffer],
  );
}
