// The float32 recurrent cells, b rows of one time step, in float32 arithmetic: the JS twins of the
// f32x4 kernels in src/runtime/wasm/cells32{f,g,r,b}.wat (tools/gen-cells32-wasm.mjs),
// which run the same operations per lane in the same order — the same bits (test/cells32.test.ts).
// Every operation is rounded to float32 (Math.fround), products and sums separately (no fused
// multiply-add); tanh and σ are cells/tanh32.ts.
//
// Offsets are in elements; every buffer is row-major with b rows. Forward (all in the workspace w):
//   gi, gh  [b, G·H]  the two gate pre-activations (x·W_ihᵀ + b_ih, h·W_hhᵀ + b_hh), G = 4 | 3 | 1
//   sv      [b, S·H]  the saved row: LSTM i f g o tanh(c) c (S = 6), GRU r z n gh_n (4), RNN h (1)
//   hs      [b, H]    the state h: h_prev on entry, h on return;  cs [b, H] (LSTM) likewise c
// Backward (the saved rows and gate gradients in the workspace w; dh, dy, GRU's dgh in e):
//   dh [b, H] d loss/d h from later steps, dy [b, H] d loss/d y of this step (added to dh first)
//   dg [b, G·H] d loss/d(gate pre-activation) (written; GRU: dgi and dgh differ in the n block)
//   LSTM: cp [b, H] c_prev, dc [b, H] d loss/d c: in, d loss/d c_prev: out
//   GRU: hp [b, H] h_prev; dh out: the direct part dh·z (the product dgh·W_hh is added after)
import { sigmoid32, tanh32 } from './cells/tanh32.js';

const f = Math.fround;

/** LSTM forward: c = f·c_prev + i·g, h = o·tanh(c); gates i f g o = σ σ tanh σ of gi + gh. */
export function lstmRows32Naive(w: Float32Array, b: number, H: number, gi0: number, gh0: number, sv0: number, hs0: number, cs0: number): void {
  for (let i = 0; i < b; i++) {
    const gi = gi0 + i * 4 * H, gh = gh0 + i * 4 * H, sv = sv0 + i * 6 * H, hs = hs0 + i * H, cs = cs0 + i * H;
    for (let k = 0; k < H; k++) {
      const ig = sigmoid32(f(w[gi + k] + w[gh + k]));
      const fg = sigmoid32(f(w[gi + H + k] + w[gh + H + k]));
      const gg = tanh32(f(w[gi + 2 * H + k] + w[gh + 2 * H + k]));
      const og = sigmoid32(f(w[gi + 3 * H + k] + w[gh + 3 * H + k]));
      const c = f(f(fg * w[cs + k]) + f(ig * gg));
      const tc = tanh32(c);
      w[sv + k] = ig; w[sv + H + k] = fg; w[sv + 2 * H + k] = gg; w[sv + 3 * H + k] = og;
      w[sv + 4 * H + k] = tc; w[sv + 5 * H + k] = c;
      w[cs + k] = c;
      w[hs + k] = f(og * tc);
    }
  }
}

/** GRU forward: r, z = σ(gi + gh), n = tanh(gi_n + r·gh_n), h = (h_prev − n)·z + n (PyTorch's form). */
export function gruRows32Naive(w: Float32Array, b: number, H: number, gi0: number, gh0: number, sv0: number, hs0: number): void {
  for (let i = 0; i < b; i++) {
    const gi = gi0 + i * 3 * H, gh = gh0 + i * 3 * H, sv = sv0 + i * 4 * H, hs = hs0 + i * H;
    for (let k = 0; k < H; k++) {
      const r = sigmoid32(f(w[gi + k] + w[gh + k]));
      const z = sigmoid32(f(w[gi + H + k] + w[gh + H + k]));
      const ghn = w[gh + 2 * H + k];
      const n = tanh32(f(w[gi + 2 * H + k] + f(r * ghn)));
      w[sv + k] = r; w[sv + H + k] = z; w[sv + 2 * H + k] = n; w[sv + 3 * H + k] = ghn;
      w[hs + k] = f(f(f(w[hs + k] - n) * z) + n);
    }
  }
}

/** Elman forward: h = tanh(gi + gh) or relu(gi + gh) (NaN → 0), into hs and sv. */
export function rnnRows32Naive(w: Float32Array, b: number, H: number, gi0: number, gh0: number, sv0: number, hs0: number, relu: boolean): void {
  for (let i = 0; i < b; i++) {
    const gi = gi0 + i * H, gh = gh0 + i * H, sv = sv0 + i * H, hs = hs0 + i * H;
    for (let k = 0; k < H; k++) {
      const v = f(w[gi + k] + w[gh + k]);
      const h = relu ? (v > 0 ? v : 0) : tanh32(v);
      w[hs + k] = h;
      w[sv + k] = h;
    }
  }
}

/** LSTM backward: dh += dy; dc += dh·o·(1 − tanh²c); the four gate gradients; dc ← dc·f. */
export function lstmBackRows32Naive(
  w: Float32Array, e: Float32Array, b: number, H: number, sv0: number, dg0: number, cp0: number, dc0: number, dh0: number, dy0: number,
): void {
  for (let i = 0; i < b; i++) {
    const sv = sv0 + i * 6 * H, dg = dg0 + i * 4 * H, cp = cp0 + i * H, dc = dc0 + i * H, dh = dh0 + i * H, dy = dy0 + i * H;
    for (let k = 0; k < H; k++) {
      const ig = w[sv + k], fg = w[sv + H + k], gg = w[sv + 2 * H + k], og = w[sv + 3 * H + k], tc = w[sv + 4 * H + k];
      const dhk = f(e[dh + k] + e[dy + k]);
      const dct = f(w[dc + k] + f(f(dhk * og) * f(1 - f(tc * tc))));
      w[dg + k] = f(f(f(dct * gg) * ig) * f(1 - ig));
      w[dg + H + k] = f(f(f(dct * w[cp + k]) * fg) * f(1 - fg));
      w[dg + 2 * H + k] = f(f(dct * ig) * f(1 - f(gg * gg)));
      w[dg + 3 * H + k] = f(f(f(dhk * tc) * og) * f(1 - og));
      w[dc + k] = f(dct * fg);
    }
  }
}

/** GRU backward: dh += dy; the gate gradients dgi (w) and dgh (e: its n block is dan·r); dh ← dh·z. */
export function gruBackRows32Naive(
  w: Float32Array, e: Float32Array, b: number, H: number, sv0: number, hp0: number, dgi0: number, dgh0: number, dh0: number, dy0: number,
): void {
  for (let i = 0; i < b; i++) {
    const sv = sv0 + i * 4 * H, hp = hp0 + i * H, dgi = dgi0 + i * 3 * H, dgh = dgh0 + i * 3 * H, dh = dh0 + i * H, dy = dy0 + i * H;
    for (let k = 0; k < H; k++) {
      const r = w[sv + k], z = w[sv + H + k], n = w[sv + 2 * H + k], ghn = w[sv + 3 * H + k];
      const dhk = f(e[dh + k] + e[dy + k]);
      const omz = f(1 - z);
      const dan = f(f(dhk * omz) * f(1 - f(n * n)));
      const daz = f(f(f(dhk * f(w[hp + k] - n)) * z) * omz);
      const dar = f(f(f(dan * ghn) * r) * f(1 - r));
      w[dgi + k] = dar; w[dgi + H + k] = daz; w[dgi + 2 * H + k] = dan;
      e[dgh + k] = dar; e[dgh + H + k] = daz; e[dgh + 2 * H + k] = f(dan * r);
      e[dh + k] = f(dhk * z);
    }
  }
}

/** Elman backward: dh += dy; dg = dh·(1 − h²) (tanh) or dh·[h > 0] (relu). */
export function rnnBackRows32Naive(
  w: Float32Array, e: Float32Array, b: number, H: number, sv0: number, dg0: number, dh0: number, dy0: number, relu: boolean,
): void {
  for (let i = 0; i < b; i++) {
    const sv = sv0 + i * H, dg = dg0 + i * H, dh = dh0 + i * H, dy = dy0 + i * H;
    for (let k = 0; k < H; k++) {
      const hv = w[sv + k];
      const dhk = f(e[dh + k] + e[dy + k]);
      w[dg + k] = relu ? (hv > 0 ? dhk : 0) : f(dhk * f(1 - f(hv * hv)));
    }
  }
}

/** w[d + k] += w[s + k], k < n: add32's twin (float32 sums: Math.fround of each). */
export function add32Naive(w: Float32Array, d: number, s: number, n: number): void {
  for (let k = 0; k < n; k++) w[d + k] = Math.fround(w[d + k] + w[s + k]);
}
