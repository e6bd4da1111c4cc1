// Elman RNN cell, one row (one sequence at one time step):
//   h' = act(gi + gh),  gi = x W_ih^T + b_ih,  gh = h W_hh^T + b_hh,  act = tanh | relu.
// tanh is the recurrent cells' own (./tanh.ts: within 4 ulp of Math.tanh, the bits of the SIMD
// version that packed-layer.ts runs a whole step with when its buffers are in WASM memory).
// Saved for backward (`save`, width H): h' itself (tanh' = 1 − h'², relu' = [h' > 0]).
// Offsets select the row inside each flat buffer.
import { tanh } from './tanh.js';

/** gi[H] at giO, gh[H] at ghO → hOut[H] at hO and save[H] at sO. */
export function rnnCellForward(
  H: number, relu: boolean,
  gi: Float64Array, giO: number, gh: Float64Array, ghO: number,
  hOut: Float64Array, hO: number, save: Float64Array, sO: number,
): void {
  for (let k = 0; k < H; k++) {
    const v = gi[giO + k] + gh[ghO + k];
    const a = relu ? (v > 0 ? v : 0) : tanh(v);
    hOut[hO + k] = a;
    save[sO + k] = a;
  }
}

/** dh[H] (d loss / d h') → dg[H] = d loss / d(gi + gh) (the same for the ih and hh halves). */
export function rnnCellBackward(
  H: number, relu: boolean,
  dh: Float64Array, dhO: number, save: Float64Array, sO: number, dg: Float64Array, dgO: number,
): void {
  for (let k = 0; k < H; k++) {
    const a = save[sO + k];
    dg[dgO + k] = dh[dhO + k] * (relu ? (a > 0 ? 1 : 0) : 1 - a * a);
  }
}
