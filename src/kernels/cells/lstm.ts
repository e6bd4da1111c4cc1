// LSTM cell, one row. Gate blocks of the 4H pre-activations (gi + gh): [i | f | g | o].
//   i = σ(·), f = σ(·), g = tanh(·), o = σ(·);  c' = f ⊙ c + i ⊙ g;  hRaw = o ⊙ tanh(c').
// The optional projection h' = hRaw W_hr^T is done by the layer (it is a matrix product).
// Saved for backward (`save`, width 5H): i, f, g, o, tanh(c').
// exp and tanh are fdlibm's (./fdlibm.ts): Node 20's Math.exp/Math.tanh bits, on every engine.
import { fdlibmExp, fdlibmTanh } from './fdlibm.js';

/** gi[4H], gh[4H]; c[H] at cO is updated in place (c → c'); hRaw[H] at hO; save[5H] at sO. */
export function lstmCellForward(
  H: number,
  gi: Float64Array, giO: number, gh: Float64Array, ghO: number,
  c: Float64Array, cO: number, hRaw: Float64Array, hO: number, save: Float64Array, sO: number,
): void {
  for (let k = 0; k < H; k++) {
    // σ(v) = 1 / (1 + e^−v), written out (V8 does not always
    // inline the helper in this loop, and the call showed up in profiles).
    const i = 1 / (1 + fdlibmExp(-(gi[giO + k] + gh[ghO + k])));
    const f = 1 / (1 + fdlibmExp(-(gi[giO + H + k] + gh[ghO + H + k])));
    const g = fdlibmTanh(gi[giO + 2 * H + k] + gh[ghO + 2 * H + k]);
    const o = 1 / (1 + fdlibmExp(-(gi[giO + 3 * H + k] + gh[ghO + 3 * H + k])));
    const c2 = f * c[cO + k] + i * g;
    const tc = fdlibmTanh(c2);
    c[cO + k] = c2;
    hRaw[hO + k] = o * tc;
    save[sO + k] = i;
    save[sO + H + k] = f;
    save[sO + 2 * H + k] = g;
    save[sO + 3 * H + k] = o;
    save[sO + 4 * H + k] = tc;
  }
}

/**
 * dhRaw[H] = d loss / d hRaw; dc[H] at dcO holds d loss / d c' on entry (from later steps or c_n)
 * and d loss / d c (previous cell state) on exit. cPrev[H] is the previous cell state.
 * Writes dg[4H] = d loss / d(gi + gh).
 */
export function lstmCellBackward(
  H: number,
  dhRaw: Float64Array, dhO: number, dc: Float64Array, dcO: number,
  cPrev: Float64Array, cpO: number, save: Float64Array, sO: number, dg: Float64Array, dgO: number,
): void {
  for (let k = 0; k < H; k++) {
    const i = save[sO + k];
    const f = save[sO + H + k];
    const g = save[sO + 2 * H + k];
    const o = save[sO + 3 * H + k];
    const tc = save[sO + 4 * H + k];
    const dh = dhRaw[dhO + k];
    const dct = dc[dcO + k] + dh * o * (1 - tc * tc);
    dg[dgO + k] = dct * g * i * (1 - i);
    dg[dgO + H + k] = dct * cPrev[cpO + k] * f * (1 - f);
    dg[dgO + 2 * H + k] = dct * i * (1 - g * g);
    dg[dgO + 3 * H + k] = dh * tc * o * (1 - o);
    dc[dcO + k] = dct * f;
  }
}
