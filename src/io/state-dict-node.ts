// save / load of a state dict as a .safetensors file (Node): the file PyTorch reads with
// `safetensors.torch.load_file(path)` and writes with `save_file(model.state_dict(), path)`.
// Writing is atomic (temp file + rename), so a crash never leaves half a checkpoint.
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from './safetensors-node.js';
import { saveBytes, loadBytes } from './state-dict.js';
import type { SaveOptions } from './state-dict.js';
import type { Tensor } from '../tensor/tensor.js';

/** Writes `stateDict` (e.g. model.stateDict()) to `path` as safetensors with PyTorch's names. */
export function save(stateDict: Readonly<Record<string, Tensor>>, path: string, opts: SaveOptions = {}): void {
  if (typeof path !== 'string') throw new TypeError(`save(stateDict, path): path must be a string, got ${typeof path}`);
  writeFileAtomicSync(path, saveBytes(stateDict, opts));
}

/** Reads a .safetensors file into `{ name: Tensor }`, ready for model.loadStateDict(). */
export function load(path: string): Record<string, Tensor> {
  if (typeof path !== 'string') throw new TypeError(`load(path): path must be a string, got ${typeof path}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`load: cannot read '${path}': ${(e as Error).message}`);
  }
  try {
    return loadBytes(bytes);
  } catch (e) {
    throw new Error(`load: '${path}': ${(e as Error).message}`);
  }
}
