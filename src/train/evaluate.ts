// Accuracy of a trained model on fresh samples: overall (training lengths) and per sequence
// length, including lengths far beyond training (does it generalise?).
import type { RnnClsNet } from '../models/rnn-cls-net.js';
import type { TrainConfig } from './config.js';
import { getTask } from '../tasks/registry.js';
import { accuracy } from './trainer.js';
import type { Sample } from '../tasks/seq-sum-mod.js';
import { Generator } from '../tensor/random.js';

export interface EvalReport {
  samples: number;
  seed: number;
  accuracy: number;
  byLength: Array<{ length: number; accuracy: number; samples: number }>;
}

/** Longest sequence `parseLengths` accepts (one such sequence is ~30 MB of activations in a batch of one). */
export const MAX_EVAL_LENGTH = 100_000;

/**
 * Sequence steps in one forward batch of the evaluation: long sequences go in smaller batches, so
 * memory stays near 200,000 × ~300 bytes whatever the length (1,000 sequences of length 5 at most).
 */
const STEPS_PER_BATCH = 200_000;

export interface EvalOptions {
  samples: number;
  seed: number;
  lengths: number[];
  samplesPerLength: number;
  /** Called after each batch: sequence steps done and in all (see evalWork), and the length at hand (null: the training lengths). */
  onProgress?: (done: number, total: number, length: number | null) => void;
}

/** The work of an evaluation in sequence steps (samples × length; the training lengths at their longest). */
export function evalWork(config: Pick<TrainConfig, 'max_seq_len'>, opts: Pick<EvalOptions, 'samples' | 'lengths' | 'samplesPerLength'>): number {
  let w = opts.samples * config.max_seq_len;
  for (const len of opts.lengths) w += opts.samplesPerLength * len;
  return w;
}

export function evaluateModel(model: RnnClsNet, config: TrainConfig, opts: EvalOptions): EvalReport {
  const task = getTask(config.task);
  const gen = new Generator(opts.seed);
  const total = evalWork(config, opts);
  let done = 0;
  // Samples are drawn batch by batch in stream order: the same samples as drawing them all first.
  const score = (stream: { next(): Sample }, n: number, len: number | null, stepsEach: number): number => {
    if (n === 0) return NaN;
    const batch = Math.max(1, Math.min(1000, Math.floor(STEPS_PER_BATCH / stepsEach)));
    let correct = 0;
    for (let i = 0; i < n; i += batch) {
      const m = Math.min(batch, n - i);
      const chunk = Array.from({ length: m }, () => stream.next());
      correct += Math.round(accuracy(model, task, config, chunk, m) * m);
      done += m * stepsEach;
      opts.onProgress?.(done, total, len);
    }
    return correct / n;
  };
  const overall = score(task.stream(config, gen), opts.samples, null, config.max_seq_len);
  const byLength = opts.lengths.map((len) => {
    const st = task.stream(config, gen, { minLen: len, maxLen: len });
    return { length: len, accuracy: score(st, opts.samplesPerLength, len, len), samples: opts.samplesPerLength };
  });
  return { samples: opts.samples, seed: opts.seed, accuracy: overall, byLength };
}

/** Parses "2..50", "10,20,50" or "5" into a list of lengths (each 1..MAX_EVAL_LENGTH). */
export function parseLengths(spec: string): number[] {
  const out: number[] = [];
  const check = (v: number, part: string) => {
    if (v > MAX_EVAL_LENGTH) throw new Error(`length ${m2s(v)} in '${part.trim()}' is too long (at most ${m2s(MAX_EVAL_LENGTH)})`);
  };
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:\.\.|-)\s*(\d+)\s*$/.exec(part);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (a < 1 || b < a) throw new Error(`bad length range '${part}' (expected a..b with 1 ≤ a ≤ b)`);
      check(b, part);
      for (let l = a; l <= b; l++) out.push(l);
    } else if (/^\s*\d+\s*$/.test(part) && Number(part) >= 1) {
      check(Number(part), part);
      out.push(Number(part));
    } else {
      throw new Error(`bad length '${part}' (expected e.g. 2..50 or 10,20,50)`);
    }
    if (out.length > MAX_EVAL_LENGTH) throw new Error(`more than ${m2s(MAX_EVAL_LENGTH)} lengths`);
  }
  return out;
}

function m2s(v: number): string {
  return v.toLocaleString('en-US');
}
