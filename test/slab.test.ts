import { describe, expect, it } from 'vitest';
import { HEAP_BYTES, MAX_BYTES, MIN_SLOTS, SLAB_BYTES, SLOTS, SMALL_SLAB_BYTES, slabStorage } from '../src/tensor/slab.js';
import { allocate } from '../src/tensor/dtype.js';
import { tensor } from '../src/tensor/create.js';

describe('slab storage for small tensors', () => {
  it('gives zeroed storage of the dtype and length asked, 16-byte aligned', () => {
    for (const [dtype, Ctor] of [['float32', Float32Array], ['float64', Float64Array], ['int64', Int32Array], ['bool', Uint8Array]] as const) {
      for (const n of [1, 17, 100, 1000, 3000]) {
        const a = slabStorage(dtype, n);
        expect(a).toBeInstanceOf(Ctor);
        expect(a.length).toBe(n);
        expect(a.byteOffset % 16).toBe(0);
        expect(a.every((v) => v === 0)).toBe(true);
      }
    }
  });

  it('carves small tensors from a shared buffer and gives large and tiny ones their own', () => {
    expect(slabStorage('float32', HEAP_BYTES / 4).buffer.byteLength).toBe(HEAP_BYTES);
    const small = slabStorage('float32', HEAP_BYTES / 4 + 1);
    expect(small.buffer.byteLength).toBeGreaterThan(small.byteLength);
    expect(small.buffer.byteLength).toBeLessThanOrEqual(SMALL_SLAB_BYTES); // what one small tensor can keep alive
    const mid = slabStorage('float32', 2000); // 8 KB: SLOTS slots
    expect(mid.buffer.byteLength).toBeLessThanOrEqual(SLOTS * 1.25 * mid.byteLength + 16 * SLOTS);
    const large = slabStorage('float32', 10000); // 40 KB: a slab of fewer, larger slots
    expect(large.buffer.byteLength).toBeGreaterThanOrEqual(MIN_SLOTS * large.byteLength);
    expect(large.buffer.byteLength).toBeLessThanOrEqual(SLAB_BYTES);
    const big = slabStorage('float32', MAX_BYTES / 4 + 1);
    expect(big.buffer.byteLength).toBe(big.byteLength);
  });

  it('a slot holds its tensor with at most a quarter of it to spare', () => {
    for (const n of [17, 20, 21, 33, 100, 257, 1000, 4097, 9999, 16384]) {
      let a = slabStorage('float32', n);
      let b = slabStorage('float32', n);
      if (b.buffer !== a.buffer) [a, b] = [b, slabStorage('float32', n)]; // a slab ran out between them
      expect(b.buffer).toBe(a.buffer);
      const slot = b.byteOffset - a.byteOffset;
      expect(slot, `${n} floats`).toBeGreaterThanOrEqual(4 * n);
      expect(slot, `${n} floats`).toBeLessThanOrEqual(Math.ceil(1.25 * 4 * n / 16) * 16 + 16);
    }
  });

  it('never hands out overlapping storage, across size classes and slabs', () => {
    const arrays: Float32Array[] = [];
    for (let i = 0; i < 5 * SLOTS; i++) {
      const n = 17 + ((i * 37) % 600);
      const a = allocate('float32', n) as Float32Array;
      a.fill(i + 1);
      arrays.push(a);
    }
    arrays.forEach((a, i) => expect(a.every((v) => v === i + 1)).toBe(true));
  });

  it('a tensor written after its neighbours were made keeps its own values', () => {
    const a = tensor(Array.from({ length: 40 }, (_, i) => i), { dtype: 'float32' });
    const b = tensor(Array.from({ length: 40 }, () => 7), { dtype: 'float32' });
    expect(b.data.buffer.byteLength).toBeGreaterThan(b.data.byteLength); // b shares a slab
    a.data.fill(-1);
    expect(Array.from(b.data)).toEqual(Array(40).fill(7));
  });
});
