// The private WASM memory (src/runtime/wasm/private-memory.ts): a one-sequence forward without
// gradients works there, with the bits of the same forward in the shared memory (with gradients:
// a workspace with room for the backward), and gives every block back; a batch of two sequences
// stays in the shared memory.
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/nn/rnn.js';
import type { RNNBase } from '../src/nn/rnn.js';
import { randn } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { noGrad } from '../src/tensor/tensor.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { gemm32Available } from '../src/kernels/gemm32.js';
import { sharedWasmMemory } from '../src/kernels/gemm-wasm.js';
import { privateCounts, privateF32, privateReservedBytes, releasePrivate } from '../src/runtime/wasm/private-memory.js';
import { kernelCounts } from '../src/runtime/wasm/gemm32.js';

const u32 = (t: Tensor): number[] => {
  const a = t.data as Float32Array;
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
};
const hOf = (h: unknown): Tensor[] => (Array.isArray(h) ? (h as Tensor[]) : [h as Tensor]);

// Where the WASM memory is not shared (no SharedArrayBuffer, or no WASM) there is no private one.
const available = gemm32Available() && sharedWasmMemory() !== null;

describe.skipIf(!available)('the private WASM memory', () => {
  const kinds: Array<[string, (g: Generator) => RNNBase]> = [
    ['LSTM', (g) => new LSTM(32, 128, { numLayers: 2, batchFirst: true, generator: g })],
    ['GRU', (g) => new GRU(32, 128, { numLayers: 2, batchFirst: true, generator: g })],
    ['RNN', (g) => new RNN(32, 128, { numLayers: 2, batchFirst: true, generator: g })],
  ];
  for (const [name, make] of kinds) {
    it(`${name} 32 → 128, 2 layers, one sequence: the bits of the forward with gradients, one block a layer, all given back`, () => {
      const gen = new Generator(3);
      const m = make(gen);
      for (const T of [1, 4]) {
        const x = randn([1, T, 32], { generator: gen });
        const before = privateCounts.blocks;
        const [y1, h1] = noGrad(() => m.forward(x));
        expect(privateCounts.blocks - before).toBe(2);
        expect(privateReservedBytes()).toBe(0);
        const [y2, h2] = m.forward(x);
        expect(privateCounts.blocks - before, 'with gradients: the shared memory').toBe(2);
        expect(u32(y1 as Tensor)).toEqual(u32(y2 as Tensor));
        const a = hOf(h1), b = hOf(h2);
        expect(a.length).toBe(b.length);
        for (let i = 0; i < a.length; i++) expect(u32(a[i])).toEqual(u32(b[i]));
      }
    });
  }

  it('the article\'s small layers too (10 → 32, 3 layers), at T = 5', () => {
    const gen = new Generator(5);
    const m = new RNN(10, 32, { numLayers: 3, batchFirst: true, generator: gen });
    const x = randn([1, 5, 10], { generator: gen });
    const before = privateCounts.blocks;
    const [y1] = noGrad(() => m.forward(x));
    expect(privateCounts.blocks - before).toBe(3);
    const [y2] = m.forward(x);
    expect(u32(y1 as Tensor)).toEqual(u32(y2 as Tensor));
  });

  it('both directions, and the relu RNN: the bits of the forward with gradients', () => {
    const gen = new Generator(11);
    const mods: RNNBase[] = [
      new GRU(16, 64, { numLayers: 2, bidirectional: true, batchFirst: true, generator: gen }),
      new LSTM(16, 64, { bidirectional: true, batchFirst: true, generator: gen }),
      new RNN(16, 64, { numLayers: 2, nonlinearity: 'relu', bidirectional: true, batchFirst: true, generator: gen }),
    ];
    for (const m of mods) {
      const x = randn([1, 6, 16], { generator: gen });
      const before = privateCounts.blocks;
      const [y1, h1] = noGrad(() => m.forward(x));
      expect(privateCounts.blocks - before).toBe(2 * m.numLayers);
      const [y2, h2] = m.forward(x);
      expect(u32(y1 as Tensor)).toEqual(u32(y2 as Tensor));
      const a = hOf(h1), b = hOf(h2);
      for (let i = 0; i < a.length; i++) expect(u32(a[i])).toEqual(u32(b[i]));
    }
  });

  it('runs the SIMD kernels, and a second call takes the blocks the first gave back', () => {
    const gen = new Generator(13);
    const m = new LSTM(8, 32, { numLayers: 3, batchFirst: true, generator: gen });
    const x = randn([1, 7, 8], { generator: gen });
    noGrad(() => m.forward(x));
    const gemms = kernelCounts.gemm32, cells = kernelCounts.cells32, reused = privateCounts.reused;
    const [y1] = noGrad(() => m.forward(x));
    expect(kernelCounts.gemm32 - gemms, 'two matrix-vector products a step and layer').toBe(2 * 7 * 3);
    expect(kernelCounts.cells32 - cells, 'one cell call a step and layer').toBe(7 * 3);
    expect(privateCounts.reused - reused, 'each layer a kept block').toBe(3);
    expect(privateReservedBytes()).toBe(0);
    const [y2] = m.forward(x);
    expect(u32(y1 as Tensor)).toEqual(u32(y2 as Tensor));
  });

  it('kept blocks give way to a request that does not fit beside them', () => {
    noGrad(() => new RNN(4, 8)); // the memory exists once a forward or this module asked for it
    const big = privateF32(10 << 20); // 40 MiB of the 64
    expect(big).not.toBeNull();
    releasePrivate(big!);
    const bigger = privateF32(12 << 20); // 48 MiB: only once the kept 40 MiB went back
    expect(bigger).not.toBeNull();
    releasePrivate(bigger!);
    expect(privateReservedBytes()).toBe(0);
  });

  it('a batch of two sequences stays in the shared memory', () => {
    const gen = new Generator(7);
    const m = new LSTM(32, 128, { batchFirst: true, generator: gen });
    const before = privateCounts.blocks;
    noGrad(() => m.forward(randn([2, 3, 32], { generator: gen })));
    expect(privateCounts.blocks).toBe(before);
  });
});
