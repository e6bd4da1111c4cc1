// Element types. float32 is the default (as in PyTorch); float64 exists so gradients can be
// checked against finite differences; int64 holds indices, lengths and class targets; bool holds
// masks (0 / 1). int64 is stored in an Int32Array: values outside ±2^31 are rejected when a tensor
// is made. bool is stored in a Uint8Array.
import { slabStorage } from './slab.js';

export type DType = 'float32' | 'float64' | 'int64' | 'bool';
export type FloatArray = Float32Array | Float64Array;
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Zeroed storage of `n` elements: small tensors share slabs (slab.ts), larger ones own a buffer. */
export function allocate(dtype: DType, n: number): Storage {
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int64' && dtype !== 'bool') {
    throw new Error(`unknown dtype '${dtype as string}' (expected float32, float64, int64 or bool)`);
  }
  return slabStorage(dtype, n);
}

export function dtypeOf(data: Storage): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'bool';
  return 'int64';
}

/** Copies `values` into a new storage of `dtype`, checking integer values for int64. */
export function storageFrom(dtype: DType, values: ArrayLike<number>): Storage {
  const out = allocate(dtype, values.length);
  if (dtype === 'int64') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) {
        throw new Error(`int64 tensor value ${v} is not an integer within ±2^31 (recur stores int64 in 32 bits)`);
      }
      out[i] = v;
    }
  } else if (dtype === 'bool') {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  } else {
    out.set(values as ArrayLike<number>);
  }
  return out;
}
