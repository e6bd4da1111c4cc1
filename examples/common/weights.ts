// --init FILE: start an example from a state dict saved as safetensors, e.g. PyTorch's initial
// weights written by `tools/gen_examples.py full <name> init_out=FILE`, so that both runs start
// from the same point. Keys are PyTorch's; `prefix` selects one module's entries ('encoder.').
import { load } from 'recur/node';
import type { Module, Tensor } from 'recur';

export function loadWeights(model: Module, file: string, prefix = ''): void {
  const state = load(file);
  const mine: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(state)) if (k.startsWith(prefix)) mine[k.slice(prefix.length)] = v;
  model.loadStateDict(mine);
}
