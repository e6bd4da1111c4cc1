#!/usr/bin/env node
// Generates the float32 recurrent-cell modules: src/runtime/wasm/cells32f.wat, cells32g.wat and
// cells32r.wat (the LSTM, GRU and RNN forward cells), cells32b.wat (the backward cells) and
// move32.wat (an add and a transpose the layers use) — the text, committed for review — and src/runtime/wasm/cells32-module.ts (the modules' bytes as
// base64, so neither the build nor the browser bundle needs an assembler).
// Run after editing this file (or the constants in src/kernels/cells/tanh32.ts):
//   node tools/gen-cells32-wasm.mjs            write the six files
//   node tools/gen-cells32-wasm.mjs --check    only verify that the committed files are what this
//                                              generator makes (needs the `wabt` dev dependency)
//
// Kernels: b rows of one time step of a cell, over float32 buffers in the imported memory (byte
// addresses of row 0; row strides follow from H). The math, the buffers and their shapes are those
// of the JS twins in src/kernels/cells32-naive.ts:
//   forward:  lstmF(b, H, gi, gh, sv, hs, cs)   gruF(b, H, gi, gh, sv, hs)   rnnF(b, H, gi, gh, sv, hs, relu)
//   backward: lstmB(b, H, sv, dg, cp, dc, dh, dy)   gruB(b, H, sv, hp, dgi, dgh, dh, dy)
//             rnnB(b, H, sv, dg, dh, dy, relu)
//   data (move32.wat): add32(1, n, d, s): d[k] += s[k], k < n; transpose32(src, rows, cols, dst)
//
// Numerics: each f32x4 lane runs the twin's scalar operations in the twin's order, every one an
// IEEE float32 operation (f32x4.add/sub/mul/div; pmin/pmax, which the twin writes as comparisons;
// no fused multiply-add in WASM SIMD 1.0, no relaxed SIMD), so the bits are the twin's (test/cells32.test.ts). tanh, σ and exp
// are src/kernels/cells/tanh32.ts on lanes (each with exp written in; constants read from that file),
// written into the forward kernels' vector loops (see `inline`) and called ($tanh, $sig) from their
// tails: both branches of tanh are computed and one selected per lane (v128.bitselect) — the same value
// the twin's `if` picks. Columns go four at a time; the last H mod 4 columns of a row run the same
// code on a vector whose missing lanes are 0 ($ld: lane loads; $st: lane stores), so nothing
// outside the buffers is read or written.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = (name) => join(root, 'src', 'runtime', 'wasm', name);

// Constants of src/kernels/cells/tanh32.ts (decimal literals there), each used as a float32.
const src = readFileSync(join(root, 'src', 'kernels', 'cells', 'tanh32.ts'), 'utf8');
const constant = (name) => {
  const m = new RegExp(`export const ${name} = ([^;]+);`).exec(src);
  if (m === null) throw new Error(`src/kernels/cells/tanh32.ts: no ${name}`);
  return JSON.parse(m[1]);
};
const f32 = (x) => {
  const v = Math.fround(x);
  if (!Number.isFinite(v)) throw new Error(`bad constant ${x}`);
  return v;
};
const splat = (x) => { const v = String(f32(x)); return `(v128.const f32x4 ${v} ${v} ${v} ${v})`; };
const P = constant('EXP32_P');
const T = constant('TANH32_T');
const C1 = constant('EXP32_C1'), C2 = constant('EXP32_C2'), LOG2E = constant('LOG2E32');
const MAGIC = constant('EXP32_MAGIC');
const SMALL = constant('TANH32_SMALL'), BIG = constant('TANH32_BIG'), SIGMIN = constant('SIG32_MIN');

const g = (n) => `(local.get $${n})`;
const set = (n, e) => `(local.set $${n} ${e})`;
const add = (a, b) => `(f32x4.add ${a} ${b})`;
const sub = (a, b) => `(f32x4.sub ${a} ${b})`;
const mul = (a, b) => `(f32x4.mul ${a} ${b})`;
/** Horner over coefficients c (highest first) in v: ((c0·v + c1)·v + c2)…, each step a mul then an add. */
const horner = (c, v, sp = splat) => c.slice(1).reduce((acc, ci) => add(mul(acc, v), sp(ci)), sp(c[0]));

// e^x on lanes, tanh32.ts's exp32: statements that set local $e from local $x (written into the
// bodies of tanh and σ, one call fewer per value; locals $t $k $r $ki $k1). `p` prefixes every
// local's name (the copies written into the kernels use their own).
const expLocals = (p = '') => ['t', 'k', 'r', 'ki', 'k1', 'e'].map((n) => `(local $${p}${n} v128)`).join(' ');
// The constants of the copies written into a kernel (prefix '_') are locals, set once before its
// loop: a v128.const is 18 bytes, a local.get 2. `pool` maps each constant's text to its local,
// for the kernel being written (kernel() resets it and declares them).
let pool = new Map();
const lit = (p, text) => {
  if (p === '') return text;
  if (!pool.has(text)) pool.set(text, `_c${pool.size}`);
  return g(pool.get(text));
};
const expStmts = (p = '') => {
  const q = (n) => g(p + n);
  const sp = (x) => lit(p, splat(x));
  return `${set(`${p}t`, add(mul(q('x'), sp(LOG2E)), sp(MAGIC)))}
    ${set(`${p}k`, sub(q('t'), sp(MAGIC)))}
    ${set(`${p}r`, sub(sub(q('x'), mul(q('k'), sp(C1))), mul(q('k'), sp(C2))))}
    ${set(`${p}ki`, `(i32x4.sub ${q('t')} ${sp(MAGIC)})`)}
    ${set(`${p}k1`, `(i32x4.shr_s ${q('ki')} (i32.const 1))`)}
    ${set(`${p}e`, `(f32x4.mul
      ${mul(add(add(mul(horner(P, q('r'), sp), mul(q('r'), q('r'))), q('r')), sp(1)), `(i32x4.shl (i32x4.add ${q('k1')} ${lit(p, '(v128.const i32x4 127 127 127 127)')}) (i32.const 23))`)}
      (i32x4.shl (i32x4.add (i32x4.sub ${q('ki')} ${q('k1')}) ${lit(p, '(v128.const i32x4 127 127 127 127)')}) (i32.const 23)))`)}`;
};

// tanh on lanes: both of tanh32's branches, one selected; x's sign bit or-ed onto |tanh x|. The
// statements read the input from local $(p)v and end in the result.
const tanhBody = (p = '') => {
  const q = (n) => g(p + n);
  const sp = (x) => lit(p, splat(x));
  return `${set(`${p}a`, `(f32x4.abs ${q('v')})`)}
    ${set(`${p}z`, mul(q('a'), q('a')))}
    ${set(`${p}x`, `(f32x4.pmin ${q('a')} ${sp(BIG)})`)}
    ${set(`${p}x`, add(q('x'), q('x')))}
    ${expStmts(p)}
    (v128.or
      (v128.bitselect
        ${add(q('a'), mul(mul(q('a'), q('z')), horner(T, q('z'), sp)))}
        ${sub(sp(1), `(f32x4.div ${sp(2)} ${add(q('e'), sp(1))})`)}
        (f32x4.lt ${q('a')} ${sp(SMALL)}))
      (v128.and ${q('v')} ${lit(p, '(v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)')}))`;
};
const tanhFn = `(func $tanh (param $v v128) (result v128) (local $a v128) (local $z v128) (local $x v128) ${expLocals()}
    ${tanhBody()})`;

// σ on lanes: e = e^max(−|x|, −104); (x ≥ 0 ? 1 : e) / (1 + e).
const sigBody = (p = '') => {
  const q = (n) => g(p + n);
  const sp = (x) => lit(p, splat(x));
  return `${set(`${p}x`, `(f32x4.pmax (f32x4.neg (f32x4.abs ${q('v')})) ${sp(SIGMIN)})`)}
    ${expStmts(p)}
    (f32x4.div (v128.bitselect ${sp(1)} ${q('e')} (f32x4.ge ${q('v')} ${lit(p, '(v128.const i32x4 0 0 0 0)')})) ${add(sp(1), q('e'))})`;
};
const sigFn = `(func $sig (param $v v128) (result v128) (local $x v128) ${expLocals()}
    ${sigBody()})`;

// The same functions written into a kernel's loop over whole vectors: V8 (11.x) does not inline
// WASM calls, and a call per value made the cells about twice as slow (a 64×32 LSTM step: 41 µs
// called, 21 µs inlined). The copies share the locals $_v $_a $_z $_x and exp's (INLINE_LOCALS);
// no copy's input contains another copy, so one set serves a whole kernel. The tail loop (H mod 4
// columns) keeps the calls: the modules stay small.
const INLINE_LOCALS = `(local $_v v128) (local $_a v128) (local $_z v128) (local $_x v128) ${expLocals('_')}`;
const inline = {
  tanh: (v) => `(block (result v128) ${set('_v', v)}
    ${tanhBody('_')})`,
  sig: (v) => `(block (result v128) ${set('_v', v)}
    ${sigBody('_')})`,
};
const called = { tanh: (v) => `(call $tanh ${v})`, sig: (v) => `(call $sig ${v})` };

// The last m (1–3) columns: lanes ≥ m are 0 on load and not stored.
const tailFns = `(func $ld (param $p i32) (param $m i32) (result v128) (local $v v128)
    ${set('v', '(v128.load32_zero (local.get $p))')}
    (if (i32.gt_u (local.get $m) (i32.const 1)) (then ${set('v', '(v128.load32_lane offset=4 1 (local.get $p) (local.get $v))')}))
    (if (i32.gt_u (local.get $m) (i32.const 2)) (then ${set('v', '(v128.load32_lane offset=8 2 (local.get $p) (local.get $v))')}))
    (local.get $v))
  (func $st (param $p i32) (param $v v128) (param $m i32)
    (v128.store32_lane 0 (local.get $p) (local.get $v))
    (if (i32.gt_u (local.get $m) (i32.const 1)) (then (v128.store32_lane offset=4 1 (local.get $p) (local.get $v))))
    (if (i32.gt_u (local.get $m) (i32.const 2)) (then (v128.store32_lane offset=8 2 (local.get $p) (local.get $v)))))`;

/**
 * One kernel: `ptrs` are [name, row stride in units of H] byte-address parameters (row 0), `extra`
 * further i32 parameters, `temps` v128 locals, `body(L, S, F)` the per-vector statements where
 * L(p, j) loads the vector at column block j·H of buffer p, S(p, j, v) stores one, and F.tanh(v),
 * F.sig(v) are tanh and σ of a vector (written in, or called).
 *
 * `pairs`: the vector loop takes two vectors (columns k and k + 4) an iteration while two remain,
 * their statements interleaved, each copy with its own locals (suffix B), then one at a time. The
 * vectors are independent, so this changes no value; two dependency chains side by side are faster
 * a value than one: the forward cells RNN 1.2–1.3×, LSTM 1.3–1.4×, GRU 1.35–1.4×, the backward
 * cells LSTM 1.4×, GRU 1.4–1.5× (64 × 32, 32 × 32 and 16 × 128 steps).
 */
function kernel(name, ptrs, extra, temps, body, pairs = false) {
  const params = ['$b', '$H', ...ptrs.map(([p]) => `$${p}`), ...extra.map((p) => `$${p}`)].map((p) => `(param ${p} i32)`).join(' ');
  const js = [...new Set(ptrs.flatMap(([, s]) => Array.from({ length: s }, (_, j) => j)).filter((j) => j > 0))];
  const at = (p, j) => (j === 0 ? `(i32.add ${g(p)} ${g('k')})` : `(i32.add (i32.add ${g(p)} ${g('k')}) ${g(`h${j}`)})`);
  pool = new Map();
  const vec = body((p, j) => `(v128.load ${at(p, j)})`, (p, j, v) => `(v128.store ${at(p, j)} ${v})`, inline);
  const consts = [...pool];
  const tail = body((p, j) => `(call $ld ${at(p, j)} ${g('m')})`, (p, j, v) => `(call $st ${at(p, j)} ${v} ${g('m')})`, called);
  const inlined = vec.some((st) => st.includes('$_v'));
  // The second copy of a pair: every temporary renamed $nameB, the column $kb = $k + 16 bytes.
  const own = [...temps, ...(inlined ? ['_v', '_a', '_z', '_x', '_t', '_k', '_r', '_ki', '_k1', '_e'] : [])];
  const renamed = new RegExp(`\\$(${own.join('|')})\\b`, 'g');
  const second = (st) => st.replace(renamed, '$$$1B').replaceAll(g('k'), g('kb'));
  const pair = pairs ? vec.flatMap((st) => [st, second(st)]) : [];
  const pairLocals = pairs ? ` (local $kb i32) ${own.map((n) => `(local $${n}B v128)`).join(' ')}` : '';
  return `(func $${name} (export "${name}") ${params}
    (local $i i32) (local $k i32) (local $kn i32) (local $m i32)${pairLocals} ${js.map((j) => `(local $h${j} i32)`).join(' ')}
    ${temps.map((t) => `(local $${t} v128)`).join(' ')}${inlined ? ` ${INLINE_LOCALS}` : ''}${consts.map(([, n]) => ` (local $${n} v128)`).join('')}${consts.map(([text, n]) => `\n    ${set(n, text)}`).join('')}
    ${js.map((j) => set(`h${j}`, `(i32.mul ${g('H')} (i32.const ${4 * j}))`)).join('\n    ')}
    ${set('kn', `(i32.shl (i32.and ${g('H')} (i32.const -4)) (i32.const 2))`)}
    ${set('m', `(i32.and ${g('H')} (i32.const 3))`)}
    (block $rows (loop $row (br_if $rows (i32.ge_s ${g('i')} ${g('b')}))
      ${set('k', '(i32.const 0)')}${pairs ? `
      (block $pd (loop $p (br_if $pd (i32.ge_s ${g('k')} (i32.sub ${g('kn')} (i32.const 16))))
        ${set('kb', `(i32.add ${g('k')} (i32.const 16))`)}
        ${pair.join('\n        ')}
        ${set('k', `(i32.add ${g('k')} (i32.const 32))`)} (br $p)))` : ''}
      (block $vd (loop $v (br_if $vd (i32.ge_s ${g('k')} ${g('kn')}))
        ${vec.join('\n        ')}
        ${set('k', `(i32.add ${g('k')} (i32.const 16))`)} (br $v)))
      (if ${g('m')} (then
        ${tail.join('\n        ')}))
      ${ptrs.map(([p, s]) => set(p, `(i32.add ${g(p)} (i32.mul ${g('H')} (i32.const ${4 * s})))`)).join('\n      ')}
      ${set('i', `(i32.add ${g('i')} (i32.const 1))`)} (br $row))))`;
}

const one = splat(1);

const lstmF = kernel('lstmF', [['gi', 4], ['gh', 4], ['sv', 6], ['hs', 1], ['cs', 1]], [], ['ig', 'fg', 'gg', 'og', 'c', 'tc'], (L, S, { sig, tanh }) => [
  set('ig', sig(add(L('gi', 0), L('gh', 0)))),
  set('fg', sig(add(L('gi', 1), L('gh', 1)))),
  set('gg', tanh(add(L('gi', 2), L('gh', 2)))),
  set('og', sig(add(L('gi', 3), L('gh', 3)))),
  set('c', add(mul(g('fg'), L('cs', 0)), mul(g('ig'), g('gg')))),
  set('tc', tanh(g('c'))),
  S('sv', 0, g('ig')), S('sv', 1, g('fg')), S('sv', 2, g('gg')), S('sv', 3, g('og')), S('sv', 4, g('tc')), S('sv', 5, g('c')),
  S('cs', 0, g('c')),
  S('hs', 0, mul(g('og'), g('tc'))),
], true);

const gruF = kernel('gruF', [['gi', 3], ['gh', 3], ['sv', 4], ['hs', 1]], [], ['r', 'z', 'ghn', 'n'], (L, S, { sig, tanh }) => [
  set('r', sig(add(L('gi', 0), L('gh', 0)))),
  set('z', sig(add(L('gi', 1), L('gh', 1)))),
  set('ghn', L('gh', 2)),
  set('n', tanh(add(L('gi', 2), mul(g('r'), g('ghn'))))),
  S('sv', 0, g('r')), S('sv', 1, g('z')), S('sv', 2, g('n')), S('sv', 3, g('ghn')),
  S('hs', 0, add(mul(sub(L('hs', 0), g('n')), g('z')), g('n'))),
], true);

const rnnF = kernel('rnnF', [['gi', 1], ['gh', 1], ['sv', 1], ['hs', 1]], ['relu'], ['v', 'h'], (L, S, { tanh }) => [
  set('v', add(L('gi', 0), L('gh', 0))),
  set('h', `(if (result v128) ${g('relu')} (then (v128.and ${g('v')} (f32x4.gt ${g('v')} (v128.const i32x4 0 0 0 0)))) (else ${tanh(g('v'))}))`),
  S('hs', 0, g('h')), S('sv', 0, g('h')),
], true);

const lstmB = kernel('lstmB', [['sv', 6], ['dg', 4], ['cp', 1], ['dc', 1], ['dh', 1], ['dy', 1]], [], ['ig', 'fg', 'gg', 'og', 'tc', 'dhk', 'dct'], (L, S) => [
  set('ig', L('sv', 0)), set('fg', L('sv', 1)), set('gg', L('sv', 2)), set('og', L('sv', 3)), set('tc', L('sv', 4)),
  set('dhk', add(L('dh', 0), L('dy', 0))),
  set('dct', add(L('dc', 0), mul(mul(g('dhk'), g('og')), sub(one, mul(g('tc'), g('tc')))))),
  S('dg', 0, mul(mul(mul(g('dct'), g('gg')), g('ig')), sub(one, g('ig')))),
  S('dg', 1, mul(mul(mul(g('dct'), L('cp', 0)), g('fg')), sub(one, g('fg')))),
  S('dg', 2, mul(mul(g('dct'), g('ig')), sub(one, mul(g('gg'), g('gg'))))),
  S('dg', 3, mul(mul(mul(g('dhk'), g('tc')), g('og')), sub(one, g('og')))),
  S('dc', 0, mul(g('dct'), g('fg'))),
], true);

const gruB = kernel('gruB', [['sv', 4], ['hp', 1], ['dgi', 3], ['dgh', 3], ['dh', 1], ['dy', 1]], [], ['r', 'z', 'n', 'dhk', 'omz', 'dan', 'daz', 'dar'], (L, S) => [
  set('r', L('sv', 0)), set('z', L('sv', 1)), set('n', L('sv', 2)),
  set('dhk', add(L('dh', 0), L('dy', 0))),
  set('omz', sub(one, g('z'))),
  set('dan', mul(mul(g('dhk'), g('omz')), sub(one, mul(g('n'), g('n'))))),
  set('daz', mul(mul(mul(g('dhk'), sub(L('hp', 0), g('n'))), g('z')), g('omz'))),
  set('dar', mul(mul(mul(g('dan'), L('sv', 3)), g('r')), sub(one, g('r')))),
  S('dgi', 0, g('dar')), S('dgi', 1, g('daz')), S('dgi', 2, g('dan')),
  S('dgh', 0, g('dar')), S('dgh', 1, g('daz')), S('dgh', 2, mul(g('dan'), g('r'))),
  S('dh', 0, mul(g('dhk'), g('z'))),
], true);

const rnnB = kernel('rnnB', [['sv', 1], ['dg', 1], ['dh', 1], ['dy', 1]], ['relu'], ['hv', 'dhk'], (L, S) => [
  set('hv', L('sv', 0)),
  set('dhk', add(L('dh', 0), L('dy', 0))),
  S('dg', 0, `(if (result v128) ${g('relu')} (then (v128.and ${g('dhk')} (f32x4.gt ${g('hv')} (v128.const i32x4 0 0 0 0)))) (else ${mul(g('dhk'), sub(one, mul(g('hv'), g('hv'))))}))`),
]); // a few operations a value: in pairs it was no faster

// dst += src over n elements (b = 1 row of H = n): each sum one float32 addition. The backward adds
// a layer's dX, dh0 and dc0 into the gradients so far with it (packed-layer32.ts).
const add32 = kernel('add32', [['d', 1], ['s', 1]], [], [], (L, S) => [S('d', 0, add(L('d', 0), L('s', 0)))]);

// transpose32(src, rows, cols, dst): dst[c·rows + r] = src[r·cols + c] (byte addresses). 4×4 blocks:
// four row loads, turned into four columns by shuffles (as gemm32's matvec), four stores, going
// down the rows for each four columns: dst is written as four sequential streams (across the
// columns instead, the stores land `rows` elements apart, in the same few cache sets); the last
// rows mod 4 and columns mod 4 one element at a time. A copy: the bits are the source's. The
// forward's weights go into the row form with it (a JS loop costs about 2 ns an element).
const lg = (n) => `(local.get $${n})`;
const sh = (a, b, lanes) => `(i8x16.shuffle ${lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]).join(' ')} ${a} ${b})`;
const at = (base, row, stride, c) => `(i32.add ${lg(base)} (i32.shl (i32.add (i32.mul ${row} ${lg(stride)}) ${c}) (i32.const 2)))`;
const transpose32 = `(func $transpose32 (export "transpose32") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $r4 i32) (local $c4 i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local.set $r4 (i32.and ${lg('rows')} (i32.const -4)))
    (local.set $c4 (i32.and ${lg('cols')} (i32.const -4)))
    (block $cdone (loop $cl (br_if $cdone (i32.ge_s ${lg('c')} ${lg('c4')}))
      (local.set $r (i32.const 0))
      (block $rdone (loop $rl (br_if $rdone (i32.ge_s ${lg('r')} ${lg('r4')}))
        ${[0, 1, 2, 3].map((i) => `(local.set $v${i} (v128.load ${at('src', `(i32.add ${lg('r')} (i32.const ${i}))`, 'cols', lg('c'))}))`).join(' ')}
        (local.set $u0 ${sh(lg('v0'), lg('v1'), [0, 4, 1, 5])}) (local.set $u1 ${sh(lg('v2'), lg('v3'), [0, 4, 1, 5])})
        (local.set $u2 ${sh(lg('v0'), lg('v1'), [2, 6, 3, 7])}) (local.set $u3 ${sh(lg('v2'), lg('v3'), [2, 6, 3, 7])})
        ${[0, 1, 2, 3].map((j) => `(v128.store ${at('dst', `(i32.add ${lg('c')} (i32.const ${j}))`, 'rows', lg('r'))} ${sh(lg(j < 2 ? 'u0' : 'u2'), lg(j < 2 ? 'u1' : 'u3'), j % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7])})`).join('\n        ')}
        (local.set $r (i32.add ${lg('r')} (i32.const 4))) (br $rl)))
      (local.set $c (i32.add ${lg('c')} (i32.const 4))) (br $cl)))
    ;; the elements outside the 4×4 blocks: rows [r4, rows) of every column, columns [c4, cols) of rows [0, r4)
    (local.set $r (i32.const 0))
    (block $edone (loop $el (br_if $edone (i32.ge_s ${lg('r')} ${lg('rows')}))
      (local.set $c (if (result i32) (i32.lt_s ${lg('r')} ${lg('r4')}) (then ${lg('c4')}) (else (i32.const 0))))
      (block $ecdone (loop $ecl (br_if $ecdone (i32.ge_s ${lg('c')} ${lg('cols')}))
        (f32.store ${at('dst', lg('c'), 'rows', lg('r'))} (f32.load ${at('src', lg('r'), 'cols', lg('c'))}))
        (local.set $c (i32.add ${lg('c')} (i32.const 1))) (br $ecl)))
      (local.set $r (i32.add ${lg('r')} (i32.const 1))) (br $el))))`;

const head = (what) => `;; Generated by tools/gen-cells32-wasm.mjs: do not edit (see there, and the JS twins in
;; src/kernels/cells32-naive.ts, for the kernels and their numerics). ${what}
(module
  (import "env" "mem" (memory 1 65536))`;
// The modules, compiled synchronously (new WebAssembly.Module) when a layer first needs them.
// Browsers compile a module of any size that way since Chrome and Edge 114 (Firefox and Safari
// always did): before, Chrome refused more than 4 KiB on a page's main thread, cells32Kernels()
// then returns null and the JS twins run, with the same bits. The forward cells, with tanh and σ
// written in twice (pairs), are a module each, the backward cells one.
export const modules = [
  { file: 'cells32f.wat', name: 'CELLS32F', text: `${head('LSTM forward cell.')}
  ${tanhFn}
  ${sigFn}
  ${tailFns}
  ${lstmF})
` },
  { file: 'cells32g.wat', name: 'CELLS32G', text: `${head('GRU forward cell.')}
  ${tanhFn}
  ${sigFn}
  ${tailFns}
  ${gruF})
` },
  { file: 'cells32r.wat', name: 'CELLS32R', text: `${head('RNN forward cell.')}
  ${tanhFn}
  ${tailFns}
  ${rnnF})
` },
  { file: 'cells32b.wat', name: 'CELLS32B', text: `${head('Backward cells.')}
  ${tailFns}
  ${lstmB}
  ${gruB}
  ${rnnB})
` },
  { file: 'move32.wat', name: 'MOVE32', text: `${head('Float32 data movement of the layers: add32, transpose32.')}
  ${tailFns}
  ${add32}
  ${transpose32})
` },
];

const leb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
const bytesOf = (str) => { const b = [...Buffer.from(str, 'utf8')]; return [...leb(b.length), ...b]; };
/**
 * A "name" custom section with the function names only (subsection 1), "cells32." + the WAT
 * name, in definition order: profiles (npm run bench:profile) then name the cell kernels instead of
 * wasm-function[i], which the gemm modules' functions share.
 */
function nameSection(text) {
  const names = [...text.matchAll(/\(func \$(\w+)/g)].map((m) => m[1]);
  const sub = [...leb(names.length), ...names.flatMap((n, i) => [...leb(i), ...bytesOf(`cells32.${n}`)])];
  const body = [...bytesOf('name'), 1, ...leb(sub.length), ...sub];
  return Uint8Array.from([0, ...leb(body.length), ...body]);
}

async function assemble(name, text) {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(name, text, { simd: true });
  mod.validate();
  const bin = mod.toBinary({}).buffer;
  mod.destroy();
  const buffer = Buffer.concat([bin, nameSection(text)]);
  return Buffer.from(buffer).toString('base64');
}

const ts = (bases) => `// Generated by tools/gen-cells32-wasm.mjs from ${modules.map((m) => m.file).join(', ')}: do not edit.
${modules.map((m, i) => `export const ${m.name}_WASM_BASE64 =
  '${bases[i]}';
`).join('')}`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bases = [];
  for (const m of modules) bases.push(await assemble(m.file, m.text));
  const files = [...modules.map((m) => [m.file, m.text]), ['cells32-module.ts', ts(bases)]];
  const names = files.map(([n]) => n).join(', ');
  if (process.argv.includes('--check')) {
    const stale = files.filter(([n, text]) => readFileSync(out(n), 'utf8') !== text).map(([n]) => n);
    if (stale.length) {
      console.error(`out of date: ${stale.join(', ')} (run node tools/gen-cells32-wasm.mjs)`);
      process.exit(1);
    }
    console.log(`${names} match the generator`);
  } else {
    for (const [n, text] of files) writeFileSync(out(n), text);
    console.log(`wrote ${names} (modules: ${bases.map((b) => Buffer.from(b, 'base64').length).join(', ')} bytes)`);
  }
}
