// Tensor and reverse-mode autograd, in the spirit of micrograd's engine.py: every op returns a
// value plus a closure that adds into its inputs' gradients; backward() walks a topological order.
// Tensors are always contiguous, row-major; `data` is a flat typed array.
import * as ops from './ops.js';
import type { DType, FloatArray, Storage } from './dtype.js';
import { allocate, isFloat } from './dtype.js';
import { isPoolBuffer, recycleGradBuffers, takeGradBuffer } from './grad-pool.js';

export type { DType, FloatArray, Storage } from './dtype.js';

let gradEnabled = true;

/** Runs `fn` with gradient recording off (like `torch.no_grad()`); restores the previous mode. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

type BackwardFn = (gOut: FloatArray) => void;

export class Tensor {
  data: Storage;
  readonly shape: number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  private _grad: Tensor | null = null;
  /** Inputs of the op that made this tensor (empty for leaves). */
  _prev: Tensor[] = [];
  _backward: BackwardFn | null = null;
  /** Gradient buffer used only while backward() runs. */
  _g: FloatArray | null = null;
  /**
   * A part of a multi-output result (splitResult): its gradient buffer is the slice of the whole's
   * at `_gradOffset`, so gradients added into the part are in place for the whole's backward.
   */
  _gradBase: Tensor | null = null;
  _gradOffset = 0;
  /** Optional name for error messages and debugging. */
  name?: string;

  constructor(data: Storage, shape: number[], dtype: DType, requiresGrad = false) {
    if (data.length !== numel(shape)) {
      throw new Error(`shape [${shape.join(', ')}] is invalid for input of size ${data.length}`);
    }
    this.data = data;
    this.shape = shape;
    this.dtype = dtype;
    if (requiresGrad && !isFloat(dtype)) {
      throw new Error('Only Tensors of floating point dtype can require gradients');
    }
    this.requiresGrad = requiresGrad;
  }

  /**
   * Accumulated gradient of a leaf tensor (like PyTorch, non-leaf tensors keep none). Assigning
   * one of another dtype or shape is an error, with PyTorch's text and both shapes: an optimizer
   * would otherwise meet the mismatch in the middle of a step.
   */
  get grad(): Tensor | null {
    return this._grad;
  }

  set grad(g: Tensor | null) {
    if (g !== null && g !== undefined) {
      if (!(g instanceof Tensor)) throw new TypeError(`assigned grad expected to be a Tensor or None but got grad of type ${typeof g}`);
      if (g.dtype !== this.dtype) throw new Error(`assigned grad has data of a different type (grad ${g.dtype}, tensor ${this.dtype})`);
      const a = g.shape, b = this.shape;
      if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
        throw new Error(`assigned grad has data of a different size (grad [${a.join(', ')}], tensor [${b.join(', ')}])`);
      }
    }
    this._grad = g ?? null;
  }

  get ndim(): number {
    return this.shape.length;
  }

  numel(): number {
    return this.data.length;
  }

  /** The shape (a copy), or with `dim` the size of that dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    return this.shape[normDim(dim, this.ndim)];
  }

  /** Number of dimensions (torch's `dim()`). */
  dim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this._backward === null;
  }

  /** Marks this tensor as a leaf that accumulates gradients; returns `this`. */
  requiresGrad_(flag = true): this {
    if (flag && !isFloat(this.dtype)) throw new Error('Only Tensors of floating point dtype can require gradients');
    this.requiresGrad = flag;
    return this;
  }

  item(): number {
    if (this.data.length !== 1) {
      throw new Error(`a Tensor with ${this.data.length} elements cannot be converted to Scalar`);
    }
    return this.data[0];
  }

  toArray(): any {
    return ops.toNested(this.data, this.shape);
  }

  /**
   * The values as nested arrays (a single value for a 0-d tensor), as torch's `tolist()`: numbers,
   * or booleans for a bool tensor.
   */
  tolist(): any {
    return ops.toNested(this.dtype === 'bool' ? Array.from(this.data, (v) => v !== 0) : this.data, this.shape);
  }

  toString(): string {
    return `tensor(${JSON.stringify(this.toArray())}, dtype=${this.dtype})`;
  }

  /** Runs reverse-mode autograd from this tensor. `grad` defaults to 1 for a one-element tensor. */
  backward(grad?: Tensor | FloatArray | number): void {
    if (!this.requiresGrad) {
      throw new Error('element 0 of tensors does not require grad and does not have a grad_fn');
    }
    const seed = allocate(this.dtype, this.data.length) as FloatArray;
    if (grad === undefined) {
      if (this.data.length !== 1) throw new Error('grad can be implicitly created only for scalar outputs');
      seed[0] = 1;
    } else if (typeof grad === 'number') {
      seed.fill(grad);
    } else {
      const g = grad instanceof Tensor ? grad.data : grad;
      if (g.length !== seed.length) {
        throw new Error(`Mismatch in shape: grad_output has ${g.length} elements and output has ${seed.length}`);
      }
      seed.set(g);
    }
    const order = topoOrder(this);
    this._g = seed;
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      if (t._g !== null && t._backward !== null) t._backward(t._g);
    }
    // Leaves keep their buffer as .grad (or add it into the one they have); the intermediate
    // tensors' buffers go back to the pool for the next backward.
    const kept = new Set<ArrayBufferLike>();
    const dropped: FloatArray[] = [];
    for (const t of order) {
      const g = t._g;
      if (g === null) continue;
      if (t._backward === null && t.requiresGrad) {
        if (t.grad === null) {
          t.grad = new Tensor(g, [...t.shape], t.dtype);
          kept.add(g.buffer);
        } else {
          const acc = t.grad.data as FloatArray;
          for (let k = 0; k < acc.length; k++) acc[k] += g[k];
          dropped.push(g);
        }
      } else dropped.push(g);
      t._g = null;
    }
    recycleGradBuffers(dropped, kept);
  }

  /**
   * Fills this tensor with `value` in place (torch's fill_). Like PyTorch, a leaf that requires
   * grad can only be filled under noGrad; a tensor inside the autograd graph never (its backward
   * may read the values it had).
   */
  fill_(value: number | boolean): this {
    if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`fill_(): value must be a number, got ${typeof value}`);
    if (this.requiresGrad && gradEnabled) {
      throw new Error(this.isLeaf
        ? 'a leaf Variable that requires grad is being used in an in-place operation.'
        : 'fill_(): in-place ops on a tensor that is part of the autograd graph are not supported; make a new tensor (or detach() first)');
    }
    if (this.dtype === 'int64' && !Number.isInteger(value)) throw new Error(`fill_(): value ${value} cannot be stored in an int64 tensor`);
    this.data.fill(this.dtype === 'bool' ? (value ? 1 : 0) : Number(value));
    return this;
  }

  /** Fills this tensor with zeros in place (torch's zero_); same rules as fill_. */
  zero_(): this {
    return this.fill_(0);
  }

  /** `transpose(0, 1)` of a 2-D tensor; a tensor of 0 or 1 dims unchanged (torch's t()). */
  t(): Tensor {
    if (this.ndim > 2) throw new Error(`t() expects a tensor with <= 2 dimensions, but self is ${this.ndim}D`);
    return this.ndim < 2 ? this : ops.transpose(this, 0, 1);
  }

  /** Every recur tensor is contiguous already: returns this tensor (torch's contiguous()). */
  contiguous(): Tensor {
    return this;
  }

  /** A tensor sharing data with this one but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, [...this.shape], this.dtype, false);
  }

  // Methods mirror the functions in ops.ts (`a.add(b)` is `add(a, b)`).
  add(b: Tensor | number): Tensor { return ops.add(this, b); }
  sub(b: Tensor | number): Tensor { return ops.sub(this, b); }
  mul(b: Tensor | number): Tensor { return ops.mul(this, b); }
  div(b: Tensor | number): Tensor { return ops.div(this, b); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  abs(): Tensor { return ops.abs(this); }
  pow(e: number): Tensor { return ops.pow(this, e); }
  clamp(min?: number | null, max?: number | null): Tensor { return ops.clamp(this, min, max); }
  matmul(b: Tensor): Tensor { return ops.matmul(this, b); }
  sum(dim?: number | number[], keepdim = false): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim = false): Tensor { return ops.mean(this, dim, keepdim); }
  /** The maximum of all elements, or with `dim` `[values, indices]` along it (torch's max). */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): [Tensor, Tensor];
  max(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    return dim === undefined ? ops.max(this) : ops.max(this, dim, keepdim);
  }
  /** The minimum of all elements, or with `dim` `[values, indices]` along it (torch's min). */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): [Tensor, Tensor];
  min(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    return dim === undefined ? ops.min(this) : ops.min(this, dim, keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }
  reshape(...shape: number[] | [number[]]): Tensor { return ops.reshape(this, flatShape(shape)); }
  view(...shape: number[] | [number[]]): Tensor { return ops.reshape(this, flatShape(shape)); }
  flatten(): Tensor { return ops.reshape(this, [this.data.length]); }
  transpose(d0: number, d1: number): Tensor { return ops.transpose(this, d0, d1); }
  permute(...dims: number[] | [number[]]): Tensor { return ops.permute(this, flatShape(dims)); }
  get T(): Tensor { return ops.transpose(this, 0, 1); }
  squeeze(dim?: number): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  index(i: number): Tensor { return ops.select(this, 0, i); }
  select(dim: number, i: number): Tensor { return ops.select(this, dim, i); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  indexSelect(dim: number, index: Tensor | ArrayLike<number>): Tensor { return ops.indexSelect(this, dim, index); }
  split(splitSize: number | number[], dim = 0): Tensor[] { return ops.split(this, splitSize, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  maskedFill(mask: Tensor, value: number | boolean): Tensor { return ops.maskedFill(this, mask, value); }
  /** `[values, indices]` of the k largest (or smallest) along `dim` (default -1). */
  topk(k: number, dim?: number | ops.TopkOptions, largest?: boolean, sorted?: boolean): [Tensor, Tensor] {
    return ops.topk(this, k, dim, largest, sorted);
  }
  multinomial(numSamples: number, opts?: boolean | ops.MultinomialOptions): Tensor { return ops.multinomial(this, numSamples, opts); }
  bmm(b: Tensor): Tensor { return ops.bmm(this, b); }
  clone(): Tensor { return ops.clone(this); }
  to(dtype: DType): Tensor { return ops.toDtype(this, dtype); }
  float(): Tensor { return ops.toDtype(this, 'float32'); }
  double(): Tensor { return ops.toDtype(this, 'float64'); }
  long(): Tensor { return ops.toDtype(this, 'int64'); }
}

function flatShape(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

export function normDim(dim: number, ndim: number): number {
  const lo = -Math.max(ndim, 1);
  const hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new Error(`Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${dim})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Iterative DFS (deep unrolled graphs would overflow a recursive one). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i < t._prev.length) {
      top[1] = i + 1;
      const p = t._prev[i];
      if (!seen.has(p) && p.requiresGrad) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Creates the result of an op. When grad mode is on and any parent requires grad, the result
 * records `parents` and `backward`, which receives d(loss)/d(result) as a flat buffer and adds
 * into the parents' buffers obtained with `gradOf(parent)`. The buffer it receives is valid during
 * that call only (it is recycled after the backward pass): keep a copy, not the buffer.
 */
export function makeResult(
  data: Storage,
  shape: number[],
  dtype: DType,
  parents: Tensor[],
  backward: BackwardFn,
): Tensor {
  const out = new Tensor(data, shape, dtype);
  if (gradEnabled && isFloat(dtype)) {
    let any = false;
    for (const p of parents) if (p.requiresGrad) { any = true; break; }
    if (any) {
      out.requiresGrad = true;
      out._prev = parents;
      out._backward = backward;
    }
  }
  return out;
}

/** The gradient buffer of `t` during backward (allocated as zeros), or null if `t` needs none. */
export function gradOf(t: Tensor): FloatArray | null {
  if (!t.requiresGrad) return null;
  if (t._g === null) {
    const base = t._gradBase;
    if (base !== null) t._g = gradOf(base)!.subarray(t._gradOffset, t._gradOffset + t.data.length);
    // A leaf's buffer becomes its .grad when it has none: its own memory. Otherwise (an
    // intermediate's, or a leaf's that backward adds into the .grad it has) it is dropped after
    // backward: a recycled one (grad-pool.ts).
    else if (t._backward === null && t.grad === null) t._g = allocate(t.dtype, t.data.length) as FloatArray;
    else t._g = takeGradBuffer(t.dtype as 'float32' | 'float64', t.data.length);
  }
  return t._g;
}

/**
 * Adds `g` (a gradient with exactly `t`'s element count and dtype) into `t`'s gradient buffer. When
 * `t` has none yet, `g` itself becomes it, without a copy: for ops whose backward hands its own
 * incoming gradient on unchanged (reshape, clone). `g` must be a buffer nobody else writes or reads
 * afterwards — a tensor's own `_g`, which backward() drops once that tensor's backward has run. A
 * leaf without a .grad takes a copy of a pool buffer (its .grad must be its own memory); one with a
 * .grad takes the buffer itself, which backward() adds into that .grad and then recycles.
 */
export function passGrad(t: Tensor, g: FloatArray): void {
  if (!t.requiresGrad) return;
  const dst = t._g;
  if (dst === null && t._gradBase === null && g.length === t.data.length && (t._backward !== null || t.grad !== null || !isPoolBuffer(g)) && (t.dtype === 'float32' ? g instanceof Float32Array : g instanceof Float64Array)) {
    t._g = g;
    return;
  }
  const fresh = hasNoGrad(t);
  const d = gradOf(t)!;
  if (fresh) d.set(g.subarray(0, d.length)); // a leaf's fresh (zero) buffer: a copy is the sum
  else for (let k = 0; k < d.length; k++) d[k] += g[k];
}

/**
 * True when gradOf(t) is about to make t a new buffer of zeros, so a backward may copy its
 * contribution instead of adding it. Not for a splitResult part: its slice of the whole's buffer may
 * already hold what the whole's direct consumers added.
 */
export function hasNoGrad(t: Tensor): boolean {
  return t._g === null && t._gradBase === null;
}

/**
 * Splits the flat result of a multi-output op (e.g. an RNN layer giving output, h_n and c_n) into
 * tensors that share its storage. Their gradients flow back into `whole`, whose backward then runs
 * once with all of them: a part's gradient buffer is the slice of the whole's (gradOf), so what its
 * consumers add is in place and the part's own backward has nothing left to do.
 */
export function splitResult(whole: Tensor, parts: Array<{ offset: number; shape: number[] }>): Tensor[] {
  return parts.map(({ offset, shape }) => {
    const n = numel(shape);
    const view = whole.data.subarray(offset, offset + n) as Storage;
    const part = makeResult(view, shape, whole.dtype, [whole], (g) => {
      if (!whole.requiresGrad) return;
      const fresh = whole._g === null;
      const dst = gradOf(whole)!;
      if (g.buffer === dst.buffer && g.byteOffset === dst.byteOffset + offset * dst.BYTES_PER_ELEMENT) return;
      // The first part to arrive copies into the fresh (zero) buffer; later ones add.
      if (fresh) dst.set(g.subarray(0, n), offset);
      else for (let k = 0; k < n; k++) dst[offset + k] += g[k];
    });
    if (part.requiresGrad) {
      part._gradBase = whole;
      part._gradOffset = offset;
    }
    return part;
  });
}
