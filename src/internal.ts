// The library plus the machinery under it that tools and the play page drive directly: the
// threads' protocols and starters, the split tuner, the phase clock, the SIMD kernel counters. Not part of the public API
// (src/index.ts): names and behaviour here change with the kernels.

// Registers the float32 layers', large products' and Adam's tasks on import: a task worker's entry that imports this module
// (the play page's task-worker.ts) serves them, as worker-node.ts does on Node.
import './kernels/layer32-tasks.js';
import './kernels/gemm32-tasks.js';
import './optim/adam-tasks.js';
export * from './index.js';
export { setThreadStarter, threadCounts } from './runtime/threads/pool.js';
export type { ThreadStarter } from './runtime/threads/pool.js';
export { serveTasks } from './runtime/threads/serve.js';
export type { TaskWorkerInit } from './runtime/threads/protocol.js';
export { SplitTuner } from './kernels/split-tuner.js';
export { PhaseClock } from './kernels/phase-clock.js';
export { kernelCounts } from './runtime/wasm/gemm32.js';
