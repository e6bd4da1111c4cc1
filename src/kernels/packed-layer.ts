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
import { addColSum, gemmABias, gemmAddAB, gemmAddAtB } from './gemm.js';
import { allocF64, copyF64, demoteF64, inWasmMemory, release, zeroFill, wasmGates, wasmGatesBackward, wasmGemmEnabled, wasmKernels, wasmPromote } from './gemm-wasm.js';
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

// Scratch buffers reused across calls (grow-only, one per slot), so a training step allocates no
// workspace: the kernels are synchronous and never nested, and nothing here outlives a call
// except the caller-owned tape and outputs. Only [0, n) of a slot is meaningful. They live in the
// WASM memory (allocF64) so the matrix products can run as SIMD kernels (gemm-wasm.ts).
const pool: Float64Array[] = [];
function scratch(slot: number, n: number): Float64Array {
  let a = pool[slot];
  if (a === undefined || a.length < n) {
    const grown = Math.max(n, a !== undefined ? a.length * 2 : 0);
    release(a ?? null);
    a = allocF64(grown);
    pool[slot] = a;
  }
  return a;
}
const enum Slot { X, WIH, WHH, BIH, BHH, WHR, GI, GH, HS, CS, HRAW, DGI, DGH, DHROW, DH, DHRAW, HRAWALL, WIHT, WHHT, WHRT }

/** Float64 copy of `a` in a scratch slot (every inner loop then sees only Float64Array, which V8
 *  compiles monomorphically); a Float64Array is used as is unless the SIMD kernels are on and it
 *  is outside their memory (then it is copied in). Read-only. */
function asF64(a: Floats, slot: Slot): Float64Array {
  if (a instanceof Float64Array && (!wasmGemmEnabled() || inWasmMemory(a))) return a;
  const out = scratch(slot, a.length);
  if (a instanceof Float32Array && wasmPromote(a, out)) return out;
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

/** Float64 transpose of a [R, Cn] matrix into a scratch slot: out[c·R + r] = a[r·Cn + c]. */
function transposedF64(a: Floats, R: number, Cn: number, slot: Slot): Float64Array {
  const out = scratch(slot, R * Cn);
  for (let r = 0; r < R; r++) for (let c = 0; c < Cn; c++) out[c * R + r] = a[r * Cn + c];
  return out;
}

interface ParamsF64 { wIh: Float64Array; wHh: Float64Array; bIh: Float64Array | null; bHh: Float64Array | null; wHr: Float64Array | null }
function paramsF64(p: LayerParams): ParamsF64 {
  return {
    wIh: asF64(p.wIh, Slot.WIH), wHh: asF64(p.wHh, Slot.WHH), bIh: p.bIh ? asF64(p.bIh, Slot.BIH) : null,
    bHh: p.bHh ? asF64(p.bHh, Slot.BHH) : null, wHr: p.wHr ? asF64(p.wHr, Slot.WHR) : null,
  };
}

/** The forward pass's weights: transposed (W^T [in, out], for gemmABias) Float64 copies. */
function paramsF64T(p: LayerParams, In: number, H: number, Hout: number, GH: number, P: number): ParamsF64 {
  return {
    wIh: transposedF64(p.wIh, GH, In, Slot.WIHT), wHh: transposedF64(p.wHh, GH, Hout, Slot.WHHT),
    bIh: p.bIh ? asF64(p.bIh, Slot.BIH) : null, bHh: p.bHh ? asF64(p.bHh, Slot.BHH) : null,
    wHr: p.wHr ? transposedF64(p.wHr, P, H, Slot.WHRT) : null,
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
  return fillOffsets(batchSizes, new Int32Array(batchSizes.length + 1));
}

function fillOffsets(batchSizes: ArrayLike<number>, off: Int32Array): Int32Array {
  const T = batchSizes.length;
  off[0] = 0;
  for (let t = 0; t < T; t++) off[t + 1] = off[t] + batchSizes[t];
  return off;
}

// Step offsets of the current call (grow-only, like the Float64 scratch; only [0, T] meaningful).
let offScratch = new Int32Array(64);
function scratchOffsets(batchSizes: ArrayLike<number>): Int32Array {
  if (offScratch.length < batchSizes.length + 1) offScratch = new Int32Array(2 * (batchSizes.length + 1));
  return fillOffsets(batchSizes, offScratch);
}

/** `alloc`: how to get zeroed Float64Arrays (allocF64 for long-lived workspaces, so that the
 *  products reading the tape can run in WASM; the default for per-call tapes). */
export function allocTape(shape: LayerShape, rows: number, alloc: (n: number) => Float64Array = (n) => new Float64Array(n)): LayerTape {
  const H = shape.hiddenSize;
  const Hout = shape.projSize > 0 ? shape.projSize : H;
  return {
    hPrev: alloc(rows * Hout),
    cPrev: alloc(shape.mode === 'LSTM' ? rows * H : 0),
    save: alloc(rows * savedWidth(shape.mode, H)),
  };
}

/**
 * x [Ttot, In], batchSizes [T] (bs[0] = B), h0 [B, Hout] | null (zeros), c0 [B, H] | null (zeros)
 * → y [Ttot, Hout], hN [B, Hout], cN [B, H] (LSTM; else null). `tape` (allocTape) is filled for
 * backward when given. `noise` (optional, [Ttot, Hout] from `noiseOff`): added to each row's new
 * state after its step (after the projection; LSTM: h only, never c) — state noise for training.
 *
 * Per step t with n = bs[t] active rows: GH_t [n, GH] = hS[0..n) W_hhᵀ + b_hh (one blocked product
 * for all active rows), then the cell row by row (Elman, and LSTM/GRU in WASM memory: all n rows
 * in one call, they are contiguous); for LSTM with projection hS[0..n) = hRaw W_hrᵀ.
 *
 * `seqs` [lo, hi) (optional): only the sorted sequences lo ≤ i < hi — their rows of y, hN, cN and
 * the tape, nothing else written. Every row's arithmetic is the same as in the whole call (each
 * product element is one accumulator over k in order, whatever rows share the call), so two calls
 * on [0, s) and [s, B) — e.g. on two threads — give the bits of one call on [0, B).
 */
export function packedLayerForward(
  shape: LayerShape, p: LayerParams, x: Floats, batchSizes: ArrayLike<number>, reverse: boolean,
  h0: Floats | null, c0: Floats | null, y: Floats, hN: Floats, cN: Floats | null, tape: LayerTape | null,
  noise: ArrayLike<number> | null = null, noiseOff = 0, seqs: SeqRange | null = null,
): void {
  const { mode, inputSize: In, hiddenSize: H, projSize: P } = shape;
  const Hout = P > 0 ? P : H;
  const G = gateCount(mode);
  const GH = G * H;
  const S = savedWidth(mode, H);
  const T = batchSizes.length;
  const B = T > 0 ? batchSizes[0] : hN.length / Hout;
  const lo = seqs !== null ? seqs.lo : 0;
  const hi = seqs !== null ? Math.min(seqs.hi, B) : B;
  const nb = Math.max(0, hi - lo); // state rows of this call: row i ↔ sorted sequence lo + i
  const off = scratchOffsets(batchSizes);
  const rows = off[T];
  const relu = mode === 'RNN_RELU';
  const lstm = mode === 'LSTM';
  const gru = mode === 'GRU';

  const gi = scratch(Slot.GI, rows * GH); // [Ttot, GH] input projections (+ b_ih)
  const gh = scratch(Slot.GH, nb * GH); // [nb, GH] hidden projections of the current step (+ b_hh)
  const hS = scratch(Slot.HS, nb * Hout); // [nb, Hout] running state
  const cS = scratch(Slot.CS, lstm ? nb * H : 0); // [nb, H] running cell state
  const hRaw = scratch(Slot.HRAW, lstm ? nb * H : 0); // [nb, H] LSTM o ⊙ tanh(c') before projection
  const save = tape !== null ? tape.save : scratch(Slot.DGI, nb * S); // no tape: rows reuse [nb, S]
  for (let k = 0; k < nb * Hout; k++) hS[k] = h0 !== null ? h0[lo * Hout + k] : 0;
  if (lstm) for (let k = 0; k < nb * H; k++) cS[k] = c0 !== null ? c0[lo * H + k] : 0;

  const w = paramsF64T(p, In, H, Hout, GH, P);
  const x64 = asF64(x, Slot.X);
  if (seqs === null) gemmABias(x64, 0, w.wIh, w.bIh, gi, 0, rows, In, GH); // all rows at once
  const { wHh, bHh, wHr } = w; // transposed: wHh [Hout, GH], wHr [H, P]
  // Elman tanh with its buffers in WASM memory: a whole step's n rows in one SIMD tanh call (the
  // rows of gi, gh and hS are contiguous when GH = Hout = H), the same bits as rnnCellForward.
  const simd = mode === 'RNN_TANH' && inWasmMemory(gi) && inWasmMemory(gh) && inWasmMemory(hS) ? wasmKernels() : null;
  // LSTM / GRU likewise: a step's n rows in one SIMD call (rows contiguous in gi, gh, the state
  // buffers and save), the same bits as n calls of lstmCellForward / gruCellForward.
  const gates = (lstm || (gru && Hout === H)) && inWasmMemory(gi) && inWasmMemory(gh) && inWasmMemory(save) &&
    (lstm ? inWasmMemory(cS) && inWasmMemory(hRaw) : inWasmMemory(hS)) ? wasmGates() : null;

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const n = Math.min(hi, batchSizes[t]) - lo;
    if (n <= 0) continue;
    const base = off[t] + lo;
    if (seqs !== null) gemmABias(x64, base * In, w.wIh, w.bIh, gi, base * GH, n, In, GH); // this step's rows
    if (tape !== null) {
      copyF64(hS, 0, tape.hPrev, base * Hout, n * Hout);
      if (lstm) copyF64(cS, 0, tape.cPrev, base * H, n * H);
    }
    gemmABias(hS, 0, wHh, bHh, gh, 0, n, Hout, GH);
    if (gates !== null) {
      const giAt = gi.byteOffset + 8 * base * GH;
      const saveAt = save.byteOffset + 8 * (tape !== null ? base * S : 0); // save rows r·S (tape) or i·S
      if (lstm) gates.lstmForward(giAt, gh.byteOffset, cS.byteOffset, hRaw.byteOffset, saveAt, n, H);
      else gates.gruForward(giAt, gh.byteOffset, hS.byteOffset, saveAt, n, H);
    } else if (lstm || gru) {
      for (let i = 0; i < n; i++) {
        const r = base + i;
        const sO = tape !== null ? r * S : i * S;
        if (lstm) lstmCellForward(H, gi, r * GH, gh, i * GH, cS, i * H, hRaw, i * H, save, sO);
        else gruCellForward(H, gi, r * GH, gh, i * GH, hS, i * Hout, save, sO);
      }
    } else {
      // Elman: the step's n rows are contiguous in gi, gh, hS and save (S = GH = Hout = H)
      const so = tape !== null ? base * H : 0; // save rows r·S (tape) or i·S
      if (simd !== null) {
        simd.tanhAdd(gi.byteOffset + 8 * base * H, gh.byteOffset, hS.byteOffset, n * H);
        copyF64(hS, 0, save, so, n * H);
      } else {
        rnnCellForward(n * H, relu, gi, base * H, gh, 0, hS, 0, save, so);
      }
    }
    if (lstm) {
      if (wHr !== null) gemmABias(hRaw, 0, wHr, null, hS, 0, n, H, P);
      else for (let k = 0; k < n * H; k++) hS[k] = hRaw[k];
    }
    const yo = base * Hout;
    if (noise !== null) {
      // State noise (training): the new state of each active row += noise[row]; the next step,
      // y, h_n and the tape's hPrev all see the noisy state (additive: backward unchanged).
      const no = noiseOff + yo;
      for (let k = 0; k < n * Hout; k++) hS[k] += noise[no + k];
    }
    if (y instanceof Float32Array) demoteF64(hS, 0, y, yo, n * Hout);
    else for (let k = 0; k < n * Hout; k++) y[yo + k] = hS[k];
  }
  for (let k = 0; k < nb * Hout; k++) hN[lo * Hout + k] = hS[k];
  if (cN !== null) for (let k = 0; k < nb * H; k++) cN[lo * H + k] = cS[k];
}

/** Sorted sequences lo ≤ i < hi of a packed batch (one thread's share of it). */
export interface SeqRange {
  lo: number;
  hi: number;
}

/** Per-row gate gradients the backward walk leaves for the weight-gradient products ([Ttot, GH] each; dGh = dGi unless GRU). */
export interface GateGrads {
  dGi: Float64Array;
  dGh: Float64Array;
}

/**
 * Backward of packedLayerForward (same shape/params/x/batchSizes/reverse and its tape).
 * dY [Ttot, Hout], dhN [B, Hout], dcN [B, H] — each may be null (= zero).
 *
 * Per step (mirror order), for the n active rows: dh = dhS + dY_t; [LSTM+proj: dhRaw = dh W_hr];
 * the cell gives dGi, dGh and resets dhS (GRU: to its direct z ⊙ term); then dhS[0..n) += dGh_t W_hh
 * as one blocked product. After the walk: dW_ih += dGiᵀ X, dW_hh += dGhᵀ hPrev, db = column sums,
 * dX += dGi W_ih, dW_hr += dHᵀ hRaw.
 */
export function packedLayerBackward(
  shape: LayerShape, p: LayerParams, x: Floats, batchSizes: ArrayLike<number>, reverse: boolean,
  tape: LayerTape, dY: Floats | null, dhN: Floats | null, dcN: Floats | null, out: LayerGrads,
): void {
  const GH = gateCount(shape.mode) * shape.hiddenSize;
  const rows = scratchOffsets(batchSizes)[batchSizes.length];
  const dGi = scratch(Slot.DGI, rows * GH);
  const gates = { dGi, dGh: shape.mode === 'GRU' ? scratch(Slot.DGH, rows * GH) : dGi };
  packedLayerBackwardWalk(shape, p, x, batchSizes, reverse, tape, dY, dhN, dcN, out, gates, null);
  packedLayerWeightGrads(shape, x, rows, tape, gates, out, 'all');
}

/**
 * The walk of packedLayerBackward and the input gradient dX (not the weight gradients): fills
 * out.dh0, out.dc0, out.dX and `gates` (see packedLayerWeightGrads). With `seqs`, only those
 * sequences' rows (as packedLayerForward; no projection): the walks of [0, s) and [s, B) together
 * write exactly what the whole one does, bit for bit.
 */
export function packedLayerBackwardWalk(
  shape: LayerShape, p: LayerParams, x: Floats, batchSizes: ArrayLike<number>, reverse: boolean,
  tape: LayerTape, dY: Floats | null, dhN: Floats | null, dcN: Floats | null, out: LayerGrads,
  gates: GateGrads, seqs: SeqRange | null,
): void {
  const { mode, inputSize: In, hiddenSize: H, projSize: P } = shape;
  const Hout = P > 0 ? P : H;
  const G = gateCount(mode);
  const GH = G * H;
  const S = savedWidth(mode, H);
  const T = batchSizes.length;
  const B = out.dh0.length / Hout;
  const lo = seqs !== null ? seqs.lo : 0;
  const hi = seqs !== null ? Math.min(seqs.hi, B) : B;
  const nb = Math.max(0, hi - lo);
  if (seqs !== null && P > 0) throw new Error('packedLayerBackwardWalk: a sequence range with a projection is not supported');
  const off = scratchOffsets(batchSizes);
  const rows = off[T];
  const relu = mode === 'RNN_RELU';
  const lstm = mode === 'LSTM';
  const gru = mode === 'GRU';
  const w = paramsF64(p);
  const { wHh, wHr } = w;
  const { save, hPrev, cPrev } = tape;

  const { dGi, dGh } = gates; // [Ttot, GH] d loss / d gi, d gh
  const dHrow = wHr !== null ? scratch(Slot.DHROW, rows * Hout) : null; // [Ttot, P] d loss / d h (projected)
  const dhS = out.dh0.subarray(lo * Hout, hi * Hout); // [nb, Hout] running d loss / d state
  const dcS = lstm ? out.dc0!.subarray(lo * H, hi * H) : null; // [nb, H]
  const dh = scratch(Slot.DH, nb * Hout); // [nb, Hout] this step's total d loss / d h'
  const dhRaw = wHr !== null ? scratch(Slot.DHRAW, nb * H) : dh; // [nb, H]
  for (let k = 0; k < nb * Hout; k++) dhS[k] = dhN !== null ? dhN[lo * Hout + k] : 0;
  if (dcS !== null) for (let k = 0; k < nb * H; k++) dcS[k] = dcN !== null ? dcN[lo * H + k] : 0;

  // Elman tanh with everything in WASM memory (dY float32 or none): a step's backward is one call.
  const simd = mode === 'RNN_TANH' && inWasmMemory(dhS) && inWasmMemory(save) && inWasmMemory(dGi) &&
    (dY === null || (dY instanceof Float32Array && inWasmMemory(dY))) ? wasmKernels() : null;
  // LSTM (no projection) / GRU with the buffers the cells touch in WASM memory: a step's n rows in
  // one SIMD call (rows contiguous in each), the same bits as n calls of lstmCellBackward / gruCellBackward.
  const back = ((lstm && wHr === null) || (gru && Hout === H)) && inWasmMemory(dh) && inWasmMemory(save) && inWasmMemory(dGi) &&
    (lstm ? inWasmMemory(dcS!) && inWasmMemory(cPrev) : inWasmMemory(hPrev) && inWasmMemory(dGh) && inWasmMemory(dhS)) ? wasmGatesBackward() : null;

  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const n = Math.min(hi, batchSizes[t]) - lo;
    if (n <= 0) continue;
    const base = off[t] + lo;
    const yo = base * Hout;
    if (simd !== null) {
      // dGi rows = (dhS + dY) ⊙ (1 − h'²), dhS = 0 (rows contiguous: S = GH = Hout = H)
      simd.rnnTanhBack(dhS.byteOffset, dY !== null ? dY.byteOffset + 4 * yo : 0, save.byteOffset + 8 * base * H, dGi.byteOffset + 8 * base * H, n * H);
      gemmAddAB(dGh, base * GH, wHh, dhS, 0, n, GH, Hout); // dh_prev += dgh W_hh
      continue;
    }
    for (let k = 0; k < n * Hout; k++) dh[k] = dhS[k] + (dY !== null ? dY[yo + k] : 0);
    if (lstm) {
      if (wHr !== null) {
        dHrow!.set(dh.subarray(0, n * Hout), yo);
        zeroFill(dhRaw, 0, n * H);
        gemmAddAB(dh, 0, wHr, dhRaw, 0, n, P, H);
      }
      if (back !== null) {
        back.lstmBackward(dhRaw.byteOffset, dcS!.byteOffset, cPrev.byteOffset + 8 * base * H, save.byteOffset + 8 * base * S,
          dGi.byteOffset + 8 * base * GH, n, H);
      } else {
        for (let i = 0; i < n; i++) {
          const r = base + i;
          lstmCellBackward(H, dhRaw, i * H, dcS!, i * H, cPrev, r * H, save, r * S, dGi, r * GH);
        }
      }
      zeroFill(dhS, 0, n * Hout);
    } else if (gru) {
      if (back !== null) {
        back.gruBackward(dh.byteOffset, hPrev.byteOffset + 8 * base * Hout, save.byteOffset + 8 * base * S, dGi.byteOffset + 8 * base * GH,
          dGh.byteOffset + 8 * base * GH, dhS.byteOffset, n, H);
      } else {
        for (let i = 0; i < n; i++) {
          const r = base + i;
          gruCellBackward(H, dh, i * Hout, hPrev, r * Hout, save, r * S, dGi, r * GH, dGh, r * GH, dhS, i * Hout);
        }
      }
    } else {
      // Elman: the step's n rows are contiguous in dh, save and dGi (S = GH = Hout = H): one call.
      rnnCellBackward(n * H, relu, dh, 0, save, base * H, dGi, base * H);
      zeroFill(dhS, 0, n * Hout);
    }
    // dh_prev += dgh W_hh   ([n, GH] · [GH, Hout])
    gemmAddAB(dGh, base * GH, wHh, dhS, 0, n, GH, Hout);
  }

  // dX += dGi W_ih: all rows in one product, or this range's rows step by step (same bits per row).
  if (out.dX === null) return;
  if (seqs === null) {
    gemmAddAB(dGi, 0, w.wIh, out.dX, 0, rows, GH, In);
    return;
  }
  for (let t = 0; t < T; t++) {
    const n = Math.min(hi, batchSizes[t]) - lo;
    if (n > 0) gemmAddAB(dGi, (off[t] + lo) * GH, w.wIh, out.dX, (off[t] + lo) * In, n, GH, In);
  }
}

/**
 * The weight and bias gradients from a finished walk over all rows: dW_ih += dGiᵀ X, db_ih = column
 * sums of dGi (part 'ih'); dW_hh += dGhᵀ hPrev, db_hh (part 'hh'); both and dW_hr ('all'). Each is
 * one product into its own buffer, so the parts can run on different threads.
 */
export function packedLayerWeightGrads(
  shape: LayerShape, x: Floats, rows: number, tape: LayerTape, gates: GateGrads, out: LayerGrads, part: 'ih' | 'hh' | 'all',
): void {
  const { inputSize: In, hiddenSize: H, projSize: P } = shape;
  const Hout = P > 0 ? P : H;
  const GH = gateCount(shape.mode) * H;
  const S = savedWidth(shape.mode, H);
  const { dGi, dGh } = gates;
  if (part !== 'hh') {
    gemmAddAtB(dGi, asF64(x, Slot.X), rows, GH, In, out.dWih);
    if (out.dBih !== null) addColSum(dGi, rows, GH, out.dBih);
  }
  if (part !== 'ih') {
    gemmAddAtB(dGh, tape.hPrev, rows, GH, Hout, out.dWhh);
    if (out.dBhh !== null) addColSum(dGh, rows, GH, out.dBhh);
  }
  if (part === 'all' && P > 0 && out.dWhr !== null) {
    // dW_hr += dHᵀ hRaw with hRaw = o ⊙ tanh(c') rebuilt from the saved gates (dH from the walk).
    const save = tape.save;
    const dHrow = scratch(Slot.DHROW, rows * Hout);
    const hRawAll = scratch(Slot.HRAWALL, rows * H); // [Ttot, H]
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < H; k++) hRawAll[r * H + k] = save[r * S + 3 * H + k] * save[r * S + 4 * H + k];
    }
    gemmAddAtB(dHrow, hRawAll, rows, P, H, out.dWhr);
  }
}
