// The float32 cells: tanh32 / sigmoid32 (src/kernels/cells/tanh32.ts) against Math.tanh and
// 1 / (1 + Math.exp(−x)) over dense sweeps (max error in float32 ulp), and every f32x4 cell kernel
// (tools/gen-cells32-wasm.mjs) against its JS twin (src/kernels/cells32-naive.ts) bit for bit, on
// random and extreme inputs (±30, ±1e30, ±Inf, NaN, ±0, subnormals), H not a multiple of 4, 0, 1
// and several rows. The committed modules are what the generator makes.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { allocF32, release } from '../src/kernels/gemm-wasm.js';
import { sigmoid32, tanh32 } from '../src/kernels/cells/tanh32.js';
import { cells32Kernels } from '../src/runtime/wasm/cells32.js';
import { kernelCounts } from '../src/runtime/wasm/gemm32.js';
import {
  add32, gruBackRows32, gruRows32, lstmBackRows32, lstmRows32, rnnBackRows32, rnnRows32,
} from '../src/kernels/cells32.js';
import {
  add32Naive, gruBackRows32Naive, gruRows32Naive, lstmBackRows32Naive, lstmRows32Naive, rnnBackRows32Naive, rnnRows32Naive,
} from '../src/kernels/cells32-naive.js';
import { Generator } from '../src/tensor/random.js';

const f = Math.fround;

/** One float32 ulp at |v| (subnormal spacing below 2^−126). */
function ulp32(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 23);
}

/** Max |fn(x) − ref(x)| in ulp of ref(x) over float32 x: n + 1 points evenly in [lo, hi] (or magnitudes 2^lo..2^hi, both signs). */
function maxUlp(fn: (x: number) => number, ref: (x: number) => number, lo: number, hi: number, n: number, log = false): { ulp: number; at: number } {
  let ulp = 0, at = NaN;
  for (let i = 0; i <= n; i++) {
    const x = log ? f((i % 2 ? -1 : 1) * 2 ** (lo + ((hi - lo) * i) / n)) : f(lo + ((hi - lo) * i) / n);
    const r = ref(x);
    const u = Math.abs(fn(x) - r) / ulp32(r);
    if (!(u <= ulp)) { ulp = u; at = x; }
  }
  return { ulp, at };
}

const sigRef = (x: number): number => 1 / (1 + Math.exp(-x));

describe('tanh32 and sigmoid32: float32 arithmetic, within 2 ulp (measured: tanh 1.33, σ 2.32)', () => {
  it('tanh32 within 1.5 ulp of Math.tanh over [−12, 12], magnitudes 2^−149..2^4, and around the branch at 0.625', () => {
    for (const [lo, hi, n, log] of [[-12, 12, 1_000_000, false], [-149, 4, 1_000_000, true], [0.55, 0.7, 300_000, false]] as const) {
      const { ulp, at } = maxUlp(tanh32, Math.tanh, lo, hi, n, log);
      expect(ulp, `at x = ${at}`).toBeLessThan(1.5);
    }
  });

  it('sigmoid32 within 2.5 ulp of 1 / (1 + e^−x) over [−110, 20] (subnormal results included) and magnitudes 2^−149..2^7', () => {
    for (const [lo, hi, n, log] of [[-110, 20, 1_000_000, false], [-6, 6, 1_000_000, false], [-149, 7, 1_000_000, true]] as const) {
      const { ulp, at } = maxUlp(sigmoid32, sigRef, lo, hi, n, log);
      expect(ulp, `at x = ${at}`).toBeLessThan(2.5);
    }
  });

  it('special values: ±Inf, NaN, ±0, tiny and huge arguments', () => {
    expect(tanh32(Infinity)).toBe(1);
    expect(tanh32(-Infinity)).toBe(-1);
    expect(tanh32(NaN)).toBeNaN();
    expect(Object.is(tanh32(0), 0)).toBe(true);
    expect(Object.is(tanh32(-0), -0)).toBe(true);
    expect(tanh32(f(1e-30))).toBe(f(1e-30)); // tanh x = x, no cancellation
    expect(tanh32(-(2 ** -149))).toBe(-(2 ** -149));
    expect(tanh32(f(9.02))).toBe(1);
    expect(tanh32(f(9))).toBe(f(Math.tanh(9))); // just below 1
    expect(tanh32(f(-1e30))).toBe(-1);
    expect(sigmoid32(Infinity)).toBe(1);
    expect(sigmoid32(-Infinity)).toBe(0);
    expect(sigmoid32(NaN)).toBeNaN();
    expect(sigmoid32(0)).toBe(0.5);
    expect(sigmoid32(-0)).toBe(0.5);
    expect(sigmoid32(f(1e30))).toBe(1);
    expect(sigmoid32(f(-1e30))).toBe(0);
    expect(sigmoid32(-100)).toBeGreaterThan(0); // subnormal, not flushed
    expect(sigmoid32(-100)).toBeLessThan(2 ** -126);
    expect(sigmoid32(f(-20))).toBe(f(sigRef(f(-20))));
  });
});

// ---- WASM kernels against the twins -------------------------------------------------------------

const gen = new Generator(2024);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bits = (x: number): number => { f32[0] = x; return u32[0]; };
/** Same float32 bits (any NaN equals any NaN: payloads and NaN signs are not the question). */
const same = (a: number, b: number): boolean => (a !== a && b !== b) || bits(a) === bits(b);

const EXTREMES = [30, -30, 1e30, -1e30, Infinity, -Infinity, NaN, 0, -0, 2 ** -149, -(2 ** -140), 1.1754942e-38, 88, -88, 100, -100, 9.5, 0.625, -0.625, 1];
/** A float32 value: mostly N(0, 2), 15 % one of the extremes, 5 % a random subnormal. */
function draw(extreme: boolean): number {
  const u = gen.random();
  if (extreme && u < 0.15) return f(EXTREMES[Math.floor(gen.random() * EXTREMES.length)]);
  if (extreme && u < 0.2) { u32[0] = (gen.random() * 0x7fffff) >>> 0 | (gen.random() < 0.5 ? 0x80000000 : 0); return f32[0]; }
  return f(gen.normal() * 2);
}

/** A workspace in WASM memory with n random values, and a plain-array copy. */
function pair(n: number, extreme: boolean): [Float32Array, Float32Array] {
  const w = allocF32(n, false);
  for (let i = 0; i < n; i++) w[i] = draw(extreme);
  return [w, Float32Array.from(w)];
}

function diffs(a: Float32Array, b: Float32Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < a.length && out.length < 5; i++) if (!same(a[i], b[i])) out.push(`[${i}] ${a[i]} (WASM) vs ${b[i]} (JS)`);
  return out;
}

const HS = [1, 2, 3, 5, 7, 13, 33, 130];
const BS = [0, 1, 3, 6];

describe('float32 cell kernels: WASM = JS twin, bit for bit', () => {
  it('the cells32 modules are instantiated (Node has SIMD)', () => {
    expect(cells32Kernels()).not.toBeNull();
  });

  type Case = { name: string; wLen: (b: number, H: number) => number; eLen: (b: number, H: number) => number; run: (fast: boolean, w: Float32Array, e: Float32Array, b: number, H: number) => void };
  const cases: Case[] = [
    // forward layout in w: gi, gh, sv, hs, cs one after another (offsets not multiples of 4 elements)
    { name: 'LSTM forward', wLen: (b, H) => 1 + b * (4 * H + 4 * H + 6 * H + H + H), eLen: () => 0,
      run: (fast, w, _e, b, H) => (fast ? lstmRows32 : lstmRows32Naive)(w, b, H, 1, 1 + 4 * b * H, 1 + 8 * b * H, 1 + 14 * b * H, 1 + 15 * b * H) },
    { name: 'GRU forward', wLen: (b, H) => 3 + b * (3 * H + 3 * H + 4 * H + H), eLen: () => 0,
      run: (fast, w, _e, b, H) => (fast ? gruRows32 : gruRows32Naive)(w, b, H, 3, 3 + 3 * b * H, 3 + 6 * b * H, 3 + 10 * b * H) },
    { name: 'RNN tanh forward', wLen: (b, H) => 2 + 4 * b * H, eLen: () => 0,
      run: (fast, w, _e, b, H) => (fast ? rnnRows32 : rnnRows32Naive)(w, b, H, 2, 2 + b * H, 2 + 2 * b * H, 2 + 3 * b * H, false) },
    { name: 'RNN relu forward', wLen: (b, H) => 2 + 4 * b * H, eLen: () => 0,
      run: (fast, w, _e, b, H) => (fast ? rnnRows32 : rnnRows32Naive)(w, b, H, 2, 2 + b * H, 2 + 2 * b * H, 2 + 3 * b * H, true) },
    // backward: sv, dg, cp, dc in w; dh, dy in e
    { name: 'LSTM backward', wLen: (b, H) => 1 + b * (6 * H + 4 * H + H + H), eLen: (b, H) => 2 + 2 * b * H,
      run: (fast, w, e, b, H) => (fast ? lstmBackRows32 : lstmBackRows32Naive)(w, e, b, H, 1, 1 + 6 * b * H, 1 + 10 * b * H, 1 + 11 * b * H, 2, 2 + b * H) },
    { name: 'GRU backward', wLen: (b, H) => 1 + b * (4 * H + H + 3 * H), eLen: (b, H) => 1 + b * (3 * H + 2 * H),
      run: (fast, w, e, b, H) => (fast ? gruBackRows32 : gruBackRows32Naive)(w, e, b, H, 1, 1 + 4 * b * H, 1 + 5 * b * H, 1, 1 + 3 * b * H, 1 + 4 * b * H) },
    { name: 'RNN tanh backward', wLen: (b, H) => 3 + 2 * b * H, eLen: (b, H) => 3 + 2 * b * H,
      run: (fast, w, e, b, H) => (fast ? rnnBackRows32 : rnnBackRows32Naive)(w, e, b, H, 3, 3 + b * H, 3, 3 + b * H, false) },
    { name: 'RNN relu backward', wLen: (b, H) => 3 + 2 * b * H, eLen: (b, H) => 3 + 2 * b * H,
      run: (fast, w, e, b, H) => (fast ? rnnBackRows32 : rnnBackRows32Naive)(w, e, b, H, 3, 3 + b * H, 3, 3 + b * H, true) },
  ];

  for (const c of cases) {
    it(`${c.name}: H ∈ {${HS.join(', ')}}, b ∈ {${BS.join(', ')}}, ordinary and extreme inputs`, () => {
      for (const extreme of [false, true]) {
        for (const H of HS) {
          for (const b of BS) {
            const [w, wJs] = pair(c.wLen(b, H) + 1, extreme); // one guard element past the end
            const [e, eJs] = pair(c.eLen(b, H) + 1, extreme);
            const before = kernelCounts.cells32;
            c.run(true, w, e, b, H);
            expect(kernelCounts.cells32 - before).toBe(b > 0 ? 1 : 0); // the WASM kernel ran
            c.run(false, wJs, eJs, b, H);
            expect(diffs(w, wJs), `H ${H}, b ${b}, extreme ${extreme}: w`).toEqual([]);
            expect(diffs(e, eJs), `H ${H}, b ${b}, extreme ${extreme}: e`).toEqual([]);
            release(w); release(e);
          }
        }
      }
    });
  }

  it('add32 (a gradient added into another): n over the 4-wide blocks and every tail, ordinary and extreme inputs', () => {
    for (const extreme of [false, true]) {
      for (const n of [1, 2, 3, 4, 5, 7, 8, 13, 100]) {
        const [w, wJs] = pair(2 * n + 3, extreme); // d at 1, s at n + 2: not 4-aligned; a guard element past the end
        const before = kernelCounts.cells32;
        add32(w, 1, n + 2, n);
        expect(kernelCounts.cells32 - before).toBe(1);
        add32Naive(wJs, 1, n + 2, n);
        expect(diffs(w, wJs), `n ${n}, extreme ${extreme}`).toEqual([]);
        release(w);
      }
    }
  });

  it('the lanes\' tanh and σ equal tanh32 / sigmoid32 over a dense sweep of [−110, 110] and every special value', () => {
    const xs: number[] = [...EXTREMES.map(f), 2 ** -149, -(2 ** -149), f(0.625 - 2 ** -24), f(9.5), f(-104), f(-104.5)];
    for (let i = 0; i <= 200_000; i++) xs.push(f(-110 + (220 * i) / 200_000));
    for (let i = 0; i <= 50_000; i++) xs.push(f((i % 2 ? -1 : 1) * 2 ** (-149 + (156 * i) / 50_000)));
    const n = xs.length;
    // RNN tanh with gh = −0: h = tanh(x + −0) = tanh(x) (x + −0 is x, also for x = ±0)
    const w = allocF32(4 * n, false);
    for (let i = 0; i < n; i++) { w[i] = xs[i]; w[n + i] = -0; }
    rnnRows32(w, 1, n, 0, n, 2 * n, 3 * n, false);
    expect(diffs(w.subarray(3 * n, 4 * n), Float32Array.from(xs, tanh32))).toEqual([]);
    release(w);
    // LSTM with the input gate's pre-activation x (gh = −0): saved i = σ(x)
    const v = allocF32(16 * n, false).fill(0);
    for (let i = 0; i < n; i++) { v[i] = xs[i]; v[4 * n + i] = -0; }
    lstmRows32(v, 1, n, 0, 4 * n, 8 * n, 14 * n, 15 * n);
    expect(diffs(v.subarray(8 * n, 9 * n), Float32Array.from(xs, sigmoid32))).toEqual([]);
    release(v);
  });

  it('the committed WAT and module are what tools/gen-cells32-wasm.mjs generates', () => {
    const out = execFileSync(process.execPath, ['tools/gen-cells32-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/match the generator/);
  });
});
