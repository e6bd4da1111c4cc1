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
// Cells: cells32.ts, b rows of one step per call, in float32 arithmetic (f32x4 WASM kernels, or
// their JS twins with the same bits), tanh and σ computed in float32 (cells/tanh32.ts: within 1.33
// and 2.32 ulp). The forward cell writes h into the state block; the step's h rows are then copied
// to y.
// The backward cell adds the step's dY rows (copied next to dh) into dh itself.
//
// Memory: one workspace block per call (allocF32) holds the inputs, Wᵀ, the scratch and the tape;
// the caller releases it (Layer32.release) after backward, or when its graph is collected.
// Shapes: In, H (= Hout: no projection), G gates (RNN 1, GRU 3, LSTM 4), GH = G·H.
import { allocF32, release } from './gemm-wasm.js';
import { colSum32, gemm32AB, gemm32AtB, transpose32 } from './gemm32.js';
import { gruBackRows32, gruRows32, lstmBackRows32, lstmRows32, rnnBackRows32, rnnRows32 } from './cells32.js';
import type { CellMode } from './packed-layer.js';

export interface Layer32Params {
  wIh: Float32Array; // [GH, In]
  wHh: Float32Array; // [GH, H]
  bIh: Float32Array | null;
  bHh: Float32Array | null;
}

/** Saved width per row: RNN h (1), LSTM i f g o tanh(c) c (6), GRU r z n gh_n (4) — in units of H. */
const SAVED: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 6, GRU: 4 };
const GATES: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

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
        lstmRows32(w, b, H, oGI + r0 * GH, oGH, oSave + r0 * S, oH, oC);
      } else if (mode === 'GRU') {
        gruRows32(w, b, H, oGI + r0 * GH, oGH, oSave + r0 * S, oH);
      } else {
        rnnRows32(w, b, H, oGI + r0 * GH, oGH, oSave + r0 * S, oH, mode === 'RNN_RELU');
      }
      y.set(w.subarray(oH, oH + b * H), r0 * H);
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
    const extra = allocF32((gru ? rows * GH : 0) + GH * H + 2 * B * H + 8, false);
    try {
      const oWhh = 0;
      extra.set(p.wHh, oWhh);
      const oDh = GH * H;
      const oDy = oDh + B * H; // the step's dY rows
      const oDgh = oDy + B * H; // GRU only
      const dh = oDh;
      extra.set(dhN.subarray(0, B * H), dh);
      // dc lives in the state block oC of the workspace (free after forward)
      if (mode === 'LSTM') w.set(dcN!.subarray(0, B * H), oC);
      for (let s = 0; s < T; s++) {
        const t = this.reverse ? s : T - 1 - s;
        const b = bs[t];
        const r0 = this.offs[t];
        extra.set(dY.subarray(r0 * H, (r0 + b) * H), oDy);
        if (mode === 'LSTM') {
          lstmBackRows32(w, extra, b, H, oSave + r0 * S, oGI + r0 * GH, oCp + r0 * H, oC, dh, oDy);
          gemm32AB(w, oGI + r0 * GH, extra, oWhh, null, extra, dh, b, GH, H, 0);
        } else if (gru) {
          gruBackRows32(w, extra, b, H, oSave + r0 * S, oHp + r0 * H, oGI + r0 * GH, oDgh + r0 * GH, dh, oDy);
          gemm32AB(extra, oDgh + r0 * GH, extra, oWhh, null, extra, dh, b, GH, H, 2);
        } else {
          rnnBackRows32(w, extra, b, H, oSave + r0 * S, oGI + r0 * GH, dh, oDy, mode === 'RNN_RELU');
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
