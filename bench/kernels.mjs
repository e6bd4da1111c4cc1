#!/usr/bin/env node
// `node bench/kernels.mjs`: the small float32 kernels beside their JS twins, on one thread — the
// figures bench/README.md quotes for them ("How recur runs a step"). Reads dist/ (npm run build).
//
//   cells      one LSTM / RNN forward step over 64 rows × 32 (cells32*.wat against cells32-naive.ts)
//   transpose  a weight [512, 128] (and smaller) into the row form (move32.wat against the JS loop)
//   matvec     W [512, 160] times one column (gemm32's matvec against the JS twin)
//   sequence   a 2-layer LSTM 32 → 128 over one sequence of T steps, no gradients (as stored, matvec)
//
// Each figure is the best of 5 windows of ≥ 0.2 s after a warm-up: the least disturbed on a
// shared machine.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = (p) => import(join(root, 'dist', p));
const { allocF32 } = await dist('kernels/gemm-wasm.js');
const { lstmRows32, rnnRows32 } = await dist('kernels/cells32.js');
const { lstmRows32Naive, rnnRows32Naive } = await dist('kernels/cells32-naive.js');
const { transpose32, gemm32 } = await dist('kernels/gemm32.js');
const { transpose32Naive, gemm32Naive } = await dist('kernels/gemm32-naive.js');
const R = await dist('index.js');

/** µs per call: the best of 5 windows of ≥ 0.2 s. */
function best(fn) {
  const t0 = performance.now();
  while (performance.now() - t0 < 200) fn();
  let us = Infinity;
  for (let w = 0; w < 5; w++) {
    let n = 0;
    const s = performance.now();
    while (performance.now() - s < 200) { fn(); n++; }
    us = Math.min(us, ((performance.now() - s) / n) * 1000);
  }
  return us;
}
const fmt = (us) => (us < 10 ? us.toFixed(2) : us.toFixed(1));

// cells: gi, gh [64, 4H], saved [64, 6H], h, c [64, H] in one buffer
{
  const b = 64, H = 32;
  const w = allocF32(b * H * 20);
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i) * 2;
  const j = Float32Array.from(w);
  const gi = 0, gh = 4 * b * H, sv = 8 * b * H, hs = 14 * b * H, cs = 15 * b * H;
  const lstm = (f, a) => () => { a.fill(0.5, cs, cs + b * H); f(a, b, H, gi, gh, sv, hs, cs); };
  console.log(`cells, ${b} rows × ${H}: LSTM step ${fmt(best(lstm(lstmRows32, w)))} µs (JS twin ${fmt(best(lstm(lstmRows32Naive, j)))}), ` +
    `RNN tanh step ${fmt(best(() => rnnRows32(w, b, H, gi, gh, sv, hs, false)))} µs (JS twin ${fmt(best(() => rnnRows32Naive(j, b, H, gi, gh, sv, hs, false)))})`);
}

// transpose: a weight in ordinary memory into a WASM workspace
for (const [rows, cols] of [[512, 128], [512, 32], [128, 32]]) {
  const src = Float32Array.from({ length: rows * cols }, (_, i) => i);
  const dst = allocF32(rows * cols);
  const simd = best(() => transpose32(src, 0, rows, cols, dst, 0));
  const js = best(() => transpose32Naive(src, 0, rows, cols, dst, 0));
  console.log(`transpose ${rows}×${cols}: ${((simd * 1000) / (rows * cols)).toFixed(2)} ns an element (JS loop ${((js * 1000) / (rows * cols)).toFixed(2)})`);
}

// matvec: W [M, K] · x [K] + C (mode 2), all in WASM memory
{
  const M = 512, K = 160;
  const w = allocF32(M * K + K + M);
  for (let i = 0; i < w.length; i++) w[i] = Math.cos(i);
  const j = Float32Array.from(w);
  const run = (f, a) => () => f(a, 0, K, 1, a, M * K, 1, null, a, M * K + K, M, K, 1, 2);
  const simd = best(run(gemm32, w)), js = best(run(gemm32Naive, j));
  console.log(`matvec ${M}×${K}: ${fmt(simd)} µs, ${((2 * M * K) / simd / 1000).toFixed(1)} GFLOP/s (JS twin ${fmt(js)} µs)`);
}

// one sequence through a 2-layer LSTM 32 → 128, no gradients
{
  R.setNumThreads(1);
  const gen = new R.Generator(1);
  const lstm = new R.LSTM(32, 128, { numLayers: 2, generator: gen });
  const out = [];
  for (const T of [1, 4, 16, 64]) {
    const x = R.randn([T, 1, 32], { generator: gen });
    out.push(`T = ${T}: ${fmt(best(() => R.noGrad(() => lstm.forward(x))))} µs`);
  }
  console.log(`one sequence, LSTM 32 → 128 × 2 layers: ${out.join(', ')}`);
}
