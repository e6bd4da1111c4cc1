// A tape waiting for its backward moves out of WASM memory when a new block does not fit, and
// comes back for its backward (packed-layer32.ts `waiting`). Without it, a loop that never yields
// to the finalizers (forwards with gradients on and no backward, as an evaluation that forgot
// noGrad) filled the memory, ran every later layer on the JS kernels and kept every tape.
import { afterEach, describe, expect, it } from 'vitest';
import { LSTM } from '../src/nn/rnn.js';
import { Linear } from '../src/nn/linear.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/create.js';
import { mul, sum } from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { allocF32, inWasmMemory, release, wasmGemmEnabled, wasmReservedBytes } from '../src/kernels/gemm-wasm.js';
import { tapeCounts } from '../src/kernels/packed-layer32.js';
import { kernelCounts } from '../src/runtime/wasm/gemm32.js';

const filler: Float32Array[] = [];

/** Reserves WASM memory until about `freeMB` MB are left (in 8 MB blocks). */
function fillMemory(freeMB: number): void {
  for (;;) {
    const b = allocF32(2 * 1024 * 1024, false);
    if (!inWasmMemory(b)) break;
    filler.push(b);
  }
  for (let mb = 0; mb < freeMB && filler.length > 0; mb += 8) release(filler.pop()!);
}

afterEach(() => {
  while (filler.length > 0) release(filler.pop()!);
});

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe.skipIf(!wasmGemmEnabled())('tapes waiting for a backward', () => {
  const make = () => new LSTM(16, 64, { numLayers: 2, batchFirst: true, generator: new Generator(5) });
  const x = randn([16, 48, 16], { generator: new Generator(6) }); // a tape of about 1.7 MB a layer

  it('forwards with gradients on and no backward keep running the SIMD kernels, in bounded memory', () => {
    const lstm = make();
    fillMemory(16);
    const reserved = wasmReservedBytes();
    const evicted = tapeCounts.evicted;
    for (let i = 0; i < 40; i++) {
      const before = kernelCounts.gemm32;
      lstm.forward(x);
      expect(kernelCounts.gemm32 - before, `call ${i}`).toBeGreaterThanOrEqual(2 * 48);
    }
    expect(tapeCounts.evicted - evicted).toBeGreaterThan(10);
    // the memory stays usable: a new block moves the oldest waiting tapes out and fits
    const block = allocF32(4 * 1024 * 1024, false);
    expect(inWasmMemory(block)).toBe(true);
    release(block);
    expect(wasmReservedBytes()).toBeLessThanOrEqual(reserved + 24 * 1024 * 1024); // the ≤ 24 MB left free
  });

  it('a tape moved out comes back for its backward: the gradients of a run that kept it', () => {
    const probe = randn([16, 48, 64], { generator: new Generator(7) });
    const grads = (evict: boolean) => {
      const lstm = make();
      const xi = new Tensor(x.data.slice(), [16, 48, 16], 'float32', true);
      const [y] = lstm.forward(xi) as [Tensor, unknown];
      if (evict) {
        fillMemory(16);
        for (let i = 0; i < 20; i++) lstm.forward(x); // newer tapes push this one out
      }
      const restored = tapeCounts.restored;
      sum(mul(y, probe)).backward();
      if (evict) expect(tapeCounts.restored - restored).toBe(2); // both layers came back
      const out = [...lstm.parameters().map((p) => bits(p.grad!.data)), bits(xi.grad!.data)];
      expect(() => sum(mul(y, probe)).backward()).toThrow('Trying to backward through the graph a second time');
      while (filler.length > 0) release(filler.pop()!);
      return out;
    };
    const kept = grads(false);
    const moved = grads(true);
    moved.forEach((g, i) => expect(g, `gradient ${i}`).toEqual(kept[i]));
  });
});

describe.skipIf(!wasmGemmEnabled())('module workspaces when the memory is full', () => {
  it('modules made and dropped without dispose() in a loop keep the SIMD products; an old one still gives its bits', () => {
    const x = randn([64, 256], { generator: new Generator(8) });
    const first = new Linear(256, 256, { generator: new Generator(9) });
    const y0 = Array.from(first.forward(x).data);
    fillMemory(8);
    for (let i = 0; i < 60; i++) {
      const lin = new Linear(256, 256, { generator: new Generator(10 + i) }); // a 0.5 MB workspace each
      const before = kernelCounts.gemm32;
      lin.forward(x);
      expect(kernelCounts.gemm32 - before, `module ${i}`).toBeGreaterThan(0);
    }
    const again = first.forward(x); // its workspace was given back: a new one, the same numbers
    expect(Array.from(again.data)).toEqual(y0);
  });
});

