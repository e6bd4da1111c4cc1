#!/usr/bin/env python3
"""Coefficients of the SIMD tanh in tools/gen-gemm-wasm.mjs (the single-sequence predict path).

    python3 tools/fit_tanh.py        (needs mpmath: Debian python3-mpmath, or pip)

tanh a = E / (E + 2) with E = expm1(2a); expm1 y = 2^k * (r + r^2 Q(r)) + (2^k - 1) with
k = nearest(y / ln 2), r = y - k ln 2, |r| <= 0.35. Q is a Chebyshev fit (mpmath.chebyfit, 60
digits) of (e^r - 1 - r) / r^2 on [-0.35, 0.35]; ln 2 is split into a 40-bit head (so k * head
is exact) and the rest. Prints the JS constants the generator holds.
"""
import mpmath as mp

mp.mp.dps = 60


def q(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.exp(r) - 1 - r) / r ** 2


coeffs, err = mp.chebyfit(q, [-mp.mpf('0.35'), mp.mpf('0.35')], 11, error=True)
ln2 = mp.log(2)
hi = mp.floor(ln2 * 2 ** 40) / 2 ** 40
print(f'// Q fit error: {mp.nstr(err, 3)}')
print('const EXP_Q = [' + ', '.join(repr(float(c)) for c in coeffs) + '];')
print(f'const LN2_HI = {float(hi)!r};')
print(f'const LN2_LO = {float(ln2 - hi)!r};')
print(f'const INV_LN2 = {float(1 / ln2)!r};')
