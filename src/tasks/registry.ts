// Tasks are looked up by name, so a second task can be added without touching the trainer.
import type { IntRng } from '../data/rng.js';
import type { Batch, Sample } from './seq-sum-mod.js';
import { SeqSumModDataset, collateSeqSumMod, checkSeqSumModOptions } from './seq-sum-mod.js';

export interface TaskConfig {
  min_seq_len: number;
  max_seq_len: number;
  max_number: number;
}

export interface Task {
  name: string;
  description: string;
  /** Embedding rows, including the padding row (the last one). */
  vocabSize(cfg: TaskConfig): number;
  numClasses(cfg: TaskConfig): number;
  padIndex(cfg: TaskConfig): number;
  validate(cfg: TaskConfig): void;
  /** An infinite sample stream, or a fixed number of samples with lengths in [minLen, maxLen]. */
  stream(cfg: TaskConfig, rng: IntRng, opts?: { minLen?: number; maxLen?: number }): { next(): Sample };
  collate(samples: Sample[], cfg: TaskConfig): Batch;
  /** Token ids of ONE sequence exactly as collate lays out its row when it is alone in a batch
   *  (no padding); lets predict skip building a batch. Optional: without it predict collates. */
  encodeOne?(seq: number[], cfg: TaskConfig): ArrayLike<number>;
  /** The right answer for a user-given sequence (for predict). */
  answer(seq: number[], cfg: TaskConfig): number;
}

export const seqSumMod: Task = {
  name: 'seq-sum-mod',
  description: 'sum of a digit sequence modulo (max_number + 1)',
  vocabSize: (c) => c.max_number + 2,
  numClasses: (c) => c.max_number + 1,
  padIndex: (c) => c.max_number + 1,
  validate: (c) => checkSeqSumModOptions(c.min_seq_len, c.max_seq_len, c.max_number),
  stream: (c, rng, o = {}) =>
    new SeqSumModDataset(rng, { minSeqLen: o.minLen ?? c.min_seq_len, maxSeqLen: o.maxLen ?? c.max_seq_len, maxNumber: c.max_number }),
  collate: (samples, c) => collateSeqSumMod(samples, c.max_number + 1),
  encodeOne: (seq) => seq,
  answer: (seq, c) => seq.reduce((a, b) => a + b, 0) % (c.max_number + 1),
};

const tasks = new Map<string, Task>([[seqSumMod.name, seqSumMod]]);

export function registerTask(task: Task): void {
  tasks.set(task.name, task);
}

export function getTask(name: string): Task {
  const t = tasks.get(name);
  if (!t) throw new Error(`unknown task '${name}' (known: ${[...tasks.keys()].join(', ')})`);
  return t;
}

export function taskNames(): string[] {
  return [...tasks.keys()];
}
