// Float32 fused multiply-add, as PyTorch's AVX2 CPU kernels compute `self + alpha * other`
// (`add_(x, alpha=..)`, `addcmul_`): vfmadd rounds a·b + c once to float32. Measured on the
// reference build (torch 1.13, CPU capability AVX2): emulating these ops with one rounding
// reproduces its float32 Adam/SGD updates bit for bit, two roundings do not.
//
// For float32 a, b the product a·b is exact in a double (24 + 24 bits ≤ 53), so the only error of
// `fround(a*b + c)` is the double rounding of the sum. That error can only change the float32
// result when the double sum lands exactly on a float32 midpoint; then the sign of the sum's
// rounding error (TwoSum) decides the side.

/** fround(a·b + c) rounded once; a, b, c must be float32 values. */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b; // exact
  const s = p + c;
  const r = Math.fround(s);
  if (r === s) return r; // s is a float32; the true sum is within half a double ulp of it
  const d = s - r; // exact
  const other = r + 2 * d;
  if (Math.fround(other) !== other) return r; // s is not halfway between two float32s (or NaN)
  // TwoSum: e = (p + c) − s exactly.
  const bb = s - p;
  const e = (p - (s - bb)) + (c - bb);
  if (e === 0) return r; // a genuine tie: fround already rounded half to even
  return (e > 0) === (d > 0) ? other : r;
}
