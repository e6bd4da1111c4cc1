// Fast packed-layer kernel vs its naive reference twin (per-sequence loops + scalar autodiff),
// on random shapes, packings and weights: forward values and every gradient.
import { describe, it, expect } from 'vitest';
import { allocTape, gateCount, packedLayerBackward, packedLayerForward } from '../src/kernels/packed-layer.js';
import type { CellMode, LayerGrads, LayerParams, LayerShape } from '../src/kernels/packed-layer.js';
import { packedLayerNaive } from '../src/kernels/packed-layer-naive.js';
import { Generator } from '../src/tensor/random.js';
import { allocF32, allocF64 } from '../src/kernels/gemm-wasm.js';
import { expectClose } from './rnn-helpers.js';

const MODES: CellMode[] = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'];

function randomCase(gen: Generator, mode: CellMode, f32: boolean) {
  const int = (lo: number, hi: number) => lo + Math.floor(gen.random() * (hi - lo + 1));
  const H = int(1, 5);
  const P = mode === 'LSTM' && gen.random() < 0.5 && H > 1 ? int(1, H - 1) : 0;
  const Hout = P || H;
  const In = int(1, 4);
  const B = int(1, 4);
  const lengths = Array.from({ length: B }, () => int(1, 5)).sort((a, b) => b - a);
  const T = lengths[0];
  const batchSizes = Array.from({ length: T }, (_, t) => lengths.filter((l) => l > t).length);
  const rows = batchSizes.reduce((a, b) => a + b, 0);
  const GH = gateCount(mode) * H;
  const bias = gen.random() < 0.7;
  const arr = (n: number) => {
    const a = f32 ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = gen.uniform(-1, 1);
    return a;
  };
  const shape: LayerShape = { mode, inputSize: In, hiddenSize: H, projSize: P };
  const p: LayerParams = {
    wIh: arr(GH * In), wHh: arr(GH * Hout), bIh: bias ? arr(GH) : null, bHh: bias ? arr(GH) : null, wHr: P ? arr(P * H) : null,
  };
  const withH0 = gen.random() < 0.7;
  return {
    shape, p, batchSizes, rows, B, H, Hout, GH,
    x: arr(rows * In), h0: withH0 ? arr(B * Hout) : null, c0: withH0 && mode === 'LSTM' ? arr(B * H) : null,
    dY: arr(rows * Hout), dhN: arr(B * Hout), dcN: mode === 'LSTM' ? arr(B * H) : null,
    reverse: gen.random() < 0.5,
  };
}

describe('packed layer kernel: fast vs naive twin', () => {
  for (const mode of MODES) {
    for (const f32 of [false, true]) {
      it(`${mode} ${f32 ? 'float32' : 'float64'}: 25 random packed batches`, () => {
        const gen = new Generator(f32 ? 11 : 7);
        const [atol, rtol] = f32 ? [1e-5, 1e-4] : [1e-12, 1e-10];
        for (let trial = 0; trial < 25; trial++) {
          const k = randomCase(gen, mode, f32);
          const lstm = mode === 'LSTM';
          const mk = (n: number) => (f32 ? new Float32Array(n) : new Float64Array(n));
          const y = mk(k.rows * k.Hout), hN = mk(k.B * k.Hout), cN = lstm ? mk(k.B * k.H) : null;
          const tape = allocTape(k.shape, k.rows);
          packedLayerForward(k.shape, k.p, k.x, k.batchSizes, k.reverse, k.h0, k.c0, y, hN, cN, tape);
          const grads: LayerGrads = {
            dX: new Float64Array(k.x.length), dh0: new Float64Array(k.B * k.Hout), dc0: lstm ? new Float64Array(k.B * k.H) : null,
            dWih: new Float64Array(k.p.wIh.length), dWhh: new Float64Array(k.p.wHh.length),
            dBih: k.p.bIh ? new Float64Array(k.GH) : null, dBhh: k.p.bHh ? new Float64Array(k.GH) : null,
            dWhr: k.p.wHr ? new Float64Array(k.p.wHr.length) : null,
          };
          packedLayerBackward(k.shape, k.p, k.x, k.batchSizes, k.reverse, tape, k.dY, k.dhN, k.dcN, grads);
          const ref = packedLayerNaive(k.shape, k.p, k.x, k.batchSizes, k.reverse, k.h0, k.c0, k.dY, k.dhN, k.dcN);
          const tag = `${mode} trial ${trial} bs=[${k.batchSizes}] rev=${k.reverse} P=${k.shape.projSize}`;
          expectClose(`${tag} y`, y, ref.y, atol, rtol);
          expectClose(`${tag} hN`, hN, ref.hN, atol, rtol);
          if (lstm) expectClose(`${tag} cN`, cN!, ref.cN!, atol, rtol);
          for (const key of ['dX', 'dh0', 'dc0', 'dWih', 'dWhh', 'dBih', 'dBhh', 'dWhr'] as const) {
            const a = grads[key];
            const b = ref.grads[key];
            expect(a === null, `${tag} ${key} presence`).toBe(b === null);
            if (a && b) expectClose(`${tag} ${key}`, a, b, atol * 10, rtol * 10);
          }
        }
      });
    }
  }

  it('the forward without a tape (inference) gives the same values', () => {
    const gen = new Generator(3);
    const k = randomCase(gen, 'GRU', false);
    const y1 = new Float64Array(k.rows * k.Hout), h1 = new Float64Array(k.B * k.Hout);
    const y2 = new Float64Array(k.rows * k.Hout), h2 = new Float64Array(k.B * k.Hout);
    packedLayerForward(k.shape, k.p, k.x, k.batchSizes, k.reverse, k.h0, null, y1, h1, null, null);
    packedLayerForward(k.shape, k.p, k.x, k.batchSizes, k.reverse, k.h0, null, y2, h2, null, allocTape(k.shape, k.rows));
    expect(Array.from(y1)).toEqual(Array.from(y2));
    expect(Array.from(h1)).toEqual(Array.from(h2));
  });
});

describe('packed layer kernel: buffers in WASM memory (SIMD steps) = ordinary arrays (JS loops), bit for bit', () => {
  // With the tape, gradients, dY and float32 outputs in WASM memory the kernel takes its SIMD
  // paths (Elman tanh backward, float32 stores, widening, copies); with ordinary arrays, the JS ones.
  for (const mode of MODES) {
    for (const f32 of [false, true]) {
      it(`${mode} ${f32 ? 'float32' : 'float64'}: 10 random packed batches`, () => {
        const gen = new Generator(f32 ? 31 : 37);
        for (let trial = 0; trial < 10; trial++) {
          const k = randomCase(gen, mode, f32);
          const lstm = mode === 'LSTM';
          const run = (wasm: boolean) => {
            const f64 = (n: number) => (wasm ? allocF64(n) : new Float64Array(n));
            const mk = (n: number) => (f32 ? (wasm ? allocF32(n) : new Float32Array(n)) : f64(n));
            const copy = <A extends Float32Array | Float64Array>(a: A) => { const b = mk(a.length); b.set(a); return b; };
            const x = copy(k.x), dY = copy(k.dY);
            const y = mk(k.rows * k.Hout), hN = mk(k.B * k.Hout), cN = lstm ? mk(k.B * k.H) : null;
            const tape = allocTape(k.shape, k.rows, f64);
            packedLayerForward(k.shape, k.p, x, k.batchSizes, k.reverse, k.h0, k.c0, y, hN, cN, tape);
            const grads: LayerGrads = {
              dX: f64(k.x.length), dh0: f64(k.B * k.Hout), dc0: lstm ? f64(k.B * k.H) : null,
              dWih: f64(k.p.wIh.length), dWhh: f64(k.p.wHh.length),
              dBih: k.p.bIh ? f64(k.GH) : null, dBhh: k.p.bHh ? f64(k.GH) : null, dWhr: k.p.wHr ? f64(k.p.wHr.length) : null,
            };
            // with and without an upper layer's gradient
            packedLayerBackward(k.shape, k.p, x, k.batchSizes, k.reverse, tape, trial % 2 ? dY : null, k.dhN, k.dcN, grads);
            return [y, hN, cN, tape.save, tape.hPrev, ...Object.values(grads)].map((a) => (a === null ? null : Array.from(a)));
          };
          expect(run(true), `${mode} trial ${trial}`).toEqual(run(false));
        }
      });
    }
  }
});
