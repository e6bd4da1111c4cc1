// Dense products over flat row-major Float64Array matrices, used by the recurrent layer kernels.
//
// Every output element is accumulated in a JS double in a fixed order — the start value first
// (bias, or the destination's current value), then the terms in increasing index of the summed
// dimension — exactly the order of the textbook triple loops in gemm-naive.ts, so the blocked
// versions here give bit-identical results (tested). Speed comes from register blocking only:
// a 4×4 tile of outputs lives in 16 locals while the summed dimension is walked, so each step
// loads 4 + 4 values for 16 multiply-adds instead of 2 loads (and a store) per multiply-add.
// Tails (sizes not divisible by 4) fall back to one element at a time, same order.
// Offsets (ao, co, …) address sub-matrices inside bigger workspaces without subarray() garbage.
//
// gemmABias, gemmAddAB, gemmAddAtB and addColSum first try the WebAssembly SIMD kernels (gemm-wasm.ts), which
// run when every operand lives in WASM memory (workspaces from allocF64) and give the same bits.
import { wasmAB, wasmAtB, wasmColSum } from './gemm-wasm.js';

export type Floats = Float32Array | Float64Array;

/**
 * C[m, n] = (bias ? bias[n] : 0) + Σ_k A[m, k] · B[n, k]      (C = A Bᵀ + b, "linear")
 * A: [M, K] at ao, B: [N, K] at bo, bias: [N] | null, C: [M, N] at co.
 */
export function gemmABt(
  A: Float64Array, ao: number, B: Float64Array, bo: number, bias: Float64Array | null,
  C: Float64Array, co: number, M: number, N: number, K: number,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = ao + m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < N4; n += 4) {
      const b0 = bo + n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      const z0 = bias !== null ? bias[n] : 0, z1 = bias !== null ? bias[n + 1] : 0;
      const z2 = bias !== null ? bias[n + 2] : 0, z3 = bias !== null ? bias[n + 3] : 0;
      let c00 = z0, c01 = z1, c02 = z2, c03 = z3;
      let c10 = z0, c11 = z1, c12 = z2, c13 = z3;
      let c20 = z0, c21 = z1, c22 = z2, c23 = z3;
      let c30 = z0, c31 = z1, c32 = z2, c33 = z3;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const w0 = B[b0 + k], w1 = B[b1 + k], w2 = B[b2 + k], w3 = B[b3 + k];
        c00 += x0 * w0; c01 += x0 * w1; c02 += x0 * w2; c03 += x0 * w3;
        c10 += x1 * w0; c11 += x1 * w1; c12 += x1 * w2; c13 += x1 * w3;
        c20 += x2 * w0; c21 += x2 * w1; c22 += x2 * w2; c23 += x2 * w3;
        c30 += x3 * w0; c31 += x3 * w1; c32 += x3 * w2; c33 += x3 * w3;
      }
      let o = co + m * N + n;
      C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += N;
      C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += N;
      C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += N;
      C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
    }
    for (let n = N4; n < N; n++) {
      const b0 = bo + n * K;
      const z = bias !== null ? bias[n] : 0;
      let c0 = z, c1 = z, c2 = z, c3 = z;
      for (let k = 0; k < K; k++) {
        const w = B[b0 + k];
        c0 += A[a0 + k] * w; c1 += A[a1 + k] * w; c2 += A[a2 + k] * w; c3 += A[a3 + k] * w;
      }
      const o = co + m * N + n;
      C[o] = c0; C[o + N] = c1; C[o + 2 * N] = c2; C[o + 3 * N] = c3;
    }
  }
  for (let m = M4; m < M; m++) {
    // Leftover rows (all rows when M < 4, e.g. a single sequence): 1×4 tiles.
    const a0 = ao + m * K;
    for (let n = 0; n < N4; n += 4) {
      const b0 = bo + n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c0 = bias !== null ? bias[n] : 0, c1 = bias !== null ? bias[n + 1] : 0;
      let c2 = bias !== null ? bias[n + 2] : 0, c3 = bias !== null ? bias[n + 3] : 0;
      for (let k = 0; k < K; k++) {
        const x = A[a0 + k];
        c0 += x * B[b0 + k]; c1 += x * B[b1 + k]; c2 += x * B[b2 + k]; c3 += x * B[b3 + k];
      }
      const o = co + m * N + n;
      C[o] = c0; C[o + 1] = c1; C[o + 2] = c2; C[o + 3] = c3;
    }
    for (let n = N4; n < N; n++) {
      const b0 = bo + n * K;
      let c = bias !== null ? bias[n] : 0;
      for (let k = 0; k < K; k++) c += A[a0 + k] * B[b0 + k];
      C[co + m * N + n] = c;
    }
  }
}

/**
 * C[m, n] = (bias ? bias[n] : 0) + Σ_k A[m, k] · Bt[k, n]      (C = A W^T + b with Bt = W^T)
 * A: [M, K] at ao, Bt: [K, N] (at 0), bias: [N] | null, C: [M, N] at co. The same values and
 * order as gemmABt(A, W, bias) — only the weight layout differs (rows of Bt are contiguous in n,
 * which is what the SIMD kernel wants).
 */
export function gemmABias(
  A: Float64Array, ao: number, Bt: Float64Array, bias: Float64Array | null, C: Float64Array, co: number, M: number, K: number, N: number,
): void {
  if (wasmAB(A, ao, Bt, bias, C, co, M, K, N, bias !== null ? 1 : 0)) return;
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = ao + m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < N4; n += 4) {
      const z0 = bias !== null ? bias[n] : 0, z1 = bias !== null ? bias[n + 1] : 0;
      const z2 = bias !== null ? bias[n + 2] : 0, z3 = bias !== null ? bias[n + 3] : 0;
      let c00 = z0, c01 = z1, c02 = z2, c03 = z3;
      let c10 = z0, c11 = z1, c12 = z2, c13 = z3;
      let c20 = z0, c21 = z1, c22 = z2, c23 = z3;
      let c30 = z0, c31 = z1, c32 = z2, c33 = z3;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const bk = k * N + n;
        const w0 = Bt[bk], w1 = Bt[bk + 1], w2 = Bt[bk + 2], w3 = Bt[bk + 3];
        c00 += x0 * w0; c01 += x0 * w1; c02 += x0 * w2; c03 += x0 * w3;
        c10 += x1 * w0; c11 += x1 * w1; c12 += x1 * w2; c13 += x1 * w3;
        c20 += x2 * w0; c21 += x2 * w1; c22 += x2 * w2; c23 += x2 * w3;
        c30 += x3 * w0; c31 += x3 * w1; c32 += x3 * w2; c33 += x3 * w3;
      }
      const o0 = co + m * N + n, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
      C[o0] = c00; C[o0 + 1] = c01; C[o0 + 2] = c02; C[o0 + 3] = c03;
      C[o1] = c10; C[o1 + 1] = c11; C[o1 + 2] = c12; C[o1 + 3] = c13;
      C[o2] = c20; C[o2 + 1] = c21; C[o2 + 2] = c22; C[o2 + 3] = c23;
      C[o3] = c30; C[o3 + 1] = c31; C[o3 + 2] = c32; C[o3 + 3] = c33;
    }
    for (let n = N4; n < N; n++) {
      const z = bias !== null ? bias[n] : 0;
      let c0 = z, c1 = z, c2 = z, c3 = z;
      for (let k = 0; k < K; k++) {
        const w = Bt[k * N + n];
        c0 += A[a0 + k] * w; c1 += A[a1 + k] * w; c2 += A[a2 + k] * w; c3 += A[a3 + k] * w;
      }
      const o0 = co + m * N + n;
      C[o0] = c0; C[o0 + N] = c1; C[o0 + 2 * N] = c2; C[o0 + 3 * N] = c3;
    }
  }
  for (let m = M4; m < M; m++) {
    const a0 = ao + m * K;
    const o = co + m * N;
    for (let n = 0; n < N4; n += 4) {
      let c0 = bias !== null ? bias[n] : 0, c1 = bias !== null ? bias[n + 1] : 0;
      let c2 = bias !== null ? bias[n + 2] : 0, c3 = bias !== null ? bias[n + 3] : 0;
      for (let k = 0; k < K; k++) {
        const x = A[a0 + k];
        const bk = k * N + n;
        c0 += x * Bt[bk]; c1 += x * Bt[bk + 1]; c2 += x * Bt[bk + 2]; c3 += x * Bt[bk + 3];
      }
      C[o + n] = c0; C[o + n + 1] = c1; C[o + n + 2] = c2; C[o + n + 3] = c3;
    }
    for (let n = N4; n < N; n++) {
      let c = bias !== null ? bias[n] : 0;
      for (let k = 0; k < K; k++) c += A[a0 + k] * Bt[k * N + n];
      C[o + n] = c;
    }
  }
}

/**
 * C[m, n] += Σ_k A[m, k] · B[k, n]      (C += A B)
 * A: [M, K] at ao, B: [K, N] (at 0), C: [M, N] at co.
 */
export function gemmAddAB(
  A: Float64Array, ao: number, B: Float64Array, C: Float64Array, co: number, M: number, K: number, N: number,
): void {
  if (wasmAB(A, ao, B, null, C, co, M, K, N, 2)) return;
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = ao + m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < N4; n += 4) {
      const o0 = co + m * N + n, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
      let c00 = C[o0], c01 = C[o0 + 1], c02 = C[o0 + 2], c03 = C[o0 + 3];
      let c10 = C[o1], c11 = C[o1 + 1], c12 = C[o1 + 2], c13 = C[o1 + 3];
      let c20 = C[o2], c21 = C[o2 + 1], c22 = C[o2 + 2], c23 = C[o2 + 3];
      let c30 = C[o3], c31 = C[o3 + 1], c32 = C[o3 + 2], c33 = C[o3 + 3];
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const bk = k * N + n;
        const w0 = B[bk], w1 = B[bk + 1], w2 = B[bk + 2], w3 = B[bk + 3];
        c00 += x0 * w0; c01 += x0 * w1; c02 += x0 * w2; c03 += x0 * w3;
        c10 += x1 * w0; c11 += x1 * w1; c12 += x1 * w2; c13 += x1 * w3;
        c20 += x2 * w0; c21 += x2 * w1; c22 += x2 * w2; c23 += x2 * w3;
        c30 += x3 * w0; c31 += x3 * w1; c32 += x3 * w2; c33 += x3 * w3;
      }
      C[o0] = c00; C[o0 + 1] = c01; C[o0 + 2] = c02; C[o0 + 3] = c03;
      C[o1] = c10; C[o1 + 1] = c11; C[o1 + 2] = c12; C[o1 + 3] = c13;
      C[o2] = c20; C[o2 + 1] = c21; C[o2 + 2] = c22; C[o2 + 3] = c23;
      C[o3] = c30; C[o3 + 1] = c31; C[o3 + 2] = c32; C[o3 + 3] = c33;
    }
    for (let n = N4; n < N; n++) {
      const o0 = co + m * N + n;
      let c0 = C[o0], c1 = C[o0 + N], c2 = C[o0 + 2 * N], c3 = C[o0 + 3 * N];
      for (let k = 0; k < K; k++) {
        const w = B[k * N + n];
        c0 += A[a0 + k] * w; c1 += A[a1 + k] * w; c2 += A[a2 + k] * w; c3 += A[a3 + k] * w;
      }
      C[o0] = c0; C[o0 + N] = c1; C[o0 + 2 * N] = c2; C[o0 + 3 * N] = c3;
    }
  }
  for (let m = M4; m < M; m++) {
    // Leftover rows: 1×4 tiles, then single elements.
    const a0 = ao + m * K;
    const o = co + m * N;
    for (let n = 0; n < N4; n += 4) {
      let c0 = C[o + n], c1 = C[o + n + 1], c2 = C[o + n + 2], c3 = C[o + n + 3];
      for (let k = 0; k < K; k++) {
        const x = A[a0 + k];
        const bk = k * N + n;
        c0 += x * B[bk]; c1 += x * B[bk + 1]; c2 += x * B[bk + 2]; c3 += x * B[bk + 3];
      }
      C[o + n] = c0; C[o + n + 1] = c1; C[o + n + 2] = c2; C[o + n + 3] = c3;
    }
    for (let n = N4; n < N; n++) {
      let c = C[o + n];
      for (let k = 0; k < K; k++) c += A[a0 + k] * B[k * N + n];
      C[o + n] = c;
    }
  }
}

/** Rows per pass of gemmAddAtB: a tile of A and B rows stays in cache while C's tiles cycle. */
const ROW_TILE = 64;

/**
 * C[m, n] += Σ_r A[r, m] · B[r, n]      (C += Aᵀ B, e.g. dW += dGatesᵀ X)
 * A: [R, M], B: [R, N], C: [M, N]. Rows are taken in increasing r (tile by tile), so each C
 * element sees exactly the naive order.
 */
export function gemmAddAtB(A: Float64Array, B: Float64Array, R: number, M: number, N: number, C: Float64Array): void {
  if (wasmAtB(A, B, R, M, N, C)) return;
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let r0 = 0; r0 < R; r0 += ROW_TILE) {
    const r1 = Math.min(R, r0 + ROW_TILE);
    for (let m = 0; m < M4; m += 4) {
      for (let n = 0; n < N4; n += 4) {
        const o0 = m * N + n, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
        let c00 = C[o0], c01 = C[o0 + 1], c02 = C[o0 + 2], c03 = C[o0 + 3];
        let c10 = C[o1], c11 = C[o1 + 1], c12 = C[o1 + 2], c13 = C[o1 + 3];
        let c20 = C[o2], c21 = C[o2 + 1], c22 = C[o2 + 2], c23 = C[o2 + 3];
        let c30 = C[o3], c31 = C[o3 + 1], c32 = C[o3 + 2], c33 = C[o3 + 3];
        for (let r = r0; r < r1; r++) {
          const ar = r * M + m;
          const br = r * N + n;
          const x0 = A[ar], x1 = A[ar + 1], x2 = A[ar + 2], x3 = A[ar + 3];
          const w0 = B[br], w1 = B[br + 1], w2 = B[br + 2], w3 = B[br + 3];
          c00 += x0 * w0; c01 += x0 * w1; c02 += x0 * w2; c03 += x0 * w3;
          c10 += x1 * w0; c11 += x1 * w1; c12 += x1 * w2; c13 += x1 * w3;
          c20 += x2 * w0; c21 += x2 * w1; c22 += x2 * w2; c23 += x2 * w3;
          c30 += x3 * w0; c31 += x3 * w1; c32 += x3 * w2; c33 += x3 * w3;
        }
        C[o0] = c00; C[o0 + 1] = c01; C[o0 + 2] = c02; C[o0 + 3] = c03;
        C[o1] = c10; C[o1 + 1] = c11; C[o1 + 2] = c12; C[o1 + 3] = c13;
        C[o2] = c20; C[o2 + 1] = c21; C[o2 + 2] = c22; C[o2 + 3] = c23;
        C[o3] = c30; C[o3 + 1] = c31; C[o3 + 2] = c32; C[o3 + 3] = c33;
      }
      for (let n = N4; n < N; n++) {
        let c0 = C[m * N + n], c1 = C[(m + 1) * N + n], c2 = C[(m + 2) * N + n], c3 = C[(m + 3) * N + n];
        for (let r = r0; r < r1; r++) {
          const w = B[r * N + n];
          const ar = r * M + m;
          c0 += A[ar] * w; c1 += A[ar + 1] * w; c2 += A[ar + 2] * w; c3 += A[ar + 3] * w;
        }
        C[m * N + n] = c0; C[(m + 1) * N + n] = c1; C[(m + 2) * N + n] = c2; C[(m + 3) * N + n] = c3;
      }
    }
    for (let m = M4; m < M; m++) {
      for (let r = r0; r < r1; r++) {
        const x = A[r * M + m];
        const br = r * N;
        const o = m * N;
        for (let n = 0; n < N; n++) C[o + n] += x * B[br + n];
      }
    }
  }
}

/** c[j] += Σ_r A[r, j] (r increasing).   A: [R, M], c: [M] */
export function addColSum(A: Float64Array, R: number, M: number, c: Float64Array): void {
  if (wasmColSum(A, R, M, c)) return;
  for (let r = 0; r < R; r++) {
    const ao = r * M;
    for (let j = 0; j < M; j++) c[j] += A[ao + j];
  }
}
