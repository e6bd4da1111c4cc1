// GRU cell, one row, exactly PyTorch's variant. Gate blocks [r | z | n]:
//   r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z),
//   n = tanh(gi_n + r ⊙ gh_n)      (gh_n = W_hn h + b_hn: r multiplies the hidden bias too)
//   h' = (1 − z) ⊙ n + z ⊙ h
// Because r multiplies only the hidden half, d gi ≠ d gh for the n block: two gradient outputs.
// Saved for backward (`save`, width 4H): r, z, n, gh_n.
// exp and tanh are fdlibm's (./fdlibm.ts): Node 20's Math.exp/Math.tanh bits, on every engine.
import { fdlibmExp, fdlibmTanh } from './fdlibm.js';

/** gi[3H], gh[3H]; h[H] at hO is updated in place (h → h'); save[4H] at sO. */
export function gruCellForward(
  H: number,
  gi: Float64Array, giO: number, gh: Float64Array, ghO: number,
  h: Float64Array, hO: number, save: Float64Array, sO: number,
): void {
  for (let k = 0; k < H; k++) {
    // σ written out, as in lstm.ts (same arithmetic as 1 / (1 + fdlibmExp(−v))).
    const r = 1 / (1 + fdlibmExp(-(gi[giO + k] + gh[ghO + k])));
    const z = 1 / (1 + fdlibmExp(-(gi[giO + H + k] + gh[ghO + H + k])));
    const ghn = gh[ghO + 2 * H + k];
    const n = fdlibmTanh(gi[giO + 2 * H + k] + r * ghn);
    h[hO + k] = (1 - z) * n + z * h[hO + k];
    save[sO + k] = r;
    save[sO + H + k] = z;
    save[sO + 2 * H + k] = n;
    save[sO + 3 * H + k] = ghn;
  }
}

/**
 * dh[H] = d loss / d h'; hPrev[H] the previous state. Writes dgi[3H] = d loss / d gi,
 * dgh[3H] = d loss / d gh, and dhDirect[H] = the part of d loss / d h through `z ⊙ h`
 * (the caller adds dgh W_hh for the rest).
 */
export function gruCellBackward(
  H: number,
  dh: Float64Array, dhO: number, hPrev: Float64Array, hpO: number, save: Float64Array, sO: number,
  dgi: Float64Array, dgiO: number, dgh: Float64Array, dghO: number, dhDirect: Float64Array, ddO: number,
): void {
  for (let k = 0; k < H; k++) {
    const r = save[sO + k];
    const z = save[sO + H + k];
    const n = save[sO + 2 * H + k];
    const ghn = save[sO + 3 * H + k];
    const d = dh[dhO + k];
    const dnPre = d * (1 - z) * (1 - n * n);
    const dzPre = d * (hPrev[hpO + k] - n) * z * (1 - z);
    const drPre = dnPre * ghn * r * (1 - r);
    dgi[dgiO + k] = drPre;
    dgi[dgiO + H + k] = dzPre;
    dgi[dgiO + 2 * H + k] = dnPre;
    dgh[dghO + k] = drPre;
    dgh[dghO + H + k] = dzPre;
    dgh[dghO + 2 * H + k] = dnPre * r;
    dhDirect[ddO + k] = d * z;
  }
}
