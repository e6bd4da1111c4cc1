// The training step's second thread in the play page (src/kernels/rnn-cls-shard.ts): started by
// the training worker (worker.ts) when the page is cross-origin isolated, so that the WASM memory
// can be shared; it runs serveShards on that memory, as src/train/shard-worker-node.ts does on
// Node. Results are the same bits on one thread or two.
import { serveShards } from '../../../src/internal.js';
import type { ShardWorkerInit } from '../../../src/internal.js';

self.onmessage = (e: MessageEvent<ShardWorkerInit>) => {
  self.onmessage = null;
  serveShards(e.data); // returns when the link closes
};
