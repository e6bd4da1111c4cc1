// Tensor factories: from nested arrays or typed arrays, and the usual constant/random fills.
import { Tensor, numel } from './tensor.js';
import type { DType, Storage } from './dtype.js';
import { allocate, dtypeOf, storageFrom } from './dtype.js';
import { defaultGenerator, Generator } from './random.js';
import { checkOptions } from '../util/options.js';

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

/** A number, a boolean, or nested arrays of them (all rows of a dimension the same length). */
export type NestedData = number | boolean | NestedData[];
type Nested = NestedData;

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
    if (typeof x !== 'number' && typeof x !== 'boolean') throw new Error(`tensor(): expected a number or boolean at depth ${dim}, got ${typeof x}`);
    out.push(x as number);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[dim]) {
    throw new Error(`tensor(): expected sequence of length ${shape[dim]} at dim ${dim} (got ${Array.isArray(x) ? x.length : typeof x})`);
  }
  for (const e of x) flattenChecked(e, shape, out, dim + 1);
}

/**
 * The dtype torch.tensor infers from Python values: all booleans → bool, all integers (booleans
 * count as integers) → int64, anything else → float32 (the default dtype).
 */
function inferDtype(values: ArrayLike<number | boolean>, requiresGrad: boolean): DType {
  // JS has no float literal for whole numbers (1.0 === 1): data that must carry gradients is float.
  if (requiresGrad) return 'float32';
  let allBool = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'boolean') continue;
    allBool = false;
    if (!Number.isInteger(v)) return 'float32';
  }
  return values.length === 0 ? 'float32' : allBool ? 'bool' : 'int64';
}

/**
 * Makes a tensor from a number, a boolean, nested arrays or a typed array (copied). Without
 * `dtype`, plain data gets torch.tensor's dtype (all-integer → int64, all-boolean → bool, else
 * float32: `tensor([1, 2])` is int64, `tensor([1, 2.5])` float32). JS cannot write 1.0 apart from
 * 1, so whole-valued float data needs `{ dtype: 'float32' }` — except with `requiresGrad: true`,
 * which only floating tensors can have, where the default is float32. A typed array's dtype
 * follows its type (Float32Array → float32, Float64Array → float64, integer arrays → int64).
 */
export function tensor(data: Nested | ArrayLike<number> | Storage, opts: TensorOptions = {}): Tensor {
  checkOptions('tensor()', opts, ['shape', 'dtype', 'requiresGrad']);
  let shape: number[];
  let values: ArrayLike<number>;
  let dtype = opts.dtype;
  if (ArrayBuffer.isView(data)) {
    values = data as unknown as ArrayLike<number>;
    shape = opts.shape ?? [values.length];
    dtype ??= data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int64';
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    shape = opts.shape ?? [];
    dtype ??= inferDtype([data], opts.requiresGrad === true);
    values = [Number(data)];
  } else if (Array.isArray(data)) {
    const s = inferShape(data as Nested);
    const flat: number[] = [];
    flattenChecked(data as Nested, s, flat);
    shape = opts.shape ?? s;
    dtype ??= inferDtype(flat, opts.requiresGrad === true);
    values = flat.map(Number); // booleans → 0 / 1
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
  checkOptions('full()', opts, ['dtype', 'requiresGrad', 'generator']);
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
  checkOptions('arange()', opts, ['dtype', 'requiresGrad']);
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new Error('step must be nonzero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = opts.dtype ?? (ints ? 'int64' : 'float32');
  const d = allocate(dtype, n);
  for (let i = 0; i < n; i++) d[i] = start + i * step;
  return new Tensor(d, [n], dtype, opts.requiresGrad ?? false);
}
