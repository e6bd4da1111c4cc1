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
    const worker = new Worker(new URL('./worker-node.js', import.meta.url), { workerData: init, execArgv: workerExecArgv(process.execArgv) });
    worker.unref();
    worker.on('error', onError);
    worker.on('exit', (code) => onError(new Error(`the worker exited (code ${code})`))); // ignored after close()
    return { terminate: () => void worker.terminate() };
  },
};

/**
 * The worker's Node options: the process's own (so `--cpu-prof` profiles it too), except the ones
 * that only make sense for the main script. A worker given `--input-type` (as `node
 * --input-type=module` passes on, for a script on stdin or in `-e`) refuses to start; undefined
 * (inherit) when there is none.
 */
export function workerExecArgv(argv: readonly string[]): string[] | undefined {
  if (!argv.some((a) => a.startsWith('--input-type'))) return undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--input-type') i++; // its value follows
    else if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') i++; // the main script's code
    else if (!a.startsWith('--input-type=') && !a.startsWith('--eval=') && !a.startsWith('--print=')) out.push(a);
  }
  return out;
}

setThreadStarter(nodeThreadStarter);
