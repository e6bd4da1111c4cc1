// The second thread of the play page's training worker (worker.ts starts it through the pool of
// src/runtime/threads/pool.ts when the page is cross-origin isolated): it serves the float32
// recurrent layers' and large products' tasks on the training worker's shared WASM memory, as
// src/runtime/threads/worker-node.ts does on Node. Results are the same bits on one thread or two.
// src/internal.ts imports the modules that register the tasks (src/kernels/layer32-tasks.ts,
// gemm32-tasks.ts), so
// this worker knows the same task ids as the one posting them.
import { serveTasks } from '../../../src/internal.js';
import type { TaskWorkerInit } from '../../../src/internal.js';

self.onmessage = (e: MessageEvent<TaskWorkerInit>) => {
  self.onmessage = null;
  serveTasks(e.data); // returns when the pool closes the link (or a task fails)
};
