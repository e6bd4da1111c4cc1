#!/usr/bin/env node
// Generates src/kernels/gemm-wasm-module.ts: the WebAssembly SIMD (f64x2) matrix products used by
// src/kernels/gemm-wasm.ts, as base64 bytes, so neither the build nor the browser bundle needs an
// assembler. Run after editing this file:  node tools/gen-gemm-wasm.mjs   (needs the `wabt` dev
// dependency, a pure-JS/WASM build of wat2wasm).
//
// One exported kernel, `tiles`, and two entry points over it:
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
// single rows with the same column tiles.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

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
  if (vec) {
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

/** Column sweep for a strip of R rows: 4-wide tiles, then one 2-wide, then one scalar column. */
function strip(R) {
  return `(local.set $n (i32.const 0))
    (block $n4done (loop $n4 (br_if $n4done (i32.gt_s (i32.add (local.get $n) (i32.const 4)) (local.get $N)))
      ${tile(R, 4)}
      (local.set $n (i32.add (local.get $n) (i32.const 4))) (br $n4)))
    (if (i32.le_s (i32.add (local.get $n) (i32.const 2)) (local.get $N)) (then
      ${tile(R, 2)}
      (local.set $n (i32.add (local.get $n) (i32.const 2)))))
    (if (i32.lt_s (local.get $n) (local.get $N)) (then
      ${tile(R, 1)}))`;
}

const wat = `(module
  (import "env" "mem" (memory 1))
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
  (func (export "ab") (param $A i32) (param $B i32) (param $bias i32) (param $C i32) (param $M i32) (param $K i32) (param $N i32) (param $mode i32)
    (call $tiles (local.get $A) (i32.shl (local.get $K) (i32.const 3)) (i32.const 8) (local.get $B) (i32.shl (local.get $N) (i32.const 3))
      (local.get $bias) (local.get $C) (local.get $M) (local.get $K) (local.get $N) (local.get $mode)))
  (func (export "atb") (param $A i32) (param $B i32) (param $C i32) (param $R i32) (param $M i32) (param $N i32)
    (call $tiles (local.get $A) (i32.const 8) (i32.shl (local.get $M) (i32.const 3)) (local.get $B) (i32.shl (local.get $N) (i32.const 3))
      (i32.const 0) (local.get $C) (local.get $M) (local.get $R) (local.get $N) (i32.const 2))))
`;

const wabt = await wabtInit();
const mod = wabt.parseWat('gemm.wat', wat, { simd: true });
const { buffer } = mod.toBinary({});
mod.destroy();
const b64 = Buffer.from(buffer).toString('base64');
const ts = `// GENERATED by tools/gen-gemm-wasm.mjs — do not edit. WebAssembly SIMD (f64x2) matrix products
// (${buffer.length} bytes); see that script for the kernels and their numerics.
export const GEMM_WASM_BASE64 =
  '${b64}';
`;
writeFileSync(join(root, 'src', 'kernels', 'gemm-wasm-module.ts'), ts);
if (process.argv.includes('--wat')) writeFileSync(process.argv[process.argv.indexOf('--wat') + 1], wat);
console.log(`src/kernels/gemm-wasm-module.ts: ${buffer.length} bytes`);
