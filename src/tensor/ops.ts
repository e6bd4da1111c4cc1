// Differentiable ops on Tensor. Each op checks shapes where it is called, computes its result
// into a fresh flat buffer, and registers a closure that adds into its inputs' gradients.
import { Tensor, makeResult, gradOf, normDim, numel } from './tensor.js';
import type { DType, FloatArray, Storage } from './dtype.js';
import { allocate, isFloat, storageFrom } from './dtype.js';

type Operand = Tensor | number;

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

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
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

/** View `t` as [outer, size(dim), inner] for reductions and softmax along `dim`. */
function splitAt(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[dim] ?? 1, inner];
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

/** Maximum of all elements (gradient to the first maximal element). */
export function max(a: Tensor): Tensor {
  requireFloat(a, 'max');
  if (a.data.length === 0) throw new Error('max(): Expected reduction dim to be specified for input.numel() == 0.');
  let best = 0;
  for (let k = 1; k < a.data.length; k++) if (a.data[k] > a.data[best]) best = k;
  const out = allocate(a.dtype, 1);
  out[0] = a.data[best];
  return makeResult(out, [], a.dtype, [a], (g) => {
    gradOf(a)![best] += g[0];
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

export function reshape(a: Tensor, shape: number[]): Tensor {
  const n = a.data.length;
  const inferred = shape.indexOf(-1);
  let target = [...shape];
  if (inferred >= 0) {
    const rest = numel(shape.filter((_, i) => i !== inferred));
    if (rest === 0 || n % rest !== 0) throw new Error(`shape '${fmt(shape)}' is invalid for input of size ${n}`);
    target[inferred] = n / rest;
  }
  if (numel(target) !== n || target.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`shape '${fmt(shape)}' is invalid for input of size ${n}`);
  }
  // Shares storage: a reshape of a contiguous tensor is free.
  return makeResult(a.data, target, a.dtype, [a], (g) => {
    const ga = gradOf(a);
    if (ga) for (let k = 0; k < n; k++) ga[k] += g[k];
  });
}

export function permute(a: Tensor, dims: number[]): Tensor {
  if (dims.length !== a.ndim) {
    throw new Error(`permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${a.ndim} is not equal to len(dims) = ${dims.length}`);
  }
  const p = dims.map((d) => normDim(d, a.ndim));
  if (new Set(p).size !== p.length) throw new Error('permute(): duplicate dims are not allowed.');
  const outShape = p.map((d) => a.shape[d]);
  const inStrides = stridesOf(a.shape);
  // src[k] for each output element k, walking the output in row-major order.
  const permStrides = p.map((d) => inStrides[d]);
  const n = a.data.length;
  const src = new Int32Array(n);
  const counter = new Array<number>(outShape.length).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    src[k] = off;
    for (let d = outShape.length - 1; d >= 0; d--) {
      counter[d]++;
      off += permStrides[d];
      if (counter[d] < outShape[d]) break;
      off -= permStrides[d] * counter[d];
      counter[d] = 0;
    }
  }
  const out = allocate(a.dtype, n);
  for (let k = 0; k < n; k++) out[k] = a.data[src[k]];
  return makeResult(out, outShape, a.dtype, [a], (g) => {
    const ga = gradOf(a)!;
    for (let k = 0; k < n; k++) ga[src[k]] += g[k];
  });
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function transpose(a: Tensor, d0: number, d1: number): Tensor {
  const x = normDim(d0, a.ndim);
  const y = normDim(d1, a.ndim);
  const dims = Array.from({ length: a.ndim }, (_, i) => i);
  dims[x] = y;
  dims[y] = x;
  return permute(a, dims);
}

export function squeeze(a: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(a, a.shape.filter((s) => s !== 1));
  const d = normDim(dim, a.ndim);
  if (a.shape[d] !== 1) return reshape(a, [...a.shape]);
  return reshape(a, a.shape.filter((_, i) => i !== d));
}

export function unsqueeze(a: Tensor, dim: number): Tensor {
  const d = normDim(dim, a.ndim + 1);
  const shape = [...a.shape];
  shape.splice(d, 0, 1);
  return reshape(a, shape);
}

/** Slice `length` entries of `dim` starting at `start` (a copy; differentiable). */
export function narrow(a: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim(dim, a.ndim);
  const size = a.shape[d];
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new Error(`start (${start}) + length (${length}) exceeds dimension size (${size}).`);
  }
  const [outer, , inner] = splitAt(a.shape, d);
  const shape = [...a.shape];
  shape[d] = length;
  const out = allocate(a.dtype, outer * length * inner);
  for (let o = 0; o < outer; o++) {
    const src = (o * size + s) * inner;
    out.set(a.data.subarray(src, src + length * inner), o * length * inner);
  }
  return makeResult(out, shape, a.dtype, [a], (g) => {
    const ga = gradOf(a)!;
    for (let o = 0; o < outer; o++) {
      const dst = (o * size + s) * inner;
      const so = o * length * inner;
      for (let k = 0; k < length * inner; k++) ga[dst + k] += g[so + k];
    }
  });
}

/** `a[..., i, ...]` along `dim` (negative `i` counts from the end), removing that dim. */
export function select(a: Tensor, dim: number, i: number): Tensor {
  const d = normDim(dim, a.ndim);
  const size = a.shape[d];
  if (!Number.isInteger(i) || i < -size || i >= size) {
    throw new Error(`index ${i} is out of bounds for dimension ${d} with size ${size}`);
  }
  const idx = i < 0 ? i + size : i;
  return squeeze(narrow(a, d, idx, 1), d);
}

export function indexSelect(a: Tensor, dim: number, index: Tensor | ArrayLike<number>): Tensor {
  const d = normDim(dim, a.ndim);
  const ix = index instanceof Tensor ? index.data : index;
  if (index instanceof Tensor && isFloat(index.dtype)) {
    throw new Error('index_select(): Expected dtype int64 for index');
  }
  const size = a.shape[d];
  const m = ix.length;
  for (let j = 0; j < m; j++) {
    const v = ix[j];
    if (!Number.isInteger(v) || v < 0 || v >= size) {
      throw new Error(`index out of range in self (index ${v} for dimension ${d} of size ${size})`);
    }
  }
  const [outer, , inner] = splitAt(a.shape, d);
  const shape = [...a.shape];
  shape[d] = m;
  const out = allocate(a.dtype, outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * size + ix[j]) * inner;
      out.set(a.data.subarray(src, src + inner), (o * m + j) * inner);
    }
  }
  const ixCopy = Int32Array.from(ix);
  return makeResult(out, shape, a.dtype, [a], (g) => {
    const ga = gradOf(a)!;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const dst = (o * size + ixCopy[j]) * inner;
        const so = (o * m + j) * inner;
        for (let k = 0; k < inner; k++) ga[dst + k] += g[so + k];
      }
    }
  });
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('torch.cat(): expected a non-empty list of Tensors');
  const first = tensors[0];
  const d = normDim(dim, first.ndim);
  for (const t of tensors) {
    if (t.ndim !== first.ndim) {
      throw new Error(`Tensors must have same number of dimensions: got ${first.ndim} and ${t.ndim}`);
    }
    if (t.dtype !== first.dtype) throw new Error(`torch.cat(): expected all tensors to have dtype ${first.dtype}, got ${t.dtype}`);
    for (let i = 0; i < t.ndim; i++) {
      if (i !== d && t.shape[i] !== first.shape[i]) {
        throw new Error(`Sizes of tensors must match except in dimension ${d}. Expected size ${first.shape[i]} but got size ${t.shape[i]} for tensor number ${tensors.indexOf(t)} in the list.`);
      }
    }
  }
  const [outer, , inner] = splitAt(first.shape, d);
  const sizes = tensors.map((t) => t.shape[d]);
  const total = sizes.reduce((x, y) => x + y, 0);
  const shape = [...first.shape];
  shape[d] = total;
  const out = allocate(first.dtype, outer * total * inner);
  let offD = 0;
  const offs: number[] = [];
  for (let t = 0; t < tensors.length; t++) {
    offs.push(offD);
    const chunk = sizes[t] * inner;
    for (let o = 0; o < outer; o++) {
      out.set(tensors[t].data.subarray(o * chunk, (o + 1) * chunk), (o * total + offD) * inner);
    }
    offD += sizes[t];
  }
  return makeResult(out, shape, first.dtype, tensors, (g) => {
    for (let t = 0; t < tensors.length; t++) {
      const gt = gradOf(tensors[t]);
      if (!gt) continue;
      const chunk = sizes[t] * inner;
      for (let o = 0; o < outer; o++) {
        const so = (o * total + offs[t]) * inner;
        for (let k = 0; k < chunk; k++) gt[o * chunk + k] += g[so + k];
      }
    }
  });
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack expects a non-empty TensorList');
  const first = tensors[0];
  for (const t of tensors) {
    if (!sameShape(t.shape, first.shape)) {
      throw new Error(`stack expects each tensor to be equal size, but got ${fmt(first.shape)} at entry 0 and ${fmt(t.shape)} at entry ${tensors.indexOf(t)}`);
    }
  }
  const d = normDim(dim, first.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

export function clone(a: Tensor): Tensor {
  const out = a.data.slice() as Storage;
  return makeResult(out, [...a.shape], a.dtype, [a], (g) => {
    const ga = gradOf(a)!;
    for (let k = 0; k < g.length; k++) ga[k] += g[k];
  });
}

export function toDtype(a: Tensor, dtype: DType): Tensor {
  if (dtype === a.dtype) return a;
  if (dtype === 'int64') return new Tensor(storageFrom('int64', Array.from(a.data, Math.trunc)), [...a.shape], 'int64');
  const out = allocate(dtype, a.data.length);
  out.set(a.data);
  return makeResult(out, [...a.shape], dtype, [a], (g) => {
    const ga = gradOf(a);
    if (ga) for (let k = 0; k < g.length; k++) ga[k] += g[k];
  });
}

export function toNested(data: ArrayLike<number>, shape: readonly number[]): any {
  if (shape.length === 0) return data[0];
  const walk = (dim: number, off: number): any => {
    const n = shape[dim];
    if (dim === shape.length - 1) return Array.from({ length: n }, (_, i) => data[off + i]);
    const step = numel(shape.slice(dim + 1));
    return Array.from({ length: n }, (_, i) => walk(dim + 1, off + i * step));
  };
  return walk(0, 0);
}
