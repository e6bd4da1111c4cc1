// The float32 SIMD product against its JS twin, bit for bit, on every tile shape and stride kind;
// and the committed WAT/module against their generator.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { allocF32, release } from '../src/kernels/gemm-wasm.js';
import { colSum32, gemm32, gemm32AB, gemm32AtB, gemm32Available, transpose32 } from '../src/kernels/gemm32.js';
import { gemm32Naive } from '../src/kernels/gemm32-naive.js';
import { kernelCounts } from '../src/runtime/wasm/gemm32.js';
import { cells32Kernels } from '../src/runtime/wasm/cells32.js';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return a;
}
function inWasm(a: Float32Array): Float32Array {
  const w = allocF32(a.length);
  w.set(a);
  return w;
}
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('gemm32', () => {
  it('the SIMD kernel is available here (Node 20 has WASM SIMD)', () => {
    expect(gemm32Available()).toBe(true);
  });

  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17];
  it('A·B with modes 0, 1, 2: the same bits as the twin (M, K, N over tile tails)', () => {
    let seed = 1;
    // N = 1 runs the matvec kernel: K over its 4-wide blocks and every remainder
    // N of 32 and more: the 32-wide tiles of the leftover rows (M mod 4), then their 8-, 4- and 1-wide tails
    for (const M of sizes) for (const N of [...sizes, 32, 33, 44, 64, 77]) for (const K of N === 1 ? [0, 1, 2, 3, 4, 6, 8, 15, 33] : [0, 1, 3, 8, 33]) for (const mode of [0, 1, 2] as const) {
      const A = rand(M * K, seed++), B = rand(K * N, seed++), bias = rand(N, seed++), C0 = rand(M * N, seed++);
      const want = C0.slice();
      gemm32Naive(A, 0, K, 1, B, 0, N, bias, want, 0, M, K, N, mode);
      const wa = inWasm(A), wb = inWasm(B), wbias = inWasm(bias), wc = inWasm(C0);
      const before = kernelCounts.gemm32;
      gemm32AB(wa, 0, wb, 0, wbias, wc, 0, M, K, N, mode);
      expect(kernelCounts.gemm32).toBe(before + 1);
      expect(bits(wc)).toEqual(bits(want));
      for (const x of [wa, wb, wbias, wc]) release(x);
    }
  });

  it('Aᵀ·B accumulate (row tiles of 64 keep the order): the same bits as the twin', () => {
    let seed = 99;
    for (const [R, M, N] of [[1, 1, 1], [130, 5, 9], [200, 16, 12], [64, 33, 7], [129, 4, 8]]) {
      const A = rand(R * M, seed++), B = rand(R * N, seed++), C0 = rand(M * N, seed++);
      const want = C0.slice();
      gemm32Naive(A, 0, 1, M, B, 0, N, null, want, 0, M, R, N, 2);
      const wa = inWasm(A), wb = inWasm(B), wc = inWasm(C0);
      gemm32AtB(wa, 0, wb, 0, R, M, N, wc, 0);
      expect(bits(wc)).toEqual(bits(want));
      // the JS arrays take the twin, whole: the same bits again
      const js = C0.slice();
      gemm32AtB(A, 0, B, 0, R, M, N, js, 0);
      expect(bits(js)).toEqual(bits(want));
      for (const x of [wa, wb, wc]) release(x);
    }
  });

  it('transpose: the SIMD kernel (source in WASM memory or copied there) = the definition, blocks and edges', () => {
    expect(cells32Kernels()?.transpose32).toBeTypeOf('function');
    for (const [rows, cols] of [[1, 64], [64, 1], [4, 16], [8, 8], [5, 13], [17, 6], [512, 32], [129, 131]]) {
      const src = rand(3 + rows * cols, rows * 1000 + cols);
      for (const inside of [false, true]) {
        const s = inside ? inWasm(src) : src;
        const dst = allocF32(2 + rows * cols + 1).fill(7);
        transpose32(s, 3, rows, cols, dst, 2);
        const want = new Float32Array(dst.length).fill(7);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[2 + c * rows + r] = src[3 + r * cols + c];
        expect(bits(dst), `${rows}×${cols}, source ${inside ? 'in' : 'outside'} WASM memory`).toEqual(bits(want));
        release(dst);
        if (inside) release(s);
      }
    }
  });

  it('offsets, transpose and column sums', () => {
    const A = rand(6 * 5, 7), B = rand(5 * 9, 8);
    const Bt = new Float32Array(9 * 5);
    transpose32(B, 0, 5, 9, Bt, 0);
    expect(Bt[3 * 5 + 2]).toBe(B[2 * 9 + 3]);
    const want = new Float32Array(3 + 6 * 9);
    gemm32Naive(A, 0, 5, 1, B, 0, 9, null, want, 3, 6, 5, 9, 0);
    const wc = allocF32(3 + 6 * 9);
    gemm32(inWasm(A), 0, 5, 1, inWasm(B), 0, 9, null, wc, 3, 6, 5, 9, 0);
    expect(bits(wc)).toEqual(bits(want));
    const c = allocF32(9);
    colSum32(inWasm(B), 0, 5, 9, c, 0);
    for (let j = 0; j < 9; j++) {
      let s = 0;
      for (let r = 0; r < 5; r++) s = Math.fround(s + B[r * 9 + j]);
      expect(c[j]).toBe(s);
    }
  });

  it('the committed WAT and module are what tools/gen-gemm32-wasm.mjs generates', () => {
    const out = execFileSync(process.execPath, ['tools/gen-gemm32-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('match the generator');
  });
});
