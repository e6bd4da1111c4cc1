// Float32 matrix products for float32 models: the SIMD kernel (src/runtime/wasm/gemm32.wat) when
// every operand lives in WASM memory (allocF32 workspaces; or all in the private memory, on that
// memory's instance: src/runtime/wasm/private-memory.ts), else its JS twin (gemm32-naive.ts) — the
// same bits either way. Offsets and strides are in elements.
import { allocF32, inWasmMemory, release } from './gemm-wasm.js';
import { gemm32Kernel, gemm32Matvec, kernelCounts } from '../runtime/wasm/gemm32.js';
import type { Matvec32 } from '../runtime/wasm/gemm32.js';
import { gemm32Naive, transpose32Naive } from './gemm32-naive.js';
import { cells32Kernels } from '../runtime/wasm/cells32.js';
import { setF32 } from '../runtime/wasm/copy.js';
import { inPrivateMemory, lastPrivate, privateGemm32 } from '../runtime/wasm/private-memory.js';

/** Rows of the summed dimension per Aᵀ·B call: a tile of A's and B's rows stays in cache while C's tiles cycle. */
const ROW_TILE = 64;

/** Whether the float32 SIMD kernel is available (the float32 fast path of the modules needs it). */
export function gemm32Available(): boolean {
  return gemm32Kernel() !== null;
}

/** The general strided product, see gemm32Naive. */
export function gemm32(
  A: Float32Array, aOff: number, aRow: number, aStep: number, B: Float32Array, bOff: number, bStep: number,
  bias: Float32Array | null, C: Float32Array, cOff: number, M: number, K: number, N: number, mode: 0 | 1 | 2,
): void {
  if (M <= 0 || N <= 0) return;
  let tiles = gemm32Kernel();
  let matvec: Matvec32 | null = null;
  if (lastPrivate(A) && lastPrivate(B) && lastPrivate(C) && mode !== 1) {
    const p = privateGemm32()!; // a one-sequence walk's workspace (all three operands, one view)
    tiles = p.tiles;
    matvec = p.matvec;
  } else if (tiles !== null && inWasmMemory(A) && inWasmMemory(B) && inWasmMemory(C) && (mode !== 1 || inWasmMemory(bias!))) {
    matvec = gemm32Matvec();
  } else {
    // The private memory's instance (one-sequence work, src/runtime/wasm/private-memory.ts), or the twin
    const p = inPrivateMemory(A) && inPrivateMemory(B) && inPrivateMemory(C) && (mode !== 1 || inPrivateMemory(bias!)) ? privateGemm32() : null;
    if (p === null) {
      gemm32Naive(A, aOff, aRow, aStep, B, bOff, bStep, bias, C, cOff, M, K, N, mode);
      return;
    }
    tiles = p.tiles;
    matvec = p.matvec;
  }
  kernelCounts.gemm32++;
  if (N === 1 && aStep === 1 && bStep === 1) {
    // A matrix times a contiguous column: the matvec kernel (the same sums, lanes over rows)
    matvec!(A.byteOffset + 4 * aOff, 4 * aRow, B.byteOffset + 4 * bOff, mode === 1 ? bias!.byteOffset : 0, C.byteOffset + 4 * cOff, M, K, mode);
    return;
  }
  tiles(A.byteOffset + 4 * aOff, 4 * aRow, 4 * aStep, B.byteOffset + 4 * bOff, 4 * bStep, mode === 1 ? bias!.byteOffset : 0,
    C.byteOffset + 4 * cOff, M, K, N, mode);
}

/**
 * The matrix-vector kernel for products whose operands all lie in workspace `w` (on its memory's
 * instance), or null when `w` is in neither WASM memory (then gemm32 runs the JS twin). A walk
 * looks it up once instead of at each step; each call is a gemm32 with N = 1 and unit steps.
 */
export function matvec32For(w: Float32Array): Matvec32 | null {
  if (lastPrivate(w)) return privateGemm32()!.matvec;
  if (gemm32Kernel() !== null && inWasmMemory(w)) return gemm32Matvec();
  return inPrivateMemory(w) ? privateGemm32()!.matvec : null;
}

/** C[M, N] (at cOff) = start + A[M, K]·B[K, N]: mode 0 (start 0), 1 (bias[n]), 2 (C += A·B). */
export function gemm32AB(
  A: Float32Array, aOff: number, B: Float32Array, bOff: number, bias: Float32Array | null,
  C: Float32Array, cOff: number, M: number, K: number, N: number, mode: 0 | 1 | 2,
): void {
  gemm32(A, aOff, K, 1, B, bOff, N, bias, C, cOff, M, K, N, mode);
}

/**
 * C[M, N] (at cOff) += A[R, M]ᵀ·B[R, N], summed over r increasing (in row tiles: the same order).
 * `aStride` (default M): elements between A's rows, so that M columns of a wider A (a range of
 * C's rows) are one call — each element of C gets the same sum in the same order either way.
 */
export function gemm32AtB(
  A: Float32Array, aOff: number, B: Float32Array, bOff: number, R: number, M: number, N: number, C: Float32Array, cOff: number,
  aStride = M,
): void {
  for (let r0 = 0; r0 < R; r0 += ROW_TILE) {
    const n = Math.min(ROW_TILE, R - r0);
    gemm32(A, aOff + r0 * aStride, 1, aStride, B, bOff + r0 * N, N, null, C, cOff, M, n, N, 2);
  }
}

let tsrc: Float32Array = new Float32Array(0); // transpose32's copy of a source outside WASM memory
/**
 * dst[dOff + c·rows + r] = src[sOff + r·cols + c]: [rows, cols] → [cols, rows]. With dst in WASM
 * memory, the SIMD kernel (move32.wat: 4×4 blocks turned by shuffles), from a copy of src in WASM
 * memory when src is elsewhere (a weight); else transpose32Naive. A copy either way: the same bits.
 */
export function transpose32(src: Float32Array, sOff: number, rows: number, cols: number, dst: Float32Array, dOff: number): void {
  const n = rows * cols;
  const k = n >= 64 && inWasmMemory(dst) ? cells32Kernels() : null;
  if (k !== null) {
    let s = src, so = sOff;
    if (!inWasmMemory(src)) {
      if (tsrc.length < n || !inWasmMemory(tsrc)) { // too small, or from a memory since replaced
        const next = allocF32(Math.max(n, 2 * tsrc.length), false);
        if (inWasmMemory(next)) {
          release(tsrc);
          tsrc = next;
        }
      }
      if (tsrc.length >= n && inWasmMemory(tsrc)) {
        setF32(tsrc, src.subarray(sOff, sOff + n));
        s = tsrc;
        so = 0;
      }
    }
    if (inWasmMemory(s)) {
      k.transpose32(s.byteOffset + 4 * so, rows, cols, dst.byteOffset + 4 * dOff);
      return;
    }
  }
  transpose32Naive(src, sOff, rows, cols, dst, dOff);
}

let ones: Float32Array = new Float32Array(0); // [n] of 1 in WASM memory: the left operand of colSum32
/**
 * c[cOff + j] += Σ_r A[aOff + r·stride + j], j < M (r increasing) as onesᵀ·A — 1·x is exact, so
 * each column is the plain float32 running sum. `stride` (default M): elements between A's rows.
 */
export function colSum32(A: Float32Array, aOff: number, R: number, M: number, c: Float32Array, cOff: number, stride = M): void {
  if (ones.length < R) {
    release(ones);
    ones = allocF32(Math.max(R, 2 * ones.length, 256)).fill(1);
  }
  gemm32(ones, 0, 1, 1, A, aOff, stride, null, c, cOff, 1, R, M, 2);
}
