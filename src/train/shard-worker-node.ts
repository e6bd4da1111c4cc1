// Entry of the training step's second thread (started by shard-thread-node.ts).
import { workerData } from 'node:worker_threads';
import { serveShards } from '../kernels/rnn-cls-shard.js';
import type { ShardWorkerInit } from '../kernels/rnn-cls-shard.js';

serveShards(workerData as ShardWorkerInit);
