// One sequence (or one row) runs on the weights as stored, as matrix-vector products, without the
// transposes the batched form needs (layer32-walk.ts asStored, linear32.ts M = 1). Each output is
// the same float32 sum in the same order, so a sequence alone gives the bits it gets inside a
// batch, where the row form runs: forward, and every gradient. A forward without gradients keeps
// no tape and gives the same outputs.
import { describe, expect, it } from 'vitest';
import { RNN, LSTM, GRU } from '../src/nn/rnn.js';
import { Linear } from '../src/nn/linear.js';
import { kernelCounts } from '../src/runtime/wasm/gemm32.js';
import { randn } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { cat, narrow, sum, mul } from '../src/tensor/ops.js';
import { Tensor, noGrad } from '../src/tensor/tensor.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('one sequence on the weights as stored', () => {
  const makers: Array<[string, (g: Generator) => RNN | LSTM | GRU]> = [
    ['RNN', (g) => new RNN(6, 12, { numLayers: 2, batchFirst: true, generator: g })],
    ['LSTM', (g) => new LSTM(6, 12, { numLayers: 2, batchFirst: true, generator: g })],
    ['GRU', (g) => new GRU(6, 12, { numLayers: 2, batchFirst: true, generator: g })],
  ];
  for (const [name, make] of makers) {
    for (const T of [1, 5, 9, 40]) {
      it(`${name}, ${T} steps: alone = inside a batch of two, outputs and gradients`, () => {
        const g = new Generator(T * 7 + name.length);
        const layer = make(g);
        const x = randn([1, T, 6], { generator: g });
        const other = randn([1, T, 6], { generator: g });
        const probe = randn([1, T, 12], { generator: g });

        const xa = new Tensor(x.data.slice(), [1, T, 6], 'float32', true);
        const [ya, ha] = layer.forward(xa) as [Tensor, Tensor | [Tensor, Tensor]];
        sum(mul(ya, probe)).backward();
        const aloneGrads = layer.parameters().map((p) => bits(p.grad!.data));
        const aloneDx = bits(xa.grad!.data);
        layer.zeroGrad();

        const xb = new Tensor(cat([x, other], 0).data.slice(), [2, T, 6], 'float32', true);
        const [yb, hb] = layer.forward(xb) as [Tensor, Tensor | [Tensor, Tensor]];
        sum(mul(narrow(yb, 0, 0, 1), probe)).backward();

        expect(bits(ya.data)).toEqual(bits(narrow(yb, 0, 0, 1).data));
        const hA = Array.isArray(ha) ? ha[0] : ha, hB = Array.isArray(hb) ? hb[0] : hb;
        expect(bits(hA.data)).toEqual(bits(narrow(hB, 1, 0, 1).data));
        layer.parameters().forEach((p, i) => expect(bits(p.grad!.data), `grad ${i}`).toEqual(aloneGrads[i]));
        expect(bits(narrow(xb.grad!, 0, 0, 1).data)).toEqual(aloneDx);
      });
    }
  }

  it('without gradients (no tape: the recurrent product reads h_prev in place) = with them, one sequence and five, both directions', () => {
    for (const [name, make] of makers) {
      for (const B of [1, 5]) {
        const g = new Generator(B + name.length);
        const layer = make(g);
        const rev = new (layer.constructor as typeof RNN)(6, 12, { numLayers: 2, batchFirst: true, bidirectional: true, generator: g });
        for (const m of [layer, rev]) {
          const x = randn([B, 7, 6], { generator: g });
          const [y1, h1] = m.forward(x) as [Tensor, Tensor | [Tensor, Tensor]];
          const [y2, h2] = noGrad(() => m.forward(x)) as [Tensor, Tensor | [Tensor, Tensor]];
          expect(y1.requiresGrad && !y2.requiresGrad, `${name}: the first forward kept a graph, the second none`).toBe(true);
          expect(bits(y2.data), `${name} B=${B} y`).toEqual(bits(y1.data));
          const flat = (h: Tensor | [Tensor, Tensor]) => (Array.isArray(h) ? h : [h]).map((t) => bits(t.data));
          expect(flat(h2), `${name} B=${B} h_n (c_n)`).toEqual(flat(h1));
        }
      }
    }
  });

  it('batch-first and time-major agree where one of B and T is 1 (no reorder is needed): outputs and gradients', () => {
    for (const [name, make] of makers) {
      for (const [B, T] of [[4, 1], [1, 6]]) {
        const g = new Generator(B * 10 + T + name.length);
        const bf = make(g);
        const tm = new (bf.constructor as typeof RNN)(6, 12, { numLayers: 2, generator: g });
        tm.loadStateDict(bf.stateDict());
        const x = randn([B, T, 6], { generator: g });
        const probe = randn([B, T, 12], { generator: g });
        const xa = new Tensor(x.data.slice(), [B, T, 6], 'float32', true);
        const [ya] = bf.forward(xa) as [Tensor, unknown];
        expect(ya.shape).toEqual([B, T, 12]);
        sum(mul(ya, probe)).backward();
        // time-major: [T, B, 6] holds the same order when B or T is 1
        const xb = new Tensor(x.data.slice(), [T, B, 6], 'float32', true);
        const [yb] = tm.forward(xb) as [Tensor, unknown];
        expect(yb.shape).toEqual([T, B, 12]);
        sum(mul(yb, new Tensor(probe.data, [T, B, 12], 'float32'))).backward();
        expect(bits(ya.data), `${name} B=${B} T=${T}`).toEqual(bits(yb.data));
        expect(bits(xa.grad!.data)).toEqual(bits(xb.grad!.data));
        bf.parameters().forEach((p, i) => expect(bits(p.grad!.data), `grad ${i}`).toEqual(bits(tm.parameters()[i].grad!.data)));
      }
    }
  });

  it('runs on the SIMD products (by the kernel counter)', () => {
    const layer = new LSTM(8, 16, { generator: new Generator(3) });
    const before = kernelCounts.gemm32;
    layer.forward(randn([3, 1, 8], { generator: new Generator(4) }));
    expect(kernelCounts.gemm32 - before).toBeGreaterThanOrEqual(6); // two products a step
  });
});

describe('Linear on one row', () => {
  for (const bias of [true, false]) {
    it(`bias ${bias}: one row alone = the same row inside a batch, output and gradients`, () => {
      const g = new Generator(bias ? 1 : 2);
      const lin = new Linear(37, 23, { bias, generator: g });
      const x = randn([1, 37], { generator: g });
      const probe = randn([1, 23], { generator: g });
      const xa = new Tensor(x.data.slice(), [1, 37], 'float32', true);
      const ya = lin.forward(xa);
      sum(mul(ya, probe)).backward();
      const alone = lin.parameters().map((p) => bits(p.grad!.data));
      lin.zeroGrad();
      const xb = new Tensor(cat([x, randn([2, 37], { generator: g })], 0).data.slice(), [3, 37], 'float32', true);
      const yb = lin.forward(xb);
      sum(mul(narrow(yb, 0, 0, 1), probe)).backward();
      expect(bits(ya.data)).toEqual(bits(narrow(yb, 0, 0, 1).data));
      lin.parameters().forEach((p, i) => expect(bits(p.grad!.data)).toEqual(alone[i]));
      expect(bits(narrow(xb.grad!, 0, 0, 1).data)).toEqual(bits(xa.grad!.data));
    });
  }
});
