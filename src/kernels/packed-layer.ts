// One direction of one recurrent layer over a packed batch — PyTorch's packed algorithm
// (aten/src/ATen/native/RNN.cpp), forward and hand-written backward through time.
//
// Packed layout (see PackedSequence): rows are time-major; step t owns rows
// [off[t], off[t] + bs[t]) where bs = batchSizes (non-increasing) and off[t] = Σ_{s<t} bs[s];
// row off[t] + i is sorted sequence i at step t. Padded input is the same thing with bs[t] = B.
//
// Forward:  GI = X W_ih^T + b_ih for all rows at once ([Ttot, G*H]); then walk the steps
// (forward direction t = 0 → T−1, reverse t = T−1 → 0) updating only the bs[t] active rows of a
// state buffer hS [B, Hout] (and cS [B, H]). A sequence that has ended is simply not touched
// again, so hS ends up holding each sequence's own final state (= h_n); in reverse, a sequence
// joins when t reaches its own last step and starts from its untouched h0 row. Padding is never
// computed.
// Backward: the mirror walk with dhS [B, Hout] (= dh_n at start, dh0 at the end); per-row gate
// gradients are kept so the weight gradients are three matrix products after the walk.
//
// Shapes: In = inputSize, H = hiddenSize, P = projSize (0: none), Hout = P || H,
// G = gates (RNN 1, GRU 3, LSTM 4), GH = G*H, S = saved width per row (RNN H, LSTM 5H, GRU 4H).
import { addATB, addAW, addColSum, linearRows } from './gemm.js';
import type { Floats } from './gemm.js';
import { rnnCellBackward, rnnCellForward } from './cells/rnn.js';
import { lstmCellBackward, lstmCellForward } from './cells/lstm.js';
import { gruCellBackward, gruCellForward } from './cells/gru.js';

export type { Floats } from './gemm.js';
export type CellMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

export interface LayerShape {
  mode: CellMode;
  inputSize: number;
  hiddenSize: number;
  /** LSTM projection size; 0 = no projection. */
  projSize: number;
}

/** Weights of one layer-direction. wIh [GH, In], wHh [GH, Hout], bIh/bHh [GH], wHr [P, H]. */
export interface LayerParams {
  wIh: Floats;
  wHh: Floats;
  bIh: Floats | null;
  bHh: Floats | null;
  wHr: Floats | null;
}

/** What the forward pass keeps for backward (Float64, whatever the tensor dtype). */
export interface LayerTape {
  /** [Ttot, Hout] state each row started from. */
  hPrev: Float64Array;
  /** [Ttot, H] cell state each row started from (LSTM; empty otherwise). */
  cPrev: Float64Array;
  /** [Ttot, S] gate activations (see the cell files). */
  save: Float64Array;
}

/** Gradients of one layer-direction, accumulated (+=) into zero-initialised Float64 buffers. */
export interface LayerGrads {
  dX: Float64Array | null; // [Ttot, In]
  dh0: Float64Array; // [B, Hout]  (written)
  dc0: Float64Array | null; // [B, H] (written; LSTM)
  dWih: Float64Array; // [GH, In]
  dWhh: Float64Array; // [GH, Hout]
  dBih: Float64Array | null; // [GH]
  dBhh: Float64Array | null; // [GH]
  dWhr: Float64Array | null; // [P, H]
}

/** Float64 view of the weights: a float32 tensor is widened once per call so that every inner
 *  loop sees only Float64Array (monomorphic element access is much faster in V8). */
function asF64(a: Floats): Float64Array {
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

function paramsF64(p: LayerParams): { wIh: Float64Array; wHh: Float64Array; bIh: Float64Array | null; bHh: Float64Array | null; wHr: Float64Array | null } {
  return {
    wIh: asF64(p.wIh), wHh: asF64(p.wHh), bIh: p.bIh ? asF64(p.bIh) : null, bHh: p.bHh ? asF64(p.bHh) : null,
    wHr: p.wHr ? asF64(p.wHr) : null,
  };
}

export function gateCount(mode: CellMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

export function savedWidth(mode: CellMode, H: number): number {
  return mode === 'LSTM' ? 5 * H : mode === 'GRU' ? 4 * H : H;
}

/** off[t] = first packed row of step t; off[T] = Ttot. */
export function stepOffsets(batchSizes: ArrayLike<number>): Int32Array {
  const T = batchSizes.length;
  const off = new Int32Array(T + 1);
  for (let t = 0; t < T; t++) off[t + 1] = off[t] + batchSizes[t];
  return off;
}

export function allocTape(shape: LayerShape, rows: number): LayerTape {
  const H = shape.hiddenSize;
  const Hout = shape.projSize > 0 ? shape.projSize : H;
  return {
    hPrev: new Float64Array(rows * Hout),
    cPrev: new Float64Array(shape.mode === 'LSTM' ? rows * H : 0),
    save: new Float64Array(rows * savedWidth(shape.mode, H)),
  };
}

/**
 * x [Ttot, In], batchSizes [T] (bs[0] = B), h0 [B, Hout] | null (zeros), c0 [B, H] | null (zeros)
 * → y [Ttot, Hout], hN [B, Hout], cN [B, H] (LSTM; else null). `tape` (allocTape) is filled for
 * backward when given.
 */
export function packedLayerForward(
  shape: LayerShape, p: LayerParams, x: Floats, batchSizes: ArrayLike<number>, reverse: boolean,
  h0: Floats | null, c0: Floats | null, y: Floats, hN: Floats, cN: Floats | null, tape: LayerTape | null,
): void {
  const { mode, inputSize: In, hiddenSize: H, projSize: P } = shape;
  const Hout = P > 0 ? P : H;
  const G = gateCount(mode);
  const GH = G * H;
  const S = savedWidth(mode, H);
  const T = batchSizes.length;
  const B = T > 0 ? batchSizes[0] : hN.length / Hout;
  const off = stepOffsets(batchSizes);
  const rows = off[T];
  const relu = mode === 'RNN_RELU';
  const lstm = mode === 'LSTM';
  const gru = mode === 'GRU';

  // Workspaces, allocated once per call.
  const gi = new Float64Array(rows * GH); // [Ttot, GH] input projections (+ b_ih)
  const gh = new Float64Array(GH); // [GH] hidden projection of the current row (+ b_hh)
  const hS = new Float64Array(B * Hout); // [B, Hout] running state
  const cS = new Float64Array(lstm ? B * H : 0); // [B, H] running cell state
  const hRaw = new Float64Array(lstm ? H : 0); // [H] LSTM o ⊙ tanh(c') before projection
  const save = tape !== null ? tape.save : new Float64Array(S);
  if (h0 !== null) for (let k = 0; k < B * Hout; k++) hS[k] = h0[k];
  if (lstm && c0 !== null) for (let k = 0; k < B * H; k++) cS[k] = c0[k];

  const w = paramsF64(p);
  linearRows(asF64(x), rows, In, w.wIh, GH, w.bIh, gi);
  const { wHh, bHh, wHr } = w;

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const n = batchSizes[t];
    const base = off[t];
    for (let i = 0; i < n; i++) {
      const r = base + i;
      const hp = i * Hout;
      const sO = tape !== null ? r * S : 0;
      if (tape !== null) {
        tape.hPrev.set(hS.subarray(hp, hp + Hout), r * Hout);
        if (lstm) tape.cPrev.set(cS.subarray(i * H, i * H + H), r * H);
      }
      // gh = h W_hh^T + b_hh
      for (let g = 0; g < GH; g++) {
        const wo = g * Hout;
        let acc = bHh !== null ? bHh[g] : 0;
        for (let k = 0; k < Hout; k++) acc += wHh[wo + k] * hS[hp + k];
        gh[g] = acc;
      }
      if (lstm) {
        lstmCellForward(H, gi, r * GH, gh, 0, cS, i * H, hRaw, 0, save, sO);
        if (wHr !== null) {
          for (let j = 0; j < P; j++) {
            const wo = j * H;
            let acc = 0;
            for (let k = 0; k < H; k++) acc += wHr[wo + k] * hRaw[k];
            hS[hp + j] = acc;
          }
        } else {
          for (let k = 0; k < H; k++) hS[hp + k] = hRaw[k];
        }
      } else if (gru) {
        gruCellForward(H, gi, r * GH, gh, 0, hS, hp, save, sO);
      } else {
        rnnCellForward(H, relu, gi, r * GH, gh, 0, hS, hp, save, sO);
      }
      const yo = r * Hout;
      for (let k = 0; k < Hout; k++) y[yo + k] = hS[hp + k];
    }
  }
  for (let k = 0; k < B * Hout; k++) hN[k] = hS[k];
  if (cN !== null) for (let k = 0; k < B * H; k++) cN[k] = cS[k];
}

/**
 * Backward of packedLayerForward (same shape/params/x/batchSizes/reverse and its tape).
 * dY [Ttot, Hout], dhN [B, Hout], dcN [B, H] — each may be null (= zero).
 */
export function packedLayerBackward(
  shape: LayerShape, p: LayerParams, x: Floats, batchSizes: ArrayLike<number>, reverse: boolean,
  tape: LayerTape, dY: Floats | null, dhN: Floats | null, dcN: Floats | null, out: LayerGrads,
): void {
  const { mode, inputSize: In, hiddenSize: H, projSize: P } = shape;
  const Hout = P > 0 ? P : H;
  const G = gateCount(mode);
  const GH = G * H;
  const S = savedWidth(mode, H);
  const T = batchSizes.length;
  const B = out.dh0.length / Hout;
  const off = stepOffsets(batchSizes);
  const rows = off[T];
  const relu = mode === 'RNN_RELU';
  const lstm = mode === 'LSTM';
  const gru = mode === 'GRU';
  const w = paramsF64(p);
  const { wHh, wHr } = w;
  const { save, hPrev, cPrev } = tape;

  const dGi = new Float64Array(rows * GH); // [Ttot, GH] d loss / d gi
  const dGh = gru ? new Float64Array(rows * GH) : dGi; // [Ttot, GH] d loss / d gh
  const dHrow = wHr !== null ? new Float64Array(rows * Hout) : null; // [Ttot, P] d loss / d h (projected)
  const dhS = out.dh0; // [B, Hout] running d loss / d state
  const dcS = lstm ? out.dc0! : null; // [B, H]
  const dh = new Float64Array(Hout); // [Hout] current row's total d loss / d h'
  const dhRaw = new Float64Array(lstm ? H : 0); // [H]
  for (let k = 0; k < B * Hout; k++) dhS[k] = dhN !== null ? dhN[k] : 0;
  if (dcS !== null) for (let k = 0; k < B * H; k++) dcS[k] = dcN !== null ? dcN[k] : 0;

  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const n = batchSizes[t];
    const base = off[t];
    for (let i = 0; i < n; i++) {
      const r = base + i;
      const hp = i * Hout;
      for (let k = 0; k < Hout; k++) dh[k] = dhS[hp + k] + (dY !== null ? dY[r * Hout + k] : 0);
      if (lstm) {
        if (wHr !== null) {
          dHrow!.set(dh, r * Hout);
          dhRaw.fill(0);
          for (let j = 0; j < P; j++) {
            const a = dh[j];
            const wo = j * H;
            for (let k = 0; k < H; k++) dhRaw[k] += a * wHr[wo + k];
          }
        } else {
          dhRaw.set(dh);
        }
        lstmCellBackward(H, dhRaw, 0, dcS!, i * H, cPrev, r * H, save, r * S, dGi, r * GH);
        for (let k = 0; k < Hout; k++) dhS[hp + k] = 0;
      } else if (gru) {
        gruCellBackward(H, dh, 0, hPrev, r * Hout, save, r * S, dGi, r * GH, dGh, r * GH, dhS, hp);
      } else {
        rnnCellBackward(H, relu, dh, 0, save, r * S, dGi, r * GH);
        for (let k = 0; k < Hout; k++) dhS[hp + k] = 0;
      }
      // dh_prev += dgh W_hh   ([GH] · [GH, Hout])
      const go = r * GH;
      for (let g = 0; g < GH; g++) {
        const a = dGh[go + g];
        if (a === 0) continue;
        const wo = g * Hout;
        for (let k = 0; k < Hout; k++) dhS[hp + k] += a * wHh[wo + k];
      }
    }
  }

  // Weight, bias and input gradients: one product each over all rows.
  addATB(dGi, asF64(x), rows, GH, In, out.dWih);
  addATB(dGh, hPrev, rows, GH, Hout, out.dWhh);
  if (out.dBih !== null) addColSum(dGi, rows, GH, out.dBih);
  if (out.dBhh !== null) addColSum(dGh, rows, GH, out.dBhh);
  if (out.dX !== null) addAW(dGi, w.wIh, rows, GH, In, out.dX);
  if (wHr !== null && out.dWhr !== null) {
    // dW_hr += dH^T hRaw with hRaw = o ⊙ tanh(c') rebuilt from the saved gates.
    const hRawAll = new Float64Array(rows * H); // [Ttot, H]
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < H; k++) hRawAll[r * H + k] = save[r * S + 3 * H + k] * save[r * S + 4 * H + k];
    }
    addATB(dHrow!, hRawAll, rows, P, H, out.dWhr);
  }
}
