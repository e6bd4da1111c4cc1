// Same trajectory as PyTorch: from the same initial weights and the same Python-random data
// stream, recur's training loss stays within 1e-3 of PyTorch's (fixtures written by
// tools/torch_interchange.py; see tools/README.md). The article's model trains in float32, as
// PyTorch's does, through the float32 SIMD layers.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import { Trainer } from '../src/train/trainer.js';
import { resolveConfig } from '../src/train/config.js';
import { decodeModel } from '../src/train/checkpoint.js';

interface Trace {
  config: Record<string, number | string | boolean>;
  seed: number;
  losses: number[];
  lrs: number[];
  final_state: Record<string, { shape: number[]; data: number[] }>;
}

function runAgainst(traceFile: string, initFile: string, preset: string) {
  const trace = JSON.parse(fs.readFileSync(`test/fixtures/${traceFile}`, 'utf8')) as Trace;
  const c = trace.config;
  const config = resolveConfig({
    seed: trace.seed,
    data_rng: 'python',
    min_seq_len: c.min_seq_len as number,
    max_seq_len: c.max_seq_len as number,
    max_number: c.max_number as number,
    embed_dim: c.embed_dim as number,
    hidden_dim: c.hidden_dim as number,
    num_layers: c.num_layers as number,
    batch_size: c.batch_size as number,
    lr: c.lr as number,
    min_lr: c.min_lr as number,
    warmup_step: c.warmup_step as number,
    total_steps: c.total_steps as number,
  }, preset);
  const trainer = new Trainer(config);
  trainer.model.loadStateDict(decodeModel(fs.readFileSync(`test/fixtures/${initFile}`)).state);
  const losses: number[] = [];
  const lrs: number[] = [];
  for (let k = 0; k < trace.losses.length; k++) {
    const r = trainer.trainStep();
    losses.push(r.loss);
    lrs.push(r.lr);
  }
  return { trace, trainer, losses, lrs };
}

describe('training matches a PyTorch trace', () => {
  it('sota_warmup: 500 steps, loss within 1e-3 of PyTorch at every step', () => {
    const { trace, losses, lrs } = runAgainst('torch_trace_sota_warmup.json', 'torch_init_sota_warmup.safetensors', 'sota_warmup');
    expect(trace.losses.length).toBe(500);
    let worst = 0;
    for (let k = 0; k < losses.length; k++) {
      worst = Math.max(worst, Math.abs(losses[k] - trace.losses[k]));
      expect(Math.abs(lrs[k] - trace.lrs[k])).toBeLessThan(1e-12);
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('baseline: 200 steps, loss within 1e-4 and final weights within 1e-4', () => {
    const { trace, trainer, losses } = runAgainst('torch_trace_baseline.json', 'torch_init_baseline.safetensors', 'baseline');
    for (let k = 0; k < losses.length; k++) expect(Math.abs(losses[k] - trace.losses[k])).toBeLessThan(1e-4);
    const own = trainer.model.stateDict();
    for (const [name, t] of Object.entries(trace.final_state)) {
      const mine = own[name];
      expect(mine.shape).toEqual(t.shape);
      for (let i = 0; i < t.data.length; i++) expect(Math.abs(mine.data[i] - t.data[i])).toBeLessThan(1e-4);
    }
  });
});
