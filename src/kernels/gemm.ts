// Dense helpers over flat row-major matrices, used by the recurrent layer kernels. Accumulation
// is in JS doubles; the destination decides the rounding (Float64Array workspaces here).
// Every inner loop runs over a contiguous row.

export type Floats = Float32Array | Float64Array;

/** Y[r, o] = b[o] + Σ_k X[r, k] · W[o, k]   (Y = X W^T + b)
 *  X: [rows, inF], W: [outF, inF], b: [outF] | null, Y: [rows, outF] */
export function linearRows(
  X: Floats, rows: number, inF: number, W: Floats, outF: number, b: Floats | null, Y: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = r * inF;
    const yo = r * outF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      let s = b !== null ? b[o] : 0;
      for (let k = 0; k < inF; k++) s += X[xo + k] * W[wo + k];
      Y[yo + o] = s;
    }
  }
}

/** C += A^T B.   A: [rows, m], B: [rows, n], C: [m, n] */
export function addATB(A: Float64Array, B: Floats | Float64Array, rows: number, m: number, n: number, C: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const ao = r * m;
    const bo = r * n;
    for (let i = 0; i < m; i++) {
      const a = A[ao + i];
      if (a === 0) continue;
      const co = i * n;
      for (let j = 0; j < n; j++) C[co + j] += a * B[bo + j];
    }
  }
}

/** C += A W.   A: [rows, m], W: [m, n], C: [rows, n] */
export function addAW(A: Float64Array, W: Floats, rows: number, m: number, n: number, C: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const ao = r * m;
    const co = r * n;
    for (let i = 0; i < m; i++) {
      const a = A[ao + i];
      if (a === 0) continue;
      const wo = i * n;
      for (let j = 0; j < n; j++) C[co + j] += a * W[wo + j];
    }
  }
}

/** c[j] += Σ_r A[r, j].   A: [rows, m], c: [m] */
export function addColSum(A: Float64Array, rows: number, m: number, c: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const ao = r * m;
    for (let j = 0; j < m; j++) c[j] += A[ao + j];
  }
}
