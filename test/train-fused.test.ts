// The fused flat-buffer training step (src/kernels/rnn-cls-net.ts via src/train/fused.ts) against
// its naive twin, the autograd path (Trainer with fused: false): same seed, same data, and the
// losses, every gradient and the weights after many Adam steps must be bit-identical. Also the
// fused inference (accuracy, predictOne) against model.forward.
import { describe, it, expect } from 'vitest';
import { Trainer, accuracy, predictOne } from '../src/train/trainer.js';
import { resolveConfig } from '../src/train/config.js';
import type { TrainConfig } from '../src/train/config.js';
import { inferenceKernel } from '../src/train/fused.js';
import { noGrad } from '../src/tensor/tensor.js';
import { argmax } from '../src/tensor/ops.js';

const bits = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? 0 : v));

const CASES: Array<[string, Partial<TrainConfig>, string?]> = [
  ['baseline preset', {}, 'baseline'],
  ['rnn 3 layers, batch 16', { hidden_dim: 12, num_layers: 3, batch_size: 16, lr: 0.005 }],
  ['lstm 2 layers', { cell: 'lstm', hidden_dim: 8, num_layers: 2, batch_size: 8, lr: 0.01, max_seq_len: 7 }],
  ['gru 2 layers', { cell: 'gru', hidden_dim: 8, num_layers: 2, batch_size: 8, lr: 0.01, max_seq_len: 7 }],
  ['clipped, warm-up', { hidden_dim: 8, num_layers: 2, batch_size: 8, clip_grad_norm: 0.5, warmup_step: 5, total_steps: 40 }],
  ['adamw, weight decay (flat span)', { hidden_dim: 8, batch_size: 8, lr: 0.01, optimizer: 'adamw', weight_decay: 0.05 }],
  ['adam, L2 weight decay (flat span)', { hidden_dim: 8, batch_size: 8, lr: 0.01, optimizer: 'adam', weight_decay: 0.05 }],
];

describe('fused RnnClsNet step = autograd path, bit for bit', () => {
  for (const [name, overrides, preset] of CASES) {
    it(`${name}: 40 steps, losses, gradients and weights identical`, () => {
      const config = resolveConfig({ seed: 3, ...overrides }, preset);
      const fast = new Trainer(config, { fused: true });
      const slow = new Trainer(config, { fused: false });
      expect(fast.fused).not.toBeNull();
      expect(slow.fused).toBeNull();
      for (let s = 0; s < 40; s++) {
        const a = fast.trainStep();
        const b = slow.trainStep();
        expect(a.loss, `step ${s} loss`).toBe(b.loss);
        expect(a.gradNorm, `step ${s} grad norm`).toBe(b.gradNorm);
        if (s === 0 || s === 39) {
          const pa = fast.model.namedParameters();
          const pb = new Map(slow.model.namedParameters());
          for (const [k, p] of pa) expect(bits(p.grad!.data), `step ${s} grad ${k}`).toEqual(bits(pb.get(k)!.grad!.data));
        }
      }
      const sa = fast.model.stateDict();
      const sb = slow.model.stateDict();
      for (const k of Object.keys(sb)) expect(bits(sa[k].data), `weights ${k}`).toEqual(bits(sb[k].data));
      // Adam over one flat span (fused) = Adam per parameter (autograd): same state dict.
      const oa = fast.optimizer.stateDict();
      const ob = slow.optimizer.stateDict();
      expect(Object.keys(oa.state)).toEqual(Object.keys(ob.state));
      for (const [i, st] of Object.entries(ob.state)) {
        expect(oa.state[Number(i)].step).toBe(st.step);
        expect(bits(oa.state[Number(i)].exp_avg as Float32Array)).toEqual(bits(st.exp_avg as Float32Array));
        expect(bits(oa.state[Number(i)].exp_avg_sq as Float32Array)).toEqual(bits(st.exp_avg_sq as Float32Array));
      }
    });
  }

  it('resuming (optimizer loadStateDict) keeps the flat Adam path and the trajectory', () => {
    const config = resolveConfig({ seed: 4, hidden_dim: 8, num_layers: 2, batch_size: 8 });
    const a = new Trainer(config, { fused: true });
    for (let s = 0; s < 10; s++) a.trainStep();
    const b = new Trainer(config, { fused: true });
    b.model.loadStateDict(a.model.stateDict());
    b.setState(a.getState());
    const st = b.optimizer.state.get(b.model.parameters()[1])!;
    expect((st.exp_avg as Float32Array).buffer).toBe((b.optimizer.state.get(b.model.parameters()[0])!.exp_avg as Float32Array).buffer);
    for (let s = 0; s < 10; s++) expect(b.trainStep().loss).toBe(a.trainStep().loss);
    const wa = a.model.stateDict(), wb = b.model.stateDict();
    for (const k of Object.keys(wa)) expect(bits(wb[k].data)).toEqual(bits(wa[k].data));
  });

  it('parameters are views of one flat buffer; loadStateDict keeps them so', () => {
    const t = new Trainer(resolveConfig({ seed: 1 }, 'sota'), { fused: true });
    const flat = t.fused!.flatParams;
    for (const p of t.model.parameters()) expect(p.data.buffer).toBe(flat.buffer);
    const other = new Trainer(resolveConfig({ seed: 2 }, 'sota'), { fused: false });
    t.model.loadStateDict(other.model.stateDict());
    for (const p of t.model.parameters()) expect(p.data.buffer).toBe(flat.buffer);
    expect(bits(t.model.stateDict()['rnn.weight_hh_l2'].data)).toEqual(bits(other.model.stateDict()['rnn.weight_hh_l2'].data));
  });
});

describe('fused inference = model.forward', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: logits, accuracy and predictOne identical`, () => {
      const config = resolveConfig({ seed: 5, cell, hidden_dim: 8, num_layers: 2, batch_size: 32 });
      const t = new Trainer(config, { fused: false });
      for (let s = 0; s < 20; s++) t.trainStep();
      const samples = t.nextBatch();
      const { inputs, lengths, targets } = t.task.collate(samples, config);
      const kernel = inferenceKernel(t.model)!;
      const fastLogits = Array.from(kernel.forward(inputs.data, inputs.shape[1], lengths.data));
      t.model.eval();
      const ref = noGrad(() => t.model.forward(inputs, lengths));
      expect(bits(fastLogits)).toEqual(bits(ref.data));
      const pred = argmax(ref, 1).data;
      let correct = 0;
      for (let k = 0; k < samples.length; k++) if (pred[k] === targets.data[k]) correct++;
      expect(accuracy(t.model, t.task, config, samples)).toBe(correct / samples.length);
      const seq = samples[0][0];
      const p = predictOne(t.model, t.task, config, seq);
      const { inputs: x1, lengths: l1 } = t.task.collate([[seq, seq.length, 0]], config);
      const probs = noGrad(() => t.model.forward(x1, l1).softmax(1).data);
      expect(bits(p.probs)).toEqual(bits(probs));
    });
  }
});

describe('single-sequence fast path (kernel.forwardOne, used by predictOne) = model.forward', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: odd sizes (tails of the 4-wide dot products), lengths 1–9`, () => {
      const config = resolveConfig({ seed: 11, cell, hidden_dim: 7, embed_dim: 5, num_layers: 3, batch_size: 8, max_seq_len: 9 });
      const t = new Trainer(config, { fused: true });
      for (let s = 0; s < 5; s++) t.trainStep();
      const kernel = inferenceKernel(t.model)!;
      t.model.eval();
      for (let n = 1; n <= 9; n++) {
        const seq = Array.from({ length: n }, (_, i) => (i * 7 + n) % 10);
        const { inputs, lengths } = t.task.collate([[seq, n, 0]], config);
        const ref = noGrad(() => t.model.forward(inputs, lengths));
        expect(bits(kernel.forwardOne(seq, n)), `length ${n}`).toEqual(bits(ref.data));
        const p = predictOne(t.model, t.task, config, seq);
        expect(bits(p.probs)).toEqual(bits(noGrad(() => ref.softmax(1).data)));
      }
      // the padding id is a valid row (zeros) on both paths
      const withPad = [3, 10, 4];
      const b = t.task.collate([[withPad, 3, 0]], config);
      expect(bits(kernel.forwardOne(withPad, 3))).toEqual(bits(noGrad(() => t.model.forward(b.inputs, b.lengths)).data));
    });
  }
});

describe('inference kernel across batch sizes (workspaces reused as views)', () => {
  it('B = 32, 7, 33, 7 (and longer sequences) each equal model.forward', () => {
    const config = resolveConfig({ seed: 9, cell: 'lstm', hidden_dim: 6, num_layers: 2, batch_size: 8, max_seq_len: 6 });
    const t = new Trainer(config, { fused: true });
    for (let s = 0; s < 3; s++) t.trainStep();
    const kernel = inferenceKernel(t.model)!;
    t.model.eval();
    const stream = t.task.stream(config, t.evalRng);
    for (const [B, maxLen] of [[32, 6], [7, 6], [33, 9], [7, 3]]) {
      const s2 = t.task.stream(config, t.evalRng, { minLen: 1, maxLen });
      const samples = Array.from({ length: B }, () => (maxLen === 6 ? stream.next() : s2.next()));
      const { inputs, lengths } = t.task.collate(samples, config);
      const ref = noGrad(() => t.model.forward(inputs, lengths));
      expect(bits(kernel.forward(inputs.data, inputs.shape[1], lengths.data)), `B=${B}`).toEqual(bits(ref.data));
    }
  });
});
