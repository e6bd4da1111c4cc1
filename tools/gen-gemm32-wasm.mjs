#!/usr/bin/env node
// Generates the float32 matrix-product module: src/runtime/wasm/gemm32.wat (the text, committed
// for review) and src/runtime/wasm/gemm32-module.ts (its bytes as base64, so neither the build nor
// the browser bundle needs an assembler). Run after editing this file:
//   node tools/gen-gemm32-wasm.mjs            write both files
//   node tools/gen-gemm32-wasm.mjs --check    only verify that both committed files are what this
//                                             generator makes (needs the `wabt` dev dependency)
//
// Two kernels over row-major float32 matrices in the imported memory (byte addresses): `tiles`,
//   tiles(A, aRow, aStep, B, bStep, bias, C, M, K, N, mode)
//     C[m, n] = start + Σ_k a(m, k)·B[k, n]     for m < M, n < N (C is [M, N], row stride N)
//     a(m, k) at A + m·aRow + k·aStep (bytes); B[k, n] at B + k·bStep + 4n
//     start = 0 (mode 0), bias[n] (mode 1), C[m, n] (mode 2)
// A·B is aRow = 4K, aStep = 4; Aᵀ·B (A [R, M]) is aRow = 4, aStep = 4M, K = R; A·Bᵀ is A·(Bᵀ)
// with Bᵀ made by a transpose (src/kernels/gemm32.ts). And `matvec`, the same product for N = 1
// with A's rows and x contiguous (see matvecFn).
//
// Numerics: every output element is one float32 accumulator (an f32x4 lane or an f32 local) that
// starts from `start` and adds the products one at a time in increasing k, each product and each
// sum rounded to float32 (separate f32x4.mul and f32x4.add: WASM SIMD 1.0 has no fused multiply-
// add) — the order of the JS twin in src/kernels/gemm32-naive.ts, so the bits are identical
// (test/gemm32.test.ts).
// Tiles: 4 rows × 8 columns (8 f32x4 accumulators, 2 B vectors, 1 splat: 11 of the 16 vector
// registers), then 4×4 and 4×1 for the last columns; leftover rows one at a time with 1×32 (eight
// independent accumulators: a 1×8 tile's two wait on the add latency; a one-row product of
// 512 × 128 went from 6.5 to 15.8 G multiply-adds/s), 1×8, 1×4 and 1×1 tiles.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const watPath = join(root, 'src', 'runtime', 'wasm', 'gemm32.wat');
const tsPath = join(root, 'src', 'runtime', 'wasm', 'gemm32-module.ts');

/**
 * WAT of one tile: R rows (4 or 1) × W columns (32, 8, 4 or 1) at the current $m, $n. Row i of the
 * tile's C starts at $q{i}; each accumulator starts from `start` (see the header) read at $q{i}
 * (mode 2) or at the bias (mode 1), then masked to 0 in mode 0 ($keep: all ones in modes 1 and 2).
 */
function tile(R, W) {
  const out = [];
  const vec = W >= 4;
  const V = W / 4; // f32x4 accumulators per row
  const acc = (i, v) => `$c${i * 2 + v}`;
  out.push(`(local.set $pbias (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2))))`);
  for (let i = 0; i < R; i++) {
    out.push(`(local.set $q${i} (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const ${i})) (local.get $N)) (local.get $n)) (i32.const 2))))`);
    const from = `(select (local.get $pbias) (local.get $q${i}) (local.get $isBias))`;
    if (vec) {
      out.push(`(local.set $ps ${from})`);
      for (let v = 0; v < V; v++) out.push(`(local.set ${acc(i, v)} (v128.and (v128.load offset=${16 * v} (local.get $ps)) (local.get $keep)))`);
    } else {
      out.push(`(local.set $s${i} (select (f32.load ${from}) (f32.const 0) (local.get $mode)))`);
    }
  }
  for (let i = 0; i < R; i++) out.push(`(local.set $pa${i} (i32.add (local.get $A) (i32.mul (i32.add (local.get $m) (i32.const ${i})) (local.get $aRow))))`);
  out.push(`(local.set $pb (i32.add (local.get $B) (i32.shl (local.get $n) (i32.const 2))))`);
  out.push(`(local.set $k (local.get $K))`);
  const body = [];
  if (vec && R === 1) {
    body.push(`(local.set $a (v128.load32_splat (local.get $pa0)))`);
    for (let v = 0; v < V; v++) body.push(`(local.set ${acc(0, v)} (f32x4.add (local.get ${acc(0, v)}) (f32x4.mul (local.get $a) (v128.load offset=${16 * v} (local.get $pb)))))`);
  } else if (vec) {
    for (let v = 0; v < V; v++) body.push(`(local.set $b${v} (v128.load offset=${16 * v} (local.get $pb)))`);
    for (let i = 0; i < R; i++) {
      body.push(`(local.set $a (v128.load32_splat (local.get $pa${i})))`);
      for (let v = 0; v < V; v++) body.push(`(local.set ${acc(i, v)} (f32x4.add (local.get ${acc(i, v)}) (f32x4.mul (local.get $a) (local.get $b${v}))))`);
    }
  } else {
    body.push(`(local.set $x (f32.load (local.get $pb)))`);
    for (let i = 0; i < R; i++) body.push(`(local.set $s${i} (f32.add (local.get $s${i}) (f32.mul (f32.load (local.get $pa${i})) (local.get $x))))`);
  }
  for (let i = 0; i < R; i++) body.push(`(local.set $pa${i} (i32.add (local.get $pa${i}) (local.get $aStep)))`);
  body.push(`(local.set $pb (i32.add (local.get $pb) (local.get $bStep)))`);
  const loop = `(loop $kloop ${body.join(' ')} (br_if $kloop (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))`;
  // The 1×32 tile's loop stands alone (its strip skips it when K = 0): V8 ran it 1.4× faster so
  // than inside the K = 0 guard; the 4-row tiles ran slower without the guard.
  out.push(W === 32 ? loop : `(block $kdone (br_if $kdone (i32.eqz (local.get $k))) ${loop})`);
  for (let i = 0; i < R; i++) {
    if (vec) for (let v = 0; v < V; v++) out.push(`(v128.store offset=${16 * v} (local.get $q${i}) (local.get ${acc(i, v)}))`);
    else out.push(`(f32.store (local.get $q${i}) (local.get $s${i}))`);
  }
  return out.join('\n      ');
}

/** Column sweep of a strip of R rows: 8-wide tiles, then one 4-wide, then single columns. */
function strip(R) {
  return `(local.set $n (i32.const 0))
    ${R === 1 ? `(block $n32done (loop $n32 (br_if $n32done (i32.or (i32.gt_s (i32.add (local.get $n) (i32.const 32)) (local.get $N)) (i32.eqz (local.get $K))))
      ${tile(1, 32)}
      (local.set $n (i32.add (local.get $n) (i32.const 32))) (br $n32)))` : ''}
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
  '(local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $pbias i32) (local $ps i32) (local $isBias i32) (local $keep v128)',
  '(local $a v128) (local $b0 v128) (local $b1 v128)',
  Array.from({ length: 8 }, (_, i) => `(local $c${i} v128)`).join(' '),
  '(local $x f32) (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)',
].join('\n    ');

/**
 * matvec(A, aRow, x, bias, C, M, K, mode): C[m] = start + Σ_k A[m, k]·x[k] for m < M — the tiles'
 * product with N = 1, A's rows contiguous (aStep 4 bytes) and x contiguous; start as there (mode 1:
 * bias[0]). Four rows at a time, lanes over rows: 4×4 blocks of A (a v128 load per row) turned into
 * columns by shuffles, each column times x[k] splat and added in increasing k — every output the
 * same float32 sum in the same order as the tiles' 4×1 tile, with a quarter of its scalar loads and
 * arithmetic (a one-sequence recurrent layer's and a one-row Linear's products on W as stored).
 */
const sh = (a, b, lanes) => `(i8x16.shuffle ${lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]).join(' ')} ${a} ${b})`;
const lg = (n) => `(local.get $${n})`;
const col = (j, u, v) => `(local.set $acc (f32x4.add ${lg('acc')} (f32x4.mul ${sh(lg(u), lg(v), j % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7])} (v128.load32_splat offset=${4 * j} ${lg('px')}))))`;
const startOf = (vec) => vec
  ? `(if (result v128) (i32.eq ${lg('mode')} (i32.const 2)) (then (v128.load (i32.add ${lg('C')} (i32.shl ${lg('m')} (i32.const 2))))) (else (if (result v128) (i32.eq ${lg('mode')} (i32.const 1)) (then (v128.load32_splat ${lg('bias')})) (else (v128.const i32x4 0 0 0 0)))))`
  : `(if (result f32) (i32.eq ${lg('mode')} (i32.const 2)) (then (f32.load (i32.add ${lg('C')} (i32.shl ${lg('m')} (i32.const 2))))) (else (if (result f32) (i32.eq ${lg('mode')} (i32.const 1)) (then (f32.load ${lg('bias')})) (else (f32.const 0)))))`;
const step = (n) => ['p0', 'p1', 'p2', 'p3', 'px'].map((p) => `(local.set $${p} (i32.add ${lg(p)} (i32.const ${n})))`).join(' ');
const matvecFn = `(func $matvec (export "matvec")
    (param $A i32) (param $aRow i32) (param $x i32) (param $bias i32) (param $C i32) (param $M i32) (param $K i32) (param $mode i32)
    (local $m i32) (local $k i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $px i32) (local $s f32)
    (local $acc v128) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (block $m4done (loop $m4 (br_if $m4done (i32.gt_s (i32.add ${lg('m')} (i32.const 4)) ${lg('M')}))
      (local.set $acc ${startOf(true)})
      (local.set $p0 (i32.add ${lg('A')} (i32.mul ${lg('m')} ${lg('aRow')})))
      (local.set $p1 (i32.add ${lg('p0')} ${lg('aRow')})) (local.set $p2 (i32.add ${lg('p1')} ${lg('aRow')})) (local.set $p3 (i32.add ${lg('p2')} ${lg('aRow')}))
      (local.set $px ${lg('x')}) (local.set $k ${lg('K')})
      (block $k4done (loop $k4 (br_if $k4done (i32.lt_s ${lg('k')} (i32.const 4)))
        (local.set $r0 (v128.load ${lg('p0')})) (local.set $r1 (v128.load ${lg('p1')})) (local.set $r2 (v128.load ${lg('p2')})) (local.set $r3 (v128.load ${lg('p3')}))
        (local.set $u0 ${sh(lg('r0'), lg('r1'), [0, 4, 1, 5])}) (local.set $u1 ${sh(lg('r2'), lg('r3'), [0, 4, 1, 5])})
        (local.set $u2 ${sh(lg('r0'), lg('r1'), [2, 6, 3, 7])}) (local.set $u3 ${sh(lg('r2'), lg('r3'), [2, 6, 3, 7])})
        ${col(0, 'u0', 'u1')}
        ${col(1, 'u0', 'u1')}
        ${col(2, 'u2', 'u3')}
        ${col(3, 'u2', 'u3')}
        ${step(16)} (local.set $k (i32.sub ${lg('k')} (i32.const 4))) (br $k4)))
      (block $k1done (loop $k1 (br_if $k1done (i32.eqz ${lg('k')}))
        (local.set $r0 (v128.load32_lane 3 ${lg('p3')} (v128.load32_lane 2 ${lg('p2')} (v128.load32_lane 1 ${lg('p1')} (v128.load32_zero ${lg('p0')})))))
        (local.set $acc (f32x4.add ${lg('acc')} (f32x4.mul ${lg('r0')} (v128.load32_splat ${lg('px')}))))
        ${step(4)} (local.set $k (i32.sub ${lg('k')} (i32.const 1))) (br $k1)))
      (v128.store (i32.add ${lg('C')} (i32.shl ${lg('m')} (i32.const 2))) ${lg('acc')})
      (local.set $m (i32.add ${lg('m')} (i32.const 4))) (br $m4)))
    (block $m1done (loop $m1 (br_if $m1done (i32.ge_s ${lg('m')} ${lg('M')}))
      (local.set $s ${startOf(false)})
      (local.set $p0 (i32.add ${lg('A')} (i32.mul ${lg('m')} ${lg('aRow')}))) (local.set $px ${lg('x')}) (local.set $k ${lg('K')})
      (block $kdone (loop $k (br_if $kdone (i32.eqz ${lg('k')}))
        (local.set $s (f32.add ${lg('s')} (f32.mul (f32.load ${lg('p0')}) (f32.load ${lg('px')}))))
        (local.set $p0 (i32.add ${lg('p0')} (i32.const 4))) (local.set $px (i32.add ${lg('px')} (i32.const 4))) (local.set $k (i32.sub ${lg('k')} (i32.const 1))) (br $k)))
      (f32.store (i32.add ${lg('C')} (i32.shl ${lg('m')} (i32.const 2))) ${lg('s')})
      (local.set $m (i32.add ${lg('m')} (i32.const 1))) (br $m1))))`;

export const wat = `;; Generated by tools/gen-gemm32-wasm.mjs: do not edit (see there for the kernel and its numerics).
(module
  (import "env" "mem" (memory 1 65536))
  (func $tiles (export "tiles")
    (param $A i32) (param $aRow i32) (param $aStep i32) (param $B i32) (param $bStep i32) (param $bias i32)
    (param $C i32) (param $M i32) (param $K i32) (param $N i32) (param $mode i32)
    ${locals}
    (local.set $isBias (i32.eq (local.get $mode) (i32.const 1)))
    (local.set $keep (i8x16.splat (i32.sub (i32.const 0) (i32.ne (local.get $mode) (i32.const 0)))))
    (local.set $m (i32.const 0))
    (block $m4done (loop $m4 (br_if $m4done (i32.gt_s (i32.add (local.get $m) (i32.const 4)) (local.get $M)))
    ${strip(4)}
    (local.set $m (i32.add (local.get $m) (i32.const 4))) (br $m4)))
    (block $m1done (loop $m1 (br_if $m1done (i32.ge_s (local.get $m) (local.get $M)))
    ${strip(1)}
    (local.set $m (i32.add (local.get $m) (i32.const 1))) (br $m1))))
  ${matvecFn})
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
