// Entry of the task worker on Node (started by start-node.ts): the modules that register tasks,
// then the serving loop on the main thread's shared memory.
import { workerData } from 'node:worker_threads';
import '../../kernels/layer32-tasks.js';
import '../../kernels/gemm32-tasks.js';
import '../../optim/adam-tasks.js';
import { serveTasks } from './serve.js';
import type { TaskWorkerInit } from './protocol.js';

serveTasks(workerData as TaskWorkerInit);
