// exp64 (src/kernels/exp64.ts): e^x over float64 buffers with Math.exp's bits, as the SIMD kernel
// (scratch in WASM memory) and as its scalar twin; and the cross-entropy that stages its
// exponentials through it, over several chunks of rows, against the textbook formulas written here
// with Math.exp: the same bits in the loss and in every gradient element.
import { describe, it, expect } from 'vitest';
import { EXP_SCRATCH, expInPlace, expInPlaceNaive, expScratch } from '../src/kernels/exp64.js';
import { inWasmMemory, wasmGates } from '../src/kernels/gemm-wasm.js';
import { Generator } from '../src/tensor/random.js';
import { crossEntropy } from '../src/nn/loss.js';
import { tensor } from '../src/tensor/create.js';

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const bits = (x: number): bigint => { f64[0] = x; return u64[0]; };
const same = (a: number, b: number): boolean => (a !== a && b !== b) || bits(a) === bits(b);

describe('exp64', () => {
  const gen = new Generator(5);
  const xs: number[] = [0, -0, 1, -1, 0.5, 709.78, 709.79, -745.1, -745.2, -708.4, -1e-300, 2 ** -30, -(2 ** -29), Infinity, -Infinity, NaN];
  for (let i = 0; i < 20000; i++) xs.push((gen.random() - 0.5) * 2 * [1, 10, 100, 800][i % 4]);

  it('the scratch is in WASM memory, holds at least what is asked, and is reused', () => {
    expect(wasmGates(), 'the gates module is available here').not.toBeNull();
    const a = expScratch(10);
    expect(a.length).toBeGreaterThanOrEqual(EXP_SCRATCH);
    expect(inWasmMemory(a)).toBe(true);
    expect(expScratch(100)).toBe(a);
    const big = expScratch(3 * EXP_SCRATCH);
    expect(big.length).toBeGreaterThanOrEqual(3 * EXP_SCRATCH);
  });

  it("gives Math.exp's bits, in WASM memory and in an ordinary array", () => {
    const w = expScratch(xs.length);
    w.set(xs);
    expInPlace(w, xs.length);
    const plain = Float64Array.from(xs);
    expInPlace(plain, xs.length); // not in WASM memory: the scalar twin
    const twin = Float64Array.from(xs);
    expInPlaceNaive(twin, xs.length);
    const bad = xs.filter((x, i) => !same(w[i], Math.exp(x)) || !same(plain[i], Math.exp(x)) || !same(twin[i], Math.exp(x)));
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('touches only the first n elements (odd n included)', () => {
    const w = expScratch(8);
    w.fill(2, 0, 8);
    expInPlace(w, 5);
    expect(Array.from(w.subarray(0, 6))).toEqual([Math.exp(2), Math.exp(2), Math.exp(2), Math.exp(2), Math.exp(2), 2]);
  });
});

describe('crossEntropy over rows, staged through exp64', () => {
  // N·C = 2,600 × 41 spans several scratch chunks; float32 and float64 logits, an ignored target.
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: the loss and every gradient element equal the formulas with Math.exp`, () => {
      const N = 2600, C = 41;
      const gen = new Generator(11);
      const raw = Array.from({ length: N * C }, () => (gen.random() - 0.5) * 30);
      raw[7 * C + 3] = -Infinity; // a class that can never win
      const ys = Int32Array.from({ length: N }, (_, e) => (e === 9 ? -100 : (e * 7) % C));
      const x = tensor(dtype === 'float32' ? Float32Array.from(raw) : Float64Array.from(raw), { shape: [N, C], dtype, requiresGrad: true });
      const loss = crossEntropy(x, tensor(ys, { dtype: 'int64' }));
      loss.backward();
      const xv = x.data;
      const lse = new Float64Array(N);
      let total = 0, denom = 0;
      for (let e = 0; e < N; e++) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) if (xv[e * C + c] > m) m = xv[e * C + c];
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(xv[e * C + c] - m);
        lse[e] = m + Math.log(z);
        if (ys[e] === -100) continue;
        total += lse[e] - xv[e * C + ys[e]];
        denom += 1;
      }
      const want = dtype === 'float32' ? Math.fround(total / denom) : total / denom;
      expect(same(loss.item(), want), `loss ${loss.item()} against ${want}`).toBe(true);
      const g = x.grad!.data;
      const ge = 1 / denom;
      let bad = 0;
      for (let e = 0; e < N; e++) {
        for (let c = 0; c < C; c++) {
          let d = ys[e] === -100 ? 0 : ge * Math.exp(xv[e * C + c] - lse[e]);
          if (c === ys[e]) d -= ge;
          const w = dtype === 'float32' ? Math.fround(d) : d;
          if (!same(g[e * C + c], w)) bad++;
        }
      }
      expect(bad).toBe(0);
    });
  }
});
