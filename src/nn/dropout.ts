// Inverted dropout: in training, zero each element with probability p and scale the rest by
// 1/(1-p); identity in eval mode. p = 1 gives all zeros (as PyTorch).
import { Module } from './module.js';
import { Tensor, makeResult, gradOf } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { resolveOptions } from '../util/options.js';
import { pyFloat } from '../optim/py-format.js';

export interface DropoutOptions {
  /** Probability of an element being zeroed (default 0.5). */
  p?: number;
  /** Draws the masks (default: the global generator). */
  generator?: Generator;
}

export function dropout(x: Tensor, p: number, training: boolean, gen: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  const n = x.data.length;
  const mask = allocate(x.dtype, n);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = gen.random() < p ? 0 : scale;
  const out = allocate(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = x.data[i] * mask[i];
  return makeResult(out, [...x.shape], x.dtype, [x], (g) => {
    const gx = gradOf(x)!;
    for (let i = 0; i < n; i++) gx[i] += g[i] * mask[i];
  });
}

export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator;

  /** `new Dropout(0.2)` (PyTorch's positional p), `new Dropout({ p: 0.2, generator })` or `new Dropout()`. */
  constructor(opts?: DropoutOptions);
  constructor(p: number, opts?: Omit<DropoutOptions, 'p'>);
  constructor(...args: unknown[]) {
    super();
    const opts = resolveOptions<DropoutOptions>('Dropout()', args, ['p'], ['p', 'generator']);
    const p = opts.p ?? 0.5;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`dropout probability has to be between 0 and 1, but got ${String(p)}`);
    this.p = p;
    this.generator = opts.generator ?? defaultGenerator;
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
