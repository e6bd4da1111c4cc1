// nn.CrossEntropyLoss / F.cross_entropy (PyTorch 1.13), one fused autograd node.
//
// Layout: input (C), (N, C) or (N, C, d1, ...); element e = (b, s) over N × S (S = Π d_k), class c of
// element e at input[(b*C + c)*S + s]. lp = log_softmax over the class dim, p = softmax.
//
// Index targets y_e (int64, shape (), (N) or (N, d1, ...)), smoothing ε (ε <= 0 means none), w ≡ 1
// without class weights:
//   l_e = (1−ε)·w[y_e]·(−lp[e, y_e]) + (ε/C)·Σ_c w[c]·(−lp[e, c]),  l_e = 0 where y_e == ignoreIndex
//   'none' → l, 'sum' → Σ l_e, 'mean' → Σ l_e / Σ_{e not ignored} w[y_e]   (all ignored → 0/0 = NaN)
//   ∂l_e/∂x[e, c] = (1−ε)·w[y_e]·(p_c − δ_{c,y_e}) + (ε/C)·(Σ_k w[k]·p_c − w[c])
// Probability targets t (float, same shape as input): t' = t(1−ε) + ε/C when ε > 0,
//   l_e = −Σ_c w[c]·t'[e, c]·lp[e, c];  'mean' divides by N·S (numel / C), not by the weights
//   ∂l_e/∂x[e, c] = (Σ_k w[k] t'_k)·p_c − w[c]·t'_c ;  ∂l_e/∂t[e, c] = −w[c]·lp[e, c]·(1−ε or 1)
import { resolveOptions } from '../util/options.js';
import { Module } from './module.js';
import { Tensor, makeResult, gradOf, numel } from '../tensor/tensor.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { indexTargetLayout, scalarName } from './nll-loss.js';
import { expInPlace, expScratch } from '../kernels/exp64.js';

export type Reduction = 'none' | 'mean' | 'sum';

const CE_KEYS = ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing'] as const;

export interface CrossEntropyOptions {
  /** Class weights, shape (C). */
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
/** C++ `<<` of a double (6 significant digits). */
const cppDouble = (x: number): string => String(Number(x.toPrecision(6)));

export function checkReduction(reduction: unknown): asserts reduction is Reduction {
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') {
    throw new Error(`${String(reduction)} is not a valid value for reduction`);
  }
}

function checkSmoothing(ls: number): void {
  if (typeof ls !== 'number' || Number.isNaN(ls)) throw new Error(`label_smoothing must be a number, got ${String(ls)}`);
  // 1.13 only rejects values above 1; a negative value is accepted and means no smoothing.
  if (ls > 1) throw new Error(`label_smoothing must be between 0.0 and 1.0. Got: ${cppDouble(ls)}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-wise log-sum-exp over the class dim: lse[e] for every element e. */
function logSumExp(x: ArrayLike<number>, N: number, C: number, S: number): Float64Array {
  const lse = new Float64Array(N * S);
  for (let b = 0; b < N; b++) {
    for (let s = 0; s < S; s++) {
      const base = b * C * S + s;
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (x[base + c * S] > m) m = x[base + c * S];
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(x[base + c * S] - m);
      lse[b * S + s] = m === -Infinity ? -Infinity : m + Math.log(z);
    }
  }
  return lse;
}

/** Functional cross-entropy (F.cross_entropy). See the header for formulas. */
export function crossEntropy(input: Tensor, target: Tensor, opts?: CrossEntropyOptions): Tensor;
export function crossEntropy(input: Tensor, target: Tensor, weight: Tensor | null, opts?: Omit<CrossEntropyOptions, 'weight'>): Tensor;
export function crossEntropy(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const opts = resolveOptions<CrossEntropyOptions>('crossEntropy()', rest, ['weight'], CE_KEYS);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const ls = opts.labelSmoothing ?? 0;
  const weight = opts.weight ?? null;
  if (!(input instanceof Tensor) || !(target instanceof Tensor)) throw new Error('cross_entropy: input and target must be Tensors');
  if (!isFloat(input.dtype)) throw new Error(`cross_entropy: expected a floating point input, got ${input.dtype}`);
  if (sameShape(input.shape, target.shape)) {
    // Same shapes ⇒ class probabilities (PyTorch's rule, even for a 0-d input).
    if (!isFloat(target.dtype)) {
      throw new Error(`Expected floating point type for target with class probabilities, got ${scalarName(target.dtype)}`);
    }
    if (ignoreIndex >= 0) throw new Error('ignore_index is not supported for floating point target');
    if (input.ndim === 0) {
      throw new Error('cross_entropy: input must have shape (C), (N, C) or (N, C, d1, ...), but got a 0-D tensor');
    }
    return probTargetLoss(input, target, weight, reduction, ls);
  }
  checkSmoothing(ls);
  return indexTargetLoss(input, target, weight, reduction, ignoreIndex, ls);
}

function classWeights(weight: Tensor | null, C: number, prefix: string): ArrayLike<number> | null {
  if (weight === null) return null;
  if (weight.ndim !== 1 || weight.data.length !== C) {
    throw new Error(`${prefix}weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${fmt(weight.shape)}`);
  }
  return weight.data;
}

function indexTargetLoss(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  reduction: Reduction,
  ignoreIndex: number,
  ls: number,
): Tensor {
  const { N, C, S, w } = indexTargetLayout(input, target, weight, ignoreIndex);
  if (S === 1 && w === null && !(ls > 0)) return rowsLoss(input, target, N, C, reduction, ignoreIndex);
  const E = N * S;
  const y = target.data;
  const eps = ls > 0 ? ls : 0;
  const x = input.data;
  const lse = logSumExp(x, N, C, S);
  let sumW = C;
  if (w !== null) {
    sumW = 0;
    for (let c = 0; c < C; c++) sumW += w[c];
  }
  const loss = new Float64Array(E);
  let total = 0;
  let denom = 0;
  for (let b = 0; b < N; b++) {
    for (let s = 0; s < S; s++) {
      const e = b * S + s;
      const t = y[e];
      if (t === ignoreIndex) continue;
      const base = b * C * S + s;
      const wy = w === null ? 1 : w[t];
      let l = (1 - eps) * wy * (lse[e] - x[base + t * S]);
      if (eps > 0) {
        let sm = 0;
        for (let c = 0; c < C; c++) sm += (w === null ? 1 : w[c]) * (lse[e] - x[base + c * S]);
        l += (eps / C) * sm;
      }
      loss[e] = l;
      total += l;
      denom += wy;
    }
  }
  const out = reductionOutput(loss, total, denom, reduction, target.shape, input.dtype);
  return makeResult(out.data, out.shape, input.dtype, [input], (g) => {
    const gx = gradOf(input);
    if (gx === null) return;
    for (let b = 0; b < N; b++) {
      for (let s = 0; s < S; s++) {
        const e = b * S + s;
        const t = y[e];
        if (t === ignoreIndex) continue;
        const ge = reduction === 'none' ? g[e] : reduction === 'sum' ? g[0] : g[0] / denom;
        const base = b * C * S + s;
        const a = ge * (1 - eps) * (w === null ? 1 : w[t]);
        const k = ge * (eps / C);
        for (let c = 0; c < C; c++) {
          const i = base + c * S;
          const p = Math.exp(x[i] - lse[e]);
          let d = a * p + k * (sumW * p - (w === null ? 1 : w[c]));
          if (c === t) d -= a;
          gx[i] += d;
        }
      }
    }
  });
}

/**
 * The common case of indexTargetLoss: rows [N, C] (S = 1), no class weights, no smoothing. One
 * pass per row for lse and the loss, and a backward without the weight and smoothing terms: the
 * same values as the general path (there ∂ = a·p + k·(C·p − 1) with k = ge·0, a zero unless ge is
 * not finite, in which case this takes the general formula too).
 *
 * The exponentials of a chunk of rows go through one exp64 call (x − m forward, x − lse backward,
 * staged in its scratch [rows of the chunk, C]): Math.exp's bits, several times faster than a
 * Math.exp per element; every sum keeps its order (c increasing, then e increasing).
 */
function rowsLoss(input: Tensor, target: Tensor, N: number, C: number, reduction: Reduction, ignoreIndex: number): Tensor {
  const x = input.data as FloatArray;
  const y = target.data;
  const lse = allocate('float64', N) as Float64Array;
  const loss = allocate('float64', reduction === 'none' ? N : 0) as Float64Array;
  let total = 0;
  let denom = 0;
  let buf = expScratch(C);
  let per = Math.floor(buf.length / C); // rows a chunk
  for (let e0 = 0; e0 < N; e0 += per) {
    const e1 = Math.min(N, e0 + per);
    for (let e = e0; e < e1; e++) {
      const base = e * C;
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (x[base + c] > m) m = x[base + c];
      lse[e] = m; // the row's maximum until its lse replaces it below
      const o = (e - e0) * C;
      for (let c = 0; c < C; c++) buf[o + c] = x[base + c] - m;
    }
    expInPlace(buf, (e1 - e0) * C);
    for (let e = e0; e < e1; e++) {
      const o = (e - e0) * C;
      let z = 0;
      for (let c = 0; c < C; c++) z += buf[o + c];
      const m = lse[e];
      const le = m === -Infinity ? -Infinity : m + Math.log(z);
      lse[e] = le;
      const t = y[e];
      if (t === ignoreIndex) continue;
      const l = le - x[e * C + t];
      if (reduction === 'none') loss[e] = l;
      total += l;
      denom += 1;
    }
  }
  const out = reductionOutput(loss, total, denom, reduction, target.shape, input.dtype);
  return makeResult(out.data, out.shape, input.dtype, [input], (g) => {
    const gx = gradOf(input);
    if (gx === null) return;
    buf = expScratch(C);
    per = Math.floor(buf.length / C);
    for (let e0 = 0; e0 < N; e0 += per) {
      const e1 = Math.min(N, e0 + per);
      for (let e = e0; e < e1; e++) {
        const base = e * C, o = (e - e0) * C, le = lse[e];
        for (let c = 0; c < C; c++) buf[o + c] = x[base + c] - le;
      }
      expInPlace(buf, (e1 - e0) * C); // p = softmax
      for (let e = e0; e < e1; e++) {
        const t = y[e];
        if (t === ignoreIndex) continue;
        const ge = reduction === 'none' ? g[e] : reduction === 'sum' ? g[0] : g[0] / denom;
        const base = e * C, o = (e - e0) * C;
        const k = ge * 0;
        if (k === 0) {
          for (let c = 0; c < C; c++) {
            let d = ge * buf[o + c];
            if (c === t) d -= ge;
            gx[base + c] += d;
          }
        } else {
          for (let c = 0; c < C; c++) {
            const p = buf[o + c];
            let d = ge * p + k * (C * p - 1);
            if (c === t) d -= ge;
            gx[base + c] += d;
          }
        }
      }
    }
  });
}

function probTargetLoss(input: Tensor, target: Tensor, weight: Tensor | null, reduction: Reduction, ls: number): Tensor {
  const nd = input.ndim;
  const C = nd === 1 ? input.shape[0] : input.shape[1];
  const w = classWeights(weight, C, 'cross_entropy: ');
  checkSmoothing(ls);
  const eps = ls > 0 ? ls : 0;
  const N = nd === 1 ? 1 : input.shape[0];
  const S = nd <= 2 ? 1 : numel(input.shape.slice(2));
  const E = N * S;
  const x = input.data;
  const tt = target.data;
  const lse = logSumExp(x, N, C, S);
  const tp = (i: number): number => (eps > 0 ? tt[i] * (1 - eps) + eps / C : tt[i]);
  const loss = new Float64Array(E);
  let total = 0;
  for (let b = 0; b < N; b++) {
    for (let s = 0; s < S; s++) {
      const e = b * S + s;
      const base = b * C * S + s;
      let l = 0;
      for (let c = 0; c < C; c++) {
        const i = base + c * S;
        l += (w === null ? 1 : w[c]) * tp(i) * (lse[e] - x[i]);
      }
      loss[e] = l;
      total += l;
    }
  }
  const outShape = nd === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  // mean divides by the number of elements N·S (NaN for an empty input, as PyTorch).
  const out = reductionOutput(loss, total, input.data.length === 0 ? 0 : E, reduction, outShape, input.dtype);
  const denom = input.data.length === 0 ? 0 : E;
  return makeResult(out.data, out.shape, input.dtype, [input, target], (g) => {
    const gx = gradOf(input);
    const gt = gradOf(target);
    for (let b = 0; b < N; b++) {
      for (let s = 0; s < S; s++) {
        const e = b * S + s;
        const ge = reduction === 'none' ? g[e] : reduction === 'sum' ? g[0] : g[0] / denom;
        const base = b * C * S + s;
        let swt = 0;
        for (let c = 0; c < C; c++) swt += (w === null ? 1 : w[c]) * tp(base + c * S);
        for (let c = 0; c < C; c++) {
          const i = base + c * S;
          const wc = w === null ? 1 : w[c];
          const lp = x[i] - lse[e];
          if (gx !== null) gx[i] += ge * (swt * Math.exp(lp) - wc * tp(i));
          if (gt !== null) gt[i] += ge * -wc * lp * (eps > 0 ? 1 - eps : 1);
        }
      }
    }
  });
}

function reductionOutput(
  loss: Float64Array,
  total: number,
  denom: number,
  reduction: Reduction,
  noneShape: number[],
  dtype: DType,
): { data: FloatArray; shape: number[] } {
  if (reduction === 'none') {
    const d = allocate(dtype, loss.length) as FloatArray;
    d.set(loss);
    return { data: d, shape: [...noneShape] };
  }
  const d = allocate(dtype, 1) as FloatArray;
  d[0] = reduction === 'sum' ? total : total / denom;
  return { data: d, shape: [] };
}

/** nn.CrossEntropyLoss: `forward(input, target)` = crossEntropy with the options given here. */
export class CrossEntropyLoss extends Module {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;

  /** `new CrossEntropyLoss({ ignoreIndex, ... })`, or `new CrossEntropyLoss(weight)` (PyTorch's positional weight). */
  constructor(opts?: CrossEntropyOptions);
  constructor(weight: Tensor | null, opts?: Omit<CrossEntropyOptions, 'weight'>);
  constructor(...args: unknown[]) {
    super();
    const opts = resolveOptions<CrossEntropyOptions>('CrossEntropyLoss()', args, ['weight'], CE_KEYS);
    // A buffer, as torch's _WeightedLoss registers it: in stateDict() as 'weight' when given.
    this.weight = this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.reduction = opts.reduction ?? 'mean';
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    // PyTorch only notices these at the first call; failing at construction is earlier, same message.
    checkReduction(this.reduction);
    checkSmoothing(this.labelSmoothing);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}
