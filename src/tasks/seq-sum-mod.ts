// The article's task: a sequence of n ~ U{minSeqLen..maxSeqLen} digits, each ~ U{0..maxNumber};
// the label is sum mod (maxNumber + 1). Generated on the fly, infinitely unless totalSamples.
import type { IntRng } from '../data/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptions } from '../util/options.js';
import { allocate } from '../tensor/dtype.js';

export type Sample = [sequence: number[], length: number, target: number];

export interface SeqSumModOptions {
  totalSamples?: number | null;
  minSeqLen?: number;
  maxSeqLen?: number;
  maxNumber?: number;
}

export function checkSeqSumModOptions(minSeqLen: number, maxSeqLen: number, maxNumber: number): void {
  if (!Number.isInteger(minSeqLen) || minSeqLen < 1) throw new Error(`min_seq_len must be an integer ≥ 1, got ${minSeqLen}`);
  if (!Number.isInteger(maxSeqLen) || maxSeqLen < minSeqLen) {
    throw new Error(`max_seq_len must be an integer ≥ min_seq_len (${minSeqLen}), got ${maxSeqLen}`);
  }
  if (!Number.isInteger(maxNumber) || maxNumber < 1) throw new Error(`max_number must be an integer ≥ 1, got ${maxNumber}`);
}

export class SeqSumModDataset implements Iterable<Sample> {
  readonly minSeqLen: number;
  readonly maxSeqLen: number;
  readonly maxNumber: number;
  readonly totalSamples: number | null;

  constructor(readonly rng: IntRng, opts: SeqSumModOptions = {}) {
    checkOptions('SeqSumModDataset()', opts, ['totalSamples', 'minSeqLen', 'maxSeqLen', 'maxNumber']);
    this.minSeqLen = opts.minSeqLen ?? 2;
    this.maxSeqLen = opts.maxSeqLen ?? 5;
    this.maxNumber = opts.maxNumber ?? 9;
    this.totalSamples = opts.totalSamples ?? null;
    checkSeqSumModOptions(this.minSeqLen, this.maxSeqLen, this.maxNumber);
  }

  /** One sample, drawn exactly as the article's Python: n = randint(min, max), then n digits. */
  next(): Sample {
    const n = this.rng.randint(this.minSeqLen, this.maxSeqLen);
    const seq = new Array<number>(n);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = this.rng.randint(0, this.maxNumber);
      seq[i] = v;
      s += v;
    }
    return [seq, n, s % (this.maxNumber + 1)];
  }

  *[Symbol.iterator](): Iterator<Sample> {
    for (let count = 0; this.totalSamples === null || count < this.totalSamples; count++) yield this.next();
  }
}

export interface Batch {
  /** int64 [B, maxLen], padded with padValue (batch first). */
  inputs: Tensor;
  /** int64 [B] */
  lengths: Tensor;
  /** int64 [B] */
  targets: Tensor;
}

/** Pads a list of samples into a batch-first int64 batch (the article's collate_fn). */
export function collateSeqSumMod(samples: Sample[], padValue: number): Batch {
  const B = samples.length;
  let T = 0;
  for (let b = 0; b < B; b++) if (samples[b][1] > T) T = samples[b][1];
  const x = (allocate('int64', B * T) as Int32Array).fill(padValue);
  const lengths = allocate('int64', B) as Int32Array;
  const targets = allocate('int64', B) as Int32Array;
  for (let b = 0; b < B; b++) {
    const sample = samples[b];
    const seq = sample[0];
    const o = b * T;
    // An element loop: TypedArray.set from a plain Array costs more than the copy at these sizes.
    for (let i = 0; i < seq.length; i++) x[o + i] = seq[i];
    lengths[b] = sample[1];
    targets[b] = sample[2];
  }
  return {
    inputs: new Tensor(x, [B, T], 'int64'),
    lengths: new Tensor(lengths, [B], 'int64'),
    targets: new Tensor(targets, [B], 'int64'),
  };
}
