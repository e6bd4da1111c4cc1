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

const FACTORY_KEYS = ['dtype', 'requiresGrad', 'generator'] as const;
const FILL_KEYS = ['dtype', 'requiresGrad'] as const;

/** A size as torch takes it: `zeros(2, 3)`, `zeros([2, 3])`, each optionally followed by options. */
export type SizeArgs = [number[], FactoryOptions?] | number[] | [...number[], FactoryOptions];

function sizeAndOptions(where: string, args: readonly unknown[], allowed: readonly string[]): [number[], FactoryOptions] {
  let rest = args;
  let opts: FactoryOptions = {};
  const last = rest[rest.length - 1];
  if (rest.length > 0 && typeof last === 'object' && last !== null && !Array.isArray(last)) {
    checkOptions(where, last, allowed);
    opts = last as FactoryOptions;
    rest = rest.slice(0, -1);
  }
  if (rest.length === 1 && Array.isArray(rest[0])) return [checkShape(rest[0] as number[]), opts];
  for (const v of rest) {
    if (typeof v !== 'number') {
      throw new TypeError(`${where} expected a size as numbers or one array of numbers, then an options object; got ${Array.isArray(v) ? 'an array' : typeof v} among the sizes`);
    }
  }
  return [checkShape(rest as number[]), opts];
}

function filled(shape: number[], value: number, dtype: DType, requiresGrad: boolean): Tensor {
  const d = allocate(dtype, numel(shape));
  if (dtype === 'int64') storageFrom('int64', [value]); // rejects a non-integer or out-of-range value
  if (value !== 0) d.fill(dtype === 'bool' ? 1 : value);
  return new Tensor(d, shape, dtype, requiresGrad);
}

/**
 * A tensor of `size` filled with `value`, as torch.full. Without a dtype the value decides it, as
 * in torch: a boolean gives bool, an integer int64, anything else float32.
 */
export function full(size: number[], value: number | boolean, opts: FactoryOptions = {}): Tensor {
  checkOptions('full()', opts, FILL_KEYS);
  if (!Array.isArray(size)) throw new TypeError(`full() expected the size as an array of numbers, got ${typeof size}`);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`full() expected a number or boolean fill value, got ${typeof value}`);
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : 'float32');
  return filled(checkShape(size), Number(value), dtype, opts.requiresGrad ?? false);
}

/** Zeros of the given size (`zeros(2, 3)` or `zeros([2, 3])`), float32 unless `dtype` says otherwise. */
export function zeros(...args: SizeArgs): Tensor {
  const [shape, opts] = sizeAndOptions('zeros()', args, FILL_KEYS);
  return filled(shape, 0, opts.dtype ?? 'float32', opts.requiresGrad ?? false);
}

/** Ones of the given size (`ones(2, 3)` or `ones([2, 3])`), float32 unless `dtype` says otherwise. */
export function ones(...args: SizeArgs): Tensor {
  const [shape, opts] = sizeAndOptions('ones()', args, FILL_KEYS);
  return filled(shape, 1, opts.dtype ?? 'float32', opts.requiresGrad ?? false);
}

export const zerosLike = (t: Tensor): Tensor => filled([...t.shape], 0, t.dtype, false);
export const onesLike = (t: Tensor): Tensor => filled([...t.shape], 1, t.dtype, false);

/** Standard-normal samples from the seeded generator (default: the global one). */
export function randn(...args: SizeArgs): Tensor {
  const [shape, opts] = sizeAndOptions('randn()', args, FACTORY_KEYS);
  const g = opts.generator ?? defaultGenerator;
  const t = filled(shape, 0, opts.dtype ?? 'float32', opts.requiresGrad ?? false);
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.normal();
  return t;
}

/** Uniform samples in [0, 1). */
export function rand(...args: SizeArgs): Tensor {
  const [shape, opts] = sizeAndOptions('rand()', args, FACTORY_KEYS);
  const g = opts.generator ?? defaultGenerator;
  const t = filled(shape, 0, opts.dtype ?? 'float32', opts.requiresGrad ?? false);
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.random();
  return t;
}

/**
 * torch.arange: `arange(end)`, `arange(start, end)` or `arange(start, end, step)`, each optionally
 * followed by options. int64 when start, end and step are all integers, else float32; n =
 * ceil((end - start) / step) values start + i·step.
 */
export function arange(...args: [number, ...Array<number | undefined | FactoryOptions>]): Tensor {
  let nums = args as unknown[];
  let opts: FactoryOptions = {};
  const last = nums[nums.length - 1];
  if (typeof last === 'object' && last !== null) {
    checkOptions('arange()', last, FILL_KEYS);
    opts = last as FactoryOptions;
    nums = nums.slice(0, -1);
  }
  if (nums.length < 1 || nums.length > 3 || typeof nums[0] !== 'number' || nums.slice(1).some((v) => v !== undefined && typeof v !== 'number')) {
    throw new TypeError('arange() expected (end), (start, end) or (start, end, step) as numbers, optionally followed by an options object');
  }
  let start = nums[0] as number;
  let end = nums[1] as number | undefined;
  const step = (nums[2] as number | undefined) ?? 1;
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new Error('step must be nonzero');
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error(`unsupported range: ${start} -> ${end}`);
  if ((step > 0 && end < start) || (step < 0 && end > start)) {
    throw new Error('upper bound and larger bound inconsistent with step sign');
  }
  const n = Math.ceil((end - start) / step);
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = opts.dtype ?? (ints ? 'int64' : 'float32');
  const d = allocate(dtype, n);
  for (let i = 0; i < n; i++) d[i] = start + i * step;
  return new Tensor(d, [n], dtype, opts.requiresGrad ?? false);
}
