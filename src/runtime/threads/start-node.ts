// The task worker's starter on Node (worker_threads), installed when this module is imported (the
// package's Node entry, src/index-node.ts, and 'recur/node' do): the float32 recurrent layers then
// use two threads where the machine has two cores (setNumThreads, RECUR_THREADS).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setThreadStarter } from './pool.js';
import type { ThreadStarter } from './pool.js';
import type { TaskWorkerInit } from './protocol.js';

/**
 * Starts workers running worker-node.js; unref'd: a worker never keeps the process alive. Run from
 * the TypeScript sources (vitest) the worker's entry is not compiled, so one thread by default.
 */
export const nodeThreadStarter: ThreadStarter = {
  defaultThreads: import.meta.url.endsWith('.ts') ? 1 : Math.min(2, availableParallelism()),
  spawn(init: TaskWorkerInit, onError: (e: Error) => void) {
    const worker = new Worker(new URL('./worker-node.js', import.meta.url), { workerData: init });
    worker.unref();
    worker.on('error', onError);
    worker.on('exit', (code) => onError(new Error(`the worker exited (code ${code})`))); // ignored after close()
    return { terminate: () => void worker.terminate() };
  },
};

setThreadStarter(nodeThreadStarter);
