#!/usr/bin/env node
// Generates src/kernels/gemm-wasm-module.ts: five WebAssembly SIMD modules on one memory, as
// base64 bytes, so neither the build nor the browser bundle needs an assembler. Run after editing
// this file:  node tools/gen-gemm-wasm.mjs   (--check: only verify the committed file; needs the `wabt` dev dependency, a pure-JS/WASM
// build of wat2wasm). Each module stays under 4 KiB, what browsers compile synchronously on their
// main thread (the generator refuses more).
//
// 1. The matrix products (src/kernels/gemm-wasm.ts): one kernel, `tiles`, and two entry points:
//   ab(A, B, bias, C, M, K, N, mode)   C[m, n] = start + Σ_k A[m, k]·B[k, n]      A [M, K], B [K, N]
//   atb(A, B, C, R, M, N)              C[m, n] += Σ_r A[r, m]·B[r, n]              A [R, M], B [R, N]
// start = 0 (mode 0), bias[n] (mode 1) or C[m, n] (mode 2). Pointers are byte addresses in the
// imported memory; matrices are row-major float64.
//
// Numerics: every output element is one accumulator (one f64x2 lane or one f64 local) that starts
// from `start` and adds the products A·B one at a time in increasing summed index, with a separate
// multiply and add (no fused multiply-add in WASM SIMD 1.0) — exactly the order and rounding of the
// JS kernels in gemm.ts / gemm-naive.ts, so the results are bit-identical (test/gemm-wasm.test.ts).
// Tiles: 4 rows × 4 columns (8 f64x2 accumulators), then 4×2, 4×1 for the last columns, then
// single rows: 1×8 (4 accumulators; 1×16 measured slower), then the same column tiles.
//
// 2. The cell and data-movement kernels of the float64 layer (src/kernels/packed-layer.ts):
//   tanhAdd(a, b, out, n)              out[i] = tanh(a[i] + b[i])  (the SIMD tanh below)
//   promote(src, dst, n)               float32 → float64;  demote(src, dst, n): float64 → float32
//   rnnTanhBack(dhS, dY, a, dg, n)     one step of the Elman tanh backward
//
// 3. Adam / AdamW over float32 (src/optim/adam-kernel.ts): adam(p, g, m, v, n, …)
//
// 4. The LSTM and GRU cell steps (src/kernels/packed-layer.ts), bit-identical to the JS cells,
// whose Math.exp and Math.tanh they reproduce on f64x2 lanes (tools/wasm-gates.mjs):
//   lstmForward(gi, gh, c, hRaw, save, n, H)   gruForward(gi, gh, h, save, n, H)
//
// 5. Their backward steps (src/kernels/packed-layer.ts, the backward walk), bit-identical to
// lstmCellBackward / gruCellBackward (pure arithmetic on the saved gates, same operations in the
// same order; tools/wasm-gates.mjs):
//   lstmBackward(dhRaw, dc, cPrev, save, dg, n, H)   gruBackward(dh, hPrev, save, dgi, dgh, dhDirect, n, H)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { watGates, watBack } from './wasm-gates.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** WAT of one tile: R rows (1 or 4) × W columns (4, 2 or 1) at the current $m, $n. */
function tile(R, W) {
  const out = [];
  const vec = W >= 2;
  const V = W / 2; // f64x2 accumulators per row
  const cAddr = (i, v) => `(i32.add (local.get $C) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const ${i})) (local.get $N)) (i32.add (local.get $n) (i32.const ${2 * v}))) (i32.const 3)))`;
  const bAddr = (v) => `(i32.add (local.get $bias) (i32.shl (i32.add (local.get $n) (i32.const ${2 * v})) (i32.const 3)))`;
  // start values
  for (let i = 0; i < R; i++) {
    if (vec) {
      for (let v = 0; v < V; v++) {
        out.push(`(local.set $c${i * 2 + v} (if (result v128) (i32.eq (local.get $mode) (i32.const 2)) (then (v128.load ${cAddr(i, v)})) (else (if (result v128) (i32.eq (local.get $mode) (i32.const 1)) (then (v128.load ${bAddr(v)})) (else (v128.const i64x2 0 0))))))`);
      }
    } else {
      out.push(`(local.set $s${i} (if (result f64) (i32.eq (local.get $mode) (i32.const 2)) (then (f64.load ${cAddr(i, 0)})) (else (if (result f64) (i32.eq (local.get $mode) (i32.const 1)) (then (f64.load ${bAddr(0)})) (else (f64.const 0))))))`);
    }
  }
  // pointers: row i of A at summed index 0, B at column n of row 0
  for (let i = 0; i < R; i++) out.push(`(local.set $pa${i} (i32.add (local.get $A) (i32.mul (i32.add (local.get $m) (i32.const ${i})) (local.get $aRow))))`);
  out.push(`(local.set $pb (i32.add (local.get $B) (i32.shl (local.get $n) (i32.const 3))))`);
  out.push(`(local.set $k (local.get $K))`);
  const body = [];
  if (vec && R === 1) {
    // One row: B's vectors are used once, so they are loaded in place.
    body.push(`(local.set $a (f64x2.splat (f64.load (local.get $pa0))))`);
    for (let v = 0; v < V; v++) body.push(`(local.set $c${v} (f64x2.add (local.get $c${v}) (f64x2.mul (local.get $a) (v128.load offset=${16 * v} (local.get $pb)))))`);
  } else if (vec) {
    for (let v = 0; v < V; v++) body.push(`(local.set $b${v} (v128.load offset=${16 * v} (local.get $pb)))`);
    for (let i = 0; i < R; i++) {
      body.push(`(local.set $a (f64x2.splat (f64.load (local.get $pa${i}))))`);
      for (let v = 0; v < V; v++) body.push(`(local.set $c${i * 2 + v} (f64x2.add (local.get $c${i * 2 + v}) (f64x2.mul (local.get $a) (local.get $b${v}))))`);
    }
  } else {
    body.push(`(local.set $x (f64.load (local.get $pb)))`);
    for (let i = 0; i < R; i++) body.push(`(local.set $s${i} (f64.add (local.get $s${i}) (f64.mul (f64.load (local.get $pa${i})) (local.get $x))))`);
  }
  for (let i = 0; i < R; i++) body.push(`(local.set $pa${i} (i32.add (local.get $pa${i}) (local.get $aStep)))`);
  body.push(`(local.set $pb (i32.add (local.get $pb) (local.get $bStep)))`);
  out.push(`(block $kdone (br_if $kdone (i32.eqz (local.get $k))) (loop $kloop ${body.join(' ')} (br_if $kloop (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))`);
  for (let i = 0; i < R; i++) {
    if (vec) for (let v = 0; v < V; v++) out.push(`(v128.store ${cAddr(i, v)} (local.get $c${i * 2 + v}))`);
    else out.push(`(f64.store ${cAddr(i, 0)} (local.get $s${i}))`);
  }
  return out.join('\n      ');
}

/**
 * Column sweep for a strip of R rows: 4-wide tiles, then one 2-wide, then one scalar column. A
 * single row first takes 8-wide tiles: one row offers no other independent work, and 4
 * accumulators hide the add latency that 2 cannot (16-wide measured slower). A float64 layer run
 * on a batch of one sequence is all single rows.
 */
function strip(R) {
  const wide = R === 1 ? `(block $n8done (loop $n8 (br_if $n8done (i32.gt_s (i32.add (local.get $n) (i32.const 8)) (local.get $N)))
      ${tile(1, 8)}
      (local.set $n (i32.add (local.get $n) (i32.const 8))) (br $n8)))` : '';
  return `(local.set $n (i32.const 0))
    ${wide}
    (block $n4done (loop $n4 (br_if $n4done (i32.gt_s (i32.add (local.get $n) (i32.const 4)) (local.get $N)))
      ${tile(R, 4)}
      (local.set $n (i32.add (local.get $n) (i32.const 4))) (br $n4)))
    (if (i32.le_s (i32.add (local.get $n) (i32.const 2)) (local.get $N)) (then
      ${tile(R, 2)}
      (local.set $n (i32.add (local.get $n) (i32.const 2)))))
    (if (i32.lt_s (local.get $n) (local.get $N)) (then
      ${tile(R, 1)}))`;
}

// tanh on f64x2 lanes: the algorithm of src/kernels/cells/tanh.ts (see there), the same
// operations in the same grouping, so the same bits; its constants are read from that file.
const tanhSrc = readFileSync(join(root, 'src', 'kernels', 'cells', 'tanh.ts'), 'utf8');
const constant = (name) => {
  const m = new RegExp(`export const ${name} = ([^;]+);`).exec(tanhSrc);
  if (m === null) throw new Error(`src/kernels/cells/tanh.ts: no ${name}`);
  return JSON.parse(m[1].replace(/,\s*\]/, ']'));
};
const EXP_Q = constant('EXP_Q');
const LN2_HI = constant('LN2_HI');
const LN2_LO = constant('LN2_LO');
const INV_LN2 = constant('INV_LN2');
/**
 * An f64x2 constant. Inside tanhAdd each distinct constant is a local set once at entry
 * (\`constLocal\`), which keeps the module small (a v128.const is 18 bytes, a local.get 2) — under
 * the 4 KiB that browsers compile synchronously on the main thread.
 */
const constants = new Map(); // value → local name
const f2 = (v) => {
  if (!constants.has(v)) constants.set(v, `$k_${constants.size}`);
  return `(local.get ${constants.get(v)})`;
};
const constLocals = () => [...constants.values()].map((n) => `(local ${n} v128)`).join(' ');
const constInit = () => [...constants].map(([v, n]) => `(local.set ${n} (v128.const f64x2 ${v} ${v}))`).join(' ');
/**
 * Estrin's scheme for Σ cs[i]·x^(d−i) (cs highest degree first): pairs (c·x + c') combined with
 * x², x⁴, … so the dependency chain is ~log₂ d multiply-adds deep, not d as in Horner's.
 * `x` and `x2`, `x4`, `x8` are locals holding x, x², x⁴, x⁸.
 */
function estrin(cs, x, powers) {
  let terms = [];
  const lo = [...cs].reverse(); // lo[i]: coefficient of x^i
  for (let i = 0; i < lo.length; i += 2) terms.push(i + 1 < lo.length ? `(f64x2.add (f64x2.mul ${f2(lo[i + 1])} (local.get ${x})) ${f2(lo[i])})` : f2(lo[i]));
  for (const p of powers) {
    const next = [];
    for (let i = 0; i < terms.length; i += 2) next.push(i + 1 < terms.length ? `(f64x2.add (f64x2.mul ${terms[i + 1]} (local.get ${p})) ${terms[i]})` : terms[i]);
    terms = next;
  }
  if (terms.length !== 1) throw new Error('estrin: not enough powers');
  return terms[0];
}
/** WAT statements setting local $t<j> to tanh of local $x<j> (f64x2); locals suffixed j. */
function tanhInline(j) {
  const L = (n) => `$${n}${j}`;
  const g = (n) => `(local.get ${L(n)})`;
  return `(local.set ${L('y')} (f64x2.min (f64x2.add (f64x2.abs ${g('x')}) (f64x2.abs ${g('x')})) ${f2(40)}))
    (local.set ${L('k')} (f64x2.nearest (f64x2.mul ${g('y')} ${f2(INV_LN2)})))
    (local.set ${L('r')} (f64x2.sub (f64x2.sub ${g('y')} (f64x2.mul ${g('k')} ${f2(LN2_HI)})) (f64x2.mul ${g('k')} ${f2(LN2_LO)})))
    (local.set ${L('r2')} (f64x2.mul ${g('r')} ${g('r')}))
    (local.set ${L('r4')} (f64x2.mul ${g('r2')} ${g('r2')}))
    (local.set ${L('r8')} (f64x2.mul ${g('r4')} ${g('r4')}))
    ;; s = 2^k: the exponent field built from k (0 ≤ k ≤ 58)
    (local.set ${L('s')} (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero ${g('k')})) (v128.const i64x2 1023 1023)) (i32.const 52)))
    (local.set ${L('e')} (f64x2.add
      (f64x2.mul ${g('s')} (f64x2.add ${g('r')} (f64x2.mul ${g('r2')} ${estrin(EXP_Q, L('r'), [L('r2'), L('r4'), L('r8')])})))
      (f64x2.sub ${g('s')} ${f2(1)})))
    (local.set ${L('t')} (v128.bitselect
      (f64x2.div ${g('e')} (f64x2.add ${g('e')} ${f2(2)}))
      ${g('x')}
      (v128.const i64x2 0x7fffffffffffffff 0x7fffffffffffffff)))`;
}
const tanhLocals = (j) => ['x', 'y', 'k', 'r', 'r2', 'r4', 'r8', 's', 'e', 't'].map((n) => `(local $${n}${j} v128)`).join(' ');
/** Four pairs per iteration (independent chains for the CPU to overlap), then pairs, then one lane. */
const TANH_UNROLL = 4;
const tanhBody = `(block $done4 (loop $quads (br_if $done4 (i32.lt_s (local.get $n) (i32.const ${2 * TANH_UNROLL})))
      ${Array.from({ length: TANH_UNROLL }, (_, j) => `(local.set $x${j} (f64x2.add (v128.load offset=${16 * j} (local.get $a)) (v128.load offset=${16 * j} (local.get $b))))`).join(' ')}
      ${Array.from({ length: TANH_UNROLL }, (_, j) => tanhInline(j)).join('\n      ')}
      ${Array.from({ length: TANH_UNROLL }, (_, j) => `(v128.store offset=${16 * j} (local.get $out) (local.get $t${j}))`).join(' ')}
      (local.set $a (i32.add (local.get $a) (i32.const ${16 * TANH_UNROLL}))) (local.set $b (i32.add (local.get $b) (i32.const ${16 * TANH_UNROLL})))
      (local.set $out (i32.add (local.get $out) (i32.const ${16 * TANH_UNROLL}))) (local.set $n (i32.sub (local.get $n) (i32.const ${2 * TANH_UNROLL})))
      (br $quads)))
    (block $done (loop $pairs (br_if $done (i32.lt_s (local.get $n) (i32.const 1)))
      ;; the last pair of an odd n reads and writes one lane only
      (if (i32.eq (local.get $n) (i32.const 1))
        (then (local.set $x0 (f64x2.add (v128.load64_zero (local.get $a)) (v128.load64_zero (local.get $b)))))
        (else (local.set $x0 (f64x2.add (v128.load (local.get $a)) (v128.load (local.get $b))))))
      ${tanhInline(0)}
      (if (i32.eq (local.get $n) (i32.const 1))
        (then (v128.store64_lane 0 (local.get $out) (local.get $t0)))
        (else (v128.store (local.get $out) (local.get $t0))))
      (local.set $a (i32.add (local.get $a) (i32.const 16))) (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16))) (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $pairs)))`;
const tanhFunc = `(func $tanhAdd (export "tanhAdd") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    ${Array.from({ length: TANH_UNROLL }, (_, j) => tanhLocals(j)).join(' ')} ${constLocals()}
    ${constInit()}
    ${tanhBody})`;

const wat = `(module
  (import "env" "mem" (memory 1 65536))
  ;; C[m, n] = start + Σ_k A(m, k)·B[k, n]; A(m, k) at A + m·aRow + k·aStep, B[k, n] at B + k·bStep + 8n.
  (func $tiles (param $A i32) (param $aRow i32) (param $aStep i32) (param $B i32) (param $bStep i32)
      (param $bias i32) (param $C i32) (param $M i32) (param $K i32) (param $N i32) (param $mode i32)
    (local $m i32) (local $n i32) (local $k i32) (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb i32)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (local $x f64) (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64)
    (local.set $m (i32.const 0))
    (block $m4done (loop $m4 (br_if $m4done (i32.gt_s (i32.add (local.get $m) (i32.const 4)) (local.get $M)))
      ${strip(4)}
      (local.set $m (i32.add (local.get $m) (i32.const 4))) (br $m4)))
    (block $m1done (loop $m1 (br_if $m1done (i32.ge_s (local.get $m) (local.get $M)))
      ${strip(1)}
      (local.set $m (i32.add (local.get $m) (i32.const 1))) (br $m1))))
  (func $ab (export "ab") (param $A i32) (param $B i32) (param $bias i32) (param $C i32) (param $M i32) (param $K i32) (param $N i32) (param $mode i32)
    (call $tiles (local.get $A) (i32.shl (local.get $K) (i32.const 3)) (i32.const 8) (local.get $B) (i32.shl (local.get $N) (i32.const 3))
      (local.get $bias) (local.get $C) (local.get $M) (local.get $K) (local.get $N) (local.get $mode)))
  (func $atb (export "atb") (param $A i32) (param $B i32) (param $C i32) (param $R i32) (param $M i32) (param $N i32)
    (call $tiles (local.get $A) (i32.const 8) (i32.shl (local.get $M) (i32.const 3)) (local.get $B) (i32.shl (local.get $N) (i32.const 3))
      (i32.const 0) (local.get $C) (local.get $M) (local.get $R) (local.get $N) (i32.const 2))))
`;

// The cell and copy kernels: a second module on the same memory.
const watCells = `(module
  (import "env" "mem" (memory 1 65536))
  ;; out[i] = tanh(a[i] + b[i]) for i < n (float64)
  ${tanhFunc}
  ;; dst[i] = src[i] for i < n: float32 → float64 (the layer inputs the products read)
  (func $promote (export "promote") (param $src i32) (param $dst i32) (param $n i32)
    (block $done4 (loop $quads (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
      (v128.store (local.get $dst) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $src))))
      (v128.store offset=16 (local.get $dst) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16))) (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $quads)))
    (block $done (loop $ones (br_if $done (i32.eqz (local.get $n)))
      (f64.store (local.get $dst) (f64.promote_f32 (f32.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 4))) (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $ones))))
  ;; dst[i] = src[i] rounded to float32, i < n (a float32 layer output or gradient)
  (func $demote (export "demote") (param $src i32) (param $dst i32) (param $n i32)
    (block $done2 (loop $pairs (br_if $done2 (i32.lt_s (local.get $n) (i32.const 2)))
      (v128.store64_lane 0 (local.get $dst) (f32x4.demote_f64x2_zero (v128.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16))) (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $pairs)))
    (if (local.get $n) (then (f32.store (local.get $dst) (f32.demote_f64 (f64.load (local.get $src)))))))
  ;; Elman tanh backward over one step's n·H contiguous values (rnnCellBackward's arithmetic):
  ;; dg[i] = (dhS[i] + dY[i]) · (1 − a[i]²), a = the saved h', dY float32 (0: none, + 0 instead);
  ;; then dhS[i] = 0.
  (func $rnnTanhBack (export "rnnTanhBack") (param $dhS i32) (param $dY i32) (param $a i32) (param $dg i32) (param $n i32) (local $d v128) (local $s v128)
    (block $done (loop $pairs (br_if $done (i32.lt_s (local.get $n) (i32.const 1)))
      (local.set $d (if (result v128) (i32.eqz (local.get $dY)) (then (v128.const f64x2 0 0))
        (else (if (result v128) (i32.eq (local.get $n) (i32.const 1))
          (then (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $dY))))
          (else (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $dY))))))))
      (if (i32.eq (local.get $n) (i32.const 1))
        (then
          (local.set $d (f64x2.add (v128.load64_zero (local.get $dhS)) (local.get $d)))
          (local.set $s (v128.load64_zero (local.get $a)))
          (v128.store64_lane 0 (local.get $dg) (f64x2.mul (local.get $d) (f64x2.sub (v128.const f64x2 1 1) (f64x2.mul (local.get $s) (local.get $s)))))
          (f64.store (local.get $dhS) (f64.const 0)))
        (else
          (local.set $d (f64x2.add (v128.load (local.get $dhS)) (local.get $d)))
          (local.set $s (v128.load (local.get $a)))
          (v128.store (local.get $dg) (f64x2.mul (local.get $d) (f64x2.sub (v128.const f64x2 1 1) (f64x2.mul (local.get $s) (local.get $s)))))
          (v128.store (local.get $dhS) (v128.const f64x2 0 0))))
      (local.set $dhS (i32.add (local.get $dhS) (i32.const 16))) (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $dg (i32.add (local.get $dg) (i32.const 16)))
      (if (local.get $dY) (then (local.set $dY (i32.add (local.get $dY) (i32.const 8)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $pairs)))))
`;

// Adam / AdamW over float32 (src/optim/adam-kernel.ts adamF32: the same operations — f32x4 for
// the single-rounding ops, float64 lanes for fma32's exact a·b + c rounded once — so the same bits),
// four elements a step, n a multiple of 4. flags: 1 decoupled (AdamW), 2 L2 (Adam with weight
// decay), 4 maximize. fma32 is written out in place (a WASM call per use measured 2× slower).
let fmaCount = 0;
const fmaLocals = [];
/**
 * WAT setting local `out` (f32x4) to the four a·b + c rounded once (fma32.ts's algorithm, per
 * float64 half). The rounding of the double sum s to float32 (r) is already the answer unless s
 * lies exactly halfway between two float32s (o = r + 2(s − r) is then a float32 too, and r ≠ s);
 * only when some lane of either half does, the TwoSum error e of s decides that lane's side. The
 * common case skips TwoSum and the selection: the same bits, about a third fewer operations.
 */
function fma32x4(out, a, b, c) {
  const half = (sel) => {
    const j = fmaCount++;
    const L = (n) => `$f${n}${j}`;
    for (const n of ['a', 'b', 'c', 'pr', 's', 'r', 'd', 'o', 'bb', 'e']) fmaLocals.push(`(local ${L(n)} v128)`);
    const widen = (x) => `(f64x2.promote_low_f32x4 ${sel === 0 ? x : `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${x} ${x})`})`;
    const g = (n) => `(local.get ${L(n)})`;
    const zero = '(v128.const f64x2 0 0)';
    return {
      code: `(local.set ${L('a')} ${widen(a)}) (local.set ${L('b')} ${widen(b)}) (local.set ${L('c')} ${widen(c)})
      (local.set ${L('pr')} (f64x2.mul ${g('a')} ${g('b')}))
      (local.set ${L('s')} (f64x2.add ${g('pr')} ${g('c')}))
      (local.set ${L('r')} (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero ${g('s')})))
      (local.set ${L('d')} (f64x2.sub ${g('s')} ${g('r')}))
      (local.set ${L('o')} (f64x2.add ${g('r')} (f64x2.add ${g('d')} ${g('d')})))`,
      // lanes where s is exactly halfway between two float32s (o is one, and r is not s)
      halfway: `(v128.andnot (f64x2.eq (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero ${g('o')})) ${g('o')}) (f64x2.eq ${g('r')} ${g('s')}))`,
      twoSum: `(local.set ${L('bb')} (f64x2.sub ${g('s')} ${g('pr')}))
      (local.set ${L('e')} (f64x2.add (f64x2.sub ${g('pr')} (f64x2.sub ${g('s')} ${g('bb')})) (f64x2.sub ${g('c')} ${g('bb')})))`,
      // the other float32 when s is halfway, the exact sum is not, and lies on o's side
      value: `(f32x4.demote_f64x2_zero (v128.bitselect ${g('o')} ${g('r')} (v128.and
        (v128.andnot (f64x2.eq (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero ${g('o')})) ${g('o')}) (f64x2.eq ${g('r')} ${g('s')}))
        (v128.andnot (f64x2.ne ${g('e')} ${zero}) (v128.xor (f64x2.gt ${g('e')} ${zero}) (f64x2.gt ${g('d')} ${zero}))))))`,
      rounded: `(f32x4.demote_f64x2_zero ${g('s')})`,
    };
  };
  const lo = half(0), hi = half(1);
  const join = (x, y) => `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${x} ${y})`;
  return `${lo.code}\n      ${hi.code}
      (if (v128.any_true (v128.or ${lo.halfway} ${hi.halfway}))
        (then ${lo.twoSum}\n        ${hi.twoSum}
          (local.set ${out} ${join(lo.value, hi.value)}))
        (else (local.set ${out} ${join(lo.rounded, hi.rounded)})))`;
}
const sp = (x) => `(f32x4.splat (local.get ${x}))`;
const adamBody = `(block $done (loop $quads (br_if $done (i32.lt_s (local.get $n) (i32.const 4)))
      (local.set $P (v128.load (local.get $p)))
      (local.set $G (v128.load (local.get $g)))
      (if (i32.and (local.get $flags) (i32.const 4)) (then (local.set $G (f32x4.neg (local.get $G)))))
      (if (i32.and (local.get $flags) (i32.const 1))
        (then (local.set $P (f32x4.mul (local.get $P) ${sp('$decay')})))
        (else (if (i32.and (local.get $flags) (i32.const 2)) (then
          ${fma32x4('$G', '(local.get $P)', sp('$wd'), '(local.get $G)')}))))
      ${fma32x4('$M', '(local.get $G)', sp('$omb1'), `(f32x4.mul (v128.load (local.get $m)) ${sp('$b1')})`)}
      ${fma32x4('$V', `(f32x4.mul ${sp('$omb2')} (local.get $G))`, '(local.get $G)', `(f32x4.mul (v128.load (local.get $v)) ${sp('$b2')})`)}
      (v128.store (local.get $m) (local.get $M))
      (v128.store (local.get $v) (local.get $V))
      (v128.store (local.get $p) (f32x4.add (local.get $P) (f32x4.div (f32x4.mul ${sp('$negStep')} (local.get $M))
        (f32x4.add (f32x4.div (f32x4.sqrt (local.get $V)) ${sp('$bc2s')}) ${sp('$eps')}))))
      (local.set $p (i32.add (local.get $p) (i32.const 16))) (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $m (i32.add (local.get $m) (i32.const 16))) (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $quads)))`;
const watAdam = `(module
  (import "env" "mem" (memory 1 65536))
  (func $adam (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
      (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $negStep f32) (param $bc2s f32)
      (param $eps f32) (param $decay f32) (param $wd f32) (param $flags i32)
      (local $P v128) (local $G v128) (local $M v128) (local $V v128) ${fmaLocals.join(' ')}
    ${adamBody}))
`;

// Modules 4 and 5, the LSTM/GRU gates and their backward steps, are built in tools/wasm-gates.mjs.

const wabt = await wabtInit();
/** The module's bytes; browsers compile at most 4 KiB synchronously on their main thread. */
function assemble(name, text) {
  const mod = wabt.parseWat(name, text, { simd: true, bulk_memory: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  if (buffer.length > 4096) throw new Error(`${name}: ${buffer.length} bytes, over the 4 KiB of a synchronous browser compile`);
  return buffer;
}
/**
 * A "name" custom section with function names only (wabt's debug names would add every local's
 * and not fit 4 KiB), so profiles (npm run bench:profile) show `tiles`, `tanhAdd`, … instead of
 * wasm-function[i]. Function indices count imports first.
 */
function withNames(bytes, text) {
  const names = [...text.matchAll(/(?<!\(export "\w+" )\(func \$(\w+)/g)].map((m) => m[1]);
  const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
  const str = (t) => [...leb(t.length), ...Buffer.from(t)];
  const map = [...leb(names.length), ...names.flatMap((nm, i) => [...leb(i), ...str(nm)])];
  const sub = [1, ...leb(map.length), ...map];
  const body = [...str('name'), ...sub];
  return new Uint8Array([...bytes, 0, ...leb(body.length), ...body]);
}
const gemm = withNames(assemble('gemm.wat', wat), wat);
const cells = withNames(assemble('cells.wat', watCells), watCells);
const adam = withNames(assemble('adam.wat', watAdam), watAdam);
const gates = withNames(assemble('gates.wat', watGates), watGates);
const back = withNames(assemble('back.wat', watBack), watBack);
for (const [name, b] of [['gemm', gemm], ['cells', cells], ['adam', adam], ['gates', gates], ['back', back]]) {
  if (b.length > 4096) throw new Error(`${name}: ${b.length} bytes with names, over 4 KiB`);
}
const ts = `// GENERATED by tools/gen-gemm-wasm.mjs — do not edit. WebAssembly SIMD (f64x2) kernels: the
// matrix products (${gemm.length} bytes), the cell and copy kernels (${cells.length} bytes), Adam (${adam.length} bytes),
// the LSTM/GRU gates (${gates.length} bytes) and their backward steps (${back.length} bytes); see that script for the
// kernels and their numerics.
export const GEMM_WASM_BASE64 =
  '${Buffer.from(gemm).toString('base64')}';
export const CELLS_WASM_BASE64 =
  '${Buffer.from(cells).toString('base64')}';
export const ADAM_WASM_BASE64 =
  '${Buffer.from(adam).toString('base64')}';
export const GATES_WASM_BASE64 =
  '${Buffer.from(gates).toString('base64')}';
export const BACK_WASM_BASE64 =
  '${Buffer.from(back).toString('base64')}';
`;
const target = join(root, 'src', 'kernels', 'gemm-wasm-module.ts');
if (process.argv.includes('--check')) {
  // the committed module is what this script generates (test/gemm-wasm.test.ts)
  if (readFileSync(target, 'utf8') !== ts) {
    console.error(`${target} is stale: run node tools/gen-gemm-wasm.mjs`);
    process.exit(1);
  }
  console.log('src/kernels/gemm-wasm-module.ts is up to date');
  process.exit(0);
}
writeFileSync(target, ts);
if (process.argv.includes('--wat')) writeFileSync(process.argv[process.argv.indexOf('--wat') + 1], wat + watCells + watAdam + watGates + watBack);
console.log(`src/kernels/gemm-wasm-module.ts: ${gemm.length} + ${cells.length} + ${adam.length} + ${gates.length} + ${back.length} bytes`);
