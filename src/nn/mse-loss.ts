// nn.MSELoss / F.mse_loss (PyTorch 1.13): l = (x − y)², reduced by 'mean' (default), 'sum' or
// 'none'. ∂l/∂x = 2(x − y)·g, ∂l/∂y = −2(x − y)·g (g divided by the element count for 'mean').
//
// PyTorch warns and broadcasts when target's shape differs from input's; that silently computes a
// different loss (the classic (N, 1) against (N) mistake), so recur raises an error with
// PyTorch's warning text instead.
import { Module } from './module.js';
import { Tensor, makeResult, gradOf } from '../tensor/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/ops.js';
import { checkOptions } from '../util/options.js';
import { checkReduction } from './loss.js';
import type { Reduction } from './loss.js';

export interface MSELossOptions {
  reduction?: Reduction;
}

const torchSize = (shape: readonly number[]): string => `torch.Size([${shape.join(', ')}])`;

/** Functional mean-squared-error loss (F.mse_loss). */
export function mseLoss(input: Tensor, target: Tensor, opts: MSELossOptions = {}): Tensor {
  checkOptions('mse_loss()', opts, ['reduction']);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction);
  if (!(input instanceof Tensor) || !(target instanceof Tensor)) throw new Error('mse_loss: input and target must be Tensors');
  if (!isFloat(input.dtype) || input.dtype !== target.dtype) {
    throw new Error(`mse_loss: expected input and target of the same floating point dtype, got ${input.dtype} and ${target.dtype}`);
  }
  if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
    broadcastShapes(input.shape, target.shape); // PyTorch's error when they do not even broadcast
    throw new Error(
      `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}). ` +
        'This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    );
  }
  const n = input.data.length;
  const x = input.data;
  const y = target.data;
  const sq = allocate(input.dtype, n) as FloatArray;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const d = x[k] - y[k];
    sq[k] = d * d;
    total += sq[k];
  }
  let out: FloatArray;
  if (reduction === 'none') {
    out = sq;
  } else {
    out = allocate(input.dtype, 1) as FloatArray;
    out[0] = reduction === 'sum' ? total : total / n;
  }
  return makeResult(out, reduction === 'none' ? [...input.shape] : [], input.dtype, [input, target], (g) => {
    const gx = gradOf(input);
    const gy = gradOf(target);
    for (let k = 0; k < n; k++) {
      const gk = reduction === 'none' ? g[k] : reduction === 'sum' ? g[0] : g[0] / n;
      const d = 2 * (x[k] - y[k]) * gk;
      if (gx) gx[k] += d;
      if (gy) gy[k] -= d;
    }
  });
}

/** nn.MSELoss: `forward(input, target)` = mseLoss with the reduction given here. */
export class MSELoss extends Module {
  readonly reduction: Reduction;

  constructor(opts: MSELossOptions = {}) {
    super();
    checkOptions('MSELoss()', opts, ['reduction']);
    this.reduction = opts.reduction ?? 'mean';
    checkReduction(this.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}
