// Inverted dropout: in training, zero each element with probability p and scale the rest by
// 1/(1-p); identity in eval mode. p = 1 gives all zeros (as PyTorch).
import { Module } from './module.js';
import { Tensor, makeResult, gradOf } from '../tensor/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { defaultGenerator, Generator } from '../tensor/random.js';

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
  constructor(readonly p = 0.5, readonly generator: Generator = defaultGenerator) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`dropout probability has to be between 0 and 1, but got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
