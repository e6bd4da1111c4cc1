// RnnClsNet inference on ONE unpadded sequence (predict): embedding rows → L recurrent layers
// walked step by step → Linear on the last step's output. No sorting, packing or batch; every
// buffer is made once and reused, so a call allocates nothing.
//
// Two implementations of one interface:
// - OneSequenceJs, the naive twin: the same floating-point operations in the same order as
//   RnnClsNetKernel.forward() with B = 1 — gi = b_ih + Σ_k x·W_ih in increasing k, in double (as
//   gemmABt), the same cell functions, float32 rounding of each layer's output, the head as
//   forwardAll — reading the float32 weights directly. Bit-identical to forward()
//   (test/train-fused.test.ts).
// - OneSequenceWasm: the products on the WASM f64x2 kernel (same per-element order) over float64
//   transposed copies of the weights that are kept between calls, and each Elman tanh layer's
//   whole recurrence in one WASM call (the cells' tanh, SIMD: the same bits as cells/tanh.ts) —
//   so the same bits as the twin. The copies are re-made whenever the float32 weights' bits
//   change: each call copies the recurrent weights into WASM memory and compares them with the
//   copy the cache was made from (a memcpy and one SIMD pass, ≈ 1 µs for the `sota` model's
//   22 KB) — exact, so changing a weight in place can never leave predict on stale weights.
//
// Shapes: T steps, E embed, H hidden, L layers, C classes, GH = gates·H, W = max(E, H).
import { gateCount, savedWidth } from './packed-layer.js';
import { lstmCellForward } from './cells/lstm.js';
import { gruCellForward } from './cells/gru.js';
import { tanh } from './cells/tanh.js';
import { headRow } from './head.js';
import { allocF32, allocF64, inWasmMemory, release, wasmKernels } from './gemm-wasm.js';
import type { KernelExports } from './gemm-wasm.js';
import type { ClsNetArrays, ClsNetDims } from './rnn-cls-net.js';

export interface OneSequence {
  /** tokens [T] (valid row indices, T ≥ 1) → logits [C], a view overwritten by the next call. */
  forward(tokens: ArrayLike<number>, T: number): Float32Array;
}

/**
 * The WASM implementation where the SIMD kernels are available and their memory has room for its
 * buffers, else the JS twin.
 */
export function makeOneSequence(dims: ClsNetDims, params: ClsNetArrays): OneSequence {
  const wasm = wasmKernels();
  const fast = wasm !== null ? new OneSequenceWasm(dims, params, wasm) : null;
  return fast !== null && fast.usable() ? fast : new OneSequenceJs(dims, params);
}

export class OneSequenceJs implements OneSequence {
  private cap = 0;
  private x = new Float32Array(0); // [cap, W] layer input (float32: the layer outputs are stored rounded)
  private y = new Float32Array(0); // [cap, W] layer output
  private gi = new Float64Array(0); // [cap, GH]
  private readonly gh: Float64Array; // [GH]
  private readonly h: Float64Array; // [H]
  private readonly c: Float64Array; // [H] (LSTM)
  private readonly save: Float64Array; // [S] the cells' saved values (unused here)
  private readonly raw: Float64Array; // [H] (LSTM h')
  private readonly logits: Float32Array; // [C]

  constructor(readonly dims: ClsNetDims, readonly params: ClsNetArrays) {
    const { mode, hidden: H, classes: C } = dims;
    this.gh = new Float64Array(gateCount(mode) * H);
    this.h = new Float64Array(H);
    this.c = new Float64Array(H);
    this.save = new Float64Array(savedWidth(mode, H));
    this.raw = new Float64Array(H);
    this.logits = new Float32Array(C);
  }

  forward(tokens: ArrayLike<number>, T: number): Float32Array {
    const { mode, embed: E, hidden: H, layers: L } = this.dims;
    const GH = gateCount(mode) * H;
    if (T > this.cap) {
      const W = Math.max(E, H);
      this.cap = T;
      this.x = new Float32Array(T * W);
      this.y = new Float32Array(T * W);
      this.gi = new Float64Array(T * GH);
    }
    let x = this.x;
    let y = this.y;
    gatherRows(this.params.emb, E, tokens, T, x);
    const { gi, gh, h, c, save, raw } = this;
    const relu = mode === 'RNN_RELU';
    for (let l = 0; l < L; l++) {
      const p = this.params.layers[l];
      const In = l === 0 ? E : H;
      linearRows(x, T, In, p.wIh as Float32Array, p.bIh as Float32Array | null, GH, gi);
      h.fill(0);
      c.fill(0);
      const wHh = p.wHh as Float32Array;
      const bHh = p.bHh as Float32Array | null;
      for (let t = 0; t < T; t++) {
        linearRow64(h, H, wHh, bHh, GH, gh);
        const go = t * GH;
        if (mode === 'LSTM') {
          lstmCellForward(H, gi, go, gh, 0, c, 0, raw, 0, save, 0);
          for (let k = 0; k < H; k++) h[k] = raw[k];
        } else if (mode === 'GRU') {
          gruCellForward(H, gi, go, gh, 0, h, 0, save, 0);
        } else {
          for (let k = 0; k < H; k++) {
            const v = gi[go + k] + gh[k];
            h[k] = relu ? (v > 0 ? v : 0) : tanh(v);
          }
        }
        for (let k = 0; k < H; k++) y[t * H + k] = h[k]; // float32 store rounds (layer output y)
      }
      const tmp = x; x = y; y = tmp;
    }
    // h_n[-1] is the last step's output row (float32), x[(T−1)·H ..].
    headRow(x, (T - 1) * H, this.params.fcW, this.params.fcB, H, this.dims.classes, this.logits);
    return this.logits;
  }
}

/** One layer's weights as the WASM path keeps them: float64, transposed, in WASM memory. */
interface LayerCache {
  wIhT: Float64Array; // [In, GH]
  wHhT: Float64Array; // [H, GH]
  bIh: Float64Array | null; // [GH]
  bHh: Float64Array | null; // [GH]
}

export class OneSequenceWasm implements OneSequence {
  private readonly stage: Float32Array; // the float32 weights as compared: copied in, or the flat buffer itself [S32]
  private readonly snap: Float32Array; // the weights the cache was made from: [S32]
  private cached = false;
  private readonly layers: LayerCache[] = [];
  private cap = 0;
  private xA: Float64Array = new Float64Array(0); // [cap, W] layer input / output (ping-pong), float32 values
  private xB: Float64Array = new Float64Array(0);
  private gi: Float64Array = new Float64Array(0); // [cap, GH]
  private readonly gh: Float64Array; // [GH]
  private readonly h: Float64Array; // [H]
  private readonly c: Float64Array; // [H] (LSTM)
  private readonly save: Float64Array; // [S]
  private readonly raw: Float64Array; // [H]
  private readonly logits: Float32Array; // [C]
  private fallback: OneSequenceJs | null = null; // when a longer sequence's buffers found no room
  private readonly sources: Float32Array[] = []; // the recurrent weights in `stage` order
  private readonly contiguous: Float32Array | null; // all of them, when they lie back to back (a flat buffer)

  constructor(readonly dims: ClsNetDims, readonly params: ClsNetArrays, private readonly wasm: KernelExports) {
    const { mode, embed: E, hidden: H, classes: C } = dims;
    const GH = gateCount(mode) * H;
    let n = 0;
    for (const p of params.layers) {
      for (const a of [p.wIh, p.wHh, p.bIh, p.bHh]) if (a !== null) this.sources.push(a as Float32Array);
    }
    for (const a of this.sources) n += a.length;
    this.contiguous = backToBack(this.sources);
    // a trainer's flat buffer is already in WASM memory: compared in place, never copied
    this.stage = this.contiguous !== null && inWasmMemory(this.contiguous) ? this.contiguous : allocF32(n);
    this.snap = allocF32(n);
    params.layers.forEach((p, l) => {
      const In = l === 0 ? E : H;
      this.layers.push({
        wIhT: allocF64(In * GH), wHhT: allocF64(H * GH),
        bIh: p.bIh ? allocF64(GH) : null, bHh: p.bHh ? allocF64(GH) : null,
      });
    });
    this.gh = allocF64(GH);
    this.h = allocF64(H);
    this.c = new Float64Array(H);
    this.save = new Float64Array(savedWidth(mode, H));
    this.raw = new Float64Array(H);
    this.logits = new Float32Array(C);
    this.grow(16);
  }

  /** Step buffers for sequences of up to `cap` steps. */
  private grow(cap: number): void {
    const { mode, embed: E, hidden: H } = this.dims;
    const W = Math.max(E, H);
    this.cap = cap;
    release(this.xA);
    release(this.xB);
    release(this.gi);
    this.xA = allocF64(cap * W);
    this.xB = allocF64(cap * W);
    this.gi = allocF64(cap * gateCount(mode) * H);
  }

  /** Whether every buffer the WASM kernels read or write is in WASM memory (allocF* had room). */
  usable(): boolean {
    const bufs: (ArrayBufferView | null)[] = [this.stage, this.snap, this.gh, this.h, this.xA, this.xB, this.gi];
    for (const c of this.layers) bufs.push(c.wIhT, c.wHhT, c.bIh, c.bHh);
    return bufs.every((b) => b === null || inWasmMemory(b));
  }

  /** Brings `stage` up to date with the float32 weights; re-makes the float64 copies if their bits changed. */
  private refresh(): void {
    const { stage, snap } = this;
    if (stage !== this.contiguous) {
      if (this.contiguous !== null) {
        stage.set(this.contiguous);
      } else {
        let o = 0;
        for (const a of this.sources) {
          stage.set(a, o);
          o += a.length;
        }
      }
    }
    if (this.cached && this.wasm.same(stage.byteOffset, snap.byteOffset, stage.length * 4) === 1) return;
    const { mode, embed: E, hidden: H } = this.dims;
    const GH = gateCount(mode) * H;
    this.params.layers.forEach((p, l) => {
      const In = l === 0 ? E : H;
      const c = this.layers[l];
      transposeInto(p.wIh, GH, In, c.wIhT);
      transposeInto(p.wHh, GH, H, c.wHhT);
      if (c.bIh && p.bIh) for (let k = 0; k < GH; k++) c.bIh[k] = p.bIh[k];
      if (c.bHh && p.bHh) for (let k = 0; k < GH; k++) c.bHh[k] = p.bHh[k];
    });
    snap.set(stage);
    this.cached = true;
  }

  forward(tokens: ArrayLike<number>, T: number): Float32Array {
    const { mode, embed: E, hidden: H, layers: L } = this.dims;
    const GH = gateCount(mode) * H;
    if (T > this.cap) {
      this.grow(Math.max(T, 2 * this.cap)); // geometrically: each growth reallocates (and releases) the step buffers
      if (!this.usable()) this.fallback = new OneSequenceJs(this.dims, this.params); // arena full
    }
    if (this.fallback !== null) return this.fallback.forward(tokens, T);
    this.refresh();
    const wasm = this.wasm;
    let x = this.xA;
    let y = this.xB;
    gatherRows(this.params.emb, E, tokens, T, x);
    const { gi, gh, h, c, save, raw } = this;
    const giP = gi.byteOffset, ghP = gh.byteOffset, hP = h.byteOffset;
    const relu = mode === 'RNN_RELU';
    const elman = mode === 'RNN_TANH';
    for (let l = 0; l < L; l++) {
      const w = this.layers[l];
      const In = l === 0 ? E : H;
      // gi [T, GH] = b_ih + x [T, In] · W_ihᵀ
      wasm.ab(x.byteOffset, w.wIhT.byteOffset, w.bIh ? w.bIh.byteOffset : 0, giP, T, In, GH, w.bIh ? 1 : 0);
      const whP = w.wHhT.byteOffset, bhP = w.bHh ? w.bHh.byteOffset : 0, bhMode = w.bHh ? 1 : 0;
      if (elman) {
        wasm.rnnTanhLayer(giP, whP, bhP, hP, ghP, y.byteOffset, T, H, bhMode);
        const tmp = x; x = y; y = tmp;
        continue;
      }
      h.fill(0);
      c.fill(0);
      for (let t = 0; t < T; t++) {
        wasm.ab(hP, whP, bhP, ghP, 1, H, GH, bhMode); // gh [GH] = b_hh + h · W_hhᵀ
        const go = t * GH;
        if (relu) {
          for (let k = 0; k < H; k++) {
            const v = gi[go + k] + gh[k];
            h[k] = v > 0 ? v : 0;
          }
        } else if (mode === 'LSTM') {
          lstmCellForward(H, gi, go, gh, 0, c, 0, raw, 0, save, 0);
          for (let k = 0; k < H; k++) h[k] = raw[k];
        } else {
          gruCellForward(H, gi, go, gh, 0, h, 0, save, 0);
        }
        for (let k = 0; k < H; k++) y[t * H + k] = Math.fround(h[k]); // the layer output is float32
      }
      const tmp = x; x = y; y = tmp;
    }
    headRow(x, (T - 1) * H, this.params.fcW, this.params.fcB, H, this.dims.classes, this.logits);
    return this.logits;
  }
}

/** One view of the arrays' elements if they are consecutive pieces of one buffer, else null. */
function backToBack(arrays: Float32Array[]): Float32Array | null {
  if (arrays.length === 0) return null;
  let n = 0;
  for (const a of arrays) {
    if (a.buffer !== arrays[0].buffer || a.byteOffset !== arrays[0].byteOffset + 4 * n) return null;
    n += a.length;
  }
  return new Float32Array(arrays[0].buffer, arrays[0].byteOffset, n);
}

/** out[t, e] = emb[tokens[t], e] for t < T. emb: [V, E]. */
function gatherRows(emb: Float32Array, E: number, tokens: ArrayLike<number>, T: number, out: Float32Array | Float64Array): void {
  for (let t = 0; t < T; t++) {
    const src = tokens[t] * E;
    for (let e = 0; e < E; e++) out[t * E + e] = emb[src + e];
  }
}

/** out [K, N] (float64) = wᵀ for w [N, K]. */
function transposeInto(w: ArrayLike<number>, N: number, K: number, out: Float64Array): void {
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[k * N + n] = w[n * K + k];
}

/**
 * out[r, n] = (bias ? bias[n] : 0) + Σ_k x[r, k] · w[n, k] in increasing k, in double — gemmABt's
 * arithmetic (float32 inputs are exact in double) without float64 copies of the weights. Four
 * outputs at a time: four independent accumulator chains instead of one latency-bound chain.
 * x: [R, K] float32, w: [N, K] float32, out: [R, N] float64.
 */
function linearRows(x: Float32Array, R: number, K: number, w: Float32Array, bias: Float32Array | null, N: number, out: Float64Array): void {
  const N4 = N - (N % 4);
  for (let r = 0; r < R; r++) {
    const xo = r * K;
    const oo = r * N;
    for (let n = 0; n < N4; n += 4) {
      const w0 = n * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      if (bias !== null) { s0 = bias[n]; s1 = bias[n + 1]; s2 = bias[n + 2]; s3 = bias[n + 3]; }
      for (let k = 0; k < K; k++) {
        const v = x[xo + k];
        s0 += v * w[w0 + k]; s1 += v * w[w1 + k]; s2 += v * w[w2 + k]; s3 += v * w[w3 + k];
      }
      out[oo + n] = s0; out[oo + n + 1] = s1; out[oo + n + 2] = s2; out[oo + n + 3] = s3;
    }
    for (let n = N4; n < N; n++) {
      let s = bias !== null ? bias[n] : 0;
      const wo = n * K;
      for (let k = 0; k < K; k++) s += x[xo + k] * w[wo + k];
      out[oo + n] = s;
    }
  }
}

/** linearRows for one float64 row (the recurrent state): out[n] = bias[n] + Σ_k h[k]·w[n, k]. */
function linearRow64(h: Float64Array, K: number, w: Float32Array, bias: Float32Array | null, N: number, out: Float64Array): void {
  const N8 = N - (N % 8);
  for (let n = 0; n < N8; n += 8) {
    // Eight chains (one row has no other parallelism to offer the CPU).
    const w0 = n * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K, w4 = w3 + K, w5 = w4 + K, w6 = w5 + K, w7 = w6 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    if (bias !== null) {
      s0 = bias[n]; s1 = bias[n + 1]; s2 = bias[n + 2]; s3 = bias[n + 3];
      s4 = bias[n + 4]; s5 = bias[n + 5]; s6 = bias[n + 6]; s7 = bias[n + 7];
    }
    for (let k = 0; k < K; k++) {
      const v = h[k];
      s0 += v * w[w0 + k]; s1 += v * w[w1 + k]; s2 += v * w[w2 + k]; s3 += v * w[w3 + k];
      s4 += v * w[w4 + k]; s5 += v * w[w5 + k]; s6 += v * w[w6 + k]; s7 += v * w[w7 + k];
    }
    out[n] = s0; out[n + 1] = s1; out[n + 2] = s2; out[n + 3] = s3;
    out[n + 4] = s4; out[n + 5] = s5; out[n + 6] = s6; out[n + 7] = s7;
  }
  const N4 = N - (N % 4);
  for (let n = N8; n < N4; n += 4) {
    const w0 = n * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    if (bias !== null) { s0 = bias[n]; s1 = bias[n + 1]; s2 = bias[n + 2]; s3 = bias[n + 3]; }
    for (let k = 0; k < K; k++) {
      const v = h[k];
      s0 += v * w[w0 + k]; s1 += v * w[w1 + k]; s2 += v * w[w2 + k]; s3 += v * w[w3 + k];
    }
    out[n] = s0; out[n + 1] = s1; out[n + 2] = s2; out[n + 3] = s3;
  }
  for (let n = N4; n < N; n++) {
    let s = bias !== null ? bias[n] : 0;
    const wo = n * K;
    for (let k = 0; k < K; k++) s += h[k] * w[wo + k];
    out[n] = s;
  }
}
