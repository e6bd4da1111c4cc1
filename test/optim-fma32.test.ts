// fma32 (src/optim/fma32.ts) must round a·b + c to float32 exactly once. Reference: exact integer
// arithmetic with BigInt (every float32 is an integer multiple of 2^-149), then the nearest float32
// with ties to even.
import { describe, it, expect } from 'vitest';
import { fma32 } from '../src/optim/fma32.js';

const SCALE = 2 ** 149;
const big = (x: number) => BigInt(x * SCALE); // exact: x·2^149 is an integer below 2^277
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function nextF32(x: number, dir: 1 | -1): number {
  f32[0] = x;
  if (x === 0) { u32[0] = 1; return dir * f32[0]; }
  u32[0] += (x > 0) === (dir > 0) ? 1 : -1;
  return f32[0];
}
const abs = (v: bigint) => (v < 0n ? -v : v);

/** Correctly rounded float32 of a·b + c (finite, no overflow). */
function refFma32(a: number, b: number, c: number): number {
  const exact = big(a) * big(b) + big(c) * BigInt(SCALE); // (a·b + c)·2^298
  const approx = Math.fround(Number(exact) / SCALE / SCALE);
  let best = approx, bestD = -1n;
  for (const cand of [nextF32(approx, -1), approx, nextF32(approx, 1)]) {
    const d = abs(exact - big(cand) * BigInt(SCALE));
    f32[0] = cand;
    const even = (u32[0] & 1) === 0;
    if (bestD < 0n || d < bestD || (d === bestD && even)) { best = cand; bestD = d; }
  }
  return best === 0 ? 0 : best;
}

describe('fma32', () => {
  it('a double-rounding trap: the sum lands on a float32 midpoint only after rounding to double', () => {
    // p = 2^-24·(1+2^-23)·(1−2^-23) = 2^-24 − 2^-70; c = 1 + 2^-23. Exact p + c is just below the
    // midpoint 1 + 3·2^-24, so the answer is c; rounding to double first gives the midpoint and
    // then ties-to-even gives 1 + 2^-22.
    const a = Math.fround(2 ** -24 * (1 + 2 ** -23)), b = Math.fround(1 - 2 ** -23), c = Math.fround(1 + 2 ** -23);
    expect(Math.fround(a * b + c)).toBe(1 + 2 ** -22); // what two roundings give
    expect(fma32(a, b, c)).toBe(c);
    expect(refFma32(a, b, c)).toBe(c);
    expect(fma32(-a, b, -c)).toBe(-c);
  });
  it('equals the exact reference on 20000 random triples (incl. cancellation)', () => {
    let s = 987654321;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const rf = () => Math.fround((rnd() - 0.5) * 2 ** Math.floor(rnd() * 40 - 20));
    for (let i = 0; i < 20000; i++) {
      const a = rf(), b = rf();
      let c = rf();
      if (i % 3 === 0) c = Math.fround(-a * b * (1 + (rnd() - 0.5) * 2 ** -20)); // heavy cancellation
      if (i % 7 === 0) c = Math.fround(1 + Math.floor(rnd() * 2 ** 23) * 2 ** -23); // c near 1, tiny products
      const got = fma32(a, b, c);
      const want = refFma32(a, b, c);
      if (!Object.is(got === 0 ? 0 : got, want)) throw new Error(`fma32(${a}, ${b}, ${c}) = ${got}, exact ${want}`);
    }
  });
});
