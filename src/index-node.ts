// recur's package entry on Node (package.json exports "." → "node"): the library core (index.ts,
// the same exports) with the Node starter of the float32 layers' second thread installed, so a
// model written against 'recur' uses two threads where the machine has two cores
// (setNumThreads / RECUR_THREADS). Browsers get index.ts alone: one thread.
import './runtime/threads/start-node.js';

export * from './index.js';
