// The float32 fast path under the modules: a model a user composes (nn.Embedding → LSTM/GRU/RNN →
// Linear, float32) runs the float32 SIMD kernels (shown by the kernel counter), agrees with the same
// model in float64 within the golden float32 tolerances (atol 1e-5, rtol 1e-4) in outputs, final
// states and every gradient, gives the same bits run to run, and keeps the WASM memory bounded when
// 10,000 models are made and dropped, and flat when they are disposed (no garbage collection
// needed). The article's RnnClsNet (float32 unless told otherwise) composes the same modules and
// runs the same float32 kernels.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/nn/rnn.js';
import type { RNNBase } from '../src/nn/rnn.js';
import { Linear } from '../src/nn/linear.js';
import { Embedding } from '../src/nn/embedding.js';
import { packPaddedSequence } from '../src/nn/utils/rnn.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randn, tensor } from '../src/tensor/create.js';
import { mul, sum, add } from '../src/tensor/ops.js';
import { Generator } from '../src/tensor/random.js';
import { RnnClsNet } from '../src/models/rnn-cls-net.js';
import { kernelCounts, resetKernelCounts } from '../src/runtime/wasm/gemm32.js';
import { workspaceSize } from '../src/runtime/wasm/workspace.js';
import { wasmReservedBytes } from '../src/kernels/gemm-wasm.js';
import { expectClose } from './rnn-helpers.js';

type Kind = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
const TOL = { atol: 1e-5, rtol: 1e-4 };

function build(kind: Kind, In: number, H: number, dtype: 'float32' | 'float64', opts: Record<string, unknown>): RNNBase {
  const o = { ...opts, dtype, generator: new Generator(7) };
  if (kind === 'LSTM') return new LSTM(In, H, o);
  if (kind === 'GRU') return new GRU(In, H, o);
  return new RNN(In, H, { ...o, nonlinearity: kind === 'RNN_RELU' ? 'relu' : 'tanh' });
}

interface Case { kind: Kind; layers: number; bidirectional: boolean; packed: boolean; h0: boolean }

/** One forward and backward of rnn → Linear; returns every value and gradient, flattened. */
function runOnce(c: Case, dtype: 'float32' | 'float64', weights: Float64Array[] | null) {
  const In = 5, H = 9, B = 4, T = 7;
  const rnn = build(c.kind, In, H, dtype, { numLayers: c.layers, bidirectional: c.bidirectional, batchFirst: true });
  const D = c.bidirectional ? 2 : 1;
  const head = new Linear(D * H, 3, { dtype, generator: new Generator(8) });
  const params = [...rnn.parameters(), ...head.parameters()];
  if (weights) params.forEach((p, i) => p.data.set(weights[i]));
  const g = new Generator(9);
  const xv = Float64Array.from(randn([B, T, In], { generator: g, dtype: 'float64' }).data, Math.fround);
  const x = tensor(dtype === 'float32' ? Float32Array.from(xv) : xv, { shape: [B, T, In], dtype, requiresGrad: true });
  let h0: Tensor | null = null, c0: Tensor | null = null;
  if (c.h0) {
    const hv = Float64Array.from(randn([c.layers * D, B, H], { generator: g, dtype: 'float64' }).data, Math.fround);
    h0 = tensor(dtype === 'float32' ? Float32Array.from(hv) : hv, { shape: [c.layers * D, B, H], dtype, requiresGrad: true });
    c0 = tensor(dtype === 'float32' ? Float32Array.from(hv) : hv.slice(), { shape: [c.layers * D, B, H], dtype, requiresGrad: true });
  }
  const input = c.packed ? packPaddedSequence(x, [5, 7, 2, 4], { batchFirst: true, enforceSorted: false }) : x;
  const [out, hx] = c.kind === 'LSTM'
    ? (rnn as LSTM).forward(input, h0 ? [h0, c0!] : null)
    : (rnn as GRU).forward(input, h0);
  const hN = c.kind === 'LSTM' ? (hx as [Tensor, Tensor])[0] : (hx as Tensor);
  const rows = out instanceof PackedSequence ? out.data : (out as Tensor);
  const logits = head.forward(rows);
  const r1 = tensor(Float64Array.from({ length: logits.data.length }, (_, i) => Math.fround(Math.sin(i + 1))), { shape: [...logits.shape], dtype });
  const r2 = tensor(Float64Array.from({ length: hN.data.length }, (_, i) => Math.fround(Math.cos(i + 1))), { shape: [...hN.shape], dtype });
  const loss = add(sum(mul(logits, r1)), sum(mul(hN, r2)));
  loss.backward();
  const grads = [x, ...(h0 ? (c.kind === 'LSTM' ? [h0, c0!] : [h0]) : []), ...params].map((t) => Float64Array.from(t.grad!.data));
  return { values: [Float64Array.from(logits.data), Float64Array.from(hN.data)], grads, params: params.map((p) => Float64Array.from(p.data)), loss: loss.item() };
}

const cases: Case[] = [];
for (const kind of ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'] as Kind[]) {
  cases.push({ kind, layers: 2, bidirectional: false, packed: false, h0: false });
  cases.push({ kind, layers: 2, bidirectional: true, packed: true, h0: true });
}

describe('float32 models run the float32 SIMD kernels and agree with float64', () => {
  for (const c of cases) {
    it(`${c.kind}, ${c.layers} layers${c.bidirectional ? ', bidirectional' : ''}${c.packed ? ', packed (unsorted)' : ', padded batchFirst'}${c.h0 ? ', h0' : ''}`, () => {
      resetKernelCounts();
      const f32 = runOnce(c, 'float32', null);
      const D = c.bidirectional ? 2 : 1;
      expect(kernelCounts.layer32Forward).toBe(c.layers * D);
      expect(kernelCounts.layer32Backward).toBe(c.layers * D);
      expect(kernelCounts.linear32).toBe(1);
      expect(kernelCounts.gemm32).toBeGreaterThan(0);
      resetKernelCounts();
      const f64 = runOnce(c, 'float64', f32.params);
      expect(kernelCounts.layer32Forward + kernelCounts.linear32).toBe(0); // float64 keeps float64 kernels
      f32.values.forEach((v, i) => expectClose(`value ${i}`, v, f64.values[i], TOL.atol, TOL.rtol));
      f32.grads.forEach((v, i) => expectClose(`gradient ${i}`, v, f64.grads[i], TOL.atol, TOL.rtol));
      // the same bits run to run
      const again = runOnce(c, 'float32', null);
      expect(again.grads.map((g) => Array.from(g))).toEqual(f32.grads.map((g) => Array.from(g)));
      expect(again.loss).toBe(f32.loss);
    });
  }

  it("a user-composed char model (Embedding → LSTM → Linear) counts SIMD kernel calls, and so does the article's RnnClsNet", () => {
    const gen = new Generator(3);
    const emb = new Embedding(11, 6, { generator: gen });
    const lstm = new LSTM(6, 8, { numLayers: 2, batchFirst: true, generator: gen });
    const head = new Linear(8, 11, { generator: gen });
    resetKernelCounts();
    const x = tensor(Int32Array.from({ length: 12 }, (_, i) => i % 11), { shape: [3, 4], dtype: 'int64' });
    const [out] = lstm.forward(emb.forward(x));
    const loss = sum(head.forward(out as Tensor));
    loss.backward();
    expect(kernelCounts.layer32Forward).toBe(2);
    expect(kernelCounts.layer32Backward).toBe(2);
    expect(kernelCounts.linear32).toBe(1);
    // per layer: 1 input projection + 4 recurrent steps forward; 4 steps + 2 weight products + 2 column sums + dX backward
    expect(kernelCounts.gemm32).toBeGreaterThanOrEqual(2 * (1 + 4 + 4 + 2));
    expect(workspaceSize(head)).toBeGreaterThan(0);
    head.dispose();
    expect(workspaceSize(head)).toBe(0);

    resetKernelCounts();
    const net = new RnnClsNet({ vocabSize: 12, embedDim: 4, hiddenDim: 8, numLayers: 1, numClasses: 10, cell: 'lstm' });
    const xs = tensor(Int32Array.from([1, 2, 3, 4, 5, 11]), { shape: [2, 3], dtype: 'int64' });
    sum(net.forward(xs, tensor(Int32Array.from([3, 2]), { dtype: 'int64' }))).backward();
    expect(kernelCounts.layer32Forward).toBe(1);
    expect(kernelCounts.layer32Backward).toBe(1);
    expect(kernelCounts.linear32).toBe(1);
  });

  it('a second backward through the same float32 layer graph is a clear error', () => {
    const lstm = new LSTM(3, 4, { generator: new Generator(1) });
    const x = randn([2, 1, 3], { generator: new Generator(2) });
    const [out] = lstm.forward(x);
    const loss = sum(out as Tensor);
    loss.backward();
    expect(() => loss.backward()).toThrow(/backward through the graph a second time/);
  });
});

/** Model i of the loops below: GRU(4 → 8) → Linear(8, 3) on a [3, 2, 4] input; `bytes`: WASM memory its forward took. */
function smallModel(i: number) {
  const gen = new Generator(i);
  const rnn = new GRU(4, 8, { generator: gen });
  const head = new Linear(8, 3, { generator: gen });
  const before = wasmReservedBytes();
  const [out] = rnn.forward(randn([3, 2, 4], { generator: gen }));
  const y = sum(head.forward(out as Tensor));
  return { rnn, head, y, bytes: wasmReservedBytes() - before };
}

describe('WASM memory of float32 models', () => {
  it('stays bounded when 10,000 models are created, run and dropped (half without backward)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const settle = async () => { gc(); await new Promise((r) => setTimeout(r, 0)); gc(); await new Promise((r) => setTimeout(r, 0)); };
    await settle();
    const start = wasmReservedBytes();
    let peak = 0;
    let perModel = 0;
    for (let i = 0; i < 10_000; i++) {
      const { y, bytes } = smallModel(i);
      if (i === 0) perModel = bytes;
      if (i % 2 === 0) y.backward();
      if (i % 500 === 499) {
        await settle();
        peak = Math.max(peak, wasmReservedBytes() - start);
      }
    }
    await settle();
    expect(perModel).toBeGreaterThan(0);
    // 10,000 models never given back would hold 10,000 × perModel bytes; at most a few hundred may be
    // alive between two collections.
    expect(peak).toBeLessThan(600 * perModel);
    expect(wasmReservedBytes() - start).toBeLessThan(100 * perModel);
  }, 120_000);
});

describe('dispose() gives WASM memory back without the garbage collector', () => {
  it('10,000 models created, run (forward and backward) and disposed: the reserved memory stays flat', () => {
    // No gc() and no await: only dispose() (and backward's release of the layer tapes) can give
    // memory back here, and the collector gets no turn to run finalizers.
    const start = wasmReservedBytes();
    let perModel = 0;
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      const { rnn, head, y, bytes } = smallModel(i);
      y.backward();
      if (i === 0) perModel = bytes;
      expect(workspaceSize(head)).toBeGreaterThan(0);
      rnn.dispose();
      head.dispose();
      expect(workspaceSize(head)).toBe(0);
      peak = Math.max(peak, wasmReservedBytes() - start);
    }
    expect(perModel).toBeGreaterThan(0);
    // Flat: what one model holds at most, not a count of models (kept, 10,000 would hold 10,000×).
    expect(peak).toBeLessThanOrEqual(2 * perModel);
    expect(wasmReservedBytes() - start).toBeLessThanOrEqual(perModel);
  }, 120_000);
});

describe('the float32 path without WASM', () => {
  // The same seeded char-model training in two children, one with RECUR_NO_WASM=1 (plain arrays,
  // the kernels' JS twins): the float32 path runs in both, and every loss and weight has the same bits.
  const script = `
    const recur = await import('./dist/index.js');
    const { kernelCounts } = await import('./dist/runtime/wasm/gemm32.js');
    recur.manualSeed(3);
    class Net extends recur.Module {
      constructor() { super(); this.emb = new recur.Embedding(11, 6); this.rnn = new recur.LSTM(6, 12, 2, { batchFirst: true }); this.fc = new recur.Linear(12, 11); }
      forward(x) { const [out] = this.rnn.forward(this.emb.forward(x)); return this.fc.forward(out); }
    }
    const net = new Net();
    const opt = new recur.Adam(net.parameters(), 0.01);
    const gen = new recur.Generator(5);
    const losses = [];
    for (let s = 0; s < 3; s++) {
      const x = recur.tensor(Array.from({ length: 4 }, () => Array.from({ length: 7 }, () => gen.randint(0, 10))));
      const logits = net.forward(x);
      const loss = recur.crossEntropy(logits.reshape([28, 11]), x.reshape([28]));
      opt.zeroGrad(); loss.backward(); opt.step();
      losses.push(loss.item());
    }
    const weights = net.parameters().flatMap((p) => Array.from(p.data));
    console.log(JSON.stringify({ losses, weights, counts: kernelCounts }));
  `;
  it('gives the same bits as with WASM', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = (env: Record<string, string>) => {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', env: { ...process.env, ...env } });
      expect(child.status, child.stderr).toBe(0);
      return JSON.parse(child.stdout) as { losses: number[]; weights: number[]; counts: Record<string, number> };
    };
    const wasm = run({});
    const js = run({ RECUR_NO_WASM: '1' });
    expect(wasm.counts.layer32Forward).toBeGreaterThan(0);
    expect(js.counts.layer32Forward).toBe(wasm.counts.layer32Forward);
    expect(wasm.counts.gemm32).toBeGreaterThan(0);
    expect(js.counts.gemm32).toBe(0);
    expect(js.losses).toEqual(wasm.losses);
    expect(js.weights).toEqual(wasm.weights);
  });
});
