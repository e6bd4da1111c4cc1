// The training step's second thread on Node: a worker_threads Worker running serveShards on the
// shared WASM memory (src/kernels/rnn-cls-shard.ts). Results are bit-identical with or without it.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { ThreadShardLink } from '../kernels/rnn-cls-shard.js';
import type { ShardWorkerInit } from '../kernels/rnn-cls-shard.js';

/** Threads a training run uses by default: 2 where the machine has two cores or more. */
export function defaultThreads(): number {
  return Math.min(2, availableParallelism());
}

/**
 * Starts the second thread, or returns null where the WASM memory cannot be shared (RECUR_NO_WASM=1,
 * no SIMD). It serves once it has loaded (a few tens of ms); steps before that run on one thread.
 * `onError`: told if the worker dies (the steps then stay on one thread).
 */
export function startShardThread(onError: (e: Error) => void = () => {}): ThreadShardLink | null {
  return ThreadShardLink.start((init: ShardWorkerInit) => {
    const worker = new Worker(new URL('./shard-worker-node.js', import.meta.url), { workerData: init });
    worker.unref(); // never keeps the process alive
    worker.on('error', onError);
    return { terminate: () => void worker.terminate() };
  });
}
