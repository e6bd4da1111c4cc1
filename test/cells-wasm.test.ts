// The LSTM/GRU gate kernels of the fourth WASM module (tools/gen-gemm-wasm.mjs: $exp, $tanh,
// lstmForward, gruForward) against their JS twins, bit for bit: the SIMD exp/tanh against V8's own
// Math.exp/Math.tanh (fdlibm) over every range and branch threshold, the row kernels against n calls
// of lstmCellForward/gruCellForward, and packedLayerForward's SIMD path (tape in WASM memory, or no
// tape) against its JS loop (a tape of ordinary arrays), also with a sequence range. Likewise the
// fifth module's backward steps (lstmBackward, gruBackward) against n calls of lstmCellBackward /
// gruCellBackward, and packedLayerBackward / its walk with WASM buffers against ordinary arrays.
import { describe, it, expect } from 'vitest';
import { allocF64, inWasmMemory, wasmGates, wasmGatesBackward } from '../src/kernels/gemm-wasm.js';
import { lstmCellBackward, lstmCellForward } from '../src/kernels/cells/lstm.js';
import { gruCellBackward, gruCellForward } from '../src/kernels/cells/gru.js';
import { allocTape, gateCount, packedLayerBackward, packedLayerBackwardWalk, packedLayerForward } from '../src/kernels/packed-layer.js';
import type { CellMode, GateGrads, LayerGrads, LayerParams, LayerShape, LayerTape } from '../src/kernels/packed-layer.js';
import { Generator } from '../src/tensor/random.js';
import { fdlibmExp, fdlibmTanh } from '../src/kernels/cells/fdlibm.js';

const gen = new Generator(97);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const u32 = new Uint32Array(f64.buffer);
const bitsOf = (x: number): bigint => { f64[0] = x; return u64[0]; };
const fromWords = (hi: number, lo: number): number => { u32[1] = hi; u32[0] = lo; return f64[0]; };
/** x moved by d units in the last place (through its bits; crosses zero into the negative bit patterns only as NaNs, which is fine here). */
const step = (x: number, d: number): number => { f64[0] = x; u64[0] = BigInt.asUintN(64, u64[0] + BigInt(d)); return f64[0]; };
/** Same bits (any NaN equals any NaN: their payloads are not the question). */
const sameBits = (a: number, b: number): boolean => (a !== a && b !== b) || bitsOf(a) === bitsOf(b);

/** Indices where got and want differ in bits (first few), for a readable failure. */
function differences(xs: ArrayLike<number>, got: ArrayLike<number>, want: ArrayLike<number>, max = 5): string[] {
  const out: string[] = [];
  for (let i = 0; i < got.length && out.length < max; i++) {
    if (!sameBits(got[i], want[i])) out.push(`x=${xs[i]}: ${got[i]} (SIMD) vs ${want[i]}`);
  }
  return out;
}

/** The branch thresholds of fdlibm's exp, expm1 and tanh (high words) and the k = round(x/ln2) boundaries. */
function edges(): number[] {
  const t = [
    0.5 * Math.LN2, 1.5 * Math.LN2, 2 ** -28, 2 ** -27, 2 ** -54, 22, 709.782712893384, -745.1332191019411, 1, 0.25, 0.5, 2, 44,
    56 * Math.LN2, 28 * Math.LN2, 10 * Math.LN2, 2 ** -1022, 5e-324, Number.MAX_VALUE,
    fromWords(0x3fd62e42, 0xffffffff), fromWords(0x3fd62e43, 0), fromWords(0x3ff0a2b2, 0), fromWords(0x3ff0a2b1, 0xffffffff),
    fromWords(0x40862e42, 0), fromWords(0x4043687a, 0), fromWords(0x40360000, 0), fromWords(0x3e300000, 0), fromWords(0x3c900000, 0),
    fromWords(0x3fd62e43, 0) / 2, fromWords(0x3ff0a2b2, 0) / 2, fromWords(0x3ff00000, 0),
  ];
  for (let j = -1080; j <= 1026; j++) t.push((j + 0.5) * Math.LN2, j * Math.LN2, ((j + 0.5) * Math.LN2) / 2);
  const out: number[] = [0, -0, Infinity, -Infinity, NaN];
  for (const v of t) for (const d of [-2, -1, 0, 1, 2]) out.push(step(v, d), -step(v, d));
  return out;
}

/** Random doubles of one kind. */
const RANGES: Record<string, () => number> = {
  'uniform [-1, 1]': () => gen.uniform(-1, 1),
  'uniform [-40, 40]': () => gen.uniform(-40, 40),
  'uniform [-750, 710]': () => gen.uniform(-750, 710),
  'log-uniform magnitude 2^-1080..2^10': () => (gen.random() < 0.5 ? -1 : 1) * 2 ** (-1080 + 1090 * gen.random()),
  'random bit patterns': () => fromWords((gen.random() * 2 ** 32) >>> 0, (gen.random() * 2 ** 32) >>> 0),
  'subnormals': () => (gen.random() < 0.5 ? -1 : 1) * fromWords((gen.random() * 2 ** 20) >>> 0, (gen.random() * 2 ** 32) >>> 0),
  'near a branch threshold (±1000 ulp)': (() => {
    const t = edges().filter((v) => Number.isFinite(v) && v !== 0);
    return () => {
      const v = step(t[Math.floor(gen.random() * t.length)], Math.floor(gen.random() * 2001) - 1000);
      return gen.random() < 0.5 ? v : -v;
    };
  })(),
};

const gates = wasmGates();

/** kind 0: Math.exp, 1: Math.tanh of every x by the SIMD kernel (odd lengths: the last value takes the one-lane tail). */
function simdMath(kind: 0 | 1, xs: ArrayLike<number>): Float64Array {
  const src = allocF64(xs.length), dst = allocF64(xs.length);
  src.set(xs);
  gates!.mathv(kind, src.byteOffset, dst.byteOffset, xs.length);
  return dst;
}

// The JS cells use fdlibm's exp and tanh (src/kernels/cells/fdlibm.ts), so every engine gives the
// same bits; on Node 20 (V8 11) they are Math.exp's and Math.tanh's.
describe.runIf(process.versions.v8.startsWith('11.'))('cells/fdlibm.ts = V8 11\'s Math.exp and Math.tanh (Node 20)', () => {
  for (const [name, mine, ref] of [['exp', fdlibmExp, Math.exp], ['tanh', fdlibmTanh, Math.tanh]] as const) {
    it(`${name}: the edges and 7 × 100,001 random inputs over every range`, () => {
      const xs = [...edges()];
      for (const draw of Object.values(RANGES)) for (let i = 0; i < 100_001; i++) xs.push(draw());
      expect(differences(xs, xs.map((x) => mine(x)), xs.map((x) => ref(x)))).toEqual([]);
    });
  }
});

describe('the gate kernels\' exp and tanh: fdlibm\'s (cells/fdlibm.ts) on f64x2 lanes', () => {
  it('the gates module is instantiated (Node has SIMD)', () => {
    expect(gates).not.toBeNull();
  });

  for (const [kind, name, ref] of [[0, 'exp', fdlibmExp], [1, 'tanh', fdlibmTanh]] as const) {
    it(`${name}: ±0, ±∞, NaN, subnormals, 1, and every branch threshold ±2 ulp, in both lanes and the tail lane`, () => {
      const xs = edges();
      for (const shift of [0, 1]) { // each value in lane 0 and in lane 1
        const input = [...Array(shift).fill(0.3), ...xs];
        const got = simdMath(kind, input);
        expect(differences(input, got, input.map((x) => ref(x)))).toEqual([]);
      }
      expect(bitsOf(simdMath(kind, [1])[0])).toBe(bitsOf(ref(1))); // exp: V8's fdlibm returns E exactly
      expect(Object.is(simdMath(kind, [-0])[0], ref(-0))).toBe(true);
    });

    for (const [range, draw] of Object.entries(RANGES)) {
      it(`${name}: 200,001 random inputs, ${range}`, () => {
        const xs = new Float64Array(200_001);
        for (let i = 0; i < xs.length; i++) xs[i] = draw();
        const got = simdMath(kind, xs);
        const want = xs.map((x) => ref(x));
        expect(differences(xs, got, want)).toEqual([]);
      });
    }
  }
});

/** Pre-activations: mostly moderate, some large (saturating σ and tanh, exp's far ranges), some tiny. */
function preActivation(): number {
  const u = gen.random();
  if (u < 0.6) return gen.uniform(-4, 4);
  if (u < 0.8) return gen.uniform(-60, 60);
  if (u < 0.9) return gen.uniform(-800, 800);
  if (u < 0.95) return gen.uniform(-1e-9, 1e-9);
  return 0;
}
const fillWith = (a: Float64Array, draw: () => number): Float64Array => { for (let i = 0; i < a.length; i++) a[i] = draw(); return a; };

/** Whether a and b hold the same bits everywhere; else the first differing index. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!sameBits(a[i], b[i])) return i;
  return -1;
}

describe('lstmForward / gruForward: n rows of the JS cell, bit for bit', () => {
  // base: the first row of gi and (tape layout) of save; the JS loop of packedLayerForward reads
  // gi row base + i, gh/c/hRaw/h row i, save row base + i (tape) or i (no tape).
  const CASES: Array<[number, number, number, boolean]> = [];
  for (const H of [1, 2, 3, 4, 7, 8, 32, 33]) for (const n of [1, 2, 5]) for (const tape of [false, true]) CASES.push([H, n, tape ? 3 : 0, tape]);

  for (const [H, n, base, tape] of CASES) {
    it(`LSTM H=${H} n=${n} ${tape ? 'tape layout (save rows from base)' : 'save rows from 0'}`, () => {
      const GH = 4 * H, S = 5 * H, rows = base + n + 1;
      const gi = fillWith(allocF64(rows * GH), preActivation), gh = fillWith(allocF64(n * GH), preActivation);
      const c = fillWith(allocF64(n * H), () => gen.uniform(-30, 30)), hRaw = fillWith(allocF64(n * H), () => 7);
      const save = fillWith(allocF64(rows * S), () => 7);
      const [c2, hRaw2, save2] = [Float64Array.from(c), Float64Array.from(hRaw), Float64Array.from(save)];
      for (let i = 0; i < n; i++) lstmCellForward(H, gi, (base + i) * GH, gh, i * GH, c2, i * H, hRaw2, i * H, save2, (tape ? base + i : i) * S);
      gates!.lstmForward(gi.byteOffset + 8 * base * GH, gh.byteOffset, c.byteOffset, hRaw.byteOffset, save.byteOffset + 8 * (tape ? base : 0) * S, n, H);
      expect(firstDifference(c, c2)).toBe(-1);
      expect(firstDifference(hRaw, hRaw2)).toBe(-1);
      expect(firstDifference(save, save2)).toBe(-1); // including the untouched rows around
    });

    it(`GRU H=${H} n=${n} ${tape ? 'tape layout (save rows from base)' : 'save rows from 0'}`, () => {
      const GH = 3 * H, S = 4 * H, rows = base + n + 1;
      const gi = fillWith(allocF64(rows * GH), preActivation), gh = fillWith(allocF64(n * GH), preActivation);
      const h = fillWith(allocF64((n + 1) * H), () => gen.uniform(-1, 1));
      const save = fillWith(allocF64(rows * S), () => 7);
      const [h2, save2] = [Float64Array.from(h), Float64Array.from(save)];
      for (let i = 0; i < n; i++) gruCellForward(H, gi, (base + i) * GH, gh, i * GH, h2, i * H, save2, (tape ? base + i : i) * S);
      gates!.gruForward(gi.byteOffset + 8 * base * GH, gh.byteOffset, h.byteOffset, save.byteOffset + 8 * (tape ? base : 0) * S, n, H);
      expect(firstDifference(h, h2)).toBe(-1); // row n (past the last) untouched
      expect(firstDifference(save, save2)).toBe(-1);
    });
  }

  it('many random rows with large pre-activations (LSTM and GRU, H = 5, n = 200)', () => {
    const H = 5, n = 200;
    for (const G of [4, 3]) {
      const GH = G * H, S = (G + 1) * H;
      const gi = fillWith(allocF64(n * GH), preActivation), gh = fillWith(allocF64(n * GH), preActivation);
      const st = fillWith(allocF64(n * H), () => gen.uniform(-50, 50)), out = allocF64(n * H), save = allocF64(n * S);
      const [st2, out2, save2] = [Float64Array.from(st), Float64Array.from(out), Float64Array.from(save)];
      if (G === 4) {
        for (let i = 0; i < n; i++) lstmCellForward(H, gi, i * GH, gh, i * GH, st2, i * H, out2, i * H, save2, i * S);
        gates!.lstmForward(gi.byteOffset, gh.byteOffset, st.byteOffset, out.byteOffset, save.byteOffset, n, H);
      } else {
        for (let i = 0; i < n; i++) gruCellForward(H, gi, i * GH, gh, i * GH, st2, i * H, save2, i * S);
        gates!.gruForward(gi.byteOffset, gh.byteOffset, st.byteOffset, save.byteOffset, n, H);
      }
      expect([firstDifference(st, st2), firstDifference(out, out2), firstDifference(save, save2)]).toEqual([-1, -1, -1]);
    }
  });
});

describe('packedLayerForward: the SIMD gate path = the JS cell loop, bit for bit', () => {
  function layerCase(mode: CellMode, H: number, P: number) {
    const In = 3, B = 5;
    const lengths = [6, 5, 5, 3, 1];
    const T = lengths[0];
    const batchSizes = Array.from({ length: T }, (_, t) => lengths.filter((l) => l > t).length);
    const rows = batchSizes.reduce((a, b) => a + b, 0);
    const Hout = P || H;
    const GH = gateCount(mode) * H;
    const arr = (n: number, s: number) => fillWith(new Float64Array(n), () => gen.uniform(-s, s));
    const shape: LayerShape = { mode, inputSize: In, hiddenSize: H, projSize: P };
    const p: LayerParams = { wIh: arr(GH * In, 3), wHh: arr(GH * Hout, 3), bIh: arr(GH, 2), bHh: arr(GH, 2), wHr: P ? arr(P * H, 1) : null };
    return { shape, p, x: arr(rows * In, 4), batchSizes, rows, B, Hout, h0: arr(B * Hout, 1), c0: mode === 'LSTM' ? arr(B * H, 5) : null };
  }

  for (const [mode, H, P] of [['LSTM', 3, 0], ['LSTM', 4, 2], ['GRU', 3, 0], ['GRU', 8, 0]] as Array<[CellMode, number, number]>) {
    for (const reverse of [false, true]) {
      it(`${mode} H=${H}${P ? ` proj ${P}` : ''}${reverse ? ' reverse' : ''}: WASM tape, no tape, and two sequence ranges = the JS loop`, () => {
        const k = layerCase(mode, H, P);
        const lstm = mode === 'LSTM';
        const run = (tapeAlloc: ((n: number) => Float64Array) | null, ranges: Array<[number, number]> | null) => {
          const y = new Float64Array(k.rows * k.Hout), hN = new Float64Array(k.B * k.Hout), cN = lstm ? new Float64Array(k.B * H) : null;
          const tape = tapeAlloc !== null ? allocTape(k.shape, k.rows, tapeAlloc) : null;
          if (ranges === null) packedLayerForward(k.shape, k.p, k.x, k.batchSizes, reverse, k.h0, k.c0, y, hN, cN, tape);
          else for (const [lo, hi] of ranges) packedLayerForward(k.shape, k.p, k.x, k.batchSizes, reverse, k.h0, k.c0, y, hN, cN, tape, null, 0, { lo, hi });
          return { y, hN, cN, tape };
        };
        const js = run((n) => new Float64Array(n), null); // save outside WASM memory: the JS cell loop
        expect(inWasmMemory(js.tape!.save)).toBe(false);
        const all = [run(allocF64, null), run(null, null), run(allocF64, [[0, 2], [2, k.B]])];
        expect(inWasmMemory(all[0].tape!.save)).toBe(true);
        for (const r of all) {
          expect(firstDifference(r.y, js.y)).toBe(-1);
          expect(firstDifference(r.hN, js.hN)).toBe(-1);
          if (lstm) expect(firstDifference(r.cN!, js.cN!)).toBe(-1);
          if (r.tape !== null) {
            expect(firstDifference(r.tape.save, js.tape!.save)).toBe(-1);
            expect(firstDifference(r.tape.hPrev, js.tape!.hPrev)).toBe(-1);
          }
        }
      });
    }
  }
});

/** Exactly the same bits, NaNs included (unlike sameBits): -1, or the first index where a and b differ. */
function firstBitDifference(a: Float64Array, b: Float64Array): number {
  const ua = new BigUint64Array(a.buffer, a.byteOffset, a.length), ub = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** Any finite double, weighted toward what the backward sees: gates in [0, 1] or [−1, 1], moderate gradients, and large, tiny, subnormal values and random bit patterns. */
function backValue(): number {
  const u = gen.random();
  if (u < 0.3) return gen.uniform(0, 1);
  if (u < 0.5) return gen.uniform(-1, 1);
  if (u < 0.6) return gen.uniform(-1e3, 1e3);
  if (u < 0.75) return (gen.random() < 0.5 ? -1 : 1) * 2 ** (-1074 + 2098 * gen.random()); // every magnitude, up to ~2^1024 (overflows: ∞, ∞ − ∞ …)
  if (u < 0.8) return (gen.random() < 0.5 ? -1 : 1) * fromWords((gen.random() * 2 ** 20) >>> 0, (gen.random() * 2 ** 32) >>> 0); // subnormal
  if (u < 0.9) {
    for (;;) {
      const v = fromWords((gen.random() * 2 ** 32) >>> 0, (gen.random() * 2 ** 32) >>> 0);
      if (Number.isFinite(v)) return v;
    }
  }
  return [0, -0, 1, -1, 0.5, 2][Math.floor(gen.random() * 6)];
}

const back = wasmGatesBackward();

describe('lstmBackward / gruBackward: n rows of the JS cell backward, bit for bit', () => {
  it('the backward module is instantiated (Node has SIMD)', () => {
    expect(back).not.toBeNull();
  });

  // The walk of packedLayerBackwardWalk: dh, dc and dhDirect rows i (from 0), cPrev/hPrev, save,
  // dGi and dGh rows base + i (tape-like). Every buffer has rows before and after the touched ones,
  // so any stray write shows.
  const CASES: Array<[number, number, number]> = [];
  for (const H of [1, 2, 3, 7, 8, 32, 33]) for (const n of [1, 2, 5]) for (const base of [0, 3]) CASES.push([H, n, base]);
  const REPEATS = 20;

  for (const [H, n, base] of CASES) {
    it(`LSTM H=${H} n=${n} rows from ${base}`, () => {
      const rows = base + n + 2;
      for (let rep = 0; rep < REPEATS; rep++) {
        const dh = fillWith(allocF64((n + 1) * H), backValue), dc = fillWith(allocF64((n + 1) * H), backValue);
        const cPrev = fillWith(allocF64(rows * H), backValue), save = fillWith(allocF64(rows * 5 * H), backValue);
        const dg = fillWith(allocF64(rows * 4 * H), backValue);
        const [dh2, dc2, cPrev2, save2, dg2] = [dh, dc, cPrev, save, dg].map((a) => Float64Array.from(a));
        for (let i = 0; i < n; i++) {
          const r = base + i;
          lstmCellBackward(H, dh2, i * H, dc2, i * H, cPrev2, r * H, save2, r * 5 * H, dg2, r * 4 * H);
        }
        back!.lstmBackward(dh.byteOffset, dc.byteOffset, cPrev.byteOffset + 8 * base * H, save.byteOffset + 8 * base * 5 * H,
          dg.byteOffset + 8 * base * 4 * H, n, H);
        expect([dh, dc, cPrev, save, dg].map((a, j) => firstBitDifference(a, [dh2, dc2, cPrev2, save2, dg2][j]))).toEqual([-1, -1, -1, -1, -1]);
      }
    });

    it(`GRU H=${H} n=${n} rows from ${base}`, () => {
      const rows = base + n + 2;
      for (let rep = 0; rep < REPEATS; rep++) {
        const dh = fillWith(allocF64((n + 1) * H), backValue), dd = fillWith(allocF64((n + 1) * H), backValue);
        const hPrev = fillWith(allocF64(rows * H), backValue), save = fillWith(allocF64(rows * 4 * H), backValue);
        const dgi = fillWith(allocF64(rows * 3 * H), backValue), dgh = fillWith(allocF64(rows * 3 * H), backValue);
        const [dh2, dd2, hPrev2, save2, dgi2, dgh2] = [dh, dd, hPrev, save, dgi, dgh].map((a) => Float64Array.from(a));
        for (let i = 0; i < n; i++) {
          const r = base + i;
          gruCellBackward(H, dh2, i * H, hPrev2, r * H, save2, r * 4 * H, dgi2, r * 3 * H, dgh2, r * 3 * H, dd2, i * H);
        }
        back!.gruBackward(dh.byteOffset, hPrev.byteOffset + 8 * base * H, save.byteOffset + 8 * base * 4 * H,
          dgi.byteOffset + 8 * base * 3 * H, dgh.byteOffset + 8 * base * 3 * H, dd.byteOffset, n, H);
        const got = [dh, dd, hPrev, save, dgi, dgh], want = [dh2, dd2, hPrev2, save2, dgi2, dgh2];
        expect(got.map((a, j) => firstBitDifference(a, want[j]))).toEqual([-1, -1, -1, -1, -1, -1]);
      }
    });
  }

  it('many random rows (LSTM and GRU, H = 5 and 6, n = 300), also with dh = dhDirect in place (GRU)', () => {
    for (const H of [5, 6]) {
      const n = 300;
      const dh = fillWith(allocF64(n * H), backValue), dc = fillWith(allocF64(n * H), backValue), prev = fillWith(allocF64(n * H), backValue);
      const save = fillWith(allocF64(n * 5 * H), backValue), dg = allocF64(n * 4 * H), dg2b = allocF64(n * 3 * H);
      const [dh2, dc2, dg2, dgb2] = [dh, dc, dg, dg2b].map((a) => Float64Array.from(a));
      for (let i = 0; i < n; i++) lstmCellBackward(H, dh2, i * H, dc2, i * H, prev, i * H, save, i * 5 * H, dg2, i * 4 * H);
      back!.lstmBackward(dh.byteOffset, dc.byteOffset, prev.byteOffset, save.byteOffset, dg.byteOffset, n, H);
      expect([firstBitDifference(dc, dc2), firstBitDifference(dg, dg2)]).toEqual([-1, -1]);
      // GRU: dhDirect is dh itself (each element read, then overwritten)
      for (let i = 0; i < n; i++) gruCellBackward(H, dh2, i * H, prev, i * H, save, i * 4 * H, dg2, i * 3 * H, dgb2, i * 3 * H, dh2, i * H);
      back!.gruBackward(dh.byteOffset, prev.byteOffset, save.byteOffset, dg.byteOffset, dg2b.byteOffset, dh.byteOffset, n, H);
      expect([firstBitDifference(dh, dh2), firstBitDifference(dg, dg2), firstBitDifference(dg2b, dgb2)]).toEqual([-1, -1, -1]);
    }
  });
});

describe('packedLayerBackward and its walk: the SIMD backward steps = the JS cell loops, bit for bit', () => {
  const In = 3;
  const lengths = [6, 5, 5, 3, 1];
  const B = lengths.length, T = lengths[0];
  const batchSizes = Array.from({ length: T }, (_, t) => lengths.filter((l) => l > t).length);
  const rows = batchSizes.reduce((a, b) => a + b, 0);
  const arr = (n: number, s: number) => fillWith(new Float64Array(n), () => gen.uniform(-s, s));

  for (const [mode, H] of [['LSTM', 3], ['LSTM', 8], ['GRU', 3], ['GRU', 7]] as Array<[CellMode, number]>) {
    for (const reverse of [false, true]) {
      it(`${mode} H=${H}${reverse ? ' reverse' : ''}: WASM buffers (whole batch, and the walk on two sequence ranges) = ordinary arrays`, () => {
        expect(back).not.toBeNull();
        const lstm = mode === 'LSTM';
        const GH = gateCount(mode) * H;
        const shape: LayerShape = { mode, inputSize: In, hiddenSize: H, projSize: 0 };
        const p: LayerParams = { wIh: arr(GH * In, 2), wHh: arr(GH * H, 2), bIh: arr(GH, 1), bHh: arr(GH, 1), wHr: null };
        const x = arr(rows * In, 3), h0 = arr(B * H, 1), c0 = lstm ? arr(B * H, 3) : null;
        const dY = arr(rows * H, 2), dhN = arr(B * H, 2), dcN = lstm ? arr(B * H, 2) : null;
        const tapeJs = allocTape(shape, rows);
        packedLayerForward(shape, p, x, batchSizes, reverse, h0, c0, new Float64Array(rows * H), new Float64Array(B * H), lstm ? new Float64Array(B * H) : null, tapeJs);
        const grads = (alloc: (n: number) => Float64Array): LayerGrads => ({
          dX: alloc(rows * In), dh0: alloc(B * H), dc0: lstm ? alloc(B * H) : null, dWih: alloc(GH * In), dWhh: alloc(GH * H),
          dBih: alloc(GH), dBhh: alloc(GH), dWhr: null,
        });
        const tapeIn = (alloc: (n: number) => Float64Array): LayerTape => {
          const t = allocTape(shape, rows, alloc);
          t.hPrev.set(tapeJs.hPrev); t.cPrev.set(tapeJs.cPrev); t.save.set(tapeJs.save);
          return t;
        };
        const plain = (n: number) => new Float64Array(n);
        const flat = (g: LayerGrads, gg?: GateGrads) => [g.dX, g.dh0, g.dc0, g.dWih, g.dWhh, g.dBih, g.dBhh, ...(gg ? [gg.dGi, gg.dGh] : [])]
          .filter((a): a is Float64Array => a !== null);

        // packedLayerBackward: the JS loops (tape and grads ordinary arrays) vs the kernel (all in WASM memory)
        const tapeW = tapeIn(allocF64);
        expect(inWasmMemory(tapeW.save) && inWasmMemory(tapeW.hPrev)).toBe(true);
        const gJs = grads(plain), gW = grads(allocF64);
        packedLayerBackward(shape, p, x, batchSizes, reverse, tapeJs, dY, dhN, dcN, gJs);
        packedLayerBackward(shape, p, x, batchSizes, reverse, tapeW, dY, dhN, dcN, gW);
        const [a, b] = [flat(gW), flat(gJs)];
        expect(a.map((v, j) => firstBitDifference(v, b[j]))).toEqual(a.map(() => -1));

        // the walk alone, whole batch with ordinary gate buffers (JS loops) vs two sequence ranges in WASM memory (kernel)
        const gates = (alloc: (n: number) => Float64Array): GateGrads => {
          const dGi = alloc(rows * GH);
          return { dGi, dGh: lstm ? dGi : alloc(rows * GH) };
        };
        const wJs = grads(plain), ggJs = gates(plain);
        packedLayerBackwardWalk(shape, p, x, batchSizes, reverse, tapeJs, dY, dhN, dcN, wJs, ggJs, null);
        const wW = grads(allocF64), ggW = gates(allocF64);
        for (const [lo, hi] of [[0, 2], [2, B]]) packedLayerBackwardWalk(shape, p, x, batchSizes, reverse, tapeW, dY, dhN, dcN, wW, ggW, { lo, hi });
        const [c, d] = [flat(wW, ggW), flat(wJs, ggJs)];
        expect(c.map((v, j) => firstBitDifference(v, d[j]))).toEqual(c.map(() => -1));
      });
    }
  }
});
