// setF32 (src/runtime/wasm/copy.ts): TypedArray.set between ordinary memory and the shared WASM
// memory without V8's byte-wise copy. Every pairing of shared and ordinary buffers at every
// offset mod 4 elements gives what set gives; only a copy between one shared and one ordinary
// buffer whose addresses differ by 4 mod 8 goes through the scratch; and a float32 LSTM of odd
// sizes, whose h_n parts start at such offsets, uses it under the layer.
import { describe, expect, it } from 'vitest';
import { copyCounts, setF32 } from '../src/runtime/wasm/copy.js';
import { LSTM } from '../src/nn/rnn.js';
import { randn } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { gemm32Available } from '../src/kernels/gemm32.js';
import { sum } from '../src/tensor/ops.js';
import { packPaddedSequence } from '../src/nn/utils/rnn.js';

const buffer = (shared: boolean, n: number) => (shared ? new SharedArrayBuffer(4 * n) : new ArrayBuffer(4 * n));

describe('setF32', () => {
  it('equals TypedArray.set for every pairing and offset, staging exactly the misaligned shared ↔ ordinary copies', () => {
    for (const n of [1, 63, 64, 200]) {
      for (const srcShared of [false, true]) {
        for (const dstShared of [false, true]) {
          for (let so = 0; so < 4; so++) {
            for (let dso = 0; dso < 4; dso++) {
              for (const off of [0, 1]) {
                const src = new Float32Array(buffer(srcShared, n + 8), 4 * so, n);
                for (let i = 0; i < n; i++) src[i] = Math.fround(Math.sin(i + so) * 1e3) || -0;
                const want = new Float32Array(buffer(false, n + 8), 0, n + off + 2).fill(7);
                want.set(src, off);
                const dst = new Float32Array(buffer(dstShared, n + 16), 4 * dso, n + off + 2).fill(7);
                const before = copyCounts.staged;
                setF32(dst, src, off);
                expect(Array.from(dst).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(Array.from(want).map((v) => Object.is(v, -0) ? '-0' : v));
                const misaligned = ((4 * (dso + off) - 4 * so) & 7) !== 0;
                const staged = n >= 64 && misaligned && srcShared !== dstShared;
                expect(copyCounts.staged - before, `n ${n} src ${srcShared ? 'shared' : 'plain'}+${so} dst ${dstShared ? 'shared' : 'plain'}+${dso} off ${off}`).toBe(staged ? 1 : 0);
              }
            }
          }
        }
      }
    }
  });

  it.runIf(gemm32Available())('an LSTM of odd sizes stages its misaligned copies under the layer', () => {
    const g = new Generator(3);
    const lstm = new LSTM(7, 33, { numLayers: 2, generator: g });
    // 5 sequences of lengths 9, 7, 5, 3, 3: 27 packed rows, so the flat result's h_n part starts
    // at 27·33 floats, an odd number, 4 mod 8 bytes from y.
    const x = randn([9, 5, 7], { generator: g, dtype: 'float32' }).requiresGrad_();
    const before = copyCounts.staged;
    const [out, [hN, cN]] = lstm.forward(packPaddedSequence(x, [9, 7, 5, 3, 3]));
    sum(hN).add(sum(cN)).add(sum(out.data)).backward();
    expect(copyCounts.staged).toBeGreaterThan(before);
    expect(x.grad).not.toBeNull();
  });
});
