// exp, expm1 and tanh as fdlibm computes them (FreeBSD e_exp.c, s_expm1.c, s_tanh.c), in the form
// V8 11 (Node 20) uses for Math.exp and Math.tanh (src/base/ieee754.cc, including its exp(1) = E
// special case): on Node 20 these return Math.exp's and Math.tanh's bits exactly (checked on 135 M
// inputs over every range and branch boundary; test/cells-wasm.test.ts). The LSTM and GRU cells use
// them, and so does their SIMD version (the "gates" WASM module, the same operations on f64x2
// lanes), so an LSTM/GRU run gives the same bits with or without WASM and on any JavaScript engine,
// whatever libm the engine's own Math.tanh comes from.
// Pure double arithmetic and bit access; imports nothing.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: [lo, hi]
const hiWord = (d: number): number => { f64[0] = d; return u32[1] | 0; };
const loWord = (d: number): number => { f64[0] = d; return u32[0] >>> 0; };
const fromWords = (hi: number, lo: number): number => { u32[1] = hi >>> 0; u32[0] = lo >>> 0; return f64[0]; };
const setHigh = (d: number, hi: number): number => { f64[0] = d; u32[1] = hi >>> 0; return f64[0]; };

const halF = [0.5, -0.5];
const o_threshold = 7.09782712893383973096e+02;
const u_threshold = -7.45133219101941108420e+02;
const ln2HI = [6.93147180369123816490e-01, -6.93147180369123816490e-01];
const ln2LO = [1.90821492927058770002e-10, -1.90821492927058770002e-10];
const invln2 = 1.44269504088896338700e+00;
const P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
  P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08, E = 2.718281828459045;
const huge = 1.0e+300, twom1000 = 9.33263618503218878990e-302, two1023 = 8.988465674311579539e307;

export function fdlibmExp(x: number): number {
  let y: number, hi = 0, lo = 0, c: number, t: number, twopk: number, k = 0;
  let hx = hiWord(x);
  const xsb = (hx >>> 31) & 1;
  hx &= 0x7fffffff;
  if (hx >= 0x40862E42) {
    if (hx >= 0x7ff00000) {
      const lx = loWord(x);
      if (((hx & 0xfffff) | lx) !== 0) return x + x;
      return xsb === 0 ? x : 0.0;
    }
    if (x > o_threshold) return huge * huge;
    if (x < u_threshold) return twom1000 * twom1000;
  }
  if (hx > 0x3FD62E42) {
    if (hx < 0x3FF0A2B2) {
      if (x === 1.0) return E;
      hi = x - ln2HI[xsb];
      lo = ln2LO[xsb];
      k = 1 - xsb - xsb;
    } else {
      k = Math.trunc(invln2 * x + halF[xsb]);
      t = k;
      hi = x - t * ln2HI[0];
      lo = t * ln2LO[0];
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    if (huge + x > 1) return 1 + x;
  } else {
    k = 0;
  }
  t = x * x;
  if (k >= -1021) twopk = fromWords(0x3ff00000 + (k << 20), 0);
  else twopk = fromWords(0x3ff00000 + ((k + 1000) << 20), 0);
  c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2.0) - x);
  y = 1 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k === 1024) return y * 2.0 * two1023;
    return y * twopk;
  }
  return y * twopk * twom1000;
}

const tiny = 1.0e-300, ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
const Q1 = -3.33333333333331316428e-02, Q2 = 1.58730158725481460165e-03, Q3 = -7.93650757867487942473e-05,
  Q4 = 4.00821782732936239552e-06, Q5 = -2.01099218183624371326e-07;

export function fdlibmExpm1(x: number): number {
  let y: number, hi: number, lo: number, c = 0, t: number, e: number, hxs: number, hfx: number, r1: number, twopk: number, k: number;
  let hx = hiWord(x);
  const xsb = hx & 0x80000000;
  hx &= 0x7fffffff;
  if (hx >= 0x4043687A) {
    if (hx >= 0x40862E42) {
      if (hx >= 0x7ff00000) {
        const low = loWord(x);
        if (((hx & 0xfffff) | low) !== 0) return x + x;
        return xsb === 0 ? x : -1.0;
      }
      if (x > o_threshold) return huge * huge;
    }
    if (xsb !== 0) {
      if (x + tiny < 0.0) return tiny - 1;
    }
  }
  if (hx > 0x3FD62E42) {
    if (hx < 0x3FF0A2B2) {
      if (xsb === 0) { hi = x - ln2_hi; lo = ln2_lo; k = 1; }
      else { hi = x + ln2_hi; lo = -ln2_lo; k = -1; }
    } else {
      k = Math.trunc(invln2 * x + (xsb === 0 ? 0.5 : -0.5));
      t = k;
      hi = x - t * ln2_hi;
      lo = t * ln2_lo;
    }
    x = hi - lo;
    c = (hi - x) - lo;
  } else if (hx < 0x3c900000) {
    t = huge + x;
    return x - (t - (huge + x));
  } else {
    k = 0;
  }
  hfx = 0.5 * x;
  hxs = x * hfx;
  r1 = 1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  t = 3.0 - r1 * hfx;
  e = hxs * ((r1 - t) / (6.0 - x * t));
  if (k === 0) return x - (x * e - hxs);
  twopk = fromWords(0x3ff00000 + (k << 20), 0);
  e = (x * (e - c) - c);
  e -= hxs;
  if (k === -1) return 0.5 * (x - e) - 0.5;
  if (k === 1) {
    if (x < -0.25) return -2.0 * (e - (x + 0.5));
    return 1 + 2.0 * (x - e);
  }
  if (k <= -2 || k > 56) {
    y = 1 - (e - x);
    if (k === 1024) y = y * 2.0 * 8.98846567431158e+307;
    else y = y * twopk;
    return y - 1;
  }
  t = 1;
  if (k < 20) {
    t = setHigh(t, 0x3ff00000 - (0x200000 >> k));
    y = t - (e - x);
    y = y * twopk;
  } else {
    t = setHigh(t, (0x3ff - k) << 20);
    y = x - (e + t);
    y += 1;
    y = y * twopk;
  }
  return y;
}

export function fdlibmTanh(x: number): number {
  let t: number, z: number;
  const jx = hiWord(x);
  const ix = jx & 0x7fffffff;
  if (ix >= 0x7ff00000) {
    if (jx >= 0) return 1 / x + 1;
    return 1 / x - 1;
  }
  if (ix < 0x40360000) {
    if (ix < 0x3e300000) {
      if (huge + x > 1) return x;
    }
    if (ix >= 0x3ff00000) {
      t = fdlibmExpm1(2 * Math.abs(x));
      z = 1 - 2 / (t + 2);
    } else {
      t = fdlibmExpm1(-2 * Math.abs(x));
      z = -t / (t + 2);
    }
  } else {
    z = 1 - tiny;
  }
  return jx >= 0 ? z : -z;
}
