// The fused flat-buffer training step (src/kernels/rnn-cls-net.ts via src/train/fused.ts) against
// its naive twin, the autograd path (Trainer with fused: false): same seed, same data, and the
// losses, every gradient and the weights after many Adam steps must be bit-identical. Also the
// fused inference (accuracy, predictOne) against model.forward.
import { spawnSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { Trainer, accuracy, predictOne } from '../src/train/trainer.js';
import { resolveConfig } from '../src/train/config.js';
import type { TrainConfig } from '../src/train/config.js';
import { inferenceKernel } from '../src/train/fused.js';
import { OneSequenceJs, OneSequenceWasm, makeOneSequence } from '../src/kernels/rnn-cls-one.js';
import { inWasmMemory } from '../src/kernels/gemm-wasm.js';
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
      expect(fast.optimizer.flatSteps, 'every fused step is one flat Adam update').toBe(40);
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

describe('single-sequence path (kernel.forwardOne, used by predictOne) = model.forward', () => {
  // Both implementations: OneSequenceJs (the JS twin) and OneSequenceWasm (what forwardOne uses in
  // Node): the same products in the same order and the cells' own tanh, so the same bits.
  const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => expect(bits(a), what).toEqual(bits(b));
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: odd sizes (tails of the tiles), lengths 1–9, both implementations`, () => {
      const config = resolveConfig({ seed: 11, cell, hidden_dim: 7, embed_dim: 5, num_layers: 3, batch_size: 8, max_seq_len: 9 });
      const t = new Trainer(config, { fused: true });
      for (let s = 0; s < 5; s++) t.trainStep();
      const kernel = inferenceKernel(t.model)!;
      const twin = new OneSequenceJs(kernel.dims, kernel.params);
      const wasm = makeOneSequence(kernel.dims, kernel.params);
      expect(wasm).toBeInstanceOf(OneSequenceWasm);
      t.model.eval();
      for (let n = 1; n <= 9; n++) {
        const seq = Array.from({ length: n }, (_, i) => (i * 7 + n) % 10);
        const { inputs, lengths } = t.task.collate([[seq, n, 0]], config);
        const ref = noGrad(() => t.model.forward(inputs, lengths));
        expect(bits(twin.forward(seq, n)), `twin, length ${n}`).toEqual(bits(ref.data));
        expect(bits(wasm.forward(seq, n)), `wasm, length ${n}`).toEqual(bits(ref.data));
        const p = predictOne(t.model, t.task, config, seq);
        expect(bits(p.probs)).toEqual(bits(noGrad(() => ref.softmax(1).data)));
      }
      // the padding id is a valid row (zeros) on both paths
      const withPad = [3, 10, 4];
      const b = t.task.collate([[withPad, 3, 0]], config);
      const padRef = bits(noGrad(() => t.model.forward(b.inputs, b.lengths)).data);
      expect(bits(twin.forward(withPad, 3))).toEqual(padRef);
      expect(bits(wasm.forward(withPad, 3))).toEqual(padRef);
    });
  }

  for (const fused of [true, false]) it(`the WASM path follows in-place weight changes (its float64 copies are never stale), weights ${fused ? 'in WASM memory (a fused trainer\'s flat buffer)' : 'in ordinary arrays'}`, () => {
    const config = resolveConfig({ seed: 4, hidden_dim: 9, num_layers: 2, batch_size: 8 });
    const t = new Trainer(config, { fused });
    for (let s = 0; s < 3; s++) t.trainStep();
    const kernel = inferenceKernel(t.model)!;
    const twin = new OneSequenceJs(kernel.dims, kernel.params);
    const seq = [4, 8, 1, 9];
    const before = Array.from(kernel.forwardOne(seq, 4));
    same(before, twin.forward(seq, 4), 'before');
    const { layers } = kernel.params;
    expect(inWasmMemory(layers[0].wIh)).toBe(fused); // compared in place, or copied in first
    // one element at a time: the first recurrent weight, a bias, the very last element (the
    // comparison's 4-byte tail), and a sign-only change (+0 → −0 has different bits)
    const edits: Array<[Float32Array, number, number]> = [
      [layers[0].wIh as Float32Array, 0, 0.5],
      [layers[1].bIh as Float32Array, 3, -0.25],
      [layers[1].bHh as Float32Array, 8, 0.75],
    ];
    for (const [arr, i, v] of edits) {
      arr[i] = v;
      const after = Array.from(kernel.forwardOne(seq, 4));
      same(after, twin.forward(seq, 4), `after setting [${i}] = ${v}`);
      expect(after).not.toEqual(before);
    }
    (layers[0].wHh as Float32Array)[5] = 0;
    kernel.forwardOne(seq, 4);
    (layers[0].wHh as Float32Array)[5] = -0;
    const one = (kernel as unknown as { one: { snap: Float32Array } }).one;
    kernel.forwardOne(seq, 4);
    expect(Object.is(one.snap[layers[0].wIh.length + 5], -0)).toBe(true);
    // an optimizer step changes every weight in place
    t.trainStep();
    same(kernel.forwardOne(seq, 4), twin.forward(seq, 4), 'after a training step');
  });
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

describe('results do not depend on WASM', () => {
  // The same training run and prediction in a child with RECUR_NO_WASM=1 (JS products, the scalar
  // tanh, the JS single-sequence twin) and here (WASM SIMD): the same bits.
  const script = (config: object) => `
    const recur = await import('./dist/index.js');
    const config = recur.resolveConfig(${JSON.stringify(config)});
    const t = new recur.Trainer(config);
    const losses = [];
    for (let s = 0; s < 30; s++) losses.push(t.trainStep().loss);
    const p = recur.predictOne(t.model, t.task, config, [4, 1, 7, 7, 2]);
    console.log(JSON.stringify({ losses, probs: p.probs }));`;
  for (const cell of ['rnn', 'gru'] as const) {
    it(`${cell}: 30 training steps and a prediction, with and without WASM`, () => {
      const config = { seed: 3, cell, hidden_dim: 12, num_layers: 2, batch_size: 16, lr: 0.005 };
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script(config)], {
        encoding: 'utf8', env: { ...process.env, RECUR_NO_WASM: '1' },
      });
      expect(child.status, child.stderr).toBe(0);
      const js = JSON.parse(child.stdout) as { losses: number[]; probs: number[] };
      const resolved = resolveConfig(config);
      const t = new Trainer(resolved);
      const losses: number[] = [];
      for (let s = 0; s < 30; s++) losses.push(t.trainStep().loss);
      expect(losses).toEqual(js.losses);
      expect(predictOne(t.model, t.task, resolved, [4, 1, 7, 7, 2]).probs).toEqual(js.probs);
    });
  }
});
