#!/usr/bin/env node
// Generates the float32 matrix-product module: src/runtime/wasm/gemm32.wat (the text, committed
// for review) and src/runtime/wasm/gemm32-module.ts (its bytes as base64, so neither the build nor
// the browser bundle needs an assembler). Run after editing this file:
//   node tools/gen-gemm32-wasm.mjs            write both files
//   node tools/gen-gemm32-wasm.mjs --check    only verify that both committed files are what this
//                                             generator makes (needs the `wabt` dev dependency)
//
// One kernel, `tiles`, over row-major float32 matrices in the imported memory (byte addresses):
//   tiles(A, aRow, aStep, B, bStep, bias, C, M, K, N, mode)
//     C[m, n] = start + Σ_k a(m, k)·B[k, n]     for m < M, n < N (C is [M, N], row stride N)
//     a(m, k) at A + m·aRow + k·aStep (bytes); B[k, n] at B + k·bStep + 4n
//     start = 0 (mode 0), bias[n] (mode 1), C[m, n] (mode 2)
// A·B is aRow = 4K, aStep = 4; Aᵀ·B (A [R, M]) is aRow = 4, aStep = 4M, K = R; A·Bᵀ is A·(Bᵀ)
// with Bᵀ made by a transpose (src/kernels/gemm32.ts).
//
// Numerics: every output element is one float32 accumulator (an f32x4 lane or an f32 local) that
// starts from `start` and adds the products one at a time in increasing k, each product and each
// sum rounded to float32 (separate f32x4.mul and f32x4.add: WASM SIMD 1.0 has no fused multiply-
// add) — the order of the JS twin in src/kernels/gemm32-naive.ts, so the bits are identical
// (test/gemm32.test.ts).
// Tiles: 4 rows × 8 columns (8 f32x4 accumulators, 2 B vectors, 1 splat: 11 of the 16 vector
// registers), then 4×4 and 4×1 for the last columns; leftover rows one at a time with 1×8, 1×4
// and 1×1 tiles.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const watPath = join(root, 'src', 'runtime', 'wasm', 'gemm32.wat');
const tsPath = join(root, 'src', 'runtime', 'wasm', 'gemm32-module.ts');

/** WAT of one tile: R rows (4 or 1) × W columns (8, 4 or 1) at the current $m, $n. */
function tile(R, W) {
  const out = [];
  const vec = W >= 4;
  const V = W / 4; // f32x4 accumulators per row
  const cAddr = (i, v) => `(i32.add (local.get $C) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const ${i})) (local.get $N)) (i32.add (local.get $n) (i32.const ${4 * v}))) (i32.const 2)))`;
  const bAddr = (v) => `(i32.add (local.get $bias) (i32.shl (i32.add (local.get $n) (i32.const ${4 * v})) (i32.const 2)))`;
  for (let i = 0; i < R; i++) {
    if (vec) {
      for (let v = 0; v < V; v++) {
        out.push(`(local.set $c${i * 2 + v} (if (result v128) (i32.eq (local.get $mode) (i32.const 2)) (then (v128.load ${cAddr(i, v)})) (else (if (result v128) (i32.eq (local.get $mode) (i32.const 1)) (then (v128.load ${bAddr(v)})) (else (v128.const i32x4 0 0 0 0))))))`);
      }
    } else {
      out.push(`(local.set $s${i} (if (result f32) (i32.eq (local.get $mode) (i32.const 2)) (then (f32.load ${cAddr(i, 0)})) (else (if (result f32) (i32.eq (local.get $mode) (i32.const 1)) (then (f32.load ${bAddr(0)})) (else (f32.const 0))))))`);
    }
  }
  for (let i = 0; i < R; i++) out.push(`(local.set $pa${i} (i32.add (local.get $A) (i32.mul (i32.add (local.get $m) (i32.const ${i})) (local.get $aRow))))`);
  out.push(`(local.set $pb (i32.add (local.get $B) (i32.shl (local.get $n) (i32.const 2))))`);
  out.push(`(local.set $k (local.get $K))`);
  const body = [];
  if (vec && R === 1) {
    body.push(`(local.set $a (v128.load32_splat (local.get $pa0)))`);
    for (let v = 0; v < V; v++) body.push(`(local.set $c${v} (f32x4.add (local.get $c${v}) (f32x4.mul (local.get $a) (v128.load offset=${16 * v} (local.get $pb)))))`);
  } else if (vec) {
    for (let v = 0; v < V; v++) body.push(`(local.set $b${v} (v128.load offset=${16 * v} (local.get $pb)))`);
    for (let i = 0; i < R; i++) {
      body.push(`(local.set $a (v128.load32_splat (local.get $pa${i})))`);
      for (let v = 0; v < V; v++) body.push(`(local.set $c${i * 2 + v} (f32x4.add (local.get $c${i * 2 + v}) (f32x4.mul (local.get $a) (local.get $b${v}))))`);
    }
  } else {
    body.push(`(local.set $x (f32.load (local.get $pb)))`);
    for (let i = 0; i < R; i++) body.push(`(local.set $s${i} (f32.add (local.get $s${i}) (f32.mul (f32.load (local.get $pa${i})) (local.get $x))))`);
  }
  for (let i = 0; i < R; i++) body.push(`(local.set $pa${i} (i32.add (local.get $pa${i}) (local.get $aStep)))`);
  body.push(`(local.set $pb (i32.add (local.get $pb) (local.get $bStep)))`);
  out.push(`(block $kdone (br_if $kdone (i32.eqz (local.get $k))) (loop $kloop ${body.join(' ')} (br_if $kloop (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))`);
  for (let i = 0; i < R; i++) {
    if (vec) for (let v = 0; v < V; v++) out.push(`(v128.store ${cAddr(i, v)} (local.get $c${i * 2 + v}))`);
    else out.push(`(f32.store ${cAddr(i, 0)} (local.get $s${i}))`);
  }
  return out.join('\n      ');
}

/** Column sweep of a strip of R rows: 8-wide tiles, then one 4-wide, then single columns. */
function strip(R) {
  return `(local.set $n (i32.const 0))
    (block $n8done (loop $n8 (br_if $n8done (i32.gt_s (i32.add (local.get $n) (i32.const 8)) (local.get $N)))
      ${tile(R, 8)}
      (local.set $n (i32.add (local.get $n) (i32.const 8))) (br $n8)))
    (if (i32.le_s (i32.add (local.get $n) (i32.const 4)) (local.get $N)) (then
      ${tile(R, 4)}
      (local.set $n (i32.add (local.get $n) (i32.const 4)))))
    (block $n1done (loop $n1 (br_if $n1done (i32.ge_s (local.get $n) (local.get $N)))
      ${tile(R, 1)}
      (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $n1)))`;
}

const locals = [
  '(local $m i32) (local $n i32) (local $k i32) (local $pb i32) (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32)',
  '(local $a v128) (local $b0 v128) (local $b1 v128)',
  Array.from({ length: 8 }, (_, i) => `(local $c${i} v128)`).join(' '),
  '(local $x f32) (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)',
].join('\n    ');

export const wat = `;; Generated by tools/gen-gemm32-wasm.mjs: do not edit (see there for the kernel and its numerics).
(module
  (import "env" "mem" (memory 1 65536))
  (func $tiles (export "tiles")
    (param $A i32) (param $aRow i32) (param $aStep i32) (param $B i32) (param $bStep i32) (param $bias i32)
    (param $C i32) (param $M i32) (param $K i32) (param $N i32) (param $mode i32)
    ${locals}
    (local.set $m (i32.const 0))
    (block $m4done (loop $m4 (br_if $m4done (i32.gt_s (i32.add (local.get $m) (i32.const 4)) (local.get $M)))
    ${strip(4)}
    (local.set $m (i32.add (local.get $m) (i32.const 4))) (br $m4)))
    (block $m1done (loop $m1 (br_if $m1done (i32.ge_s (local.get $m) (local.get $M)))
    ${strip(1)}
    (local.set $m (i32.add (local.get $m) (i32.const 1))) (br $m1)))))
`;

async function assemble(text) {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('gemm32.wat', text, { simd: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  mod.destroy();
  if (buffer.length > 4096) throw new Error(`gemm32 module is ${buffer.length} bytes: over the 4 KiB browsers compile synchronously`);
  return Buffer.from(buffer).toString('base64');
}

const ts = (b64) => `// Generated by tools/gen-gemm32-wasm.mjs from gemm32.wat: do not edit.
export const GEMM32_WASM_BASE64 =
  '${b64}';
`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b64 = await assemble(wat);
  if (process.argv.includes('--check')) {
    const okWat = readFileSync(watPath, 'utf8') === wat;
    const okTs = readFileSync(tsPath, 'utf8') === ts(b64);
    if (!okWat || !okTs) {
      console.error(`out of date: ${[!okWat && 'gemm32.wat', !okTs && 'gemm32-module.ts'].filter(Boolean).join(', ')} (run node tools/gen-gemm32-wasm.mjs)`);
      process.exit(1);
    }
    console.log('gemm32.wat and gemm32-module.ts match the generator');
  } else {
    writeFileSync(watPath, wat);
    writeFileSync(tsPath, ts(b64));
    console.log(`wrote ${watPath} and ${tsPath} (${Buffer.from(b64, 'base64').length} bytes)`);
  }
}
