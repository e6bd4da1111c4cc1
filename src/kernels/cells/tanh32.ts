// tanh and the logistic sigmoid in float32 arithmetic, for the float32 cells: one algorithm, two
// implementations with the same bits — these scalar functions (every operation rounded with
// Math.fround) and the f32x4 lanes of the WASM module (tools/gen-cells32-wasm.mjs, which imports
// the constants below). The float32 cells of a model with a float32 dtype run on them.
//
//   exp x:   k = roundTiesToEven(x·log2 e), as (x·log2 e + 1.5·2^23) − 1.5·2^23 (the SIMD version
//            takes the integer k from the bits of the sum);  r = (x − k·C1) − k·C2  (C1 + C2 = ln 2,
//            C1 has 9 bits so k·C1 is exact);  e^r = ((P(r)·r²) + r) + 1  (P: Cephes expf, degree
//            5);  e^x = e^r · 2^k1 · 2^k2 with k1 = k >> 1, k2 = k − k1 (two exact scalings while
//            the result is normal, one rounding into the subnormals below 2^−126).
//   tanh x:  a = |x|;  a < 0.625: a + (a·a²)·T(a²)  (T: Cephes tanhf, degree 4 — no cancellation,
//            tiny a gives a itself);  else 1 − 2 / (e^{2m} + 1), m = (9.5 < a ? 9.5 : a) (as
//            f32x4.pmin; tanh 9.5 rounds to 1);  the sign of x copied onto the result (tanh −0 = −0).
//   σ(x):    m = −|x| clamped at −104 (as f32x4.pmax; e^−104 rounds to 0), e = e^m;
//            σ = 1 / (1 + e) for x ≥ 0, e / (1 + e) for x < 0 — no cancellation on either side,
//            subnormal results for x < −87.
// Accuracy (test/cells32.test.ts, dense sweeps against Math.tanh and 1 / (1 + Math.exp(−x)) in
// double): tanh within 1.33 ulp of float32, σ within 2.32 ulp (largest for x < 0, where e's own
// error carries through); ±Inf give ±1 (σ: 1, 0), NaN gives NaN.

const f = Math.fround;

// The constants as decimal literals (the generator reads them from this file); each is used
// rounded to float32.
/** Cephes expf's polynomial P, highest degree first. */
export const EXP32_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** ln 2 = C1 + C2; C1 = 355/512 (9 bits: k·C1 is exact). */
export const EXP32_C1 = 0.693359375;
export const EXP32_C2 = -2.12194440e-4;
export const LOG2E32 = 1.44269504088896341;
/** Cephes tanhf's odd polynomial T(z), z = x², highest degree first. */
export const TANH32_T = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
/** Below this |x| the polynomial, above it the exp form. */
export const TANH32_SMALL = 0.625;
/** |x| clamp of the exp form: 2 / (e^19 + 1) < 2^−25, so tanh rounds to 1 from here on. */
export const TANH32_BIG = 9.5;
/** Argument clamp of σ's exp: e^−104 < 2^−150 rounds to 0. */
export const SIG32_MIN = -104;

const [p0, p1, p2, p3, p4, p5] = EXP32_P.map(f);
const [t0, t1, t2, t3, t4] = TANH32_T.map(f);
const C1 = f(EXP32_C1), C2 = f(EXP32_C2), LOG2E = f(LOG2E32);

/** 2^k as a float32 value for integer k in [−75, 64] (exact). */
const POW2 = new Float32Array(140).map((_, i) => 2 ** (i - 75));

/** 1.5·2^23: float32 v + MAGIC is v rounded to an integer (ties to even) for |v| < 2^22. */
export const EXP32_MAGIC = 12582912;

/**
 * e^x in float32 for float32 x in [−104, 19] (the two callers' ranges; NaN gives NaN).
 */
export function exp32(x: number): number {
  let k = f(f(f(x * LOG2E) + EXP32_MAGIC) - EXP32_MAGIC);
  if (k !== k) k = 0; // NaN x: any k gives NaN (the table index must be an integer)
  let r = f(x - f(k * C1));
  r = f(r - f(k * C2));
  const z = f(r * r);
  let p = p0;
  p = f(f(p * r) + p1);
  p = f(f(p * r) + p2);
  p = f(f(p * r) + p3);
  p = f(f(p * r) + p4);
  p = f(f(p * r) + p5);
  const er = f(f(f(p * z) + r) + 1);
  const k1 = k >> 1;
  return f(f(er * POW2[k1 + 75]) * POW2[k - k1 + 75]);
}

/** tanh x in float32 arithmetic (float32 x; see the header). */
export function tanh32(x: number): number {
  const a = Math.abs(x);
  let t: number;
  if (a < TANH32_SMALL) {
    const z = f(a * a);
    let p = t0;
    p = f(f(p * z) + t1);
    p = f(f(p * z) + t2);
    p = f(f(p * z) + t3);
    p = f(f(p * z) + t4);
    t = f(a + f(f(a * z) * p));
  } else {
    const m = TANH32_BIG < a ? TANH32_BIG : a; // NaN stays NaN
    const e = exp32(f(m + m));
    t = f(1 - f(2 / f(e + 1)));
  }
  return x < 0 || (x === 0 && 1 / x < 0) ? -t : t;
}

/** σ(x) = 1 / (1 + e^−x) in float32 arithmetic (float32 x; see the header). */
export function sigmoid32(x: number): number {
  const m = -Math.abs(x);
  const e = exp32(m < SIG32_MIN ? SIG32_MIN : m); // NaN stays NaN
  const d = f(1 + e);
  return f((x >= 0 ? 1 : e) / d);
}
