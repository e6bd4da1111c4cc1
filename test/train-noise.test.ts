// --state_noise σ: during training only, σ·N(0,1) is added to every row's new hidden state after
// each recurrent step (LSTM: h, not c), in every layer; the next step, the layer output and h_n
// use the noisy state. σ = 0 is exactly the old path; the float32 layers add the noise as the
// float64 reference does; gradients are checked by central differences; resume is bit-exact.
import { describe, it, expect } from 'vitest';
import { Trainer, predictOne } from '../src/train/trainer.js';
import { FLAGS, parseFlagValue, resolveConfig } from '../src/train/config.js';
import type { TrainConfig } from '../src/train/config.js';
import { RNN, LSTM, GRU } from '../src/nn/rnn.js';
import type { RNNBase } from '../src/nn/rnn.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';
import { randn, tensor } from '../src/tensor/create.js';
import { gradcheck } from '../src/tensor/gradcheck.js';
import { Generator } from '../src/tensor/random.js';
import { sortedOrder, packIndex } from './rnn-helpers.js';

const bits = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? 0 : v));

function weightsEqual(a: Trainer, b: Trainer): void {
  const wa = a.model.stateDict(), wb = b.model.stateDict();
  for (const k of Object.keys(wa)) expect(bits(wb[k].data), `weights ${k}`).toEqual(bits(wa[k].data));
}

describe('--state_noise flag', () => {
  it('is a float flag ≥ 0, default 0', () => {
    const spec = FLAGS.find((f) => f.key === 'state_noise')!;
    expect(spec.kind).toBe('float');
    expect(parseFlagValue(spec, '0.05')).toBe(0.05);
    expect(() => parseFlagValue(spec, '-1')).toThrow('--state_noise must be ≥ 0');
    expect(resolveConfig({}).state_noise).toBe(0);
  });
});

describe('state_noise = 0 is exactly the old path', () => {
  it('same losses and weights as a config without the key; no noise stream', () => {
    const withKey = resolveConfig({ seed: 3, hidden_dim: 8, num_layers: 2, batch_size: 8, state_noise: 0 });
    const legacy = { ...withKey } as Partial<TrainConfig>;
    delete legacy.state_noise; // a config.json saved before the flag existed
    const a = new Trainer(withKey);
    const b = new Trainer(legacy as TrainConfig);
    expect(a.noiseRng).toBeNull();
    expect('noiseRng' in a.getState()).toBe(false);
    for (let s = 0; s < 10; s++) expect(a.trainStep().loss).toBe(b.trainStep().loss);
    weightsEqual(a, b);
  });
});

describe('state_noise > 0', () => {
  it('changes the training losses (same weights, same data), not evaluate() or predictOne', () => {
    const base = { seed: 7, hidden_dim: 8, num_layers: 2, batch_size: 8, eval_seed: 123 };
    const clean = new Trainer(resolveConfig({ ...base }));
    const noisy = new Trainer(resolveConfig({ ...base, state_noise: 0.1 }));
    const l0 = clean.trainStep().loss;
    const l1 = noisy.trainStep().loss;
    expect(l1).not.toBe(l0);
    for (let s = 0; s < 5; s++) noisy.trainStep();
    // Same weights in a σ = 0 trainer: evaluation and prediction must not see any noise.
    const ref = new Trainer(resolveConfig({ ...base }));
    ref.model.loadStateDict(noisy.model.stateDict());
    expect(noisy.evaluate(64)).toBe(ref.evaluate(64));
    expect(noisy.evaluate(64, { minLen: 8, maxLen: 12 })).toBe(ref.evaluate(64, { minLen: 8, maxLen: 12 }));
    for (const seq of [[1, 2, 3], [9, 0, 4, 4, 7, 1, 2]]) {
      const p = predictOne(noisy.model, noisy.task, noisy.config, seq);
      const q = predictOne(ref.model, ref.task, ref.config, seq);
      expect(bits(p.probs)).toEqual(bits(q.probs));
    }
    // The model itself never holds the noise outside a training step (autograd path).
    expect(noisy.model.rnn.stateNoise).toBeNull();
  });

  const CASES: Array<[string, 'rnn' | 'lstm' | 'gru', number]> = [['rnn 3 layers', 'rnn', 3], ['lstm 2 layers', 'lstm', 2], ['gru 2 layers', 'gru', 2]];
  for (const [name, cell, layers] of CASES) {
    it(`the float32 layers add the noise as the float64 reference does (${name}, packed unsorted)`, () => {
      // Same weights, inputs and noise in float32 (the SIMD layers) and float64 (the reference
      // kernels, which add the noise in packed-layer.ts): outputs and every gradient agree to
      // float32 accuracy, and differ from the noise-free run.
      const gen = new Generator(11);
      const In = 5, H = 7, lengths = [4, 6, 2, 5];
      const make = (dtype: 'float32' | 'float64'): RNNBase => {
        const o = { numLayers: layers, dtype, generator: gen };
        return cell === 'lstm' ? new LSTM(In, H, o) : cell === 'gru' ? new GRU(In, H, o) : new RNN(In, H, o);
      };
      const m32 = make('float32');
      const m64 = make('float64');
      for (const [k, p] of m32.namedParameters()) m64.getParameter(k).data.set(p.data);
      const rows = lengths.reduce((a, b) => a + b, 0);
      const sorted = sortedOrder(lengths);
      const { batchSizes } = packIndex(lengths, 6, false, sorted);
      const x32 = randn([rows, In], { generator: gen });
      const x64 = tensor(Array.from(x32.data), { dtype: 'float64' }).reshape([rows, In]);
      const noise = new Float32Array(layers * rows * H);
      for (let k = 0; k < noise.length; k++) noise[k] = 0.3 * gen.normal();
      const unsorted = sorted.map((_, i) => sorted.indexOf(i));
      const run = (m: RNNBase, x: typeof x32, withNoise: boolean): { y: number[]; h: number[]; grads: number[][] } => {
        m.train();
        m.stateNoise = withNoise ? noise : null;
        x.requiresGrad_();
        x.grad = null;
        for (const p of m.parameters()) p.grad = null;
        const input = new PackedSequence(x, tensor(batchSizes, { dtype: 'int64' }), tensor(sorted, { dtype: 'int64' }), tensor(unsorted, { dtype: 'int64' }));
        const out = (m as RNN).forward(input, null);
        const y = (out[0] as PackedSequence).data;
        const h = Array.isArray(out[1]) ? out[1][0] : out[1];
        y.tanh().sum().add(h.mul(h).sum()).backward();
        m.stateNoise = null;
        return { y: Array.from(y.data as Float32Array), h: Array.from(h.data as Float32Array), grads: [x, ...m.parameters()].map((t) => Array.from(t.grad!.data as Float32Array)) };
      };
      const a = run(m32, x32, true);
      const b = run(m64, x64, true);
      const close = (u: number[], v: number[], what: string) => {
        for (let i = 0; i < u.length; i++) expect(Math.abs(u[i] - v[i]), `${what}[${i}]`).toBeLessThan(2e-5 + 2e-4 * Math.abs(v[i]));
      };
      close(a.y, b.y, 'y');
      close(a.h, b.h, 'h_n');
      a.grads.forEach((g, i) => close(g, b.grads[i], `grad ${i}`));
      const clean = run(m32, x32, false);
      expect(clean.y).not.toEqual(a.y);
    });
  }

  it('bidirectional and dropout configs take the noise too', () => {
    for (const extra of [{ bidirectional: true }, { dropout: 0.2 }] as Partial<TrainConfig>[]) {
      const base = { seed: 2, hidden_dim: 6, num_layers: 2, batch_size: 8, ...extra };
      const noisy = new Trainer(resolveConfig({ ...base, state_noise: 0.3 }));
      const clean = new Trainer(resolveConfig(base));
      expect(noisy.trainStep().loss).not.toBe(clean.trainStep().loss);
    }
  });

  {
    it('resume is bit-exact: 6 steps, save, restore, continue', () => {
      const config = resolveConfig({ seed: 4, cell: 'lstm', hidden_dim: 8, num_layers: 2, batch_size: 8, state_noise: 0.15 });
      const a = new Trainer(config);
      for (let s = 0; s < 6; s++) a.trainStep();
      const state = JSON.parse(JSON.stringify(a.getState())) as ReturnType<Trainer['getState']>;
      expect(state.noiseRng).toBeDefined();
      const b = new Trainer(config);
      b.model.loadStateDict(a.model.stateDict());
      b.setState(state);
      const u = new Trainer(config);
      for (let s = 0; s < 6; s++) u.trainStep();
      for (let s = 0; s < 6; s++) {
        const lb = b.trainStep().loss;
        expect(lb).toBe(a.trainStep().loss);
        expect(lb).toBe(u.trainStep().loss);
      }
      weightsEqual(a, b);
      weightsEqual(u, b);
    });
  }
});

describe('--state_noise_ramp', () => {
  it('is an int flag ≥ 0, default 0', () => {
    const spec = FLAGS.find((f) => f.key === 'state_noise_ramp')!;
    expect(spec.kind).toBe('int');
    expect(() => parseFlagValue(spec, '-5')).toThrow('--state_noise_ramp must be ≥ 0');
    expect(resolveConfig({}).state_noise_ramp).toBe(0);
  });

  {
    it(`σ·step/R — step 0 is noise-free, then σ grows; ramp 1 = constant σ after step 0`, () => {
      const base = { seed: 6, cell: 'gru' as const, hidden_dim: 8, num_layers: 2, batch_size: 8, lr: 0.01 };
      const clean = new Trainer(resolveConfig(base));
      const ramped = new Trainer(resolveConfig({ ...base, state_noise: 0.4, state_noise_ramp: 4 }));
      const full = new Trainer(resolveConfig({ ...base, state_noise: 0.4 }));
      const r0 = ramped.trainStep().loss;
      expect(r0).toBe(clean.trainStep().loss); // σ·0/4 = 0: the same step as without noise
      expect(r0).not.toBe(full.trainStep().loss);
      expect(ramped.trainStep().loss).not.toBe(clean.trainStep().loss); // σ/4 > 0
      // Ramp 1: from step 1 on the same σ as no ramp. Both draw the same noise stream (step 0's
      // draw is scaled by 0), so starting both from the same weights after step 0 they agree.
      const one = new Trainer(resolveConfig({ ...base, state_noise: 0.4, state_noise_ramp: 1 }));
      const flat = new Trainer(resolveConfig({ ...base, state_noise: 0.4 }));
      one.trainStep();
      flat.trainStep();
      flat.model.loadStateDict(one.model.stateDict());
      flat.setState(JSON.parse(JSON.stringify(one.getState())));
      for (let s = 0; s < 4; s++) expect(one.trainStep().loss).toBe(flat.trainStep().loss);
    });
  }

  it('resume mid-ramp is bit-exact (σ follows the restored step)', () => {
    const config = resolveConfig({ seed: 9, cell: 'gru', hidden_dim: 8, num_layers: 2, batch_size: 8, state_noise: 0.3, state_noise_ramp: 10 });
    const a = new Trainer(config);
    for (let s = 0; s < 4; s++) a.trainStep();
    const b = new Trainer(config);
    b.model.loadStateDict(a.model.stateDict());
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    for (let s = 0; s < 8; s++) expect(b.trainStep().loss).toBe(a.trainStep().loss);
    weightsEqual(a, b);
  });
});

describe('gradients with a fixed noise buffer (float64, central differences)', () => {
  for (const mode of ['RNN_TANH', 'LSTM', 'LSTM_PROJ', 'GRU'] as const) {
    it(`${mode}: 2 layers, bidirectional, packed unsorted`, () => {
      const gen = new Generator(17);
      const F64 = { dtype: 'float64' as const, generator: gen };
      const In = 2, H = 3, layers = 2;
      const lengths = [2, 3, 1];
      const opts = { numLayers: layers, bidirectional: true, dtype: 'float64' as const, generator: gen };
      const lstm = mode.startsWith('LSTM');
      const P = mode === 'LSTM_PROJ' ? 2 : 0;
      const m: RNNBase = lstm ? new LSTM(In, H, { ...opts, projSize: P }) : mode === 'GRU' ? new GRU(In, H, opts) : new RNN(In, H, opts);
      const Hout = P || H;
      const rows = lengths.reduce((a, b) => a + b, 0);
      const sorted = sortedOrder(lengths);
      const { batchSizes } = packIndex(lengths, 3, false, sorted);
      const data = randn([rows, In], F64).requiresGrad_();
      const unsorted = sorted.map((_, i) => sorted.indexOf(i));
      const bs = tensor(batchSizes, { dtype: 'int64' });
      const si = tensor(sorted, { dtype: 'int64' }), ui = tensor(unsorted, { dtype: 'int64' });
      const noise = new Float32Array(layers * 2 * rows * Hout);
      for (let k = 0; k < noise.length; k++) noise[k] = 0.5 * gen.normal();
      m.train();
      m.stateNoise = noise;
      // The noise reaches the outputs (a sanity check that the check below is not vacuous).
      const run = () => {
        const input = new PackedSequence(data, bs, si, ui);
        if (m instanceof LSTM) {
          const [o, [h, c]] = m.forward(input, null);
          return [(o as PackedSequence).data, h, c];
        }
        const [o, h] = (m as RNN).forward(input, null);
        return [(o as PackedSequence).data, h];
      };
      const withNoise = Array.from(run()[0].data);
      m.stateNoise = null;
      expect(Array.from(run()[0].data)).not.toEqual(withNoise);
      m.stateNoise = noise;
      gradcheck(run, [data, ...m.parameters()], { eps: 1e-6, atol: 1e-6, rtol: 1e-4, projections: 1, seed: 3 });
      m.eval();
      const evalOut = Array.from(run()[0].data);
      m.stateNoise = null;
      expect(evalOut).toEqual(Array.from(run()[0].data)); // eval mode ignores the buffer
    });
  }
});
