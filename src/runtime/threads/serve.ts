// The task worker's loop (a worker thread's entry calls serveTasks; Node: worker-node.ts): it runs
// the WASM kernels on the main thread's shared memory and serves the tasks posted to its control
// block (protocol.ts) until told to quit.
import { adoptMemory } from '../../kernels/gemm-wasm.js';
import { ARGS, CLAIM, CTRL_INTS, DONE, NARGS, POST, QUIT, RAN, READY, TASK, writeError } from './protocol.js';
import type { TaskWorkerInit } from './protocol.js';
import { storeWake, waitForPost } from './spin.js';
import { taskFn } from './tasks.js';

/**
 * Serves tasks (never returns until told to quit or a task fails). A failure is written to the
 * control block (ERROR and its message) before DONE, and ends the loop: the posting thread then
 * runs everything itself.
 */
export function serveTasks(init: TaskWorkerInit): void {
  const ctrl = new Int32Array(init.memory.buffer, init.ctrl, CTRL_INTS);
  let seen = Atomics.load(ctrl, POST);
  try {
    if (!adoptMemory(init.memory, init.arenaStart, init.arenaEnd)) throw new Error('the WASM kernels could not be instantiated in the worker');
    Atomics.store(ctrl, READY, 1);
    for (;;) {
      seen = waitForPost(ctrl, POST, seen);
      const id = ctrl[TASK];
      if (id === QUIT) {
        Atomics.store(ctrl, READY, 2); // nothing of the shared memory is touched after this
        return;
      }
      if (Atomics.compareExchange(ctrl, CLAIM, seen - 1, seen) !== seen - 1) { // the poster took it
        storeWake(ctrl, DONE, seen);
        continue;
      }
      const fn = taskFn(id);
      if (fn === undefined) throw new Error(`the worker has no task ${id}`);
      fn(ctrl.subarray(ARGS, ARGS + ctrl[NARGS]));
      Atomics.add(ctrl, RAN, 1);
      storeWake(ctrl, DONE, seen);
    }
  } catch (e) {
    writeError(ctrl, e);
    storeWake(ctrl, DONE, seen);
  }
}
