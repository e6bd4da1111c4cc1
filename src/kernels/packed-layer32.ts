// One direction of one recurrent layer over a packed batch in float32, for float32 models: the
// packed algorithm of packed-layer.ts (same layout, same walk) with every product a float32 SIMD
// product (gemm32.ts) over workspaces in WASM memory, and the cells in float32.
//
// Forward:  GI = X·W_ihᵀ + b_ih for all rows in one product; per step t, GH = h_prev·W_hhᵀ + b_hh
// over the bs[t] active rows, then the cell. Products take Wᵀ, made once per call.
// Backward: the mirror walk; per step dh_prev = dGH·W_hh (one product over the active rows); after
// the walk the weight gradients are one product each over all rows: dW_ih += dGIᵀ·X,
// dW_hh += dGHᵀ·Hprev, the bias gradients column sums, dX = dGI·W_ih.
//
// Cells: each value is computed in double from float32 operands and stored as float32 (one
// rounding per stored value). tanh is recur's own (cells/tanh.ts, within 4 ulp of Math.tanh, the
// same bits on every engine); σ(v) = 1 / (1 + e^−v) with e^−v from the same tanh:
// σ(v) = (1 + tanh(v/2)) / 2.
//
// Memory: one workspace block per call (allocF32) holds the inputs, Wᵀ, the scratch and the tape;
// the caller releases it (Layer32.release) after backward, or when its graph is collected.
// Shapes: In, H (= Hout: no projection), G gates (RNN 1, GRU 3, LSTM 4), GH = G·H.
import { allocF32, release } from './gemm-wasm.js';
import { colSum32, gemm32AB, gemm32AtB, transpose32 } from './gemm32.js';
import { tanh } from './cells/tanh.js';
import type { CellMode } from './packed-layer.js';

const sigmoid = (v: number): number => 0.5 + 0.5 * tanh(0.5 * v);

export interface Layer32Params {
  wIh: Float32Array; // [GH, In]
  wHh: Float32Array; // [GH, H]
  bIh: Float32Array | null;
  bHh: Float32Array | null;
}

/** Saved width per row: RNN h (1), LSTM i f g o tanh(c) c (6), GRU r z n gh_n (4) — in units of H. */
const SAVED: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 6, GRU: 4 };
const GATES: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/**
 * b rows of the LSTM cell: gates gi (at gi, row stride 4H) + gh (at gh, stride 4H) → the state
 * h, c (at hs, cs, stride H) in place, the saved i f g o tanh(c) c (at sv, stride 6H), y (at yo).
 */
function lstmRows(w: Float32Array, y: Float32Array, b: number, H: number, gi0: number, gh0: number, sv0: number, hs0: number, cs0: number, yo: number): void {
  const GH = 4 * H, S = 6 * H;
  for (let i = 0; i < b; i++) {
    const gi = gi0 + i * GH, gh = gh0 + i * GH, sv = sv0 + i * S, hs = hs0 + i * H, cs = cs0 + i * H, yr = yo + i * H;
    for (let k = 0; k < H; k++) {
      const ig = sigmoid(w[gi + k] + w[gh + k]);
      const fg = sigmoid(w[gi + H + k] + w[gh + H + k]);
      const gg = tanh(w[gi + 2 * H + k] + w[gh + 2 * H + k]);
      const og = sigmoid(w[gi + 3 * H + k] + w[gh + 3 * H + k]);
      const c = Math.fround(fg * w[cs + k] + ig * gg);
      const tc = Math.fround(tanh(c));
      w[cs + k] = c;
      w[sv + k] = ig; w[sv + H + k] = fg; w[sv + 2 * H + k] = gg; w[sv + 3 * H + k] = og;
      w[sv + 4 * H + k] = tc;
      w[sv + 5 * H + k] = c;
      const h = og * tc;
      w[hs + k] = h;
      y[yr + k] = h;
    }
  }
}

/** b rows of the GRU cell (gates r z n, saved r z n gh_n at sv, stride 4H). */
function gruRows(w: Float32Array, y: Float32Array, b: number, H: number, gi0: number, gh0: number, sv0: number, hs0: number, yo: number): void {
  const GH = 3 * H, S = 4 * H;
  for (let i = 0; i < b; i++) {
    const gi = gi0 + i * GH, gh = gh0 + i * GH, sv = sv0 + i * S, hs = hs0 + i * H, yr = yo + i * H;
    for (let k = 0; k < H; k++) {
      const r = Math.fround(sigmoid(w[gi + k] + w[gh + k]));
      const z = Math.fround(sigmoid(w[gi + H + k] + w[gh + H + k]));
      const ghn = w[gh + 2 * H + k];
      const n = Math.fround(tanh(w[gi + 2 * H + k] + r * ghn));
      w[sv + k] = r; w[sv + H + k] = z; w[sv + 2 * H + k] = n; w[sv + 3 * H + k] = ghn;
      const h = (1 - z) * n + z * w[hs + k];
      w[hs + k] = h;
      y[yr + k] = h;
    }
  }
}

/** b rows of the Elman cell, tanh or relu (saved h at sv, stride H). */
function rnnRows(w: Float32Array, y: Float32Array, b: number, H: number, gi0: number, gh0: number, sv0: number, hs0: number, yo: number, relu: boolean): void {
  for (let i = 0; i < b; i++) {
    const gi = gi0 + i * H, gh = gh0 + i * H, sv = sv0 + i * H, hs = hs0 + i * H, yr = yo + i * H;
    for (let k = 0; k < H; k++) {
      const v = w[gi + k] + w[gh + k];
      const h = relu ? (v > 0 ? v : 0) : tanh(v);
      w[hs + k] = h;
      w[sv + k] = h;
      y[yr + k] = h;
    }
  }
}

/** A forward's workspace and tape; `release()` gives its WASM memory back (idempotent). */
export class Layer32 {
  private ws: Float32Array | null;
  readonly bytes: number;
  // offsets into ws (elements)
  private readonly oX: number; private readonly oWihT: number; private readonly oWhhT: number;
  private readonly oBih: number; private readonly oBhh: number; private readonly oGI: number;
  private readonly oGH: number; private readonly oHp: number; private readonly oCp: number;
  private readonly oSave: number; private readonly oH: number; private readonly oC: number;
  private readonly offs: Int32Array;

  constructor(
    readonly mode: CellMode, readonly In: number, readonly H: number, readonly bs: Int32Array, readonly B: number,
    readonly reverse: boolean,
  ) {
    const rows = bs.reduce((a, b) => a + b, 0);
    const GH = GATES[mode] * H;
    const lstm = mode === 'LSTM';
    let n = 0;
    const take = (k: number) => { const at = n; n += (k + 3) & ~3; return at; }; // 16-byte aligned blocks
    this.oX = take(rows * In);
    this.oWihT = take(In * GH);
    this.oWhhT = take(H * GH);
    this.oBih = take(GH);
    this.oBhh = take(GH);
    this.oGI = take(rows * GH);
    this.oGH = take(B * GH);
    this.oHp = take(rows * H);
    this.oCp = take(lstm ? rows * H : 0);
    this.oSave = take(rows * SAVED[mode] * H);
    this.oH = take(B * H);
    this.oC = take(lstm ? B * H : 0);
    this.ws = allocF32(n, false); // every element is written before it is read
    this.bytes = 4 * n;
    this.offs = new Int32Array(bs.length);
    for (let t = 1; t < bs.length; t++) this.offs[t] = this.offs[t - 1] + bs[t - 1];
  }

  release(): void {
    if (this.ws !== null) release(this.ws);
    this.ws = null;
  }

  private workspace(): Float32Array {
    if (this.ws === null) throw new Error('Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward(); recur has no retain_graph: run the forward again');
    return this.ws;
  }

  /** Runs the layer: writes y [rows, H], hN [B, H], cN [B, H] (LSTM). h0/c0 [B, H]. */
  forward(p: Layer32Params, x: Float32Array, h0: Float32Array, c0: Float32Array | null, y: Float32Array, hN: Float32Array, cN: Float32Array | null): void {
    const w = this.workspace();
    const { mode, In, H, bs, B } = this;
    const GH = GATES[mode] * H;
    const rows = this.offs.length ? this.offs[this.offs.length - 1] + bs[bs.length - 1] : 0;
    w.set(x.subarray(0, rows * In), this.oX);
    transpose32(p.wIh, 0, GH, In, w, this.oWihT);
    transpose32(p.wHh, 0, GH, H, w, this.oWhhT);
    if (p.bIh) w.set(p.bIh, this.oBih);
    else w.fill(0, this.oBih, this.oBih + GH);
    if (p.bHh) w.set(p.bHh, this.oBhh);
    else w.fill(0, this.oBhh, this.oBhh + GH);
    const { oGI, oGH, oH, oC, oHp, oCp, oSave } = this;
    gemm32AB(w, this.oX, w, this.oWihT, w.subarray(this.oBih, this.oBih + GH), w, oGI, rows, In, GH, 1);
    w.set(h0.subarray(0, B * H), oH);
    if (mode === 'LSTM') w.set(c0!.subarray(0, B * H), oC);
    const S = SAVED[mode] * H;
    const bhh = w.subarray(this.oBhh, this.oBhh + GH);
    const T = bs.length;
    for (let s = 0; s < T; s++) {
      const t = this.reverse ? T - 1 - s : s;
      const b = bs[t];
      const r0 = this.offs[t];
      w.copyWithin(oHp + r0 * H, oH, oH + b * H); // h_prev of these rows (the tape and the product's operand)
      gemm32AB(w, oHp + r0 * H, w, this.oWhhT, bhh, w, oGH, b, H, GH, 1);
      if (mode === 'LSTM') {
        w.copyWithin(oCp + r0 * H, oC, oC + b * H);
        lstmRows(w, y, b, H, oGI + r0 * GH, oGH, oSave + r0 * S, oH, oC, r0 * H);
      } else if (mode === 'GRU') {
        gruRows(w, y, b, H, oGI + r0 * GH, oGH, oSave + r0 * S, oH, r0 * H);
      } else {
        rnnRows(w, y, b, H, oGI + r0 * GH, oGH, oSave + r0 * S, oH, r0 * H, mode === 'RNN_RELU');
      }
    }
    hN.set(w.subarray(oH, oH + B * H));
    if (cN !== null) cN.set(w.subarray(oC, oC + B * H));
  }

  /**
   * Backward from dY [rows, H], dhN [B, H], dcN [B, H] (LSTM); adds into the given float32
   * gradients (null: not wanted). Reuses the forward's GH/GI/X space: GI becomes dGI.
   */
  backward(
    p: Layer32Params, dY: Float32Array, dhN: Float32Array, dcN: Float32Array | null,
    g: { dX: Float32Array | null; dh0: Float32Array | null; dc0: Float32Array | null; dWih: Float32Array | null; dWhh: Float32Array | null; dBih: Float32Array | null; dBhh: Float32Array | null },
  ): void {
    const w = this.workspace();
    const { mode, In, H, bs, B } = this;
    const GH = GATES[mode] * H;
    const S = SAVED[mode] * H;
    const T = bs.length;
    const rows = T ? this.offs[T - 1] + bs[T - 1] : 0;
    const { oGI, oH, oC, oHp, oCp, oSave } = this;
    const gru = mode === 'GRU';
    // dGH per row is needed for dW_hh after the walk: GRU's differs from dGI (the n block), kept in
    // a block of its own; the others share dGI. Whh (not transposed) is the product's right operand.
    const extra = allocF32((gru ? rows * GH : 0) + GH * H + B * H + 8, false);
    try {
      const oWhh = 0;
      extra.set(p.wHh, oWhh);
      const oDh = GH * H;
      const oDgh = oDh + B * H; // GRU only
      const dh = oDh;
      extra.set(dhN.subarray(0, B * H), dh);
      // dc lives in the state block oC of the workspace (free after forward)
      if (mode === 'LSTM') w.set(dcN!.subarray(0, B * H), oC);
      for (let s = 0; s < T; s++) {
        const t = this.reverse ? s : T - 1 - s;
        const b = bs[t];
        const r0 = this.offs[t];
        for (let i = 0; i < b; i++) {
          const yr = (r0 + i) * H, d = dh + i * H;
          for (let k = 0; k < H; k++) extra[d + k] += dY[yr + k];
        }
        if (mode === 'LSTM') {
          for (let i = 0; i < b; i++) {
            const sv = oSave + (r0 + i) * S, dg = oGI + (r0 + i) * GH, d = dh + i * H, dc = oC + i * H, cp = oCp + (r0 + i) * H;
            for (let k = 0; k < H; k++) {
              const ig = w[sv + k], fg = w[sv + H + k], gg = w[sv + 2 * H + k], og = w[sv + 3 * H + k], tc = w[sv + 4 * H + k];
              const dhk = extra[d + k];
              w[dc + k] = w[dc + k] + dhk * og * (1 - tc * tc);
              const dct = w[dc + k];
              w[dg + k] = dct * gg * ig * (1 - ig);
              w[dg + H + k] = dct * w[cp + k] * fg * (1 - fg);
              w[dg + 2 * H + k] = dct * ig * (1 - gg * gg);
              w[dg + 3 * H + k] = dhk * tc * og * (1 - og);
              w[dc + k] = dct * fg;
            }
          }
          gemm32AB(w, oGI + r0 * GH, extra, oWhh, null, extra, dh, b, GH, H, 0);
        } else if (gru) {
          for (let i = 0; i < b; i++) {
            const sv = oSave + (r0 + i) * S, dgi = oGI + (r0 + i) * GH, dgh = oDgh + (r0 + i) * GH, d = dh + i * H, hp = oHp + (r0 + i) * H;
            for (let k = 0; k < H; k++) {
              const r = w[sv + k], z = w[sv + H + k], n = w[sv + 2 * H + k], ghn = w[sv + 3 * H + k];
              const dhk = extra[d + k];
              const dan = dhk * (1 - z) * (1 - n * n);
              const daz = dhk * (w[hp + k] - n) * z * (1 - z);
              const dar = dan * ghn * r * (1 - r);
              w[dgi + k] = dar; w[dgi + H + k] = daz; w[dgi + 2 * H + k] = dan;
              extra[dgh + k] = dar; extra[dgh + H + k] = daz; extra[dgh + 2 * H + k] = dan * r;
              extra[d + k] = dhk * z;
            }
          }
          gemm32AB(extra, oDgh + r0 * GH, extra, oWhh, null, extra, dh, b, GH, H, 2);
        } else {
          const relu = mode === 'RNN_RELU';
          for (let i = 0; i < b; i++) {
            const sv = oSave + (r0 + i) * S, dg = oGI + (r0 + i) * GH, d = dh + i * H;
            for (let k = 0; k < H; k++) {
              const hv = w[sv + k];
              w[dg + k] = relu ? (hv > 0 ? extra[d + k] : 0) : extra[d + k] * (1 - hv * hv);
            }
          }
          gemm32AB(w, oGI + r0 * GH, extra, oWhh, null, extra, dh, b, GH, H, 0);
        }
      }
      if (g.dh0) for (let k = 0; k < B * H; k++) g.dh0[k] += extra[dh + k];
      if (g.dc0) for (let k = 0; k < B * H; k++) g.dc0[k] += w[oC + k];
      // Weight gradients over all rows; the results go through the GH block of the workspace, then out.
      const dGhArr = gru ? extra : w;
      const oDG = gru ? oDgh : oGI;
      const acc = allocF32(Math.max(GH * In, GH * H, rows * In) + 2 * GH, false);
      try {
        if (g.dWih) { acc.set(g.dWih); gemm32AtB(w, oGI, w, this.oX, rows, GH, In, acc, 0); g.dWih.set(acc.subarray(0, GH * In)); }
        if (g.dWhh) { acc.set(g.dWhh); gemm32AtB(dGhArr, oDG, w, oHp, rows, GH, H, acc, 0); g.dWhh.set(acc.subarray(0, GH * H)); }
        if (g.dBih) { acc.set(g.dBih); colSum32(w, oGI, rows, GH, acc, 0); g.dBih.set(acc.subarray(0, GH)); }
        if (g.dBhh) { acc.set(g.dBhh); colSum32(dGhArr, oDG, rows, GH, acc, 0); g.dBhh.set(acc.subarray(0, GH)); }
        if (g.dX) {
          // dX = dGI·W_ih ([rows, GH]·[GH, In]); W_ih goes where Wᵀ was (same size).
          w.set(p.wIh, this.oWihT);
          gemm32AB(w, oGI, w, this.oWihT, null, acc, 0, rows, GH, In, 0);
          for (let k = 0; k < rows * In; k++) g.dX[k] += acc[k];
        }
      } finally {
        release(acc);
      }
    } finally {
      release(extra);
    }
  }
}
