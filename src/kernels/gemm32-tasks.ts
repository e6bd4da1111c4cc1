// Large float32 products shared with the second thread (src/runtime/threads/pool.ts): the rows of
// C split at about this thread's share, the worker computing the others with the same kernel, on
// a workspace in the shared WASM memory given by its byte address. Each element of C is one
// float32 sum in a fixed order whatever the extent of the call (gemm32.ts), so one thread or two
// give the same bits (test/threads-layer.test.ts). nn.Linear's products go through here
// (src/nn/linear32.ts); a product under threadTuning.minProductWork multiply-adds stays on this thread.
import { gemm32AB, gemm32AtB } from './gemm32.js';
import { inWasmMemory, viewOf } from './gemm-wasm.js';
import { helperFor, threadTuning } from '../runtime/threads/pool.js';
import { registerTask } from '../runtime/threads/tasks.js';

// Arguments: the workspace's byte address and length (elements), then abRows' / atbRows' own.
export const TASK_GEMM_AB = 4; // + aOff, bOff, biasOff, cOff, K, N, mode, m0, m1
export const TASK_GEMM_ATB = 5; // + aOff, bOff, cOff, R, M, N, m0, m1

/**
 * Rows [m0, m1) of C[M, N] (at cOff) = start + A[M, K]·B[K, N] (at aOff, bOff), all in workspace
 * `w`: start 0 (mode 0), the bias row at biasOff (mode 1), C itself (mode 2).
 */
export function abRows(w: Float32Array, aOff: number, bOff: number, biasOff: number, cOff: number, K: number, N: number, mode: 0 | 1 | 2, m0: number, m1: number): void {
  const bias = mode === 1 ? w.subarray(biasOff, biasOff + N) : null;
  gemm32AB(w, aOff + m0 * K, w, bOff, bias, w, cOff + m0 * N, m1 - m0, K, N, mode);
}

/** Rows [m0, m1) of C[M, N] (at cOff) += A[R, M]ᵀ·B[R, N] (at aOff, bOff), all in workspace `w`. */
export function atbRows(w: Float32Array, aOff: number, bOff: number, cOff: number, R: number, M: number, N: number, m0: number, m1: number): void {
  gemm32AtB(w, aOff + m0, w, bOff, R, m1 - m0, N, w, cOff + m0 * N, M);
}

/** The worker when a product of `work` multiply-adds over `w` should be shared now, else null. */
function helper(w: Float32Array, rows: number, work: number) {
  return rows > 1 && inWasmMemory(w) ? helperFor(work, threadTuning.minProductWork) : null;
}

/** C = start + A·B as abRows over all M rows, shared with the worker when it is large. */
export function gemm32ABShared(w: Float32Array, aOff: number, bOff: number, biasOff: number, cOff: number, M: number, K: number, N: number, mode: 0 | 1 | 2): void {
  const h = mode === 2 ? null : helper(w, M, M * K * N);
  if (h === null) {
    abRows(w, aOff, bOff, biasOff, cOff, K, N, mode, 0, M);
    return;
  }
  const mid = Math.min(M - 1, Math.max(1, Math.round(h.share * M)));
  h.post(TASK_GEMM_AB, [w.byteOffset, w.length, aOff, bOff, biasOff, cOff, K, N, mode, mid, M]);
  abRows(w, aOff, bOff, biasOff, cOff, K, N, mode, 0, mid);
  // The worker's share, here (not started, or failed: modes 0 and 1 write C afresh; mode 2 is not shared)
  if (!h.join()) abRows(w, aOff, bOff, biasOff, cOff, K, N, mode, mid, M);
}

/**
 * C += Aᵀ·B as atbRows over all M rows of C, shared with the worker when it is large. A worker
 * that fails may leave its rows half accumulated: `restore(m0, m1)` puts C's rows [m0, m1) back
 * as they were before they are redone here.
 */
export function gemm32AtBShared(
  w: Float32Array, aOff: number, bOff: number, cOff: number, R: number, M: number, N: number, restore: (m0: number, m1: number) => void,
): void {
  const h = M >= 8 ? helper(w, M, R * M * N) : null;
  if (h === null) {
    atbRows(w, aOff, bOff, cOff, R, M, N, 0, M);
    return;
  }
  // A multiple of 4: both shares read A's columns from a 16-byte boundary.
  const mid = Math.min(M - 4, Math.max(4, 4 * Math.round((h.share * M) / 4)));
  h.post(TASK_GEMM_ATB, [w.byteOffset, w.length, aOff, bOff, cOff, R, M, N, mid, M]);
  atbRows(w, aOff, bOff, cOff, R, M, N, 0, mid);
  if (!h.join()) {
    restore(mid, M);
    atbRows(w, aOff, bOff, cOff, R, M, N, mid, M);
  }
}

registerTask(TASK_GEMM_AB, (a) => {
  const w = viewOf(1, a[0], a[1]) as Float32Array;
  abRows(w, a[2], a[3], a[4], a[5], a[6], a[7], a[8] as 0 | 1 | 2, a[9], a[10]);
});

registerTask(TASK_GEMM_ATB, (a) => {
  const w = viewOf(1, a[0], a[1]) as Float32Array;
  atbRows(w, a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
});
