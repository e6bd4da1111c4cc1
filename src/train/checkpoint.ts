// Checkpoint encoding (browser-safe). A checkpoint is two safetensors files:
//   model.safetensors   — the state dict with PyTorch's names (loads in PyTorch as is), metadata
//                         {format: "recur", step, config (JSON)}
//   trainer.safetensors — optimizer / scheduler / RNG state needed to resume: every typed array
//                         of the state becomes a tensor named by its path, the rest is JSON in
//                         the metadata key "state".
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';
import type { TrainConfig } from './config.js';

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
type SafeTensor = { dtype: 'float32' | 'float64' | 'int32' | 'int64' | 'bool'; shape: number[]; data: TypedArray | BigInt64Array };

function dtypeName(a: TypedArray): 'float32' | 'float64' | 'int32' {
  return a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : 'int32';
}

/** Replaces typed arrays inside `state` by `{ $tensor: path }` and collects them. */
export function packState(state: unknown): { json: string; tensors: Record<string, SafeTensor> } {
  const tensors: Record<string, SafeTensor> = {};
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array) {
      tensors[path] = { dtype: dtypeName(v), shape: [v.length], data: v };
      return { $tensor: path };
    }
    if (v instanceof Tensor) {
      tensors[path] = { dtype: v.dtype === 'int64' ? 'int32' : v.dtype, shape: [...v.shape], data: v.data };
      return { $tensor: path, $shape: v.shape, $dtype: v.dtype };
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}.${i}`));
    if (v !== null && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, path ? `${path}.${k}` : k);
      return o;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  };
  const json = JSON.stringify(walk(state, ''));
  return { json, tensors };
}

export function unpackState(json: string, tensors: Record<string, { data: ArrayLike<number> | BigInt64Array; dtype: string; shape: number[] }>): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$tensor === 'string') {
        const t = tensors[o.$tensor];
        if (!t) throw new Error(`checkpoint is missing tensor '${o.$tensor}'`);
        const data = t.dtype === 'float32' ? Float32Array.from(t.data as ArrayLike<number>)
          : t.dtype === 'float64' ? Float64Array.from(t.data as ArrayLike<number>)
          : Int32Array.from(t.data as ArrayLike<number>, Number);
        if (o.$shape) return new Tensor(data, o.$shape as number[], o.$dtype as 'float32');
        return data;
      }
      if (typeof o.$number === 'string') return Number(o.$number);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(JSON.parse(json));
}

export function encodeModel(model: Module, meta: { step: number; config: TrainConfig }): Uint8Array {
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, p] of Object.entries(model.stateDict())) { // parameters and persistent buffers
    tensors[name] = { dtype: p.dtype === 'int64' ? 'int64' : p.dtype, shape: [...p.shape], data: p.data as TypedArray };
  }
  return serializeSafetensors(tensors as never, {
    format: 'recur',
    step: String(meta.step),
    config: JSON.stringify(meta.config),
  });
}

export interface DecodedModel {
  state: Record<string, Tensor>;
  step: number | null;
  config: TrainConfig | null;
}

/** Reads a model file, from recur or from PyTorch (float32/float64 tensors; metadata optional). */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  const { tensors, metadata } = parseSafetensors(bytes);
  const state: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const data = t.dtype === 'float64' ? Float64Array.from(t.data as Float64Array) : Float32Array.from(t.data as ArrayLike<number>);
    // Parameters are float32 in recur's trainer; float64 files are narrowed on load.
    state[name] = new Tensor(Float32Array.from(data), [...t.shape], 'float32');
  }
  const step = metadata?.step !== undefined ? Number(metadata.step) : null;
  let config: TrainConfig | null = null;
  if (metadata?.config) {
    try { config = JSON.parse(metadata.config) as TrainConfig; } catch { config = null; }
  }
  return { state, step, config };
}

export function encodeTrainerState(state: unknown, step: number): Uint8Array {
  const { json, tensors } = packState(state);
  return serializeSafetensors(tensors as never, { format: 'recur-trainer', step: String(step), state: json });
}

export function decodeTrainerState(bytes: Uint8Array): { state: unknown; step: number } {
  const { tensors, metadata } = parseSafetensors(bytes);
  if (metadata?.format !== 'recur-trainer' || typeof metadata.state !== 'string') {
    throw new Error('not a recur trainer-state file (metadata format != recur-trainer)');
  }
  return { state: unpackState(metadata.state, tensors as never), step: Number(metadata.step) };
}
