// The whole RnnClsNet training step over flat typed arrays (llm.c style): embedding gather →
// packed recurrent layers → h_n[-1] → Linear → cross-entropy, and the hand-written backward
// into caller-given gradient arrays. All workspaces are allocated once (grown when a longer batch
// arrives) and reused, so a step allocates nothing.
//
// Naive twin: the autograd model (src/models/rnn-cls-net.ts + crossEntropy + backward()). This
// kernel performs the same floating-point operations in the same order as that path — the same
// packed-layer kernel, float32 rounding wherever the autograd path stores into a float32 tensor,
// float32 accumulation where ops.ts accumulates in float32 (matmul, broadcast-add backward,
// embedding backward) — so the two give bit-identical losses and gradients (test/train-fused.test.ts).
//
// Shapes: B batch, Tp padded length (= longest sequence), E embed, H hidden, L layers,
// C classes, V vocabulary (last row = padding), GH = gates·H. Packed rows: time-major, within a
// step the sequences in decreasing-length order (stable), as packPaddedSequence(enforceSorted=false).
import { allocTape, gateCount, packedLayerBackward, packedLayerForward } from './packed-layer.js';
import { makeOneSequence } from './rnn-cls-one.js';
import { headRow } from './head.js';
import { allocF32, allocF64, demoteF64, release } from './gemm-wasm.js';
import type { CellMode, LayerGrads, LayerParams, LayerShape, LayerTape } from './packed-layer.js';
import type { OneSequence } from './rnn-cls-one.js';

export interface ClsNetDims {
  mode: CellMode;
  vocab: number; // V
  embed: number; // E
  hidden: number; // H
  layers: number; // L
  classes: number; // C
  padIdx: number;
}

/** Parameter (or gradient) arrays, float32, PyTorch's layouts. */
export interface ClsNetArrays {
  emb: Float32Array; // [V, E]
  layers: LayerParams[]; // per layer: wIh [GH, In], wHh [GH, H], bIh, bHh [GH]
  fcW: Float32Array; // [C, H]
  fcB: Float32Array; // [C]
}

interface LayerWork {
  shape: LayerShape;
  y: Float32Array; // [rows, H]
  hN: Float32Array; // [B, H]
  cN: Float32Array | null; // [B, H]
  tape: LayerTape;
  g: LayerGrads; // Float64 gradients of this layer (zeroed per step)
  dX32: Float32Array; // [rows, In] float32 input gradient (= the lower layer's dY)
  dh0Full: Float64Array; // [capB, H] storage of g.dh0
  dc0Full: Float64Array | null; // [capB, H] storage of g.dc0 (LSTM)
}

export class RnnClsNetKernel {
  private B = 0;
  private cap = 0; // rows the workspaces hold
  private capB = 0; // sequences the B-sized float64 workspaces hold
  private order = new Int32Array(0); // [B] sorted position → original index
  private pos = new Int32Array(0); // [B] original index → sorted position
  private bs = new Int32Array(0); // [Tp] batch sizes
  private rowsUsed = 0;
  private x0: Float32Array = new Float32Array(0); // [rows, E] packed embeddings
  private work: LayerWork[] = [];
  private logits = new Float32Array(0); // [B, C]
  private lse = new Float64Array(0); // [B]
  private dLogits = new Float32Array(0); // [B, C]
  private dH = new Float32Array(0); // [B, H] d loss / d h_n[-1] in sorted order

  private one: OneSequence | null = null; // forwardOne's state, made on first use

  constructor(readonly dims: ClsNetDims, readonly params: ClsNetArrays) {}

  /**
   * Workspaces for a batch of B sequences with `rows` packed rows. The big ones live in WASM memory
   * (allocF64/allocF32: tapes, gradients, layer outputs, read by the SIMD kernels) and are only
   * reallocated — the old ones released — when rows or B exceed what they hold, growing by at
   * least a quarter so a stream of ever-longer batches does not reallocate every time (B-sized
   * ones are views [0, B·H) of capB-sized blocks); the small float32/int ones are remade for each B.
   */
  /** Gives the WASM memory of the row- and capB-sized workspaces back (they are about to be remade). */
  private releaseWorkspaces(): void {
    release(this.x0);
    for (const w of this.work) {
      for (const a of [w.y, w.tape.hPrev, w.tape.cPrev, w.tape.save, w.g.dX, w.g.dWih, w.g.dWhh, w.g.dBih, w.g.dBhh, w.dh0Full, w.dc0Full, w.dX32]) release(a);
    }
  }

  private ensure(B: number, rows: number): void {
    if (B === this.B && rows <= this.cap) return;
    const { mode, embed: E, hidden: H, layers: L, classes: C } = this.dims;
    const lstm = mode === 'LSTM';
    const GH = gateCount(mode) * H;
    if (rows > this.cap || B > this.capB || this.work.length !== L) {
      const cap = rows > this.cap ? Math.max(rows, Math.ceil(this.cap * 1.25)) : this.cap;
      const capB = Math.max(B, this.capB);
      this.cap = cap;
      this.capB = capB;
      this.releaseWorkspaces();
      this.x0 = allocF32(cap * E);
      this.work = [];
      for (let l = 0; l < L; l++) {
        const In = l === 0 ? E : H;
        const shape: LayerShape = { mode, inputSize: In, hiddenSize: H, projSize: 0 };
        const dh0Full = allocF64(capB * H);
        const dc0Full = lstm ? allocF64(capB * H) : null;
        this.work.push({
          shape,
          y: allocF32(cap * H), hN: new Float32Array(0), cN: null,
          tape: allocTape(shape, cap, allocF64),
          g: {
            dX: allocF64(cap * In), dh0: dh0Full, dc0: dc0Full,
            dWih: allocF64(GH * In), dWhh: allocF64(GH * H),
            dBih: this.params.layers[l].bIh ? allocF64(GH) : null, dBhh: this.params.layers[l].bHh ? allocF64(GH) : null,
            dWhr: null,
          },
          dh0Full, dc0Full,
          dX32: allocF32(cap * In),
        });
      }
    }
    this.B = B;
    this.order = new Int32Array(B);
    this.pos = new Int32Array(B);
    for (const w of this.work) {
      // packedLayerBackward takes B from dh0's length: exact-size views.
      w.g.dh0 = w.dh0Full.subarray(0, B * H);
      w.g.dc0 = w.dc0Full !== null ? w.dc0Full.subarray(0, B * H) : null;
      w.hN = new Float32Array(B * H);
      w.cN = lstm ? new Float32Array(B * H) : null;
    }
    this.logits = new Float32Array(B * C);
    this.lse = new Float64Array(B);
    this.dLogits = new Float32Array(B * C);
    this.dH = new Float32Array(B * H);
  }

  /**
   * Sorts by length (descending, stable), builds batchSizes and gathers the packed embeddings.
   * tokens: [B, Tp] padded ids, lengths: [B].
   */
  private pack(tokens: ArrayLike<number>, Tp: number, lengths: ArrayLike<number>): void {
    const B = lengths.length;
    let rows = 0;
    let T = 0;
    for (let b = 0; b < B; b++) { rows += lengths[b]; if (lengths[b] > T) T = lengths[b]; }
    if (T > Tp) throw new Error(`RnnClsNetKernel: a length (${T}) exceeds the padded length ${Tp}`);
    this.ensure(B, rows);
    const { order, pos } = this;
    // Stable insertion sort by decreasing length (= the total order `lens[b]-lens[a] || a-b`).
    for (let i = 0; i < B; i++) {
      let j = i;
      while (j > 0 && lengths[order[j - 1]] < lengths[i]) { order[j] = order[j - 1]; j--; }
      order[j] = i;
    }
    for (let i = 0; i < B; i++) pos[order[i]] = i;
    if (this.bs.length !== T) this.bs = new Int32Array(T);
    let active = B;
    for (let t = 0; t < T; t++) {
      while (active > 0 && lengths[order[active - 1]] <= t) active--;
      this.bs[t] = active;
    }
    this.rowsUsed = rows;
    const E = this.dims.embed;
    const emb = this.params.emb;
    const x0 = this.x0;
    let r = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < this.bs[t]; i++, r++) {
        const src = tokens[order[i] * Tp + t] * E;
        for (let e = 0; e < E; e++) x0[r * E + e] = emb[src + e];
      }
    }
  }

  /** Layers and the Linear head; leaves logits [B, C] (original batch order) in this.logits. */
  private forwardAll(train: boolean, noise: ArrayLike<number> | null = null): void {
    const { layers: L, hidden: H, classes: C } = this.dims;
    const rows = this.rowsUsed;
    if (noise !== null && noise.length < L * rows * H) {
      throw new Error(`RnnClsNetKernel: noise holds ${noise.length} values, the batch needs ${L * rows * H}`);
    }
    for (let l = 0; l < L; l++) {
      const w = this.work[l];
      const x = l === 0 ? this.x0 : this.work[l - 1].y;
      packedLayerForward(w.shape, this.params.layers[l], x, this.bs, false, null, null, w.y, w.hN, w.cN, train ? w.tape : null, noise, l * rows * H);
    }
    // logits = h Wᵀ + b as ops.matmul + ops.add do it, row by row (headRow).
    const h = this.work[L - 1].hN;
    for (let b = 0; b < this.B; b++) headRow(h, this.pos[b] * H, this.params.fcW, this.params.fcB, H, C, this.logits, b * C);
  }

  /** Inference: logits [B, C] for a padded batch (a view of an internal buffer). */
  forward(tokens: ArrayLike<number>, Tp: number, lengths: ArrayLike<number>): Float32Array {
    this.pack(tokens, Tp, lengths);
    this.forwardAll(false);
    return this.logits.subarray(0, this.B * this.dims.classes);
  }

  /**
   * Inference on ONE unpadded sequence (tokens [T], T ≥ 1): logits [C] (a view of an internal
   * buffer, overwritten by the next call), with no sorting, packing or allocation: what predict
   * needs. Tokens must be valid row indices (the caller checks). See rnn-cls-one.ts: the WASM path
   * where SIMD is available, else its JS twin (bit-identical to forward() with B = 1).
   */
  forwardOne(tokens: ArrayLike<number>, T: number): Float32Array {
    if (this.one === null) this.one = makeOneSequence(this.dims, this.params);
    return this.one.forward(tokens, T);
  }

  /**
   * One training forward + backward. Gradients are written (not added) into `grads`, whose
   * arrays must not alias `params`. Returns the mean cross-entropy loss (float32 value).
   * `noise` (optional, flat [L, rows, H], rows = Σ lengths in packed order): state noise added to
   * each row's new hidden state after its step (LSTM: h only), as packedLayerForward does.
   */
  trainStep(tokens: ArrayLike<number>, Tp: number, lengths: ArrayLike<number>, targets: ArrayLike<number>, grads: ClsNetArrays, noise: ArrayLike<number> | null = null): number {
    this.pack(tokens, Tp, lengths);
    this.forwardAll(true, noise);
    const { layers: L, hidden: H, classes: C, embed: E, padIdx } = this.dims;
    const B = this.B;
    const x = this.logits;

    // Cross-entropy (mean): lse_b = m + log Σ exp(x − m); loss = Σ_b (lse_b − x[b, y_b]) / B.
    let total = 0;
    for (let b = 0; b < B; b++) {
      const base = b * C;
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (x[base + c] > m) m = x[base + c];
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(x[base + c] - m);
      const lse = m === -Infinity ? -Infinity : m + Math.log(z);
      this.lse[b] = lse;
      const t = targets[b];
      if (t < 0 || t >= C) throw new Error(`Target ${t} is out of bounds.`);
      total += lse - x[base + t];
    }
    const loss = Math.fround(total / B);
    // d loss / d logits = (softmax − onehot) / B, stored float32.
    const a = 1 / B;
    const dL = this.dLogits;
    for (let b = 0; b < B; b++) {
      const base = b * C;
      const t = targets[b];
      for (let c = 0; c < C; c++) {
        let d = a * Math.exp(x[base + c] - this.lse[b]);
        if (c === t) d -= a;
        dL[base + c] = d;
      }
    }

    // Linear backward (ops.add then ops.matmul backward): db = column sums (float32, b order);
    // d(Wᵀ)[k, j] += h[b, k]·dL[b, j] (float32, b order, zero h skipped); dh = dL W (double sum).
    const h = this.work[L - 1].hN;
    const W = this.params.fcW;
    const gB = grads.fcB;
    gB.fill(0);
    for (let b = 0; b < B; b++) for (let j = 0; j < C; j++) gB[j] += dL[b * C + j];
    // gW[j, k] = (Wᵀ's gradient)[k, j]: a float32 accumulator per element over b in order —
    // what the Float32Array += of ops.matmul's backward does — four j at a time.
    const gW = grads.fcW;
    const pos = this.pos;
    const fr = Math.fround;
    const C4 = C - (C % 4);
    for (let k = 0; k < H; k++) {
      for (let j = 0; j < C4; j += 4) {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let b = 0; b < B; b++) {
          const v = h[pos[b] * H + k];
          if (v === 0) continue;
          const d = b * C + j;
          a0 = fr(a0 + v * dL[d]); a1 = fr(a1 + v * dL[d + 1]); a2 = fr(a2 + v * dL[d + 2]); a3 = fr(a3 + v * dL[d + 3]);
        }
        gW[j * H + k] = a0; gW[(j + 1) * H + k] = a1; gW[(j + 2) * H + k] = a2; gW[(j + 3) * H + k] = a3;
      }
      for (let j = C4; j < C; j++) {
        let acc = 0;
        for (let b = 0; b < B; b++) {
          const v = h[pos[b] * H + k];
          if (v === 0) continue;
          acc = fr(acc + v * dL[b * C + j]);
        }
        gW[j * H + k] = acc;
      }
    }
    // dH[pos[b], k] = Σ_j dL[b, j]·W[j, k] (double, j increasing), four k at a time.
    const dH = this.dH; // sorted order: row pos[b] ← original b
    const H4 = H - (H % 4);
    for (let b = 0; b < B; b++) {
      const ho = pos[b] * H;
      const dO = b * C;
      for (let k = 0; k < H4; k += 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < C; j++) {
          const d = dL[dO + j];
          const wo = j * H + k;
          s0 += d * W[wo]; s1 += d * W[wo + 1]; s2 += d * W[wo + 2]; s3 += d * W[wo + 3];
        }
        dH[ho + k] = s0; dH[ho + k + 1] = s1; dH[ho + k + 2] = s2; dH[ho + k + 3] = s3;
      }
      for (let k = H4; k < H; k++) {
        let s = 0;
        for (let j = 0; j < C; j++) s += dL[dO + j] * W[j * H + k];
        dH[ho + k] = s;
      }
    }

    // Recurrent layers, top down. Only the top layer's h_n carries gradient; each layer's dX
    // (rounded to float32, as it lands in a float32 tensor gradient) is the next one's dY.
    const rows = this.rowsUsed;
    for (let l = L - 1; l >= 0; l--) {
      const w = this.work[l];
      const g = w.g;
      const In = w.shape.inputSize;
      g.dX!.fill(0, 0, rows * In);
      g.dWih.fill(0); g.dWhh.fill(0);
      if (g.dBih) g.dBih.fill(0);
      if (g.dBhh) g.dBhh.fill(0);
      const x = l === 0 ? this.x0 : this.work[l - 1].y;
      const dY = l === L - 1 ? null : this.work[l + 1].dX32;
      const dhN = l === L - 1 ? dH : null;
      packedLayerBackward(w.shape, this.params.layers[l], x, this.bs, false, w.tape, dY, dhN, null, g);
      const gl = grads.layers[l];
      copyRound(g.dWih, gl.wIh as Float32Array);
      copyRound(g.dWhh, gl.wHh as Float32Array);
      if (g.dBih && gl.bIh) copyRound(g.dBih, gl.bIh as Float32Array);
      if (g.dBhh && gl.bHh) copyRound(g.dBhh, gl.bHh as Float32Array);
      const dX32 = w.dX32;
      const dX = g.dX!;
      demoteF64(dX, 0, dX32, 0, rows * In);
    }

    // Embedding backward: gW[tok] += dx over the padded positions in (b, t) order, padding skipped.
    const gE = grads.emb;
    gE.fill(0);
    const dX0 = this.work[0].dX32;
    const Tp2 = this.bs.length;
    for (let b = 0; b < B; b++) {
      const i = this.pos[b];
      let r = i; // packed row of (t = 0, sorted position i)
      for (let t = 0; t < Tp2; t++) {
        if (t > 0) r += this.bs[t - 1];
        if (i >= this.bs[t]) break;
        const tok = tokens[b * Tp + t];
        if (tok === padIdx) continue;
        const go = tok * E;
        const so = r * E;
        for (let e = 0; e < E; e++) gE[go + e] += dX0[so + e];
      }
    }
    return loss;
  }
}

/** dst[k] = src[k] rounded to float32 (the autograd path adds a Float64 gradient into zeros). */
function copyRound(src: Float64Array, dst: Float32Array): void {
  for (let k = 0; k < dst.length; k++) dst[k] = src[k];
}
