// nn.Linear's float32 path: y = x·Wᵀ + b as one float32 SIMD product (src/kernels/gemm32.ts) in the
// module's grow-only WASM workspace (src/runtime/wasm/workspace.ts), and its backward as two more:
// dX = dY·W, dW += dYᵀ·X, db += column sums of dY. Each call copies its operands into the workspace
// first, so the workspace holds nothing between calls (a module used twice in one graph is fine).
// The three products split their rows with the second thread when they are large (gemm32-tasks.ts:
// the same bits on one thread or two).
import { Tensor, gradOf, hasNoGrad, makeResult } from '../tensor/tensor.js';
import { colSum32, gemm32, transpose32 } from '../kernels/gemm32.js';
import { gemm32ABShared, gemm32AtBShared } from '../kernels/gemm32-tasks.js';
import { setF32 } from '../runtime/wasm/copy.js';
import { addInto32 } from '../kernels/cells32.js';
import { kernelCounts } from '../runtime/wasm/gemm32.js';
import { workspace } from '../runtime/wasm/workspace.js';
import { allocate } from '../tensor/dtype.js';

const up4 = (n: number) => (n + 3) & ~3;

/** x [..., K] (float32), weight [N, K], bias [N] | null → [..., N]; null for an empty product (the general path handles it). */
export function linear32(owner: object, x: Tensor, weight: Tensor, bias: Tensor | null): Tensor | null {
  const N = weight.shape[0];
  const K = weight.shape[1];
  const M = K > 0 ? x.data.length / K : 0;
  if (M === 0 || N === 0 || K === 0) return null;
  const oX = 0, oW = up4(M * K), oB = oW + up4(K * N), oY = oB + up4(N);
  const ws = workspace(owner, oY + up4(M * N));
  kernelCounts.linear32++;
  setF32(ws, x.data as Float32Array, oX);
  if (M === 1) {
    // One row: y = W·x as N rows of W times the column x, on W as stored (gemm32's matvec), without
    // the transpose the general form needs. Each y[n] is the same float32 sum, bias first then k
    // increasing, so the bits are those of the general form.
    setF32(ws, weight.data as Float32Array, oW);
    if (bias !== null) setF32(ws, bias.data as Float32Array, oY);
    else ws.fill(0, oY, oY + N);
    gemm32(ws, oW, K, 1, ws, oX, 1, null, ws, oY, N, K, 1, 2);
  } else {
    transpose32(weight.data as Float32Array, 0, N, K, ws, oW);
    if (bias !== null) setF32(ws, bias.data as Float32Array, oB);
    gemm32ABShared(ws, oX, oW, oB, oY, M, K, N, bias !== null ? 1 : 0);
  }
  const y = allocate('float32', M * N) as Float32Array;
  setF32(y, ws.subarray(oY, oY + M * N));
  const parents = bias !== null ? [x, weight, bias] : [x, weight];
  return makeResult(y, [...x.shape.slice(0, -1), N], 'float32', parents, (g) => {
    // x's gradient: a copy of the product when x has none yet (a fresh zero buffer), else a sum.
    const dXFresh = hasNoGrad(x);
    const dX = gradOf(x) as Float32Array | null;
    const dW = gradOf(weight) as Float32Array | null;
    const dB = bias !== null ? (gradOf(bias) as Float32Array | null) : null;
    const gG = 0, gW = up4(M * N), gX = gW + up4(N * K), gO = gX + up4(M * K);
    const w = workspace(owner, gO + up4(Math.max(M * K, N * K, N)));
    setF32(w, g as Float32Array, gG);
    if (dX !== null) {
      setF32(w, weight.data as Float32Array, gW);
      gemm32ABShared(w, gG, gW, -1, gO, M, N, K, 0); // dY [M, N]·W [N, K]
      if (dXFresh) setF32(dX, w.subarray(gO, gO + M * K));
      else addInto32(dX, w, gX, gO, M * K); // in X's block, before dW's product fills it
    }
    if (dW !== null) {
      setF32(w, x.data as Float32Array, gX);
      setF32(w, dW, gO);
      gemm32AtBShared(w, gG, gX, gO, M, N, K, (n0, n1) => setF32(w, dW.subarray(n0 * K, n1 * K), gO + n0 * K)); // += dYᵀ [N, M]·X [M, K]
      setF32(dW, w.subarray(gO, gO + N * K));
    }
    if (dB !== null) {
      setF32(w, dB, gO);
      colSum32(w, gG, M, N, w, gO);
      setF32(dB, w.subarray(gO, gO + N));
    }
  });
}
