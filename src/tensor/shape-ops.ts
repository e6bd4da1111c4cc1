// Shape and indexing ops (reshape, permute, narrow, select, indexSelect, cat, stack, ...): each a
// copy into a fresh contiguous buffer (reshape shares storage) with a closure that scatters the
// gradient back.
import { Tensor, makeResult, gradOf, normDim, numel, passGrad } from './tensor.js';
import type { DType, FloatArray, Storage } from './dtype.js';
import { allocate, isFloat, storageFrom } from './dtype.js';

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** View `t` as [outer, size(dim), inner] for reductions and softmax along `dim`. */
export function splitAt(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[dim] ?? 1, inner];
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
  // Shares storage: a reshape of a contiguous tensor is free, and its backward hands the gradient
  // on (the same buffer when `a` has none yet).
  return makeResult(a.data, target, a.dtype, [a], (g) => passGrad(a, g));
}

export function permute(a: Tensor, dims: number[]): Tensor {
  if (dims.length !== a.ndim) {
    throw new Error(`permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${a.ndim} is not equal to len(dims) = ${dims.length}`);
  }
  const p = dims.map((d) => normDim(d, a.ndim));
  if (new Set(p).size !== p.length) throw new Error('permute(): duplicate dims are not allowed.');
  const outShape = p.map((d) => a.shape[d]);
  const walk = permuteWalk(a.shape, p);
  const n = a.data.length;
  const out = allocate(a.dtype, n);
  permuteGather(a.data, out, walk);
  return makeResult(out, outShape, a.dtype, [a], (g) => {
    const ga = gradOf(a);
    if (ga !== null) permuteScatterAdd(g, ga, walk);
  });
}

/**
 * A permutation as a walk over the input: the output, in row-major order, is blocks of `inner`
 * contiguous input elements; block (i_0, …, i_{k-1}) of the block grid `sizes` [k] starts at input
 * offset Σ i_j·strides[j]. Output dims of size 1 are dropped, output dims that are adjacent in the
 * input too are merged, and the trailing run with input stride 1 is the block: transpose(0, 1) of
 * [B, T, E] is the grid [T, B], strides [E, T·E], blocks of E.
 */
interface PermuteWalk {
  sizes: number[];
  strides: number[];
  inner: number;
}

function permuteWalk(shape: readonly number[], p: readonly number[]): PermuteWalk {
  const inStrides = stridesOf(shape);
  const sizes: number[] = [];
  const strides: number[] = [];
  for (let d = 0; d < p.length; d++) {
    const sz = shape[p[d]];
    const st = inStrides[p[d]];
    if (sz === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && strides[last] === st * sz) {
      sizes[last] *= sz;
      strides[last] = st;
    } else {
      sizes.push(sz);
      strides.push(st);
    }
  }
  let inner = 1;
  if (sizes.length > 0 && strides[strides.length - 1] === 1) {
    inner = sizes.pop()!;
    strides.pop();
  }
  return { sizes, strides, inner };
}

/** y[k] (row-major output) = x[walk's input offset of k]; x and y hold the same element count. */
function permuteGather(x: Storage, y: Storage, walk: PermuteWalk): void {
  const { sizes, strides, inner } = walk;
  const k = sizes.length;
  if (k === 0) {
    y.set(x);
    return;
  }
  let o = 0;
  if (k === 1) {
    const n0 = sizes[0], s0 = strides[0];
    for (let i = 0, off = 0; i < n0; i++, off += s0) for (let e = 0; e < inner; e++) y[o++] = x[off + e];
    return;
  }
  if (k === 2) {
    const n0 = sizes[0], n1 = sizes[1], s0 = strides[0], s1 = strides[1];
    for (let i = 0; i < n0; i++) {
      for (let j = 0, off = i * s0; j < n1; j++, off += s1) for (let e = 0; e < inner; e++) y[o++] = x[off + e];
    }
    return;
  }
  const counter = new Array<number>(k).fill(0);
  const blocks = x.length / inner;
  let off = 0;
  for (let b = 0; b < blocks; b++) {
    for (let e = 0; e < inner; e++) y[o++] = x[off + e];
    for (let d = k - 1; d >= 0; d--) {
      counter[d]++;
      off += strides[d];
      if (counter[d] < sizes[d]) break;
      off -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
}

/** The backward of permuteGather: gx[walk's input offset of k] += g[k]. */
function permuteScatterAdd(g: FloatArray, gx: FloatArray, walk: PermuteWalk): void {
  const { sizes, strides, inner } = walk;
  const k = sizes.length;
  let o = 0;
  if (k === 0) {
    for (let e = 0; e < g.length; e++) gx[e] += g[e];
    return;
  }
  if (k === 1) {
    const n0 = sizes[0], s0 = strides[0];
    for (let i = 0, off = 0; i < n0; i++, off += s0) for (let e = 0; e < inner; e++) gx[off + e] += g[o++];
    return;
  }
  if (k === 2) {
    const n0 = sizes[0], n1 = sizes[1], s0 = strides[0], s1 = strides[1];
    for (let i = 0; i < n0; i++) {
      for (let j = 0, off = i * s0; j < n1; j++, off += s1) for (let e = 0; e < inner; e++) gx[off + e] += g[o++];
    }
    return;
  }
  const counter = new Array<number>(k).fill(0);
  const blocks = g.length / inner;
  let off = 0;
  for (let b = 0; b < blocks; b++) {
    for (let e = 0; e < inner; e++) gx[off + e] += g[o++];
    for (let d = k - 1; d >= 0; d--) {
      counter[d]++;
      off += strides[d];
      if (counter[d] < sizes[d]) break;
      off -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
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
  const ixCopy = allocate('int64', ix.length) as Int32Array;
  ixCopy.set(ix);
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
  return makeResult(out, [...a.shape], a.dtype, [a], (g) => passGrad(a, g));
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

export function toNested(data: ArrayLike<number | boolean>, shape: readonly number[]): any {
  if (shape.length === 0) return data[0];
  const walk = (dim: number, off: number): any => {
    const n = shape[dim];
    if (dim === shape.length - 1) return Array.from({ length: n }, (_, i) => data[off + i]);
    const step = numel(shape.slice(dim + 1));
    return Array.from({ length: n }, (_, i) => walk(dim + 1, off + i * step));
  };
  return walk(0, 0);
}

/**
 * Splits `a` along `dim` into pieces of `splitSize` (the last may be smaller) or of the given
 * sizes, as torch.split. The pieces are copies whose gradients flow back into `a`.
 */
export function split(a: Tensor, splitSize: number | number[], dim = 0): Tensor[] {
  if (a.ndim === 0) throw new Error('split expects at least a 1-dimensional tensor');
  const d = normDim(dim, a.ndim);
  const size = a.shape[d];
  if (Array.isArray(splitSize)) {
    const total = splitSize.reduce((x, y) => x + y, 0);
    if (splitSize.some((s) => !Number.isInteger(s) || s < 0) || total !== size) {
      throw new Error(`split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=${fmt(splitSize)}`);
    }
    const out: Tensor[] = [];
    let start = 0;
    for (const s of splitSize) { out.push(narrow(a, d, start, s)); start += s; }
    return out;
  }
  if (!Number.isInteger(splitSize) || splitSize < 0) {
    throw new Error(`split expects split_size be non-negative, but got split_size=${splitSize}`);
  }
  if (splitSize === 0) {
    if (size !== 0) throw new Error(`split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`);
    return [narrow(a, d, 0, 0)];
  }
  const out: Tensor[] = [];
  for (let start = 0; start < size || (size === 0 && out.length === 0); start += splitSize) {
    out.push(narrow(a, d, start, Math.min(splitSize, size - start)));
  }
  return out;
}

/**
 * Splits `a` into `chunks` pieces along `dim`, as torch.chunk: each ceil(size / chunks) long, the last
 * shorter, so fewer than `chunks` pieces come back when size does not divide evenly.
 */
export function chunk(a: Tensor, chunks: number, dim = 0): Tensor[] {
  if (a.ndim === 0) throw new Error('chunk expects at least a 1-dimensional tensor');
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normDim(dim, a.ndim);
  const size = a.shape[d];
  return split(a, Math.ceil(size / chunks), d);
}
