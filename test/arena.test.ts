// The allocator of the WASM workspaces (src/kernels/arena.ts) and its use by allocF64/release.
import { describe, it, expect } from 'vitest';
import { ALIGN, Arena } from '../src/kernels/arena.js';
import { allocF64, inWasmMemory, release } from '../src/kernels/gemm-wasm.js';
import { Generator } from '../src/tensor/random.js';

describe('Arena', () => {
  it('reuses released blocks first fit, merges neighbours and gives the tail back to the bump pointer', () => {
    const a = new Arena(16, 16 + 1000 * ALIGN);
    const x = a.reserve(100).at; // 112 bytes
    const y = a.reserve(16).at;
    const z = a.reserve(32).at;
    expect([x, y, z]).toEqual([16, 128, 144]);
    expect(a.highWater).toBe(176);
    a.release(y);
    const r = a.reserve(10);
    expect(r).toEqual({ at: 128, dirty: true }); // the hole, and its bytes were used before
    a.release(r.at);
    a.release(x); // merges with the hole at 128
    expect(a.reserve(128).at).toBe(16); // x + y's space as one block
    a.release(16);
    a.release(z); // the last block: the bump pointer comes back, and with it the merged hole
    expect(a.highWater).toBe(16);
    expect(a.reservedBytes).toBe(0);
    expect(a.reserve(48)).toEqual({ at: 16, dirty: true }); // below the old high-water mark
    expect(a.reserve(16)).toEqual({ at: 64, dirty: true });
    expect(a.reserve(200)).toEqual({ at: 80, dirty: true }); // 80..288 overlaps used bytes up to 176
  });

  it('says when it is full; releasing an unknown address or twice is a no-op', () => {
    const a = new Arena(0, 64);
    expect(a.reserve(64).at).toBe(0);
    expect(a.reserve(1).at).toBe(-1);
    a.release(8);
    a.release(0);
    a.release(0);
    expect(a.reserve(32).at).toBe(0);
    expect(a.reserve(32).at).toBe(32);
  });

  it('random reserve/release: live blocks never overlap and stay inside; all released → empty', () => {
    const g = new Generator(8);
    const a = new Arena(16, 16 + 4096 * ALIGN);
    const live = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      if (live.size > 0 && g.random() < 0.45) {
        const keys = [...live.keys()];
        const at = keys[Math.floor(g.random() * keys.length)];
        a.release(at);
        live.delete(at);
      } else {
        const bytes = 1 + Math.floor(g.random() * 600);
        const { at } = a.reserve(bytes);
        if (at < 0) continue;
        expect(at % ALIGN).toBe(0);
        expect(at + bytes).toBeLessThanOrEqual(a.end);
        for (const [b, n] of live) expect(at + bytes <= b || b + n <= at, `[${at}, +${bytes}) overlaps [${b}, +${n})`).toBe(true);
        live.set(at, bytes);
      }
    }
    for (const at of live.keys()) a.release(at);
    expect(a.reservedBytes).toBe(0);
    expect(a.highWater).toBe(16);
  });
});

describe('allocF64 / release', () => {
  it('a released block comes back zeroed; ordinary arrays and sub-views are ignored', () => {
    const a = allocF64(40);
    expect(inWasmMemory(a)).toBe(true);
    a.fill(3);
    release(a.subarray(1)); // not a block start: nothing happens
    const b = allocF64(40);
    expect(b.byteOffset).not.toBe(a.byteOffset);
    release(a);
    release(new Float64Array(4));
    release(null);
    const c = allocF64(40); // first fit: a's block
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(Array.from(c).every((v) => v === 0)).toBe(true);
    release(b);
    release(c);
  });
});
