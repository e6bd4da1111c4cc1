// nn.NLLLoss / F.nll_loss (PyTorch 1.13): the negative log-likelihood of class-index targets given
// log-probabilities (usually log_softmax's output).
//
// Layout: input (C), (N, C) or (N, C, d1, ...); element e = (b, s) over N × S (S = Π d_k), class c of
// element e at input[(b*C + c)*S + s]; target int64 of shape (), (N) or (N, d1, ...).
//   l_e = −w[y_e]·x[e, y_e]  (w ≡ 1 without class weights; l_e = 0 where y_e == ignoreIndex)
//   'none' → l, 'sum' → Σ l_e, 'mean' → Σ l_e / Σ_{e not ignored} w[y_e]   (all ignored → 0/0 = NaN)
//   ∂l_e/∂x[e, y_e] = −w[y_e], zero elsewhere.
import { Module } from './module.js';
import { Tensor, makeResult, gradOf, numel } from '../tensor/tensor.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { checkOptions } from '../util/options.js';
import { checkReduction } from './loss.js';
import type { Reduction } from './loss.js';

export interface NLLLossOptions {
  /** Class weights, shape (C). */
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

const NLL_KEYS = ['weight', 'ignoreIndex', 'reduction'] as const;
const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
/** c10's ScalarType name of a dtype, as PyTorch's messages print it. */
export const scalarName = (dtype: DType): string =>
  dtype === 'float32' ? 'Float' : dtype === 'float64' ? 'Double' : dtype === 'bool' ? 'Bool' : 'Long';

export interface IndexTargetLayout {
  /** Batch N (1 for a (C) input), classes C, and S = Π d_k of the extra dims. */
  N: number;
  C: number;
  S: number;
  /** Class weights, or null for all ones. */
  w: ArrayLike<number> | null;
}

/**
 * Checks input, class-index target and class weights as nll_loss does (cross_entropy's index-target
 * form too), with PyTorch's messages, and returns the layout.
 */
export function indexTargetLayout(input: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): IndexTargetLayout {
  const nd = input.ndim;
  if (nd < 1) throw new Error(`Expected 1 or more dimensions (got ${nd})`);
  if (nd !== 1) {
    if (target.ndim === 0) {
      throw new Error(`Expected input batch_size (${input.shape[0]}) to match target batch_size (got a 0-D target).`);
    }
    if (input.shape[0] !== target.shape[0]) {
      throw new Error(`Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0]}).`);
    }
  }
  if (nd <= 2) {
    if (target.ndim > 1) throw new Error('0D or 1D target tensor expected, multi-target not supported');
    const noBatch = nd === 1 && target.ndim === 0;
    if (!noBatch && input.shape[0] !== target.shape[0]) {
      throw new Error(`size mismatch (got input: ${fmt(input.shape)}, target: ${fmt(target.shape)})`);
    }
  } else if (target.ndim !== nd - 1 || target.shape.slice(1).some((d, i) => d !== input.shape[i + 2])) {
    throw new Error(`Expected target size ${fmt([input.shape[0], ...input.shape.slice(2)])}, got ${fmt(target.shape)}`);
  }
  const C = nd === 1 ? input.shape[0] : input.shape[1];
  if (weight !== null && (weight.ndim !== 1 || weight.data.length !== C)) {
    throw new Error(`weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${fmt(weight.shape)}`);
  }
  if (target.dtype !== 'int64') throw new Error(`expected scalar type Long but found ${scalarName(target.dtype)}`);
  const N = nd === 1 ? 1 : input.shape[0];
  const S = nd <= 2 ? 1 : numel(input.shape.slice(2));
  const y = target.data;
  for (let e = 0; e < N * S; e++) {
    const t = y[e];
    if (t !== ignoreIndex && (t < 0 || t >= C)) throw new Error(`Target ${t} is out of bounds.`);
  }
  return { N, C, S, w: weight === null ? null : weight.data };
}

/** Functional negative log-likelihood loss (F.nll_loss). See the header for formulas. */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLLossOptions = {}): Tensor {
  checkOptions('nll_loss()', opts, NLL_KEYS);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const weight = opts.weight ?? null;
  if (!(input instanceof Tensor) || !(target instanceof Tensor)) throw new Error('nll_loss: input and target must be Tensors');
  if (!isFloat(input.dtype)) throw new Error(`nll_loss: expected a floating point input, got ${input.dtype}`);
  if (weight !== null && weight.dtype !== input.dtype) {
    throw new Error(`expected scalar type ${scalarName(input.dtype)} but found ${scalarName(weight.dtype)}`);
  }
  const { N, C, S, w } = indexTargetLayout(input, target, weight, ignoreIndex);
  const E = N * S;
  const x = input.data;
  const y = target.data;
  const loss = allocate(input.dtype, E) as FloatArray;
  let total = 0;
  let denom = 0;
  for (let b = 0; b < N; b++) {
    for (let s = 0; s < S; s++) {
      const e = b * S + s;
      const t = y[e];
      if (t === ignoreIndex) continue;
      const wy = w === null ? 1 : w[t];
      loss[e] = -wy * x[(b * C + t) * S + s];
      total += loss[e];
      denom += wy;
    }
  }
  let out: FloatArray;
  let shape: number[];
  if (reduction === 'none') {
    out = loss;
    shape = [...target.shape];
  } else {
    out = allocate(input.dtype, 1) as FloatArray;
    out[0] = reduction === 'sum' ? total : total / denom;
    shape = [];
  }
  return makeResult(out, shape, input.dtype, [input], (g) => {
    const gx = gradOf(input);
    if (gx === null) return;
    for (let b = 0; b < N; b++) {
      for (let s = 0; s < S; s++) {
        const e = b * S + s;
        const t = y[e];
        if (t === ignoreIndex) continue;
        const ge = reduction === 'none' ? g[e] : reduction === 'sum' ? g[0] : g[0] / denom;
        gx[(b * C + t) * S + s] -= ge * (w === null ? 1 : w[t]);
      }
    }
  });
}

/** nn.NLLLoss: `forward(input, target)` = nllLoss with the options given here. */
export class NLLLoss extends Module {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;

  constructor(opts: NLLLossOptions = {}) {
    super();
    checkOptions('NLLLoss()', opts, NLL_KEYS);
    // A buffer, as torch's _WeightedLoss registers it: in stateDict() as 'weight' when given.
    this.weight = this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.reduction = opts.reduction ?? 'mean';
    checkReduction(this.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}
