// The JS twin of the float32 SIMD product (src/runtime/wasm/gemm32.wat): the same loops over the
// same strided operands, every product and every sum rounded to float32 (Math.fround) in the
// kernel's order — the start value, then k increasing — so the two give the same bits.

/**
 * C[cOff + m·N + n] = start + Σ_k A[aOff + m·aRow + k·aStep] · B[bOff + k·bStep + n]
 * (strides in elements); start = 0 (mode 0), bias[n] (mode 1), C's value (mode 2).
 */
export function gemm32Naive(
  A: Float32Array, aOff: number, aRow: number, aStep: number, B: Float32Array, bOff: number, bStep: number,
  bias: Float32Array | null, C: Float32Array, cOff: number, M: number, K: number, N: number, mode: 0 | 1 | 2,
): void {
  const f = Math.fround;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const o = cOff + m * N + n;
      let s = mode === 2 ? C[o] : mode === 1 ? bias![n] : 0;
      let pa = aOff + m * aRow;
      let pb = bOff + n;
      for (let k = 0; k < K; k++) {
        s = f(s + f(A[pa] * B[pb]));
        pa += aStep;
        pb += bStep;
      }
      C[o] = s;
    }
  }
}

/**
 * dst[dOff + c·rows + r] = src[sOff + r·cols + c]: [rows, cols] → [cols, rows] (transpose32's twin).
 * dst is written in order and src read with a stride: the other way round, writes `rows` elements
 * apart (2 KiB for a 512-row weight) keep landing in the same cache sets, and a 512×128 transpose
 * takes 5× longer.
 */
export function transpose32Naive(src: Float32Array, sOff: number, rows: number, cols: number, dst: Float32Array, dOff: number): void {
  for (let c = 0; c < cols; c++) {
    const d = dOff + c * rows;
    for (let r = 0, s = sOff + c; r < rows; r++, s += cols) dst[d + r] = src[s];
  }
}
