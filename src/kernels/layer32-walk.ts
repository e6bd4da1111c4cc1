// The float32 layer's arithmetic (packed-layer32.ts runs it), as functions of a workspace and a
// range of batch rows, so that two threads can each take a range of the same workspace in the
// shared WASM memory (layer32-tasks.ts) — or one thread all of it: the same bits either way.
//
// Rows of a packed batch are independent in the walk: at step t the active rows are the first
// bs[t] of the step (packed rows offs[t] + [0, bs[t])), and batch row i only ever reads and writes
// its own state, gates and tape. forwardRows / backwardRows walk every step for batch rows
// [lo, hi) with no other thread involved. The products over all rows (the weight gradients, dX)
// come after both walks (gradRange): each element of a product is one float32 sum in a fixed order
// (k increasing) whatever the product's extent (gemm32.ts), so splitting the outputs by rows or
// columns between threads changes no bit.
//
// Forward, per step and range: GI = X·W_ihᵀ + b_ih, GH = h_prev·W_hhᵀ + b_hh, then the cell, each
// one call over the range's contiguous rows. Backward, per step: dh += dY, the cell's backward
// (dGI; GRU also dGH), dh_prev = dG·W_hh. After the walks: dW_ih += dGIᵀ·X, dW_hh += dGHᵀ·Hprev,
// the bias gradients column sums, dX = dGI·W_ih.
//
// Cells: each value is computed in double from float32 operands and stored as float32 (one
// rounding per stored value). tanh is recur's own (cells/tanh.ts, within 4 ulp of Math.tanh, the
// same bits on every engine); σ(v) = 1 / (1 + e^−v) with e^−v from the same tanh:
// σ(v) = (1 + tanh(v/2)) / 2.
import { colSum32, gemm32AB, gemm32AtB } from './gemm32.js';
import { tanh } from './cells/tanh.js';
import type { CellMode } from './packed-layer.js';

const sigmoid = (v: number): number => 0.5 + 0.5 * tanh(0.5 * v);

/** Saved width per row: RNN h (1), LSTM i f g o tanh(c) c (6), GRU r z n gh_n (4) — in units of H. */
const SAVED: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 6, GRU: 4 };
export const GATES: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/**
 * A layer-direction's workspace: element offsets of its blocks (16-byte aligned), for In inputs,
 * H hidden, G gates (GH = G·H), B sequences, T steps, `rows` packed rows.
 */
export interface Layout32 {
  mode: CellMode; In: number; H: number; B: number; T: number; rows: number; GH: number; S: number; training: boolean;
  oX: number; // [rows, In] the input
  oWihT: number; // [In, GH] W_ihᵀ; in backward W_ih [GH, In]
  oWhhT: number; // [H, GH] W_hhᵀ; in backward W_hh [GH, H]
  oBih: number; oBhh: number; // [GH]
  oGI: number; // [rows, GH] input gates; in backward dGI
  oGH: number; // [B, GH] one step's recurrent gates; in backward dh [B, H]
  oHp: number; // [rows, H] h_prev of every row (the tape)
  oCp: number; // [rows, H] c_prev (LSTM)
  oSave: number; // [rows, S·H] the cells' saved values (S = SAVED)
  oH: number; // [B, H] the state h
  oC: number; // [B, H] the state c (LSTM); in backward dc
  oH0: number; // [B, H] h0; in backward dh_n
  oC0: number; // [B, H] c0 (LSTM); in backward dc_n
  oY: number; // [rows, H] y; in backward dY
  oInt: number; // int32 [2T]: batchSizes, then each step's first packed row
  // training only
  oDgh: number; // [rows, GH] dGH (GRU: it differs from dGI in the n block)
  oAccWih: number; // [GH, In] the gradients, accumulated
  oAccWhh: number; // [GH, H]
  oAccBih: number; oAccBhh: number; // [GH]
  oDX: number; // [rows, In]
  size: number; // elements in all
}

export function layout32(mode: CellMode, In: number, H: number, B: number, T: number, rows: number, training: boolean): Layout32 {
  const GH = GATES[mode] * H;
  const S = SAVED[mode] * H;
  const lstm = mode === 'LSTM';
  let n = 0;
  const take = (k: number) => { const at = n; n += (k + 3) & ~3; return at; };
  const L = {
    mode, In, H, B, T, rows, GH, S, training,
    oX: take(rows * In), oWihT: take(In * GH), oWhhT: take(H * GH), oBih: take(GH), oBhh: take(GH),
    oGI: take(rows * GH), oGH: take(B * GH), oHp: take(rows * H), oCp: take(lstm ? rows * H : 0),
    oSave: take(rows * S), oH: take(B * H), oC: take(lstm ? B * H : 0), oH0: take(B * H), oC0: take(lstm ? B * H : 0),
    oY: take(rows * H), oInt: take(2 * T),
    oDgh: take(training && mode === 'GRU' ? rows * GH : 0),
    oAccWih: take(training ? GH * In : 0), oAccWhh: take(training ? GH * H : 0),
    oAccBih: take(training ? GH : 0), oAccBhh: take(training ? GH : 0), oDX: take(training ? rows * In : 0),
    size: 0,
  };
  L.size = n;
  return L;
}

/** The workspace's int32 block: batchSizes [T] then each step's first packed row [T]. */
export function stepTable(w: Float32Array, L: Layout32): Int32Array {
  return new Int32Array(w.buffer, w.byteOffset + 4 * L.oInt, 2 * L.T);
}

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

/**
 * b rows of the LSTM cell's backward: dh (at dh, stride H) and the carried dc (at dc, stride H, in
 * place: dc_prev) with the saved values (sv, stride 6H) and c_prev (cp, stride H) → dG (at dg, stride 4H).
 */
function lstmBackRows(w: Float32Array, b: number, H: number, sv0: number, dg0: number, dh0: number, dc0: number, cp0: number): void {
  const GH = 4 * H, S = 6 * H;
  for (let i = 0; i < b; i++) {
    const sv = sv0 + i * S, dg = dg0 + i * GH, d = dh0 + i * H, dc = dc0 + i * H, cp = cp0 + i * H;
    for (let k = 0; k < H; k++) {
      const ig = w[sv + k], fg = w[sv + H + k], gg = w[sv + 2 * H + k], og = w[sv + 3 * H + k], tc = w[sv + 4 * H + k];
      const dhk = w[d + k];
      w[dc + k] = w[dc + k] + dhk * og * (1 - tc * tc);
      const dct = w[dc + k];
      w[dg + k] = dct * gg * ig * (1 - ig);
      w[dg + H + k] = dct * w[cp + k] * fg * (1 - fg);
      w[dg + 2 * H + k] = dct * ig * (1 - gg * gg);
      w[dg + 3 * H + k] = dhk * tc * og * (1 - og);
      w[dc + k] = dct * fg;
    }
  }
}

/**
 * b rows of the GRU cell's backward: dh (stride H; in place: its direct part dh·z) with the saved
 * values (sv, stride 4H) and h_prev (hp, stride H) → dGI (at dgi) and dGH (at dgh), stride 3H.
 */
function gruBackRows(w: Float32Array, b: number, H: number, sv0: number, dgi0: number, dgh0: number, dh0: number, hp0: number): void {
  const GH = 3 * H, S = 4 * H;
  for (let i = 0; i < b; i++) {
    const sv = sv0 + i * S, dgi = dgi0 + i * GH, dgh = dgh0 + i * GH, d = dh0 + i * H, hp = hp0 + i * H;
    for (let k = 0; k < H; k++) {
      const r = w[sv + k], z = w[sv + H + k], n = w[sv + 2 * H + k], ghn = w[sv + 3 * H + k];
      const dhk = w[d + k];
      const dan = dhk * (1 - z) * (1 - n * n);
      const daz = dhk * (w[hp + k] - n) * z * (1 - z);
      const dar = dan * ghn * r * (1 - r);
      w[dgi + k] = dar; w[dgi + H + k] = daz; w[dgi + 2 * H + k] = dan;
      w[dgh + k] = dar; w[dgh + H + k] = daz; w[dgh + 2 * H + k] = dan * r;
      w[d + k] = dhk * z;
    }
  }
}

/** b rows of the Elman cell's backward: dh (stride H) and the saved h (sv, stride H) → dG (stride H). */
function rnnBackRows(w: Float32Array, b: number, H: number, sv0: number, dg0: number, dh0: number, relu: boolean): void {
  for (let i = 0; i < b; i++) {
    const sv = sv0 + i * H, dg = dg0 + i * H, d = dh0 + i * H;
    for (let k = 0; k < H; k++) {
      const hv = w[sv + k];
      w[dg + k] = relu ? (hv > 0 ? w[d + k] : 0) : w[d + k] * (1 - hv * hv);
    }
  }
}

/**
 * The forward walk for batch rows [lo, hi): reads X, W_ihᵀ, W_hhᵀ, the biases, h0/c0 and the
 * step table; writes those rows' GI, tape, state and y. Running it again gives the same result.
 */
export function forwardRows(w: Float32Array, L: Layout32, reverse: boolean, lo: number, hi: number): void {
  const { mode, In, H, GH, S, T } = L;
  const tab = stepTable(w, L);
  w.copyWithin(L.oH + lo * H, L.oH0 + lo * H, L.oH0 + hi * H);
  if (mode === 'LSTM') w.copyWithin(L.oC + lo * H, L.oC0 + lo * H, L.oC0 + hi * H);
  const bih = w.subarray(L.oBih, L.oBih + GH);
  const bhh = w.subarray(L.oBhh, L.oBhh + GH);
  const hs = L.oH + lo * H, gh = L.oGH + lo * GH;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const b = Math.min(tab[t], hi) - lo; // this range's active rows at t
    if (b <= 0) continue;
    const r = tab[T + t] + lo; // their first packed row
    gemm32AB(w, L.oX + r * In, w, L.oWihT, bih, w, L.oGI + r * GH, b, In, GH, 1);
    w.copyWithin(L.oHp + r * H, hs, hs + b * H); // h_prev of these rows (the tape and the product's operand)
    gemm32AB(w, L.oHp + r * H, w, L.oWhhT, bhh, w, gh, b, H, GH, 1);
    if (mode === 'LSTM') {
      const cs = L.oC + lo * H;
      w.copyWithin(L.oCp + r * H, cs, cs + b * H);
      lstmRows(w, w, b, H, L.oGI + r * GH, gh, L.oSave + r * S, hs, cs, L.oY + r * H);
    } else if (mode === 'GRU') {
      gruRows(w, w, b, H, L.oGI + r * GH, gh, L.oSave + r * S, hs, L.oY + r * H);
    } else {
      rnnRows(w, w, b, H, L.oGI + r * GH, gh, L.oSave + r * S, hs, L.oY + r * H, mode === 'RNN_RELU');
    }
  }
}

/**
 * The backward walk for batch rows [lo, hi): reads dY (at oY), dh_n/dc_n (at oH0/oC0), W_hh (at
 * oWhhT) and the tape; writes those rows' dGI (over GI), dGH (GRU), dh (at oGH) and dc (at oC): at
 * the end dh0 and dc0. Running it again gives the same result.
 */
export function backwardRows(w: Float32Array, L: Layout32, reverse: boolean, lo: number, hi: number): void {
  const { mode, H, GH, S, T } = L;
  const tab = stepTable(w, L);
  const dh = L.oGH + lo * H, dc = L.oC + lo * H;
  w.copyWithin(dh, L.oH0 + lo * H, L.oH0 + hi * H);
  if (mode === 'LSTM') w.copyWithin(dc, L.oC0 + lo * H, L.oC0 + hi * H);
  for (let s = 0; s < T; s++) {
    const t = reverse ? s : T - 1 - s;
    const b = Math.min(tab[t], hi) - lo;
    if (b <= 0) continue;
    const r = tab[T + t] + lo;
    const dy = L.oY + r * H;
    for (let k = 0; k < b * H; k++) w[dh + k] += w[dy + k];
    if (mode === 'LSTM') {
      lstmBackRows(w, b, H, L.oSave + r * S, L.oGI + r * GH, dh, dc, L.oCp + r * H);
      gemm32AB(w, L.oGI + r * GH, w, L.oWhhT, null, w, dh, b, GH, H, 0);
    } else if (mode === 'GRU') {
      gruBackRows(w, b, H, L.oSave + r * S, L.oGI + r * GH, L.oDgh + r * GH, dh, L.oHp + r * H);
      gemm32AB(w, L.oDgh + r * GH, w, L.oWhhT, null, w, dh, b, GH, H, 2);
    } else {
      rnnBackRows(w, b, H, L.oSave + r * S, L.oGI + r * GH, dh, mode === 'RNN_RELU');
      gemm32AB(w, L.oGI + r * GH, w, L.oWhhT, null, w, dh, b, GH, H, 0);
    }
  }
}

/** Which gradients gradRange computes: bits of `want`. */
export const WANT_WIH = 1, WANT_WHH = 2, WANT_BIH = 4, WANT_BHH = 8, WANT_X = 16;

/**
 * After both walks, a share of the products over all rows: rows [m0, m1) of dW_ih += dGIᵀ·X and
 * dW_hh += dGHᵀ·Hprev, columns [m0, m1) of the bias gradients (column sums), rows [x0, x1) of
 * dX = dGI·W_ih (W_ih at oWihT). Accumulates into the oAcc blocks (set by the caller to the
 * gradients so far); the m ranges of two calls must not overlap, nor the x ranges.
 */
export function gradRange(w: Float32Array, L: Layout32, want: number, m0: number, m1: number, x0: number, x1: number): void {
  const { In, H, GH, rows } = L;
  const dGH = L.mode === 'GRU' ? L.oDgh : L.oGI;
  const M = m1 - m0;
  if (M > 0) {
    if (want & WANT_WIH) gemm32AtB(w, L.oGI + m0, w, L.oX, rows, M, In, w, L.oAccWih + m0 * In, GH);
    if (want & WANT_WHH) gemm32AtB(w, dGH + m0, w, L.oHp, rows, M, H, w, L.oAccWhh + m0 * H, GH);
    if (want & WANT_BIH) colSum32(w, L.oGI + m0, rows, M, w, L.oAccBih + m0, GH);
    if (want & WANT_BHH) colSum32(w, dGH + m0, rows, M, w, L.oAccBhh + m0, GH);
  }
  if (want & WANT_X && x1 > x0) gemm32AB(w, L.oGI + x0 * GH, w, L.oWihT, null, w, L.oDX + x0 * In, x1 - x0, GH, In, 0);
}
