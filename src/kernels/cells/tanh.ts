// The Elman RNN cell's tanh: one algorithm, two implementations with the same bits — this scalar
// one and the f64x2 SIMD one in the WASM module (tools/gen-gemm-wasm.mjs, which reads its
// constants from this file). Within 4 ulp of Math.tanh (test/gemm-wasm.test.ts); the point is
// speed: the SIMD version does two lanes in ~7 ns, where Math.tanh is a ~13 ns call per value, and
// this twin keeps every result independent of whether WASM is available (RECUR_NO_WASM=1, the
// autograd path's ordinary arrays, a browser without SIMD).
//
//   tanh x = sign(x) · E / (E + 2),  E = expm1(y),  y = min(2|x|, 40)  (tanh 20 is 1 in double)
//   expm1 y = s·p + (s − 1),  s = 2^k,  k = roundTiesToEven(y / ln 2) ∈ [0, 58],
//   p = expm1 r = r + r²·Q(r),  r = (y − k·LN2_HI) − k·LN2_LO,  |r| ≤ 0.35
// For k = 0 (|x| < 0.17) E = p exactly, so small arguments keep their relative accuracy. Q: a
// Chebyshev fit of (e^r − 1 − r) / r² on [−0.35, 0.35], error < 2e-18 (tools/fit_tanh.py),
// evaluated by Estrin's scheme in the grouping below (which the SIMD version repeats exactly).

/** Q's coefficients, highest degree first. */
export const EXP_Q = [
  2.0915433598076003e-09, 2.5106262550879078e-08, 2.755727183153613e-07, 2.755725286336732e-06,
  2.480158732699005e-05, 0.00019841269876840357, 0.0013888888888883332, 0.008333333333325551,
  0.04166666666666667, 0.1666666666666667, 0.5,
];
/** ln 2 to 40 bits: k·LN2_HI is exact for |k| < 2^13. */
export const LN2_HI = 0.6931471805592082;
export const LN2_LO = 7.371002565167799e-13;
export const INV_LN2 = 1.4426950408889634;

const [q10, q9, q8, q7, q6, q5, q4, q3, q2, q1, q0] = EXP_Q; // qi: coefficient of r^i
const POW2 = Float64Array.from({ length: 59 }, (_, k) => 2 ** k);

/** tanh x, the recurrent cells' algorithm (bit-identical to the WASM tanhAdd with b = 0). */
export function tanh(x: number): number {
  const a = Math.abs(x);
  const y = Math.min(a + a, 40);
  const v = y * INV_LN2;
  let k = Math.round(v); // ties to even, as f64x2.nearest (v ≥ 0)
  if (k - v === 0.5 && k % 2 !== 0) k -= 1;
  const r = y - k * LN2_HI - k * LN2_LO;
  const r2 = r * r;
  const r4 = r2 * r2;
  const r8 = r4 * r4;
  // Estrin: pairs (q_{i+1} r + q_i), then combined with r², r⁴, r⁸ — the generator's grouping
  const p01 = q1 * r + q0, p23 = q3 * r + q2, p45 = q5 * r + q4, p67 = q7 * r + q6, p89 = q9 * r + q8;
  const p0to3 = p23 * r2 + p01, p4to7 = p67 * r2 + p45, p8to10 = q10 * r2 + p89;
  const p0to7 = p4to7 * r4 + p0to3;
  const q = p8to10 * r8 + p0to7;
  const s = k === k ? POW2[k] : 1; // NaN: k is NaN (the SIMD version's saturating convert gives 0)
  const e = s * (r + r2 * q) + (s - 1);
  const t = e / (e + 2);
  return x < 0 || (x === 0 && 1 / x < 0) ? -t : t;
}
