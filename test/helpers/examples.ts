// Fixtures of the examples' trajectory tests (written by tools/gen_examples.py with PyTorch):
// <name>.init.safetensors holds PyTorch's initial state dict, <name>.json the inputs of every step,
// the dropout masks PyTorch drew and the loss of every step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { tensor, Dropout, mul, Tensor } from '../../src/index.js';
import { loadWeights } from '../../examples/common/weights.js';
import type { Module } from '../../src/index.js';

const DIR = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'fixtures', 'examples');

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as T;
}

/**
 * Loads PyTorch's initial weights of example `name` into `model` (strict: every key must match),
 * through the examples' own --init path (safetensors records straight into loadStateDict).
 */
export function loadInit(model: Module, name: string, prefix = ''): void {
  loadWeights(model, join(DIR, `${name}.init.safetensors`), prefix);
}

/**
 * nn.Dropout that replays the keep masks PyTorch drew ('0'/'1' strings, one per call, in call
 * order): out = x · keep / (1 − p), the same float ops as PyTorch's CPU dropout.
 */
export class ReplayDropout extends Dropout {
  private next = 0;
  constructor(p: number, private readonly masks: string[]) {
    super(p);
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const m = this.masks[this.next++];
    if (m === undefined) throw new Error(`ReplayDropout: no recorded mask for call ${this.next}`);
    if (m.length !== x.numel()) throw new Error(`ReplayDropout: mask of ${m.length} for a tensor of ${x.numel()} elements`);
    const scale = x.dtype === 'float32' ? Math.fround(1 / Math.fround(1 - this.p)) : 1 / (1 - this.p);
    const keep = new (x.dtype === 'float64' ? Float64Array : Float32Array)(m.length);
    for (let i = 0; i < m.length; i++) keep[i] = m.charCodeAt(i) === 49 ? scale : 0;
    return mul(x, tensor(keep, { shape: [...x.shape], dtype: x.dtype }));
  }

  /** Masks not yet used (0 after a run that consumed exactly what PyTorch drew). */
  get remaining(): number {
    return this.masks.length - this.next;
  }
}

/**
 * Every loss within `rtol` (relative) or `atol` (absolute) of PyTorch's, step by step; the message
 * names the first step that is off.
 */
export function expectTrajectory(ours: number[], torch: number[], rtol: number, atol = 0): void {
  expect(ours.length).toBe(torch.length);
  for (let i = 0; i < torch.length; i++) {
    const tol = Math.max(atol, rtol * Math.abs(torch[i]));
    if (!(Math.abs(ours[i] - torch[i]) <= tol)) {
      throw new Error(`step ${i}: loss ${ours[i]} vs PyTorch ${torch[i]} (|diff| ${Math.abs(ours[i] - torch[i])} > ${tol})`);
    }
  }
}
