// Accuracy of a trained model on fresh samples: overall (training lengths) and per sequence
// length, including lengths far beyond training (does it generalise?).
import type { RnnClsNet } from '../models/rnn-cls-net.js';
import type { TrainConfig } from './config.js';
import { getTask } from '../tasks/registry.js';
import { accuracy } from './trainer.js';
import { Generator } from '../tensor/random.js';

export interface EvalReport {
  samples: number;
  seed: number;
  accuracy: number;
  byLength: Array<{ length: number; accuracy: number; samples: number }>;
}

export function evaluateModel(
  model: RnnClsNet,
  config: TrainConfig,
  opts: { samples: number; seed: number; lengths: number[]; samplesPerLength: number },
): EvalReport {
  const task = getTask(config.task);
  const gen = new Generator(opts.seed);
  const s = task.stream(config, gen);
  const overall = accuracy(model, task, config, Array.from({ length: opts.samples }, () => s.next()));
  const byLength = opts.lengths.map((len) => {
    const st = task.stream(config, gen, { minLen: len, maxLen: len });
    const samples = Array.from({ length: opts.samplesPerLength }, () => st.next());
    return { length: len, accuracy: accuracy(model, task, config, samples), samples: opts.samplesPerLength };
  });
  return { samples: opts.samples, seed: opts.seed, accuracy: overall, byLength };
}

/** Parses "2..50", "10,20,50" or "5" into a list of lengths. */
export function parseLengths(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:\.\.|-)\s*(\d+)\s*$/.exec(part);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (a < 1 || b < a) throw new Error(`bad length range '${part}' (expected a..b with 1 ≤ a ≤ b)`);
      for (let l = a; l <= b; l++) out.push(l);
    } else if (/^\s*\d+\s*$/.test(part) && Number(part) >= 1) {
      out.push(Number(part));
    } else {
      throw new Error(`bad length '${part}' (expected e.g. 2..50 or 10,20,50)`);
    }
  }
  return out;
}
