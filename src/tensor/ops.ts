// Differentiable ops on Tensor. Each op checks shapes where it is called, computes its result
// into a fresh flat buffer, and registers a closure that adds into its inputs' gradients.
import { Tensor, makeResult, gradOf, normDim, numel } from './tensor.js';
import type { FloatArray } from './dtype.js';
import { allocate, isFloat } from './dtype.js';
import { checkOptions } from '../util/options.js';
import { reshape, sameShape, splitAt } from './shape-ops.js';
import { topk as topkOpts, extremeAlong } from './indexing.js';
import type { TopkOptions } from './indexing.js';

export {
  reshape, permute, stridesOf, transpose, squeeze, unsqueeze, narrow, select, indexSelect, cat, stack, split, chunk, clone, toDtype,
  toNested,
} from './shape-ops.js';
export { gather, maskedFill, oneHot } from './indexing.js';
export type { TopkOptions } from './indexing.js';
export { multinomial } from './sampling.js';
export type { MultinomialOptions } from './sampling.js';

type Operand = Tensor | number;

function requireFloat(t: Tensor, op: string): void {
  if (!isFloat(t.dtype)) throw new Error(`${op}: expected a floating point tensor, got ${t.dtype}`);
}

function scalarLike(x: number, like: Tensor): Tensor {
  const d = allocate(like.dtype, 1);
  d[0] = x;
  return new Tensor(d, [], like.dtype);
}

/** Broadcast shape of a and b (numpy rules), or a clear error naming both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** For each element of `outShape`, the flat index of the broadcast element of `shape`. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = numel(outShape);
  const idx = new Int32Array(n);
  const nd = outShape.length;
  const strides = new Array<number>(nd).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const od = nd - shape.length + i;
    strides[od] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  const counter = new Array<number>(nd).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let d = nd - 1; d >= 0; d--) {
      counter[d]++;
      off += strides[d];
      if (counter[d] < outShape[d]) break;
      off -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return idx;
}

type Binary = (x: number, y: number) => number;
// d(out)/dx and d(out)/dy given x, y and out.
type BinaryGrad = (x: number, y: number, out: number) => [number, number];

function binary(name: string, a: Operand, b: Operand, f: Binary, df: BinaryGrad): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${name}: at least one operand must be a Tensor`);
  const ta = typeof a === 'number' ? scalarLike(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? scalarLike(b, ta) : b;
  if (ta.dtype !== tb.dtype) {
    throw new Error(`${name}: expected both tensors to have the same dtype, got ${ta.dtype} and ${tb.dtype}`);
  }
  if (ta.dtype === 'bool') throw new Error(`${name}: arithmetic on bool tensors is not supported (convert with .to('int64') or .to('float32'))`);
  const shape = broadcastShapes(ta.shape, tb.shape);
  const n = numel(shape);
  const out = allocate(ta.dtype, n);
  const A = ta.data;
  const B = tb.data;
  const fastSame = sameShape(ta.shape, shape) && sameShape(tb.shape, shape);
  const ia = fastSame ? null : broadcastIndex(ta.shape, shape);
  const ib = fastSame ? null : broadcastIndex(tb.shape, shape);
  if (fastSame) for (let k = 0; k < n; k++) out[k] = f(A[k], B[k]);
  else for (let k = 0; k < n; k++) out[k] = f(A[ia![k]], B[ib![k]]);
  return makeResult(out, shape, ta.dtype, [ta, tb], (g) => {
    const ga = gradOf(ta);
    const gb = gradOf(tb);
    for (let k = 0; k < n; k++) {
      const ka = ia ? ia[k] : k;
      const kb = ib ? ib[k] : k;
      const [dx, dy] = df(A[ka], B[kb], out[k]);
      if (ga) ga[ka] += g[k] * dx;
      if (gb) gb[kb] += g[k] * dy;
    }
  });
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b, (x, y) => x + y, () => [1, 1]);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b, (x, y) => x - y, () => [1, -1]);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b, (x, y) => x * y, (x, y) => [y, x]);
export const div = (a: Operand, b: Operand): Tensor =>
  binary('div', a, b, (x, y) => x / y, (x, y) => [1 / y, -x / (y * y)]);

type UnaryGrad = (x: number, out: number) => number;

function unary(name: string, a: Tensor, f: (x: number) => number, df: UnaryGrad): Tensor {
  requireFloat(a, name);
  const n = a.data.length;
  const out = allocate(a.dtype, n);
  const A = a.data;
  for (let k = 0; k < n; k++) out[k] = f(A[k]);
  return makeResult(out, [...a.shape], a.dtype, [a], (g) => {
    const ga = gradOf(a)!;
    for (let k = 0; k < n; k++) ga[k] += g[k] * df(A[k], out[k]);
  });
}

export const neg = (a: Tensor): Tensor => unary('neg', a, (x) => -x, () => -1);
export const exp = (a: Tensor): Tensor => unary('exp', a, Math.exp, (_x, y) => y);
export const log = (a: Tensor): Tensor => unary('log', a, Math.log, (x) => 1 / x);
export const tanh = (a: Tensor): Tensor => unary('tanh', a, Math.tanh, (_x, y) => 1 - y * y);
export const sigmoid = (a: Tensor): Tensor =>
  unary('sigmoid', a, (x) => 1 / (1 + Math.exp(-x)), (_x, y) => y * (1 - y));
// relu'(0) = 0, as in PyTorch.
export const relu = (a: Tensor): Tensor => unary('relu', a, (x) => (x > 0 ? x : 0), (x) => (x > 0 ? 1 : 0));
export const sqrt = (a: Tensor): Tensor => unary('sqrt', a, Math.sqrt, (_x, y) => 0.5 / y);
export const abs = (a: Tensor): Tensor => unary('abs', a, Math.abs, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
export const pow = (a: Tensor, e: number): Tensor =>
  unary('pow', a, (x) => x ** e, (x) => (e === 0 ? 0 : e * x ** (e - 1)));
export const clamp = (a: Tensor, min?: number | null, max?: number | null): Tensor => {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  return unary('clamp', a, (x) => (x < lo ? lo : x > hi ? hi : x), (x) => (x >= lo && x <= hi ? 1 : 0));
};

/**
 * Matrix product with PyTorch's rules: 1-D·1-D dot, 2-D·2-D, 1-D promoted to a row/column, and
 * batched N-D (batch dims broadcast).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat(a, 'matmul');
  if (a.dtype !== b.dtype) throw new Error('mat1 and mat2 must have the same dtype');
  if (a.ndim === 0 || b.ndim === 0) throw new Error('both arguments to matmul need to be at least 1D');
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const M = a2.shape[a2.ndim - 2];
  const K = a2.shape[a2.ndim - 1];
  const K2 = b2.shape[b2.ndim - 2];
  const N = b2.shape[b2.ndim - 1];
  if (K !== K2) {
    throw new Error(`mat1 and mat2 shapes cannot be multiplied (${M}x${K} and ${K2}x${N})`);
  }
  const batchA = a2.shape.slice(0, -2);
  const batchB = b2.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  const nb = numel(batch);
  const ia = broadcastIndex(batchA, batch);
  const ib = broadcastIndex(batchB, batch);
  const A = a2.data as FloatArray;
  const B = b2.data as FloatArray;
  const out = allocate(a.dtype, nb * M * N) as FloatArray;
  for (let p = 0; p < nb; p++) {
    mm(A, ia[p] * M * K, B, ib[p] * K * N, out, p * M * N, M, K, N);
  }
  let shape = [...batch, M, N];
  const res = makeResult(out, shape, a.dtype, [a2, b2], (g) => {
    const ga = gradOf(a2);
    const gb = gradOf(b2);
    for (let p = 0; p < nb; p++) {
      // dA = G · B^T, dB = A^T · G
      if (ga) mmABt(g, p * M * N, B, ib[p] * K * N, ga, ia[p] * M * K, M, N, K);
      if (gb) mmAtB(A, ia[p] * M * K, g, p * M * N, gb, ib[p] * K * N, M, K, N);
    }
  });
  if (a.ndim === 1 && b.ndim === 1) return reshape(res, []);
  if (a.ndim === 1) { shape = [...batch, N]; return reshape(res, shape); }
  if (b.ndim === 1) { shape = [...batch, M]; return reshape(res, shape); }
  return res;
}

// C[M,N] = A[M,K] · B[K,N] (overwrites C).
function mm(A: FloatArray, ao: number, B: FloatArray, bo: number, C: FloatArray, co: number, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const crow = co + i * N;
    for (let j = 0; j < N; j++) C[crow + j] = 0;
    for (let k = 0; k < K; k++) {
      const aik = A[ao + i * K + k];
      if (aik === 0) continue;
      const brow = bo + k * N;
      for (let j = 0; j < N; j++) C[crow + j] += aik * B[brow + j];
    }
  }
}

// C[M,K] += G[M,N] · B[K,N]^T
function mmABt(G: FloatArray, go: number, B: FloatArray, bo: number, C: FloatArray, co: number, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += G[go + i * N + j] * B[bo + k * N + j];
      C[co + i * K + k] += s;
    }
  }
}

// C[K,N] += A[M,K]^T · G[M,N]
function mmAtB(A: FloatArray, ao: number, G: FloatArray, go: number, C: FloatArray, co: number, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const aik = A[ao + i * K + k];
      if (aik === 0) continue;
      for (let j = 0; j < N; j++) C[co + k * N + j] += aik * G[go + i * N + j];
    }
  }
}

function normDims(dim: number | number[] | undefined, ndim: number): number[] {
  if (dim === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = Array.isArray(dim) ? dim : [dim];
  const out = list.map((d) => normDim(d, ndim));
  return [...new Set(out)].sort((x, y) => x - y);
}

export function sum(a: Tensor, dim?: number | number[], keepdim = false): Tensor {
  requireFloat(a, 'sum');
  const dims = normDims(dim, a.ndim);
  const reduced = a.shape.map((s, i) => (dims.includes(i) ? 1 : s));
  const outShape = keepdim ? reduced : a.shape.filter((_, i) => !dims.includes(i));
  const idx = broadcastIndex(reduced, a.shape);
  const n = a.data.length;
  const out = allocate(a.dtype, numel(reduced));
  const A = a.data;
  for (let k = 0; k < n; k++) out[idx[k]] += A[k];
  return makeResult(out, outShape, a.dtype, [a], (g) => {
    const ga = gradOf(a)!;
    for (let k = 0; k < n; k++) ga[k] += g[idx[k]];
  });
}

export function mean(a: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = normDims(dim, a.ndim);
  let count = 1;
  for (const d of dims) count *= a.shape[d];
  return div(sum(a, dim, keepdim), count);
}

/**
 * torch.max: `max(a)` is the maximum of all elements (its gradient shared equally by the tied maxima);
 * `max(a, dim, keepdim?)` is `[values, indices]` along dim.
 */
export function max(a: Tensor): Tensor;
export function max(a: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function max(a: Tensor, dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
  return extreme(a, dim, keepdim, true);
}

/** torch.min: `min(a)` over all elements, or `[values, indices]` along dim. */
export function min(a: Tensor): Tensor;
export function min(a: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function min(a: Tensor, dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
  return extreme(a, dim, keepdim, false);
}

function extreme(a: Tensor, dim: number | undefined, keepdim: boolean, wantMax: boolean): Tensor | [Tensor, Tensor] {
  const name = wantMax ? 'max' : 'min';
  if (dim !== undefined) {
    if (typeof dim !== 'number') throw new TypeError(`${name}(): dim must be a number, got ${typeof dim}`);
    return extremeAlong(a, dim, keepdim, wantMax);
  }
  if (a.data.length === 0) throw new Error(`${name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
  let best = 0;
  const A = a.data;
  for (let k = 1; k < A.length && !Number.isNaN(A[best]); k++) {
    if (Number.isNaN(A[k]) || (wantMax ? A[k] > A[best] : A[k] < A[best])) best = k;
  }
  const out = allocate(a.dtype, 1);
  out[0] = A[best];
  return makeResult(out, [], a.dtype, [a], (g) => {
    // PyTorch's evenly_distribute_backward: every element equal to the result (NaN matching NaN)
    // gets an equal share.
    const ga = gradOf(a)!;
    const r = A[best];
    const hit = (v: number): boolean => v === r || (Number.isNaN(v) && Number.isNaN(r));
    let count = 0;
    for (let k = 0; k < A.length; k++) if (hit(A[k])) count++;
    for (let k = 0; k < A.length; k++) if (hit(A[k])) ga[k] += g[0] / count;
  });
}

/** Index of the maximum (first one on ties), as int64; over all elements when `dim` is omitted. */
export function argmax(a: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) {
    let best = 0;
    for (let k = 1; k < a.data.length; k++) if (a.data[k] > a.data[best]) best = k;
    return new Tensor(Int32Array.of(best), [], 'int64');
  }
  const d = normDim(dim, a.ndim);
  const [outer, size, inner] = splitAt(a.shape, d);
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bv = a.data[o * size * inner + i];
      for (let s = 1; s < size; s++) {
        const v = a.data[(o * size + s) * inner + i];
        if (v > bv || (Number.isNaN(v) && !Number.isNaN(bv))) { bv = v; best = s; }
      }
      out[o * inner + i] = best;
    }
  }
  const shape = keepdim ? a.shape.map((s, i) => (i === d ? 1 : s)) : a.shape.filter((_, i) => i !== d);
  return new Tensor(out, shape, 'int64');
}

/** log_softmax along `dim`, computed stably as x - max - log(sum(exp(x - max))). */
export function logSoftmax(a: Tensor, dim: number): Tensor {
  requireFloat(a, 'logSoftmax');
  const d = normDim(dim, a.ndim);
  const [outer, size, inner] = splitAt(a.shape, d);
  const A = a.data;
  const out = allocate(a.dtype, A.length) as FloatArray;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let m = -Infinity;
      for (let s = 0; s < size; s++) m = Math.max(m, A[base + s * inner]);
      let z = 0;
      for (let s = 0; s < size; s++) z += Math.exp(A[base + s * inner] - m);
      const lse = m + Math.log(z);
      for (let s = 0; s < size; s++) out[base + s * inner] = A[base + s * inner] - lse;
    }
  }
  return makeResult(out, [...a.shape], a.dtype, [a], (g) => {
    // d/dx_j = g_j - softmax_j * Σ_s g_s
    const ga = gradOf(a)!;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let gs = 0;
        for (let s = 0; s < size; s++) gs += g[base + s * inner];
        for (let s = 0; s < size; s++) {
          const k = base + s * inner;
          ga[k] += g[k] - Math.exp(out[k]) * gs;
        }
      }
    }
  });
}

export function softmax(a: Tensor, dim: number): Tensor {
  requireFloat(a, 'softmax');
  const d = normDim(dim, a.ndim);
  const [outer, size, inner] = splitAt(a.shape, d);
  const A = a.data;
  const out = allocate(a.dtype, A.length) as FloatArray;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let m = -Infinity;
      for (let s = 0; s < size; s++) m = Math.max(m, A[base + s * inner]);
      let z = 0;
      for (let s = 0; s < size; s++) {
        const e = Math.exp(A[base + s * inner] - m);
        out[base + s * inner] = e;
        z += e;
      }
      for (let s = 0; s < size; s++) out[base + s * inner] /= z;
    }
  }
  return makeResult(out, [...a.shape], a.dtype, [a], (g) => {
    // d/dx_j = y_j (g_j - Σ_s g_s y_s)
    const ga = gradOf(a)!;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let dot = 0;
        for (let s = 0; s < size; s++) dot += g[base + s * inner] * out[base + s * inner];
        for (let s = 0; s < size; s++) {
          const k = base + s * inner;
          ga[k] += out[k] * (g[k] - dot);
        }
      }
    }
  });
}


/**
 * Batched matrix product of (B, M, K) and (B, K, N) → (B, M, N), as torch.bmm: both 3-D with the
 * same batch size (no broadcasting, unlike matmul).
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3) throw new Error('batch1 must be a 3D tensor');
  if (b.ndim !== 3) throw new Error('batch2 must be a 3D tensor');
  if (b.shape[0] !== a.shape[0] || b.shape[1] !== a.shape[2]) {
    throw new Error(`Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}].`);
  }
  return matmul(a, b);
}

/**
 * torch.topk(input, k, dim=-1, largest=True, sorted=True) → `[values, indices]`. The dimension may
 * be given positionally, or all three as `{ dim, largest, sorted }`.
 */
export function topk(input: Tensor, k: number, dim?: number | TopkOptions, largest?: boolean, sorted?: boolean): [Tensor, Tensor] {
  if (typeof dim === 'object' && dim !== null) {
    if (largest !== undefined || sorted !== undefined) throw new TypeError('topk(): give dim, largest and sorted either positionally or in one options object, not both');
    checkOptions('topk()', dim, ['dim', 'largest', 'sorted']);
    return topkOpts(input, k, dim);
  }
  if (dim !== undefined && typeof dim !== 'number') throw new TypeError(`topk(): dim must be a number or an options object, got ${typeof dim}`);
  return topkOpts(input, k, { dim, largest, sorted });
}
