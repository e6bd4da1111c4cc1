// The `gemm` case of `npm run bench`: recur's float32 product kernel on the product shapes of each
// case, in GFLOP/s, beside the machine's measured f32x4 peak — a register-only loop of independent
// f32x4 multiplies and adds in WASM SIMD (no memory traffic), the ceiling any WASM kernel has here.
// It reads recur's kernels from dist/ (a microbench of internals; the char-LM cases use the public
// API only). PyTorch's own GFLOP/s on the same shapes come from bench/torch_bench.py (kind gemm).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * The products of one training step, [name, M, K, N, kind]: kind 'ab' is C[M, N] = A[M, K]·B[K, N]
 * (forward products, input gradients), 'atb' is C[M, N] += A[K, M]ᵀ·B[K, N] summed over K rows
 * (weight gradients over all steps). The char-LM: batch 32 × 64 steps = 2,048 rows, embedding 32,
 * hidden 128, gates 4·128 (LSTM) or 3·128 (GRU), 76 classes.
 */
export const SHAPES = {
  'charlm-lstm': [
    ['input projection, layer 0', 2048, 32, 512, 'ab'], ['input projection, layer 1', 2048, 128, 512, 'ab'],
    ['recurrent, one step', 32, 128, 512, 'ab'], ['head', 2048, 128, 76, 'ab'],
    ['recurrent input gradient, one step', 32, 512, 128, 'ab'], ['layer input gradient', 2048, 512, 128, 'ab'],
    ['weight gradient W_hh', 512, 2048, 128, 'atb'], ['weight gradient W_ih layer 0', 512, 2048, 32, 'atb'],
    ['head weight gradient', 76, 2048, 128, 'atb'],
  ],
  'charlm-gru': [
    ['input projection, layer 1', 2048, 128, 384, 'ab'], ['recurrent, one step', 32, 128, 384, 'ab'],
    ['recurrent input gradient, one step', 32, 384, 128, 'ab'], ['weight gradient W_hh', 384, 2048, 128, 'atb'],
  ],
  sota: [
    ['recurrent, one step', 64, 32, 32, 'ab'], ['input projection', 320, 32, 32, 'ab'], ['weight gradient', 32, 320, 32, 'atb'],
  ],
  large: [
    ['recurrent, one step', 256, 256, 256, 'ab'], ['input projection', 14080, 256, 256, 'ab'], ['weight gradient', 256, 14080, 256, 'atb'],
  ],
};

/**
 * The peak loop: `accs` independent accumulators c_i += m_(i mod 2) · b (f32x4.mul then f32x4.add),
 * all in registers. Two multiplicands, not one per accumulator: x64 code has 16 vector registers,
 * and 8 accumulators with 8 multiplicands spill to the stack (measured: 17.7 GFLOP/s against 58
 * with two). b changes every iteration by an xor with a zero the compiler cannot see (the `zero`
 * argument), so no product is loop-invariant, at a one-cycle integer op per iteration.
 */
const peakWat = (accs) => `(module
  (func (export "peak") (param $n i32) (param $zero i32) (result f32)
    ${Array.from({ length: accs }, (_, i) => `(local $c${i} v128)`).join(' ')} (local $m0 v128) (local $m1 v128) (local $b v128) (local $z v128)
    (local.set $b (v128.const f32x4 1e-9 1e-9 1e-9 1e-9)) (local.set $z (i32x4.splat (local.get $zero)))
    (local.set $m0 (v128.const f32x4 1 2 3 4)) (local.set $m1 (v128.const f32x4 2 3 4 5))
    (loop $l
      (local.set $b (v128.xor (local.get $b) (local.get $z)))
      ${Array.from({ length: accs }, (_, i) => `(local.set $c${i} (f32x4.add (local.get $c${i}) (f32x4.mul (local.get $m${i % 2}) (local.get $b))))`).join('\n      ')}
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${Array.from({ length: accs - 1 }, () => '(f32x4.add').join(' ')} (local.get $c0) ${Array.from({ length: accs - 1 }, (_, i) => `(local.get $c${i + 1}))`).join(' ')})))`;

/** The peak loops with 6, 8 and 10 accumulators, compiled. */
async function peakLoops() {
  const wabt = await wabtInit();
  return [6, 8, 10].map((accs) => {
    const mod = wabt.parseWat('peak.wat', peakWat(accs), { simd: true });
    const { buffer } = mod.toBinary({});
    mod.destroy();
    const peak = new WebAssembly.Instance(new WebAssembly.Module(buffer)).exports.peak;
    peak(1e5, 0);
    return { accs, peak };
  });
}

/** The best GFLOP/s of the loops (a multiply and an add per lane: 8 flops per f32x4 pair), `windows` runs of n iterations each. */
function bestOf(loops, windows, n = 1e7) {
  let best = 0;
  for (const { accs, peak } of loops) {
    for (let w = 0; w < windows; w++) {
      const t0 = performance.now();
      peak(n, 0);
      best = Math.max(best, (n * accs * 8) / ((performance.now() - t0) / 1000) / 1e9);
    }
  }
  return best;
}

/** The machine's f32x4 peak: the best of the register-only loops over `windows` runs each. */
export async function measurePeak(windows = 5) {
  return bestOf(await peakLoops(), windows);
}

/**
 * recur's GFLOP/s on each shape: the best (and the median) of `windows` timed windows of ≥ windowSec;
 * beside it the peak loop's best just before and after that shape (on a shared machine the two must
 * be measured close in time, and both as a best: the least disturbed window).
 */
export async function measureShapes(cases, windows = 5, windowSec = 0.3) {
  const loops = await peakLoops();
  const k = await import(join(root, 'dist', 'kernels', 'gemm32.js'));
  const { allocF32, release } = await import(join(root, 'dist', 'kernels', 'gemm-wasm.js'));
  const out = [];
  for (const name of cases) {
    for (const [what, M, K, N, kind] of SHAPES[name] ?? []) {
      const A = allocF32(M * K);
      const B = allocF32(K * N);
      for (let i = 0; i < A.length; i++) A[i] = ((i * 7919) % 1000) / 1000 - 0.5;
      for (let i = 0; i < B.length; i++) B[i] = ((i * 104729) % 1000) / 1000 - 0.5;
      const C = allocF32(M * N);
      const run = kind === 'ab' ? () => k.gemm32AB(A, 0, B, 0, null, C, 0, M, K, N, 0) : () => k.gemm32AtB(A, 0, B, 0, K, M, N, C, 0);
      run();
      const peak0 = bestOf(loops, 2, 2e6);
      const rates = [];
      for (let w = 0; w < windows; w++) {
        const t0 = performance.now();
        let calls = 0;
        while (performance.now() - t0 < windowSec * 1000) { run(); calls++; }
        rates.push((calls * 2 * M * K * N) / ((performance.now() - t0) / 1000) / 1e9);
      }
      rates.sort((a, b) => a - b);
      const peak = Math.max(peak0, bestOf(loops, 2, 2e6));
      out.push({ case: name, what, M, K, N, kind, gflops: rates[rates.length - 1], median: rates[rates.length >> 1], peak });
      for (const x of [A, B, C]) release(x);
    }
  }
  return out;
}
