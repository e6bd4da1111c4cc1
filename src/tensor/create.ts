// Tensor factories: from nested arrays or typed arrays, and the usual constant/random fills.
import { Tensor, numel } from './tensor.js';
import type { DType, Storage } from './dtype.js';
import { allocate, dtypeOf, storageFrom } from './dtype.js';
import { defaultGenerator, Generator } from './random.js';

export interface TensorOptions {
  shape?: number[];
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface FactoryOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  generator?: Generator;
}

type Nested = number | Nested[];

function inferShape(x: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flattenChecked(x: Nested, shape: number[], out: number[], dim = 0): void {
  if (dim === shape.length) {
    if (typeof x !== 'number') throw new Error(`tensor(): expected a number at depth ${dim}, got ${typeof x}`);
    out.push(x);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[dim]) {
    throw new Error(`tensor(): expected sequence of length ${shape[dim]} at dim ${dim} (got ${Array.isArray(x) ? x.length : typeof x})`);
  }
  for (const e of x) flattenChecked(e, shape, out, dim + 1);
}

/**
 * Makes a tensor from a number, nested arrays or a typed array (copied). A typed array's dtype
 * follows its type unless `dtype` is given; plain numbers default to float32.
 */
export function tensor(data: Nested | ArrayLike<number> | Storage, opts: TensorOptions = {}): Tensor {
  let shape: number[];
  let values: ArrayLike<number>;
  let dtype = opts.dtype;
  if (ArrayBuffer.isView(data)) {
    values = data as unknown as ArrayLike<number>;
    shape = opts.shape ?? [values.length];
    dtype ??= data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array
      ? dtypeOf(data as Storage)
      : 'float32';
  } else if (typeof data === 'number') {
    values = [data];
    shape = opts.shape ?? [];
  } else if (Array.isArray(data)) {
    const s = inferShape(data as Nested);
    const flat: number[] = [];
    flattenChecked(data as Nested, s, flat);
    values = flat;
    shape = opts.shape ?? s;
  } else {
    throw new Error(`tensor(): unsupported data of type ${typeof data}`);
  }
  if (numel(shape) !== values.length) {
    throw new Error(`shape [${shape.join(', ')}] is invalid for input of size ${values.length}`);
  }
  const dt = dtype ?? 'float32';
  return new Tensor(storageFrom(dt, values), [...shape], dt, opts.requiresGrad ?? false);
}

function checkShape(shape: number[]): number[] {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new Error(`Trying to create tensor with negative dimension ${s}: [${shape.join(', ')}]`);
    }
  }
  return [...shape];
}

export function full(shape: number[], value: number, opts: FactoryOptions = {}): Tensor {
  const dtype = opts.dtype ?? 'float32';
  const s = checkShape(shape);
  const d = allocate(dtype, numel(s));
  if (value !== 0) d.fill(value);
  return new Tensor(d, s, dtype, opts.requiresGrad ?? false);
}

export const zeros = (shape: number[], opts: FactoryOptions = {}): Tensor => full(shape, 0, opts);
export const ones = (shape: number[], opts: FactoryOptions = {}): Tensor => full(shape, 1, opts);
export const zerosLike = (t: Tensor): Tensor => full(t.shape, 0, { dtype: t.dtype });
export const onesLike = (t: Tensor): Tensor => full(t.shape, 1, { dtype: t.dtype });

/** Standard-normal samples from the seeded generator (default: the global one). */
export function randn(shape: number[], opts: FactoryOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const t = full(shape, 0, opts);
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.normal();
  return t;
}

/** Uniform samples in [0, 1). */
export function rand(shape: number[], opts: FactoryOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const t = full(shape, 0, opts);
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.random();
  return t;
}

/** `arange(end)` or `arange(start, end, step)`; int64 when all arguments are integers. */
export function arange(start: number, end?: number, step = 1, opts: FactoryOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new Error('step must be nonzero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = opts.dtype ?? (ints ? 'int64' : 'float32');
  const d = allocate(dtype, n);
  for (let i = 0; i < n; i++) d[i] = start + i * step;
  return new Tensor(d, [n], dtype, opts.requiresGrad ?? false);
}
