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
// one call over the range's contiguous rows; the cell writes h into the state block, then the rows
// are copied to y. Backward, per step: the cell's backward (it adds the step's dY rows into dh;
// dGI, GRU also dGH), dh_prev = dG·W_hh. After the walks: dW_ih += dGIᵀ·X, dW_hh += dGHᵀ·Hprev,
// the bias gradients column sums, dX = dGI·W_ih. State noise (optional) is added to each new h
// after its cell.
//
// Cells: cells32.ts, b rows of one step per call, in float32 arithmetic (f32x4 WASM kernels, or
// their JS twins with the same bits), tanh and σ computed in float32 (cells/tanh32.ts: within 1.33
// and 2.32 ulp).
import { colSum32, gemm32, gemm32AB, gemm32AtB, matvec32For } from './gemm32.js';
import { forwardCells, gruBackRows32, gruRows32, lstmBackRows32, lstmRows32, rnnBackRows32, rnnRows32 } from './cells32.js';
import type { Matvec32 } from '../runtime/wasm/gemm32.js';
import { kernelCounts } from '../runtime/wasm/gemm32.js';
import type { Cells32Kernels } from '../runtime/wasm/cells32.js';
import type { CellMode } from './packed-layer.js';

/** Saved width per row: RNN h (1), LSTM i f g o tanh(c) c (6), GRU r z n gh_n (4) — in units of H. */
const SAVED: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 6, GRU: 4 };
export const GATES: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/**
 * A layer-direction's workspace: element offsets of its blocks (16-byte aligned), for In inputs,
 * H hidden, G gates (GH = G·H), B sequences, T steps, `rows` packed rows.
 */
export interface Layout32 {
  mode: CellMode; In: number; H: number; B: number; T: number; rows: number; GH: number; S: number; training: boolean;
  /** Whether the forward adds state noise (oNoise) to each new state. */
  noise: boolean;
  /**
   * One sequence (B = 1): the forward keeps W_ih and W_hh as stored and its products are
   * matrix-vector (W·x, gemm32's matvec kernel), without the two transposes the row form needs.
   * The row form's one-row tiles run about 1.7× faster a product than the matvec, but the
   * transposes cost about 0.25 ns an element of W a call. Measured one sequence without gradients,
   * 2 layers, in alternating windows: the row form was faster only for long sequences of wide
   * layers (LSTM 32 → 128: 0.72× at T = 2, 1.0× at T = 6, 1.49× at T = 64; GRU 64 → 256: 0.57× to
   * 1.22×) and slower at every length for narrow ones (RNN 10 → 32: 0.73–0.79×), so one-sequence
   * walks stay as stored.
   */
  asStored: boolean;
  oX: number; // [rows, In] the input
  oWihT: number; // [In, GH] W_ihᵀ (asStored: W_ih [GH, In]); in backward W_ih [GH, In]
  oWhhT: number; // [H, GH] W_hhᵀ (asStored: W_hh [GH, H]); in backward W_hh [GH, H]
  oBih: number; oBhh: number; // [GH]
  oGI: number; // [rows, GH] input gates; in backward dGI
  oGH: number; // [B, GH] one step's recurrent gates; in backward dh [B, H]
  oHp: number; // [rows, H] h_prev of every row (the tape; written when training)
  oCp: number; // [rows, H] c_prev (LSTM; written when training)
  oSave: number; // [rows, S·H] the cells' saved values (S = SAVED)
  oH: number; // [B, H] the state h
  oC: number; // [B, H] the state c (LSTM); in backward dc
  oH0: number; // [B, H] h0; in backward dh_n
  oC0: number; // [B, H] c0 (LSTM); in backward dc_n
  oY: number; // [rows, H] y; in backward dY
  oInt: number; // int32 [2T]: batchSizes, then each step's first packed row
  oNoise: number; // [rows, H] state noise, added to each row's new h (when `noise`)
  // training only
  oDgh: number; // [rows, GH] dGH (GRU: it differs from dGI in the n block)
  oAccWih: number; // [GH, In] the gradients, accumulated
  oAccWhh: number; // [GH, H]
  oAccBih: number; oAccBhh: number; // [GH]
  oDX: number; // [rows, In]
  size: number; // elements in all
}

export function layout32(mode: CellMode, In: number, H: number, B: number, T: number, rows: number, training: boolean, noise = false): Layout32 {
  const GH = GATES[mode] * H;
  const S = SAVED[mode] * H;
  const lstm = mode === 'LSTM';
  let n = 0;
  const take = (k: number) => { const at = n; n += (k + 3) & ~3; return at; };
  const L = {
    mode, In, H, B, T, rows, GH, S, training, noise, asStored: B === 1,
    oX: take(rows * In), oWihT: take(In * GH), oWhhT: take(H * GH), oBih: take(GH), oBhh: take(GH),
    oGI: take(rows * GH), oGH: take(B * GH), oHp: take(rows * H), oCp: take(lstm ? rows * H : 0),
    oSave: take(rows * S), oH: take(B * H), oC: take(lstm ? B * H : 0), oH0: take(B * H), oC0: take(lstm ? B * H : 0),
    oY: take(rows * H), oInt: take(2 * T), oNoise: take(noise ? rows * H : 0),
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
  // The tape (h_prev, c_prev of every row) only for a backward; without one the recurrent product
  // reads h_prev where it is, in the state block (the cell overwrites it only after the product).
  const tape = L.training;
  if (L.asStored && !tape && !L.noise && hi - lo === 1) {
    const mv = matvec32For(w);
    const cells = mv === null ? null : forwardCells(w);
    if (cells !== null) {
      oneRowForward(w, L, reverse, mv!, cells);
      return;
    }
  }
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const b = Math.min(tab[t], hi) - lo; // this range's active rows at t
    if (b <= 0) continue;
    const r = tab[T + t] + lo; // their first packed row
    if (L.asStored) {
      // b = 1: GI = W_ih·x + b_ih and GH = W_hh·h_prev + b_hh as GH rows times one column, each
      // element the row form's float32 sum (bias first, then k increasing): the same bits.
      w.copyWithin(L.oGI + r * GH, L.oBih, L.oBih + GH);
      gemm32(w, L.oWihT, In, 1, w, L.oX + r * In, 1, null, w, L.oGI + r * GH, GH, In, 1, 2);
      const hp = tape ? L.oHp + r * H : hs;
      if (tape) w.copyWithin(hp, hs, hs + H);
      w.copyWithin(gh, L.oBhh, L.oBhh + GH);
      gemm32(w, L.oWhhT, H, 1, w, hp, 1, null, w, gh, GH, H, 1, 2);
    } else {
      gemm32AB(w, L.oX + r * In, w, L.oWihT, bih, w, L.oGI + r * GH, b, In, GH, 1);
      const hp = tape ? L.oHp + r * H : hs;
      if (tape) w.copyWithin(hp, hs, hs + b * H); // h_prev of these rows, kept for the backward
      gemm32AB(w, hp, w, L.oWhhT, bhh, w, gh, b, H, GH, 1);
    }
    if (mode === 'LSTM') {
      const cs = L.oC + lo * H;
      if (tape) w.copyWithin(L.oCp + r * H, cs, cs + b * H);
      lstmRows32(w, b, H, L.oGI + r * GH, gh, L.oSave + r * S, hs, cs);
    } else if (mode === 'GRU') {
      gruRows32(w, b, H, L.oGI + r * GH, gh, L.oSave + r * S, hs);
    } else {
      rnnRows32(w, b, H, L.oGI + r * GH, gh, L.oSave + r * S, hs, mode === 'RNN_RELU');
    }
    if (L.noise) {
      // State noise (training): the new h of each row += noise[row] (LSTM: h, never c), rounded to
      // float32. The next step, y, h_n and the tape's h_prev all see the noisy state; the cells'
      // saved values do not. Additive, so the backward is unchanged.
      const no = L.oNoise + r * H;
      for (let k = 0; k < b * H; k++) w[hs + k] += w[no + k];
    }
    w.copyWithin(L.oY + r * H, hs, hs + b * H);
  }
}

/**
 * forwardRows for one sequence without a tape or noise, on the WASM kernels `mv` and `cells` of
 * the workspace's memory, looked up once for the walk: per step the same calls in the same order
 * as the general loop (bias, W_ih·x; bias, W_hh·h; the cell; h to y), so the same bits.
 */
function oneRowForward(w: Float32Array, L: Layout32, reverse: boolean, mv: Matvec32, cells: Cells32Kernels): void {
  const { mode, In, H, GH, S, T } = L;
  const a = w.byteOffset;
  const hs = L.oH;
  let n = 0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s; // row t: one sequence has one row a step
    const gi = L.oGI + t * GH;
    w.copyWithin(gi, L.oBih, L.oBih + GH);
    mv(a + 4 * L.oWihT, 4 * In, a + 4 * (L.oX + t * In), 0, a + 4 * gi, GH, In, 2);
    w.copyWithin(L.oGH, L.oBhh, L.oBhh + GH);
    mv(a + 4 * L.oWhhT, 4 * H, a + 4 * hs, 0, a + 4 * L.oGH, GH, H, 2);
    const sv = a + 4 * (L.oSave + t * S);
    if (mode === 'LSTM') cells.lstmF(1, H, a + 4 * gi, a + 4 * L.oGH, sv, a + 4 * hs, a + 4 * L.oC);
    else if (mode === 'GRU') cells.gruF(1, H, a + 4 * gi, a + 4 * L.oGH, sv, a + 4 * hs);
    else cells.rnnF(1, H, a + 4 * gi, a + 4 * L.oGH, sv, a + 4 * hs, mode === 'RNN_RELU' ? 1 : 0);
    w.copyWithin(L.oY + t * H, hs, hs + H);
    n++;
  }
  kernelCounts.gemm32 += 2 * n;
  kernelCounts.cells32 += n;
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
    if (mode === 'LSTM') {
      lstmBackRows32(w, w, b, H, L.oSave + r * S, L.oGI + r * GH, L.oCp + r * H, dc, dh, dy);
      gemm32AB(w, L.oGI + r * GH, w, L.oWhhT, null, w, dh, b, GH, H, 0);
    } else if (mode === 'GRU') {
      gruBackRows32(w, w, b, H, L.oSave + r * S, L.oHp + r * H, L.oGI + r * GH, L.oDgh + r * GH, dh, dy);
      gemm32AB(w, L.oDgh + r * GH, w, L.oWhhT, null, w, dh, b, GH, H, 2);
    } else {
      rnnBackRows32(w, w, b, H, L.oSave + r * S, L.oGI + r * GH, dh, dy, mode === 'RNN_RELU');
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
