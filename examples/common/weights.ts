// --init FILE: start an example from a state dict saved as safetensors, e.g. PyTorch's initial
// weights written by `tools/gen_examples.py full <name> init_out=FILE`, so that both runs start
// from the same point. Keys are PyTorch's; `prefix` selects one module's entries ('encoder.').
import { readFileSync } from 'node:fs';
import { parseSafetensors } from 'recur';
import type { Module, TensorLike } from 'recur';

export function loadWeights(model: Module, file: string, prefix = ''): void {
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(file)));
  const mine: Record<string, TensorLike> = {};
  for (const [k, v] of Object.entries(tensors)) if (k.startsWith(prefix)) mine[k.slice(prefix.length)] = v;
  model.loadStateDict(mine);
}
