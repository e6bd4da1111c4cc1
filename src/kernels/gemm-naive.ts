// Reference twin of gemm.ts: the textbook triple loops, one multiply-add at a time, in the order
// gemm.ts promises (start value, then increasing summed index). Tests require bit equality.

/** C = A Bᵀ + bias.  A: [M, K] at ao, B: [N, K] at bo, C: [M, N] at co. */
export function gemmABtNaive(
  A: Float64Array, ao: number, B: Float64Array, bo: number, bias: Float64Array | null,
  C: Float64Array, co: number, M: number, N: number, K: number,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias !== null ? bias[n] : 0;
      for (let k = 0; k < K; k++) s += A[ao + m * K + k] * B[bo + n * K + k];
      C[co + m * N + n] = s;
    }
  }
}

/** C += A B.  A: [M, K] at ao, B: [K, N], C: [M, N] at co. */
export function gemmAddABNaive(
  A: Float64Array, ao: number, B: Float64Array, C: Float64Array, co: number, M: number, K: number, N: number,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = C[co + m * N + n];
      for (let k = 0; k < K; k++) s += A[ao + m * K + k] * B[k * N + n];
      C[co + m * N + n] = s;
    }
  }
}

/** C += Aᵀ B.  A: [R, M], B: [R, N], C: [M, N]. */
export function gemmAddAtBNaive(A: Float64Array, B: Float64Array, R: number, M: number, N: number, C: Float64Array): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = C[m * N + n];
      for (let r = 0; r < R; r++) s += A[r * M + m] * B[r * N + n];
      C[m * N + n] = s;
    }
  }
}
