// RnnClsNet's Linear head and its cross-entropy loss, as the autograd path computes them: one row
// forward (headRow, shared by the batch kernel rnn-cls-net.ts and the single-sequence one
// rnn-cls-one.ts), the loss's gradient row by row, and the weight's gradient over the batch.

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

/**
 * Forward and loss gradient of the sorted sequences lo ≤ i < hi (b = order[i]; rows independent,
 * so two threads can share a batch): logits row b = headRow(h row i); lse[b] = m + log Σ exp(x − m);
 * dL row b = (softmax − onehot)/B stored float32; dH row i = dL_b W (double sum, j increasing) —
 * d loss / d h. h [B, H] in sorted order, fcW [C, H], targets/logits/lse/dL in batch order.
 */
export function headLossRows(
  h: Float32Array, order: Int32Array, lo: number, hi: number, fcW: Float32Array, fcB: Float32Array, H: number, C: number,
  B: number, targets: ArrayLike<number>, logits: Float32Array, lse: Float64Array, dL: Float32Array, dH: Float32Array,
): void {
  const x = logits;
  const a = 1 / B;
  for (let i = lo; i < hi; i++) {
    const b = order[i];
    const base = b * C;
    headRow(h, i * H, fcW, fcB, H, C, x, base);
    let m = -Infinity;
    for (let c = 0; c < C; c++) if (x[base + c] > m) m = x[base + c];
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(x[base + c] - m);
    const l = m === -Infinity ? -Infinity : m + Math.log(z);
    lse[b] = l;
    const t = targets[b];
    for (let c = 0; c < C; c++) {
      let d = a * Math.exp(x[base + c] - l);
      if (c === t) d -= a;
      dL[base + c] = d;
    }
    // dH[i, k] = Σ_j dL[b, j]·W[j, k] (double sums, j increasing), eight k at a time, then one.
    const ho = i * H;
    let k = 0;
    for (; k + 8 <= H; k += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let j = 0; j < C; j++) {
        const d = dL[base + j];
        const wo = j * H + k;
        s0 += d * fcW[wo]; s1 += d * fcW[wo + 1]; s2 += d * fcW[wo + 2]; s3 += d * fcW[wo + 3];
        s4 += d * fcW[wo + 4]; s5 += d * fcW[wo + 5]; s6 += d * fcW[wo + 6]; s7 += d * fcW[wo + 7];
      }
      const o = ho + k;
      dH[o] = s0; dH[o + 1] = s1; dH[o + 2] = s2; dH[o + 3] = s3; dH[o + 4] = s4; dH[o + 5] = s5; dH[o + 6] = s6; dH[o + 7] = s7;
    }
    for (; k < H; k++) {
      let s = 0;
      for (let j = 0; j < C; j++) s += dL[base + j] * fcW[j * H + k];
      dH[ho + k] = s;
    }
  }
}

/**
 * The weight's gradient gW [C, H]: gW[j, k] = Σ_b h[pos[b], k]·dL[b, j] with a float32
 * accumulator per element over b in order, zero h skipped — what the Float32Array += of
 * ops.matmul's backward does — four j at a time.
 */
export function headWeightGrad(h: Float32Array, pos: Int32Array, dL: Float32Array, B: number, H: number, C: number, gW: Float32Array): void {
  const fr = Math.fround;
  const C4 = C - (C % 4);
  for (let k = 0; k < H; k++) {
    for (let j = 0; j < C4; j += 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let b = 0; b < B; b++) {
        const v = h[pos[b] * H + k];
        if (v === 0) continue;
        const d = b * C + j;
        a0 = fr(a0 + v * dL[d]); a1 = fr(a1 + v * dL[d + 1]); a2 = fr(a2 + v * dL[d + 2]); a3 = fr(a3 + v * dL[d + 3]);
      }
      gW[j * H + k] = a0; gW[(j + 1) * H + k] = a1; gW[(j + 2) * H + k] = a2; gW[(j + 3) * H + k] = a3;
    }
    for (let j = C4; j < C; j++) {
      let acc = 0;
      for (let b = 0; b < B; b++) {
        const v = h[pos[b] * H + k];
        if (v === 0) continue;
        acc = fr(acc + v * dL[b * C + j]);
      }
      gW[j * H + k] = acc;
    }
  }
}
