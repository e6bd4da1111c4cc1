// Index-driven ops: gather, maskedFill, topk, max/min along a dim, and oneHot. Each returns a fresh
// contiguous tensor; the differentiable ones scatter their gradient back through the indices they read.
import { Tensor, makeResult, gradOf, normDim, numel } from './tensor.js';
import { allocate, isFloat } from './dtype.js';
import { broadcastIndex, broadcastShapes } from './ops.js';
import { splitAt, stridesOf } from './shape-ops.js';

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * `out[i][j][k] = input[index[i][j][k]][j][k]` for dim 0 (and likewise for other dims), as
 * torch.gather. `index` is int64 with input's number of dims and, off `dim`, sizes no larger than
 * input's; the output has index's shape. Gradient: input.grad[index[...]] += out.grad[...].
 */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim(dim, input.ndim);
  if (index.dtype !== 'int64') throw new Error('gather(): Expected dtype int64 for index');
  if (Math.max(index.ndim, 1) !== Math.max(input.ndim, 1)) {
    throw new Error('Index tensor must have the same number of dimensions as input tensor');
  }
  const inShape = input.ndim === 0 ? [1] : input.shape;
  const ixShape = index.ndim === 0 ? [1] : index.shape;
  for (let i = 0; i < ixShape.length; i++) {
    if (i !== d && ixShape[i] > inShape[i]) {
      throw new Error(`Size does not match at dimension ${i} expected index ${fmt(index.shape)} to be smaller than self ${fmt(input.shape)} apart from dimension ${d}`);
    }
  }
  const size = inShape[d];
  const ix = index.data;
  for (let k = 0; k < ix.length; k++) {
    if (ix[k] < 0 || ix[k] >= size) throw new Error(`index ${ix[k]} is out of bounds for dimension ${d} with size ${size}`);
  }
  const inStrides = stridesOf(inShape);
  const n = ix.length;
  // src[k]: flat input offset read by output element k (index coordinates, `dim` replaced).
  const src = new Int32Array(n);
  const nd = ixShape.length;
  const counter = new Array<number>(nd).fill(0);
  let base = 0; // offset of the current coordinates with coordinate `d` taken as 0
  for (let k = 0; k < n; k++) {
    src[k] = base + ix[k] * inStrides[d];
    for (let a = nd - 1; a >= 0; a--) {
      counter[a]++;
      if (a !== d) base += inStrides[a];
      if (counter[a] < ixShape[a]) break;
      if (a !== d) base -= inStrides[a] * counter[a];
      counter[a] = 0;
    }
  }
  const out = allocate(input.dtype, n);
  const A = input.data;
  for (let k = 0; k < n; k++) out[k] = A[src[k]];
  return makeResult(out, [...index.shape], input.dtype, [input], (g) => {
    const gi = gradOf(input)!;
    for (let k = 0; k < n; k++) gi[src[k]] += g[k];
  });
}

/**
 * `input` with `value` wherever `mask` is true, as torch.masked_fill. `mask` is a bool tensor, or
 * an int64 tensor read as nonzero = true (PyTorch 1.13 accepts both; a float mask, which 1.13
 * silently ignores, is an error); input and mask broadcast against each other. The gradient passes
 * through where the mask is false.
 */
export function maskedFill(input: Tensor, mask: Tensor, value: number | boolean): Tensor {
  if (!(mask instanceof Tensor)) throw new Error('masked_fill: mask must be a Tensor');
  if (isFloat(mask.dtype)) {
    throw new Error(`masked_fill only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  }
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`masked_fill: value must be a number, got ${typeof value}`);
  const fill = input.dtype === 'bool' ? (value ? 1 : 0) : Number(value);
  if (input.dtype === 'int64' && !Number.isInteger(fill)) {
    throw new Error(`masked_fill: value ${value} cannot be stored in an ${input.dtype} tensor`);
  }
  const shape = broadcastShapes(mask.shape, input.shape);
  const n = numel(shape);
  const ia = broadcastIndex(input.shape, shape);
  const im = broadcastIndex(mask.shape, shape);
  const A = input.data;
  const M = mask.data;
  const out = allocate(input.dtype, n);
  for (let k = 0; k < n; k++) out[k] = M[im[k]] !== 0 ? fill : A[ia[k]];
  return makeResult(out, shape, input.dtype, [input], (g) => {
    const gi = gradOf(input)!;
    for (let k = 0; k < n; k++) if (M[im[k]] === 0) gi[ia[k]] += g[k];
  });
}

export interface TopkOptions {
  /** The dimension to pick along (default -1, the last). */
  dim?: number;
  /** The k largest (default) or, when false, the k smallest. */
  largest?: boolean;
  /**
   * Return the k elements in sorted order (default true). PyTorch leaves the order unspecified when
   * false; recur returns them sorted either way.
   */
  sorted?: boolean;
}

/**
 * The k largest (or smallest) elements along `dim`, as torch.topk: `[values, indices]` (indices
 * int64). NaN counts as larger than every number, as in PyTorch; equal values keep index order.
 * values' gradient goes back to the selected positions.
 */
export function topk(input: Tensor, k: number, opts: TopkOptions = {}): [Tensor, Tensor] {
  const largest = opts.largest ?? true;
  if (input.dtype === 'bool') throw new Error('"topk_cpu" not implemented for \'Bool\'');
  const d = normDim(opts.dim ?? -1, input.ndim);
  const shape0 = input.ndim === 0 ? [1] : input.shape;
  const [outer, size, inner] = splitAt(shape0, d);
  if (!Number.isInteger(k) || k < 0 || k > size) throw new Error('selected index k out of range');
  const shape = [...input.shape];
  if (input.ndim > 0) shape[d] = k;
  const n = outer * k * inner;
  const values = allocate(input.dtype, n);
  const indices = new Int32Array(n);
  const src = new Int32Array(n);
  const A = input.data;
  const order = new Array<number>(size);
  let base = 0;
  // Rank of position p against q along the row at `base`: negative when p comes first. NaN ranks
  // above every number (so first when largest, last otherwise); ties keep index order.
  const rank = (p: number, q: number): number => {
    const vp = A[base + p * inner];
    const vq = A[base + q * inner];
    const np = Number.isNaN(vp);
    const nq = Number.isNaN(vq);
    if (np || nq) {
      if (np && nq) return p - q;
      return (np ? -1 : 1) * (largest ? 1 : -1);
    }
    const c = vp === vq ? 0 : (vq > vp) === largest ? 1 : -1;
    return c !== 0 ? c : p - q;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      base = o * size * inner + i;
      if (k === 1) {
        // One scan instead of a sort (greedy decoding and top-1 predictions).
        let best = 0;
        for (let s = 1; s < size; s++) if (rank(s, best) < 0) best = s;
        order[0] = best;
      } else {
        for (let s = 0; s < size; s++) order[s] = s;
        order.sort(rank);
      }
      for (let j = 0; j < k; j++) {
        const at = (o * k + j) * inner + i;
        const s = order[j];
        indices[at] = s;
        src[at] = base + s * inner;
        values[at] = A[base + s * inner];
      }
    }
  }
  const v = makeResult(values, shape, input.dtype, [input], (g) => {
    const gi = gradOf(input)!;
    for (let j = 0; j < n; j++) gi[src[j]] += g[j];
  });
  return [v, new Tensor(indices, [...shape], 'int64')];
}

/**
 * One-hot encoding of an int64 tensor, as F.one_hot: shape [...input.shape, numClasses], int64.
 * numClasses -1 (the default) means max(input) + 1.
 */
export function oneHot(input: Tensor, numClasses = -1): Tensor {
  if (!(input instanceof Tensor) || input.dtype !== 'int64') throw new Error('one_hot is only applicable to index tensor.');
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new Error(`one_hot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  }
  const ix = input.data;
  let C = numClasses;
  if (C === -1) {
    if (ix.length === 0) throw new Error('Can not infer total number of classes from empty tensor.');
    C = 0;
    for (let k = 0; k < ix.length; k++) if (ix[k] + 1 > C) C = ix[k] + 1;
  }
  for (let k = 0; k < ix.length; k++) if (ix[k] < 0) throw new Error('Class values must be non-negative.');
  for (let k = 0; k < ix.length; k++) if (ix[k] >= C) throw new Error('Class values must be smaller than num_classes.');
  const out = new Int32Array(ix.length * C);
  for (let k = 0; k < ix.length; k++) out[k * C + ix[k]] = 1;
  return new Tensor(out, [...input.shape, C], 'int64');
}

/**
 * `[values, indices]` of the maximum (or minimum) along `dim`, as torch.max(input, dim, keepdim):
 * the first extreme element wins a tie; NaN propagates (a NaN is the result, at its index). The
 * gradient goes to the selected element.
 */
export function extremeAlong(input: Tensor, dim: number, keepdim: boolean, wantMax: boolean): [Tensor, Tensor] {
  const name = wantMax ? 'max' : 'min';
  const d = normDim(dim, input.ndim);
  const shape0 = input.ndim === 0 ? [1] : input.shape;
  const [outer, size, inner] = splitAt(shape0, d);
  if (size === 0) throw new Error(`${name}(): Expected reduction dim ${d} to have non-zero size.`);
  const n = outer * inner;
  const values = allocate(input.dtype, n);
  const indices = new Int32Array(n);
  const src = new Int32Array(n);
  const A = input.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = 0;
      let bv = A[base];
      for (let s = 1; s < size && !Number.isNaN(bv); s++) {
        const v = A[base + s * inner];
        if (Number.isNaN(v) || (wantMax ? v > bv : v < bv)) { bv = v; best = s; }
      }
      values[o * inner + i] = bv;
      indices[o * inner + i] = best;
      src[o * inner + i] = base + best * inner;
    }
  }
  const shape = input.ndim === 0 ? [] : keepdim ? input.shape.map((s, i) => (i === d ? 1 : s)) : input.shape.filter((_, i) => i !== d);
  const v = makeResult(values, shape, input.dtype, [input], (g) => {
    const gi = gradOf(input)!;
    for (let k = 0; k < n; k++) gi[src[k]] += g[k];
  });
  return [v, new Tensor(indices, [...shape], 'int64')];
}
