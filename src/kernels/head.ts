// RnnClsNet's Linear head on one row, as the autograd path computes it — shared by the batch
// kernel (rnn-cls-net.ts) and the single-sequence one (rnn-cls-one.ts).

/**
 * out[oo + j] = b[j] + Σ_k x[xo + k]·W[j, k], accumulated in float32 skipping zero inputs, then
 * the bias added (float32) — the arithmetic of the autograd Linear (ops.ts matmul + add) on one
 * row. x holds float32 values; fcW [C, H], fcB [C]. Four outputs at a time: four independent
 * rounding chains instead of one latency-bound chain (each keeps its own k order: the same bits).
 */
export function headRow(x: ArrayLike<number>, xo: number, fcW: Float32Array, fcB: Float32Array, H: number, C: number, out: Float32Array, oo = 0): void {
  const fr = Math.fround;
  const C4 = C - (C % 4);
  for (let j = 0; j < C4; j += 4) {
    const w0 = j * H, w1 = w0 + H, w2 = w1 + H, w3 = w2 + H;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let k = 0; k < H; k++) {
      const a = x[xo + k];
      if (a === 0) continue;
      a0 = fr(a0 + a * fcW[w0 + k]); a1 = fr(a1 + a * fcW[w1 + k]);
      a2 = fr(a2 + a * fcW[w2 + k]); a3 = fr(a3 + a * fcW[w3 + k]);
    }
    const o = oo + j;
    out[o] = a0 + fcB[j]; out[o + 1] = a1 + fcB[j + 1]; out[o + 2] = a2 + fcB[j + 2]; out[o + 3] = a3 + fcB[j + 3];
  }
  for (let j = C4; j < C; j++) {
    let acc = 0;
    for (let k = 0; k < H; k++) {
      const a = x[xo + k];
      if (a === 0) continue;
      acc = fr(acc + a * fcW[j * H + k]);
    }
    out[oo + j] = acc + fcB[j]; // float32 store rounds
  }
}
