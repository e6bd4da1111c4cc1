// A state dict ({ name: Tensor }, as Module.stateDict() gives) as safetensors bytes and back, with
// the names unchanged (PyTorch's), so `safetensors.torch.load_file` / `save_file` exchange the
// same files. Browser-safe; recur/node's save() / load() write and read these bytes as files.
//   Tensor dtype ↔ file dtype: float32 ↔ F32, float64 ↔ F64, int64 ↔ I64, bool ↔ BOOL.
//   Read only: I32 → int64, F16 / BF16 → float32 (widened exactly).
import { parseSafetensors, serializeSafetensors, int64ToInt32, int32ToInt64 } from './safetensors.js';
import type { TensorEntry } from './safetensors.js';
import { Tensor } from '../tensor/tensor.js';
import { describeValue, checkOptions } from '../util/options.js';

export interface SaveOptions {
  /** String key/values stored in the file's `__metadata__` (PyTorch's `save_file(..., metadata=)`). */
  metadata?: Record<string, string>;
}

function entryOf(name: string, t: unknown): TensorEntry {
  if (!(t instanceof Tensor)) {
    throw new TypeError(`saveBytes: "${name}" must be a Tensor, got ${describeValue(t)}`);
  }
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32': return { dtype: 'float32', shape, data: Float32Array.from(t.data) };
    case 'float64': return { dtype: 'float64', shape, data: Float64Array.from(t.data) };
    case 'int64': return { dtype: 'int64', shape, data: int32ToInt64(Int32Array.from(t.data)) };
    case 'bool': return { dtype: 'bool', shape, data: Uint8Array.from(t.data) };
  }
}

/** The safetensors bytes of a state dict (tensor names as given, sorted in the file as the format requires). */
export function saveBytes(stateDict: Readonly<Record<string, Tensor>>, opts: SaveOptions = {}): Uint8Array {
  checkOptions('saveBytes()', opts, ['metadata']);
  if (stateDict === null || typeof stateDict !== 'object' || stateDict instanceof Tensor || Array.isArray(stateDict)) {
    throw new TypeError(`saveBytes: expected a state dict { name: Tensor }, got ${describeValue(stateDict)}`);
  }
  if (typeof (stateDict as { stateDict?: unknown }).stateDict === 'function') {
    throw new TypeError('saveBytes: expected a state dict, got a Module; pass model.stateDict()');
  }
  const entries: Record<string, TensorEntry> = {};
  for (const [name, t] of Object.entries(stateDict)) entries[name] = entryOf(name, t);
  return serializeSafetensors(entries, opts.metadata);
}

/** The state dict stored in safetensors bytes: `{ name: Tensor }` in the file's order, plus its metadata. */
export function loadBytesWithMetadata(bytes: Uint8Array): { stateDict: Record<string, Tensor>; metadata: Record<string, string> } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`loadBytes: expected a Uint8Array, got ${describeValue(bytes)}`);
  const { tensors, metadata } = parseSafetensors(bytes);
  const stateDict: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(tensors)) {
    let t: Tensor;
    switch (e.dtype) {
      case 'float32': t = new Tensor(e.data, e.shape, 'float32'); break;
      case 'float64': t = new Tensor(e.data, e.shape, 'float64'); break;
      case 'int64': t = new Tensor(int64ToInt32(e.data, `tensor "${name}" (recur stores int64 in 32 bits)`), e.shape, 'int64'); break;
      case 'int32': t = new Tensor(Int32Array.from(e.data), e.shape, 'int64'); break;
      case 'bool': t = new Tensor(e.data, e.shape, 'bool'); break;
    }
    Object.defineProperty(stateDict, name, { value: t, enumerable: true, writable: true, configurable: true });
  }
  return { stateDict, metadata };
}

/** The state dict stored in safetensors bytes (as `safetensors.torch.load(bytes)`). */
export function loadBytes(bytes: Uint8Array): Record<string, Tensor> {
  return loadBytesWithMetadata(bytes).stateDict;
}
