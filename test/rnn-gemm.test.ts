// The register-blocked products of src/kernels/gemm.ts against their naive twins
// (src/kernels/gemm-naive.ts): same start value, same summation order, so bit-identical results,
// on sizes that exercise the 4×4 tiles, the 1×4 tails, single leftover elements and row tiles.
import { describe, it, expect } from 'vitest';
import { addColSum, gemmABt, gemmAddAB, gemmAddAtB } from '../src/kernels/gemm.js';
import { gemmABtNaive, gemmAddABNaive, gemmAddAtBNaive } from '../src/kernels/gemm-naive.js';
import { Generator } from '../src/tensor/random.js';

const gen = new Generator(17);
const rand = (n: number) => Float64Array.from({ length: n }, () => (gen.random() < 0.1 ? 0 : gen.uniform(-2, 2)));
const SIZES = [[1, 1, 1], [1, 32, 32], [3, 5, 7], [4, 4, 4], [9, 13, 6], [64, 32, 10], [70, 17, 33], [130, 8, 5]];

describe('blocked gemm = naive gemm, bit for bit', () => {
  for (const [M, N, K] of SIZES) {
    it(`M=${M} N=${N} K=${K}`, () => {
      const ao = 3, bo = 5, co = 2;
      const A = rand(ao + M * K), B = rand(bo + N * K), bias = rand(N);
      for (const b of [bias, null]) {
        const c1 = rand(co + M * N), c2 = Float64Array.from(c1);
        gemmABt(A, ao, B, bo, b, c1, co, M, N, K);
        gemmABtNaive(A, ao, B, bo, b, c2, co, M, N, K);
        expect(Array.from(c1)).toEqual(Array.from(c2));
      }
      const W = rand(K * N);
      const d1 = rand(co + M * N), d2 = Float64Array.from(d1);
      gemmAddAB(A, ao, W, d1, co, M, K, N);
      gemmAddABNaive(A, ao, W, d2, co, M, K, N);
      expect(Array.from(d1)).toEqual(Array.from(d2));
      // C [M, N] += Aᵀ B over K rows
      const At = rand(K * M), Bt = rand(K * N);
      const e1 = rand(M * N), e2 = Float64Array.from(e1);
      gemmAddAtB(At, Bt, K, M, N, e1);
      gemmAddAtBNaive(At, Bt, K, M, N, e2);
      expect(Array.from(e1)).toEqual(Array.from(e2));
      const s = new Float64Array(N);
      addColSum(Bt, K, N, s);
      for (let j = 0; j < N; j++) {
        let ref = 0;
        for (let r = 0; r < K; r++) ref += Bt[r * N + j];
        expect(s[j]).toBe(ref);
      }
    });
  }
});
