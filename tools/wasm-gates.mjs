// WAT of two of the WebAssembly modules tools/gen-gemm-wasm.mjs assembles: the LSTM/GRU gate steps
// (module 4) and their backward steps (module 5). Pure string building; see that script for how
// the modules are assembled, named and size-checked.

// The LSTM and GRU cell steps (src/kernels/packed-layer.ts): a fourth module, bit-identical to
// lstmCellForward / gruCellForward (src/kernels/cells/), whose σ and tanh use fdlibm's e_exp.c and
// s_tanh.c (with s_expm1.c) as ported in src/kernels/cells/fdlibm.ts — what V8 11.3 (Node 20,
// src/base/ieee754.cc) computes for Math.exp and Math.tanh; $exp and $tanh below are those algorithms on f64x2 lanes: every
// operation of the scalar code in its order (WASM SIMD has no fused multiply-add, so each rounds
// alike), and each branch computed on every lane and chosen per lane by a select. Rewrites that
// keep every bit and save work: the argument reduction k = (int)(x/ln2 ± 0.5) also gives fdlibm's
// k = ±1 of 0.5 ln2 < |x| < 1.5 ln2 (hi = x ∓ ln2_hi, lo = ±ln2_lo are then the same operations);
// k = +0 (|x| ≤ 0.5 ln2) gives hi = x, lo = +0, c = +0 exactly, so one formula serves both (exp:
// (x·c)/(c − 2) = −((x·c)/(2 − c)), negation being exact, and 0 − q = −q for q ≠ 0); 2^k is built
// from k's bits (k + 2^52 + 1023, shifted), and y·2^k is (y·2^(k−j))·2^j with j = 0 except where
// fdlibm scales twice (·1 is exact). A NaN argument gives a NaN (any payload; fdlibm's x + x).
// $tanh's expm1 is the part of s_expm1.c that tanh reaches: arguments 2|x| ∈ [2, 44) (k ≥ 3) and
// −2|x| ∈ (−2, −2^−27] (k ∈ {0, −1, −2, −3}); the tests (test/cells-wasm.test.ts) compare both
// functions with cells/fdlibm.ts (and that with Node 20's Math) bit for bit over all ranges and branch thresholds.
//   lstmForward(gi, gh, c, hRaw, save, n, H)   n rows of lstmCellForward: row i at gi + i·4H,
//                                              gh + i·4H, c + i·H, hRaw + i·H, save + i·5H (float64)
//   gruForward(gi, gh, h, save, n, H)          n rows of gruCellForward: gi, gh + i·3H, h + i·H, save + i·4H
//   mathv(kind, src, dst, n)                   dst[i] = exp (kind 0) or tanh (kind 1) of src[i] (tests)
const bitsOf = (v) => new BigUint64Array(new Float64Array([v]).buffer)[0].toString(16).padStart(16, '0');
/**
 * An f64x2 splat of v, given by its bits (no decimal parsing in between; `hex`: fdlibm's bits,
 * checked). Each distinct constant is an immutable global: V8 materialises an inline v128.const
 * as ~4 instructions through a general register at every use, a global is one load (exp measured
 * ~25 % faster), and `global.get` is 2 bytes against 18.
 */
const gateConsts = new Map(); // bits → global name
const Kbits = (bits) => {
  if (!gateConsts.has(bits)) gateConsts.set(bits, `$k${gateConsts.size}`);
  return `(global.get ${gateConsts.get(bits)})`;
};
const K = (v, hex) => {
  if (hex !== undefined && bitsOf(v) !== hex.toLowerCase()) throw new Error(`constant ${v}: bits ${bitsOf(v)}, fdlibm says ${hex}`);
  return Kbits(bitsOf(v));
};
const SIGN = Kbits('8000000000000000');
const ONE = K(1), TWO = K(2), HALF = K(0.5);
const INVLN2 = K(1.44269504088896338700e+00, '3FF71547652B82FE');
const LN2HI = K(6.93147180369123816490e-01, '3FE62E42FEE00000');
const LN2LO = K(1.90821492927058770002e-10, '3DEA39EF35793C76');
const fromBits = (hex) => new Float64Array(new BigUint64Array([BigInt(`0x${hex}`)]).buffer)[0];
const HALF_LN2 = K(fromBits('3FD62E4300000000')); // |x| ≥ this ⟺ high word of |x| > 0x3FD62E42
const TWOM28 = K(2 ** -28, '3E30000000000000'); // |x| < this ⟺ high word < 0x3E300000
const MAGIC = K(2 ** 52 + 1023); // k + MAGIC has k + 1023 in its low bits: shifted left 52, 2^k
const g = (n) => `(local.get $${n})`;
const set = (n, v) => `(local.set $${n} ${v})`;
const sel = (a, b, m) => `(v128.bitselect ${a} ${b} ${m})`; // lanes of a where m, else b
/** Horner's nested form c0 + t·(c1 + t·(c2 + …)), as fdlibm writes its polynomials. */
const horner = (t, cs) => cs.slice(0, -1).reduceRight((acc, c) => `(f64x2.add ${c} (f64x2.mul ${t} ${acc}))`, cs[cs.length - 1]);
/** k = (int)(x·invln2 ± 0.5) where |x| ≥ HALF_LN2, else +0; hi = x − k·ln2_hi; lo = k·ln2_lo. */
const reduce = (x, ax) => `${set('k', `(v128.and (f64x2.trunc (f64x2.add (f64x2.mul ${x} ${INVLN2}) (v128.or ${HALF} (v128.and ${x} ${SIGN}))))
      (f64x2.ge ${ax} ${HALF_LN2}))`)}
    ${set('hi', `(f64x2.sub ${x} (f64x2.mul ${g('k')} ${LN2HI}))`)}
    ${set('lo', `(f64x2.mul ${g('k')} ${LN2LO})`)}
    ${set('r', `(f64x2.sub ${g('hi')} ${g('lo')})`)}`;
const pow2 = (kk) => `(i64x2.shl (f64x2.add ${kk} ${MAGIC}) (i32.const 52))`;

const expFunc = `(func $exp (param $x v128) (result v128) (local $ax v128) (local $k v128) (local $hi v128) (local $lo v128)
      (local $r v128) (local $t v128) (local $c v128) (local $y v128) (local $low v128)
    ${set('ax', `(f64x2.abs ${g('x')})`)}
    ${reduce(g('x'), g('ax'))}
    ${set('t', `(f64x2.mul ${g('r')} ${g('r')})`)}
    ${set('c', `(f64x2.sub ${g('r')} (f64x2.mul ${g('t')} ${horner(g('t'), [K(1.66666666666666019037e-01, '3FC555555555553E'), K(-2.77777777770155933842e-03, 'BF66C16C16BEBD93'),
      K(6.61375632143793436117e-05, '3F11566AAF25DE2C'), K(-1.65339022054652515390e-06, 'BEBBBD41C5D26BF1'), K(4.13813679705723846039e-08, '3E66376972BEA4D0')])}))`)}
    ${set('y', `(f64x2.sub ${ONE} (f64x2.sub (f64x2.sub ${g('lo')} (f64x2.div (f64x2.mul ${g('r')} ${g('c')}) (f64x2.sub ${TWO} ${g('c')}))) ${g('hi')}))`)}
    ;; y·2^k as (y·2^(k−j))·2^j: j = −1000 for k < −1021, 1023 for k = 1024 (fdlibm's y·2^(k+1000)·2^−1000
    ;; and y·2·2^1023), else 0 (·1 is exact)
    ${set('low', `(f64x2.add (v128.and ${K(-1000)} (f64x2.lt ${g('k')} ${K(-1021)})) (v128.and ${K(1023)} (f64x2.eq ${g('k')} ${K(1024)})))`)}
    ${set('y', `(f64x2.mul (f64x2.mul ${g('y')} ${pow2(`(f64x2.sub ${g('k')} ${g('low')})`)}) ${pow2(g('low'))})`)}
    ;; |x| < 2^−28: 1 + x;  x = 1: E;  x > o_threshold: ∞ (huge·huge);  x < u_threshold: +0 (NaN: a NaN)
    ${set('y', sel(`(f64x2.add ${ONE} ${g('x')})`, g('y'), `(f64x2.lt ${g('ax')} ${TWOM28})`))}
    ${set('y', sel(K(2.718281828459045, '4005BF0A8B145769'), g('y'), `(f64x2.eq ${g('x')} ${ONE})`))}
    ${set('y', sel(K(Infinity), g('y'), `(f64x2.gt ${g('x')} ${K(7.09782712893383973096e+02, '40862E42FEFA39EF')})`))}
    (v128.andnot ${g('y')} (f64x2.lt ${g('x')} ${K(-7.45133219101941108420e+02, 'C0874910D52D3051')})))`;

const tanhFuncV8 = `(func $tanh (param $x v128) (result v128) (local $ax v128) (local $big v128) (local $a v128) (local $k v128)
      (local $hi v128) (local $lo v128) (local $r v128) (local $c v128) (local $hfx v128) (local $hxs v128) (local $r1 v128)
      (local $t v128) (local $e v128) (local $d v128) (local $u v128) (local $y v128)
    ${set('ax', `(f64x2.abs ${g('x')})`)}
    ${set('big', `(f64x2.ge ${g('ax')} ${ONE})`)}
    ;; t = expm1(2|x|) where |x| ≥ 1, else expm1(−2|x|)
    ${set('hfx', `(f64x2.add ${g('ax')} ${g('ax')})`)} ;; |a| (hfx is free until below)
    ${set('a', `(v128.xor ${g('hfx')} (v128.andnot ${SIGN} ${g('big')}))`)}
    ${reduce(g('a'), g('hfx'))}
    ${set('c', `(f64x2.sub (f64x2.sub ${g('hi')} ${g('r')}) ${g('lo')})`)}
    ${set('hfx', `(f64x2.mul ${HALF} ${g('r')})`)}
    ${set('hxs', `(f64x2.mul ${g('r')} ${g('hfx')})`)}
    ${set('r1', `(f64x2.add ${ONE} (f64x2.mul ${g('hxs')} ${horner(g('hxs'), [K(-3.33333333333331316428e-02, 'BFA11111111110F4'), K(1.58730158725481460165e-03, '3F5A01A019FE5585'),
      K(-7.93650757867487942473e-05, 'BF14CE199EAADBB7'), K(4.00821782732936239552e-06, '3ED0CFCA86E65239'), K(-2.01099218183624371326e-07, 'BE8AFDB76E09C32D')])}))`)}
    ${set('t', `(f64x2.sub ${K(3)} (f64x2.mul ${g('r1')} ${g('hfx')}))`)}
    ${set('e', `(f64x2.mul ${g('hxs')} (f64x2.div (f64x2.sub ${g('r1')} ${g('t')}) (f64x2.sub ${K(6)} (f64x2.mul ${g('r')} ${g('t')}))))`)}
    ${set('e', `(f64x2.sub (f64x2.sub (f64x2.mul ${g('r')} (f64x2.sub ${g('e')} ${g('c')})) ${g('c')}) ${g('hxs')})`)}
    ${set('d', `(f64x2.sub ${g('r')} ${g('e')})`)}
    ;; k = 0: d;  k = −1: d/2 − 1/2;  k ≤ −2 or k > 56: (1 − (e − r))·2^k − 1;  2 ≤ k < 20: ((1 − 2^−k) − (e − r))·2^k;
    ;; 20 ≤ k ≤ 56: ((r − (e + 2^−k)) + 1)·2^k
    ${set('u', `(f64x2.ge ${g('k')} ${TWO})`)}
    ${set('hi', `(v128.and ${g('u')} (f64x2.lt ${g('k')} ${K(20)}))`)}
    ${set('lo', `(v128.and ${g('u')} (f64x2.le ${g('k')} ${K(56)}))`)} ;; 2 ≤ k ≤ 56
    ${set('y', pow2(`(f64x2.neg ${g('k')})`))} ;; 2^−k
    ${set('u', pow2(g('k')))} ;; 2^k
    ${set('t', `(f64x2.sub (f64x2.mul (f64x2.sub (f64x2.sub ${ONE} (v128.and ${g('y')} ${g('hi')})) (f64x2.sub ${g('e')} ${g('r')})) ${g('u')})
      (v128.andnot ${ONE} ${g('hi')}))`)}
    ${set('t', sel(`(f64x2.mul (f64x2.add (f64x2.sub ${g('r')} (f64x2.add ${g('e')} ${g('y')})) ${ONE}) ${g('u')})`, g('t'), `(v128.andnot ${g('lo')} ${g('hi')})`))}
    ${set('t', sel(g('d'), g('t'), `(f64x2.eq ${g('k')} (v128.const i64x2 0 0))`))}
    ${set('t', sel(`(f64x2.sub (f64x2.mul ${HALF} ${g('d')}) ${HALF})`, g('t'), `(f64x2.eq ${g('k')} ${K(-1)})`))}
    ;; |x| ≥ 1: 1 − 2/(t + 2); else −t/(t + 2);  |x| ≥ 22 (and ±∞): 1;  then x's sign;  |x| < 2^−28: x (NaN: a NaN)
    ${set('d', `(f64x2.div ${sel(TWO, `(f64x2.neg ${g('t')})`, g('big'))} (f64x2.add ${g('t')} ${TWO}))`)}
    ${set('d', sel(`(f64x2.sub ${ONE} ${g('d')})`, g('d'), g('big')))}
    ${set('d', sel(ONE, g('d'), `(f64x2.ge ${g('ax')} ${K(22, '4036000000000000')})`))}
    ${set('d', `(v128.xor ${g('d')} (v128.and ${g('x')} ${SIGN}))`)}
    ${sel(g('x'), g('d'), `(f64x2.lt ${g('ax')} ${TWOM28})`)})`;

/**
 * The gate loop: n rows, each H values in pairs then one lane of an odd H. `body(ld, st)`: one pair's
 * WAT, where $p and $q hold the pair's byte address in the rows of buffers `pq` (gate 0) and $o its
 * offset in a row of H values. `locals`: the body's extra locals.
 */
function rowLoop(name, params, rowSteps, body, pq = ['gi', 'gh'], locals = '') {
  const full = body((a) => `(v128.load ${a})`, (a, v) => `(v128.store ${a} ${v})`);
  const tail = body((a) => `(v128.load64_zero ${a})`, (a, v) => `(v128.store64_lane 0 ${a} ${v})`);
  return `(func $${name} (export "${name}") ${params} (param $n i32) (param $H i32)
      (local $o i32) (local $H1 i32) (local $H2 i32) (local $H3 i32) (local $H4 i32) (local $p i32) (local $q i32)
      (local $i v128) (local $f v128) (local $g v128) (local $v v128) (local $w v128) ${locals}
    ${set('H1', '(i32.shl (local.get $H) (i32.const 3))')} ${set('H2', '(i32.shl (local.get $H1) (i32.const 1))')}
    ${set('H3', '(i32.add (local.get $H2) (local.get $H1))')} ${set('H4', '(i32.shl (local.get $H1) (i32.const 2))')}
    (block $rowsDone (loop $rows (br_if $rowsDone (i32.le_s (local.get $n) (i32.const 0)))
      ${set('o', '(i32.const 0)')}
      (block $pairsDone (loop $pairs (br_if $pairsDone (i32.gt_s (i32.add (local.get $o) (i32.const 16)) (local.get $H1)))
        ${set('p', `(i32.add (local.get $${pq[0]}) (local.get $o))`)} ${set('q', `(i32.add (local.get $${pq[1]}) (local.get $o))`)}
        ${full}
        ${set('o', '(i32.add (local.get $o) (i32.const 16))')} (br $pairs)))
      (if (i32.lt_s (local.get $o) (local.get $H1)) (then
        ${set('p', `(i32.add (local.get $${pq[0]}) (local.get $o))`)} ${set('q', `(i32.add (local.get $${pq[1]}) (local.get $o))`)}
        ${tail}))
      ${rowSteps.map(([ptr, step]) => set(ptr, `(i32.add (local.get $${ptr}) (local.get $${step}))`)).join(' ')}
      ${set('n', '(i32.sub (local.get $n) (i32.const 1))')} (br $rows))))`;
}
const at = (base, gate) => `(i32.add (local.get $${base}) ${gate === 0 ? '(local.get $o)' : `(i32.add (local.get $o) (local.get $H${gate}))`})`;
const gateAt = (ptr, gate) => (gate === 0 ? `(local.get $${ptr})` : `(i32.add (local.get $${ptr}) (local.get $H${gate}))`);
/** σ(v) = 1 / (1 + e^−v), as lstm.ts / gru.ts write it. */
const sigmoid = (v) => `(f64x2.div ${ONE} (f64x2.add ${ONE} (call $exp (f64x2.neg ${v}))))`;
const pre = (ld, gate) => `(f64x2.add ${ld(gateAt('p', gate))} ${ld(gateAt('q', gate))})`;
const lstmFunc = rowLoop('lstmForward', '(param $gi i32) (param $gh i32) (param $c i32) (param $h i32) (param $s i32)',
  [['gi', 'H4'], ['gh', 'H4'], ['c', 'H1'], ['h', 'H1'], ['s', 'H4'], ['s', 'H1']], (ld, st) => `${set('i', sigmoid(pre(ld, 0)))}
        ${set('f', sigmoid(pre(ld, 1)))}
        ${set('g', `(call $tanh ${pre(ld, 2)})`)}
        ${set('v', sigmoid(pre(ld, 3)))}
        ${set('w', `(f64x2.add (f64x2.mul ${g('f')} ${ld(at('c', 0))}) (f64x2.mul ${g('i')} ${g('g')}))`)}
        ${st(at('c', 0), g('w'))}
        ${set('w', `(call $tanh ${g('w')})`)}
        ${st(at('h', 0), `(f64x2.mul ${g('v')} ${g('w')})`)}
        ${st(at('s', 0), g('i'))} ${st(at('s', 1), g('f'))} ${st(at('s', 2), g('g'))} ${st(at('s', 3), g('v'))} ${st(`(i32.add ${at('s', 0)} (local.get $H4))`, g('w'))}`);
const gruFunc = rowLoop('gruForward', '(param $gi i32) (param $gh i32) (param $h i32) (param $s i32)',
  [['gi', 'H3'], ['gh', 'H3'], ['h', 'H1'], ['s', 'H4']], (ld, st) => `${set('i', sigmoid(pre(ld, 0)))}
        ${set('f', sigmoid(pre(ld, 1)))}
        ${set('v', ld(gateAt('q', 2)))}
        ${set('g', `(call $tanh (f64x2.add ${ld(gateAt('p', 2))} (f64x2.mul ${g('i')} ${g('v')})))`)}
        ${st(at('h', 0), `(f64x2.add (f64x2.mul (f64x2.sub ${ONE} ${g('f')}) ${g('g')}) (f64x2.mul ${g('f')} ${ld(at('h', 0))}))`)}
        ${st(at('s', 0), g('i'))} ${st(at('s', 1), g('f'))} ${st(at('s', 2), g('g'))} ${st(at('s', 3), g('v'))}`);
// The backward steps (pure arithmetic on the saved gates): each JS expression's operations in its
// order (a * b * c is (a·b)·c), so each lane rounds as the scalar code; per element every read
// comes before the writes, as in the JS loop (dc is read, then overwritten).
//   lstmBackward(dhRaw, dc, cPrev, save, dg, n, H)   n rows of lstmCellBackward: row i at dhRaw, dc,
//                                                    cPrev + i·H, save + i·5H, dg + i·4H (float64)
//   gruBackward(dh, hPrev, save, dgi, dgh, dhDirect, n, H)   n rows of gruCellBackward: dh, hPrev,
//                                                    dhDirect + i·H, save + i·4H, dgi, dgh + i·3H
const mul = (a, b) => `(f64x2.mul ${a} ${b})`;
const sub = (a, b) => `(f64x2.sub ${a} ${b})`;
const lstmBackFunc = rowLoop('lstmBackward', '(param $dh i32) (param $dc i32) (param $cp i32) (param $s i32) (param $dg i32)',
  [['dh', 'H1'], ['dc', 'H1'], ['cp', 'H1'], ['s', 'H4'], ['s', 'H1'], ['dg', 'H4']], (ld, st) => `${set('i', ld(gateAt('p', 0)))}
        ${set('f', ld(gateAt('p', 1)))} ${set('g', ld(gateAt('p', 2)))} ${set('v', ld(gateAt('p', 3)))} ${set('w', ld(gateAt('p', 4)))}
        ${set('d', ld(at('dh', 0)))}
        ${set('e', `(f64x2.add ${ld(at('dc', 0))} ${mul(mul(g('d'), g('v')), sub(ONE, mul(g('w'), g('w'))))})`)}
        ${st(gateAt('q', 0), mul(mul(mul(g('e'), g('g')), g('i')), sub(ONE, g('i'))))}
        ${st(gateAt('q', 1), mul(mul(mul(g('e'), ld(at('cp', 0))), g('f')), sub(ONE, g('f'))))}
        ${st(gateAt('q', 2), mul(mul(g('e'), g('i')), sub(ONE, mul(g('g'), g('g')))))}
        ${st(gateAt('q', 3), mul(mul(mul(g('d'), g('w')), g('v')), sub(ONE, g('v'))))}
        ${st(at('dc', 0), mul(g('e'), g('f')))}`, ['s', 'dg'], '(local $d v128) (local $e v128)');
const gruBackFunc = rowLoop('gruBackward', '(param $dh i32) (param $hp i32) (param $s i32) (param $dgi i32) (param $dgh i32) (param $dd i32)',
  [['dh', 'H1'], ['hp', 'H1'], ['s', 'H4'], ['dgi', 'H3'], ['dgh', 'H3'], ['dd', 'H1']], (ld, st) => `${set('i', ld(gateAt('p', 0)))}
        ${set('f', ld(gateAt('p', 1)))} ${set('g', ld(gateAt('p', 2)))} ${set('v', ld(gateAt('p', 3)))}
        ${set('w', ld(at('dh', 0)))}
        ${set('d', mul(mul(g('w'), sub(ONE, g('f'))), sub(ONE, mul(g('g'), g('g')))))}
        ${set('e', mul(mul(mul(g('w'), sub(ld(at('hp', 0)), g('g'))), g('f')), sub(ONE, g('f'))))}
        ${set('u', mul(mul(mul(g('d'), g('v')), g('i')), sub(ONE, g('i'))))}
        ${st(gateAt('q', 0), g('u'))} ${st(gateAt('q', 1), g('e'))} ${st(gateAt('q', 2), g('d'))}
        ${st(at('dgh', 0), g('u'))} ${st(at('dgh', 1), g('e'))} ${st(at('dgh', 2), mul(g('d'), g('i')))}
        ${st(at('dd', 0), mul(g('w'), g('f')))}`, ['s', 'dgi'], '(local $d v128) (local $e v128) (local $u v128)');
export const watGates = `(module
  (import "env" "mem" (memory 1 65536))
  ${[...gateConsts].map(([bits, name]) => `(global ${name} v128 (v128.const i64x2 0x${bits} 0x${bits}))`).join('\n  ')}
  ${expFunc}
  ${tanhFuncV8}
  ${lstmFunc}
  ${gruFunc}
  (func $mathv (export "mathv") (param $kind i32) (param $src i32) (param $dst i32) (param $n i32) (local $v v128)
    (block $done (loop $l (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      ${set('v', `(if (result v128) (i32.eq (local.get $n) (i32.const 1)) (then (v128.load64_zero (local.get $src))) (else (v128.load (local.get $src))))`)}
      ${set('v', `(if (result v128) (local.get $kind) (then (call $tanh (local.get $v))) (else (call $exp (local.get $v))))`)}
      (if (i32.eq (local.get $n) (i32.const 1)) (then (v128.store64_lane 0 (local.get $dst) (local.get $v))) (else (v128.store (local.get $dst) (local.get $v))))
      ${set('src', '(i32.add (local.get $src) (i32.const 16))')} ${set('dst', '(i32.add (local.get $dst) (i32.const 16))')}
      ${set('n', '(i32.sub (local.get $n) (i32.const 2))')} (br $l)))))
`;
// The backward steps: a fifth module (with the gates module they would pass 4 KiB). Their one
// constant, 1, is the gates module's global of the same name.
export const watBack = `(module
  (import "env" "mem" (memory 1 65536))
  (global ${gateConsts.get(bitsOf(1))} v128 (v128.const i64x2 0x${bitsOf(1)} 0x${bitsOf(1)}))
  ${lstmBackFunc}
  ${gruBackFunc}
  ;; Bulk memory (the memory is shared: JS's fill/copyWithin on a SharedArrayBuffer view take a
  ;; slow element-by-element path, 4-5x slower than these): n bytes at p set to 0; n bytes from
  ;; src to dst (overlap allowed)
  (func $zero (export "zero") (param $p i32) (param $n i32)
    (memory.fill (local.get $p) (i32.const 0) (local.get $n)))
  (func $copy (export "copy") (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n))))
`;
