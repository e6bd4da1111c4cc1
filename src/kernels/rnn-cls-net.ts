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
// A step can be shared with a second thread (attach(), rnn-cls-shard.ts): every sequence's rows —
// forward, head and loss rows, backward walk — are independent of the other sequences', so the two
// threads take a range of sorted sequences each (sequenceRows), then the sums over all rows (the
// weight gradients) are handed out whole (weightGrads). Bit-identical to one thread.
//
// Shapes: B batch, Tp padded length (= longest sequence), E embed, H hidden, L layers,
// C classes, V vocabulary (last row = padding), GH = gates·H. Packed rows: time-major, within a
// step the sequences in decreasing-length order (stable), as packPaddedSequence(enforceSorted=false).
import { allocTape, gateCount, packedLayerBackwardWalk, packedLayerForward, packedLayerWeightGrads } from './packed-layer.js';
import { makeOneSequence } from './rnn-cls-one.js';
import { headLossRows, headRow, headWeightGrad } from './head.js';
import { allocF32, allocF64, demoteF64, inWasmMemory, release, zeroFill } from './gemm-wasm.js';
import type { CellMode, GateGrads, LayerGrads, LayerParams, LayerShape, LayerTape, SeqRange } from './packed-layer.js';
import type { ShardLink } from './rnn-cls-shard.js';
import type { PhaseClock } from './phase-clock.js';
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
  hN: Float32Array; // [B, H] view of hNFull
  cN: Float32Array | null; // [B, H] view of cNFull
  tape: LayerTape;
  g: LayerGrads; // Float64 gradients of this layer (zeroed per step)
  gates: GateGrads; // [rows, GH] per-row gate gradients from the walk (dGh = dGi unless GRU)
  dX32: Float32Array; // [rows, In] float32 input gradient (= the lower layer's dY)
  hNFull: Float32Array; // [capB, H]
  cNFull: Float32Array | null; // [capB, H] (LSTM)
  dh0Full: Float64Array; // [capB, H] storage of g.dh0
  dc0Full: Float64Array | null; // [capB, H] storage of g.dc0 (LSTM)
}


export class RnnClsNetKernel {
  private B = 0;
  private cap = 0; // rows the workspaces hold
  private capB = 0; // sequences the B-sized float64 workspaces hold
  private order: Int32Array = new Int32Array(0); // [B] sorted position → original index
  private pos: Int32Array = new Int32Array(0); // [B] original index → sorted position
  private bs: Int32Array = new Int32Array(0); // [Tp] batch sizes
  private rowsUsed = 0;
  private x0: Float32Array = new Float32Array(0); // [rows, E] packed embeddings
  private work: LayerWork[] = [];
  private logits: Float32Array = new Float32Array(0); // [B, C] (view of logitsFull)
  private lse: Float64Array = new Float64Array(0); // [B]
  private dLogits: Float32Array = new Float32Array(0); // [B, C]
  private logitsFull: Float32Array = new Float32Array(0); // [capB, C]
  private lseFull: Float64Array = new Float64Array(0); // [capB]
  private dLogitsFull: Float32Array = new Float32Array(0); // [capB, C]
  private dH: Float32Array = new Float32Array(0); // [B, H] d loss / d h_n[-1] in sorted order (view of dHFull)
  private dHFull: Float32Array = new Float32Array(0); // [capB, H]
  private noiseCopy: Float32Array = new Float32Array(0); // the step's noise, copied into WASM memory for a second thread
  private co: ShardLink | null = null; // the second thread, when one is attached
  /** Times trainStep's phases when set (bench:profile --phases). */
  clock: PhaseClock | null = null;

  private one: OneSequence | null = null; // forwardOne's state, made on first use
  private plan: Int32Array | null = null; // productOrder's last answer, for planFor = [rows, B]
  private planFor: [number, number] = [-1, -1];
  /** Bumped whenever the workspaces are reallocated (a second thread then re-reads their addresses). */
  layoutVersion = 0;

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
    for (const a of [this.x0, this.dHFull, this.logitsFull, this.lseFull, this.dLogitsFull]) release(a);
    for (const w of this.work) {
      for (const a of [w.y, w.tape.hPrev, w.tape.cPrev, w.tape.save, w.g.dX, w.g.dWih, w.g.dWhh, w.g.dBih, w.g.dBhh,
        w.gates.dGi, w.gates.dGh, w.hNFull, w.cNFull, w.dh0Full, w.dc0Full, w.dX32]) release(a);
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
      this.layoutVersion++;
      this.releaseWorkspaces();
      this.x0 = allocF32(cap * E);
      this.dHFull = allocF32(capB * H);
      this.logitsFull = allocF32(capB * C);
      this.lseFull = allocF64(capB);
      this.dLogitsFull = allocF32(capB * C);
      this.work = [];
      for (let l = 0; l < L; l++) {
        const In = l === 0 ? E : H;
        const shape: LayerShape = { mode, inputSize: In, hiddenSize: H, projSize: 0 };
        const dh0Full = allocF64(capB * H);
        const dc0Full = lstm ? allocF64(capB * H) : null;
        const dGi = allocF64(cap * GH);
        this.work.push({
          shape,
          y: allocF32(cap * H), hN: new Float32Array(0), cN: null,
          hNFull: allocF32(capB * H), cNFull: lstm ? allocF32(capB * H) : null,
          gates: { dGi, dGh: mode === 'GRU' ? allocF64(cap * GH) : dGi },
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
    this.order = new Int32Array(B);
    this.pos = new Int32Array(B);
    this.viewsFor(B);
  }

  /** The B-sized views of the capB-sized workspaces (exact sizes: packedLayerBackward takes B from dh0's length). */
  private viewsFor(B: number): void {
    const H = this.dims.hidden;
    this.B = B;
    for (const w of this.work) {
      w.g.dh0 = w.dh0Full.subarray(0, B * H);
      w.g.dc0 = w.dc0Full !== null ? w.dc0Full.subarray(0, B * H) : null;
      w.hN = w.hNFull.subarray(0, B * H);
      w.cN = w.cNFull !== null ? w.cNFull.subarray(0, B * H) : null;
    }
    this.dH = this.dHFull.subarray(0, B * H);
    const C = this.dims.classes;
    this.logits = this.logitsFull.subarray(0, B * C);
    this.lse = this.lseFull.subarray(0, B);
    this.dLogits = this.dLogitsFull.subarray(0, B * C);
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

  /** Inference: the layers and the Linear head; leaves logits [B, C] (original batch order) in this.logits. */
  private forwardAll(): void {
    const { layers: L, hidden: H, classes: C } = this.dims;
    this.forwardLayers(false, null, null);
    // logits = h Wᵀ + b as ops.matmul + ops.add do it, row by row (headRow).
    const h = this.work[L - 1].hN;
    for (let b = 0; b < this.B; b++) headRow(h, this.pos[b] * H, this.params.fcW, this.params.fcB, H, C, this.logits, b * C);
  }

  /** A training step's work on the sorted sequences `seqs` (null: all): forward, head, backward walks. */
  sequenceRows(noise: ArrayLike<number> | null, targets: ArrayLike<number>, seqs: SeqRange | null): void {
    this.forwardLayers(true, noise, seqs);
    this.headRows(targets, seqs !== null ? seqs.lo : 0, seqs !== null ? seqs.hi : this.B);
    this.backwardLayers(seqs);
  }

  /** The head and the loss's gradient for sorted sequences lo ≤ i < hi (headLossRows). */
  private headRows(targets: ArrayLike<number>, lo: number, hi: number): void {
    const { layers: L, hidden: H, classes: C } = this.dims;
    headLossRows(this.work[L - 1].hN, this.order, lo, hi, this.params.fcW, this.params.fcB, H, C, this.B, targets, this.logits, this.lse, this.dLogits, this.dH);
  }

  /** The recurrent layers' forward for the sorted sequences `seqs` (null: all, one product per layer for the inputs). */
  forwardLayers(train: boolean, noise: ArrayLike<number> | null, seqs: SeqRange | null): void {
    const { layers: L, hidden: H } = this.dims;
    const rows = this.rowsUsed;
    for (let l = 0; l < L; l++) {
      const w = this.work[l];
      const x = l === 0 ? this.x0 : this.work[l - 1].y;
      packedLayerForward(w.shape, this.params.layers[l], x, this.bs, false, null, null, w.y, w.hN, w.cN, train ? w.tape : null, noise, l * rows * H, seqs);
    }
  }

  /**
   * The backward walk of every layer, top down, for the sorted sequences `seqs` (null: all): each
   * layer's dX, rounded to float32, is the next one's dY — row by row, so a thread's sequences
   * never need the other thread's rows. Gradient buffers must have been zeroed.
   */
  backwardLayers(seqs: SeqRange | null): void {
    const L = this.dims.layers;
    const rows = this.rowsUsed;
    const bs = this.bs;
    for (let l = L - 1; l >= 0; l--) {
      const w = this.work[l];
      const In = w.shape.inputSize;
      const x = l === 0 ? this.x0 : this.work[l - 1].y;
      const dY = l === L - 1 ? null : this.work[l + 1].dX32;
      const dhN = l === L - 1 ? this.dH : null;
      packedLayerBackwardWalk(w.shape, this.params.layers[l], x, bs, false, w.tape, dY, dhN, null, w.g, w.gates, seqs);
      if (seqs === null) {
        demoteF64(w.g.dX!, 0, w.dX32, 0, rows * In);
      } else {
        for (let t = 0, o = 0; t < bs.length; o += bs[t], t++) {
          const n = Math.min(seqs.hi, bs[t]) - seqs.lo;
          if (n > 0) demoteF64(w.g.dX!, (o + seqs.lo) * In, w.dX32, (o + seqs.lo) * In, n * In);
        }
      }
    }
  }

  /**
   * The sums over all rows once every sequence is done: each layer's input-side and hidden-side
   * weight and bias gradients (packedLayerWeightGrads 'ih' / 'hh') and the head weight's
   * (headWeightGrad) — each a whole product into its own buffer, so which thread computes which
   * changes no bit. `claim()` hands out the next item (in productOrder) to whichever thread asks:
   * two threads call this with a shared atomic counter and finish within one item of each other;
   * one thread counts alone.
   */
  weightGrads(claim: () => number, gradFcW: Float32Array): void {
    const order = this.productOrder();
    const L = this.dims.layers;
    for (let i = claim(); i < order.length; i = claim()) {
      const item = order[i];
      if (item === 2 * L) {
        headWeightGrad(this.work[L - 1].hN, this.pos, this.dLogits, this.B, this.dims.hidden, this.dims.classes, gradFcW);
        continue;
      }
      const l = item >> 1;
      const w = this.work[l];
      packedLayerWeightGrads(w.shape, l === 0 ? this.x0 : this.work[l - 1].y, this.rowsUsed, w.tape, w.gates, w.g, item & 1 ? 'hh' : 'ih');
    }
  }

  /**
   * The weight-gradient items, largest first (so the last ones handed out are small): [2l] layer
   * l's 'ih', [2l + 1] its 'hh', [2L] the head; cost in multiply-adds, the head's scalar float32
   * loop weighted 12× (measured against the SIMD products).
   */
  private productOrder(): Int32Array {
    const { layers: L, hidden: H, embed: E, classes: C, mode } = this.dims;
    const GH = gateCount(mode) * H;
    const rows = this.rowsUsed;
    if (this.plan !== null && this.planFor[0] === rows && this.planFor[1] === this.B) return this.plan;
    const cost = new Float64Array(2 * L + 1);
    for (let l = 0; l < L; l++) {
      cost[2 * l] = rows * GH * (l === 0 ? E : H);
      cost[2 * l + 1] = rows * GH * H;
    }
    cost[2 * L] = 12 * this.B * C * H;
    this.plan = Int32Array.from(Array.from(cost.keys()).sort((x, y) => cost[y] - cost[x] || x - y));
    this.planFor = [rows, this.B];
    return this.plan;
  }

  /** The packed batch of the current step: B sequences, batch sizes [T], rows = Σ lengths. */
  get batch(): { B: number; bs: Int32Array; rows: number; order: Int32Array } {
    return { B: this.B, bs: this.bs, rows: this.rowsUsed, order: this.order };
  }

  /**
   * Every array a second thread's half of a step touches, in a fixed order (fromShardBuffers reads
   * the same order): the parameters, then the workspaces.
   */
  shardBuffers(): (Float32Array | Float64Array | null)[] {
    const p = this.params;
    const out: (Float32Array | Float64Array | null)[] = [p.emb, p.fcW, p.fcB];
    for (const l of p.layers) out.push(l.wIh as Float32Array, l.wHh as Float32Array, l.bIh as Float32Array | null, l.bHh as Float32Array | null);
    out.push(this.x0, this.dHFull, this.logitsFull, this.lseFull, this.dLogitsFull);
    for (const w of this.work) {
      out.push(w.y, w.hNFull, w.cNFull, w.tape.hPrev, w.tape.cPrev, w.tape.save, w.gates.dGi, w.gates.dGh, w.g.dX, w.dX32,
        w.dh0Full, w.dc0Full, w.g.dWih, w.g.dWhh, w.g.dBih, w.g.dBhh);
    }
    return out;
  }

  /** A kernel working on another thread's arrays (shardBuffers' order; views of the shared memory). */
  static fromShardBuffers(dims: ClsNetDims, bufs: (Float32Array | Float64Array | null)[]): RnnClsNetKernel {
    let i = 0;
    const f32 = (): Float32Array => bufs[i++] as Float32Array;
    const f64 = (): Float64Array => bufs[i++] as Float64Array;
    const emb = f32(), fcW = f32(), fcB = f32();
    const layers: LayerParams[] = [];
    for (let l = 0; l < dims.layers; l++) layers.push({ wIh: f32(), wHh: f32(), bIh: f32(), bHh: f32(), wHr: null });
    const k = new RnnClsNetKernel(dims, { emb, layers, fcW, fcB });
    k.x0 = f32();
    k.dHFull = f32();
    k.logitsFull = f32();
    k.lseFull = f64();
    k.dLogitsFull = f32();
    const H = dims.hidden;
    for (let l = 0; l < dims.layers; l++) {
      const shape: LayerShape = { mode: dims.mode, inputSize: l === 0 ? dims.embed : H, hiddenSize: H, projSize: 0 };
      const y = f32(), hNFull = f32(), cNFull = f32();
      const tape: LayerTape = { hPrev: f64(), cPrev: f64(), save: f64() };
      const dGi = f64(), dGh = f64(), dX = f64(), dX32 = f32(), dh0Full = f64(), dc0Full = f64();
      const dWih = f64(), dWhh = f64(), dBih = f64(), dBhh = f64();
      k.work.push({
        shape, y, hN: hNFull, cN: cNFull, tape, gates: { dGi, dGh }, dX32, hNFull, cNFull, dh0Full, dc0Full,
        g: { dX, dh0: dh0Full, dc0: dc0Full, dWih, dWhh, dBih, dBhh, dWhr: null },
      });
    }
    return k;
  }

  /** A second thread's kernel: the step's batch as the first thread packed it (no packing here); order [B]. */
  setBatch(B: number, bs: ArrayLike<number>, rows: number, order: ArrayLike<number>): void {
    // Copied into arrays kept from step to step (exact lengths: bs.length is T), views remade only when B changes.
    if (this.bs.length !== bs.length) this.bs = new Int32Array(bs.length);
    this.bs.set(bs);
    this.rowsUsed = rows;
    if (this.order.length !== B) {
      this.order = new Int32Array(B);
      this.pos = new Int32Array(B);
    }
    this.order.set(order);
    for (let i = 0; i < B; i++) this.pos[order[i]] = i;
    if (B !== this.B) this.viewsFor(B);
  }

  /**
   * Where to split the sorted sequences between two threads: s with the rows of [0, s) closest to
   * `share` of all rows (0 < s < B). The link adjusts the share from step to step so that both
   * threads finish together (the split never changes the results).
   */
  private splitPoint(share: number): number {
    const { B, rowsUsed: rows } = this;
    const want = share * rows; // rows for this thread
    let acc = 0; // rows of [0, s)
    for (let s = 1; s < B; s++) {
      const len = this.seqLength(s - 1);
      acc += len;
      if (acc >= want) return s > 1 && want - (acc - len) < acc - want ? s - 1 : s;
    }
    return B - 1;
  }

  /** Length of sorted sequence i (the number of steps whose batch size exceeds i). */
  private seqLength(i: number): number {
    let n = 0;
    while (n < this.bs.length && this.bs[n] > i) n++;
    return n;
  }

  /** `noise` copied into WASM memory (where the second thread can read it). */
  private sharedNoise(noise: ArrayLike<number>, n: number): Float32Array {
    if (this.noiseCopy.length < n) {
      release(this.noiseCopy);
      this.noiseCopy = allocF32(Math.max(n, Math.ceil(this.noiseCopy.length * 1.25)));
    }
    const out = this.noiseCopy.subarray(0, n);
    for (let k = 0; k < n; k++) out[k] = noise[k];
    return out;
  }

  /**
   * Attaches a second thread (or detaches: null). Training steps whose batch is big enough then
   * split their sequences between the two; the results are bit-identical either way.
   */
  attach(co: ShardLink | null): void {
    this.co = co;
  }

  /** The second thread to use for this step, or null (none attached or ready, or too small a batch). */
  private coFor(): ShardLink | null {
    const co = this.co;
    if (co === null || this.B < 2) return null;
    const { hidden: H, layers: L, mode } = this.dims;
    const GH = gateCount(mode) * H;
    // multiply-adds of the step's recurrent layers (forward ≈ a third of them)
    if (3 * this.rowsUsed * GH * (this.dims.embed + H + (L - 1) * 2 * H) < co.minWork) return null;
    return co.ready() && co.canServe(this) ? co : null;
  }

  /** Inference: logits [B, C] for a padded batch (a view of an internal buffer). */
  forward(tokens: ArrayLike<number>, Tp: number, lengths: ArrayLike<number>): Float32Array {
    this.pack(tokens, Tp, lengths);
    this.forwardAll();
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
    const clock = this.clock;
    this.pack(tokens, Tp, lengths);
    const { layers: L, hidden: H, classes: C, embed: E, padIdx } = this.dims;
    const B = this.B;
    const rows = this.rowsUsed;
    if (noise !== null && noise.length < L * rows * H) {
      throw new Error(`RnnClsNetKernel: noise holds ${noise.length} values, the batch needs ${L * rows * H}`);
    }
    for (let b = 0; b < B; b++) {
      const t = targets[b];
      if (t < 0 || t >= C) throw new Error(`Target ${t} is out of bounds.`);
    }
    for (const w of this.work) {
      const g = w.g;
      zeroFill(g.dX!, 0, rows * w.shape.inputSize);
      zeroFill(g.dWih); zeroFill(g.dWhh);
      if (g.dBih) zeroFill(g.dBih);
      if (g.dBhh) zeroFill(g.dBhh);
    }

    // Every sequence's forward, head and backward walk (rows independent of each other), then the
    // sums over all rows: the weight gradients, each one product into its own buffer. With a
    // second thread, it takes the sorted sequences [s, B), this one [0, s); they meet after the
    // walks and split the products — the bits of the one-thread order (rnn-cls-shard.ts).
    const co = inWasmMemory(grads.fcW) ? this.coFor() : null; // the other thread writes its share there
    if (co !== null) {
      const s = this.splitPoint(co.share);
      if (noise !== null && !inWasmMemory(noise as Float32Array)) noise = this.sharedNoise(noise, L * rows * H);
      co.post(this, s, noise as Float32Array | null, targets, grads.fcW);
      clock?.lap('kernel: pack, zero, post');
      this.sequenceRows(noise, targets, { lo: 0, hi: s });
      clock?.lap('kernel: sequences (forward, head, backward walk)');
      co.meet();
      clock?.lap('kernel: wait for the other thread\'s sequences');
      this.weightGrads(co.claim, grads.fcW);
      clock?.lap('kernel: weight-gradient products');
      co.waitDone();
      clock?.lap('kernel: wait for the other thread\'s products');
    } else {
      clock?.lap('kernel: pack, zero, post');
      this.sequenceRows(noise, targets, null);
      clock?.lap('kernel: sequences (forward, head, backward walk)');
      let next = 0;
      this.weightGrads(() => next++, grads.fcW);
      clock?.lap('kernel: weight-gradient products');
    }

    // Cross-entropy (mean): loss = Σ_b (lse_b − x[b, y_b]) / B, b in order.
    const x = this.logits;
    let total = 0;
    for (let b = 0; b < B; b++) total += this.lse[b] - x[b * C + targets[b]];
    const loss = Math.fround(total / B);
    // Linear bias gradient: column sums of dL (float32, b order).
    const dL = this.dLogits;
    const gB = grads.fcB;
    zeroFill(gB);
    for (let b = 0; b < B; b++) for (let j = 0; j < C; j++) gB[j] += dL[b * C + j];
    for (let l = 0; l < L; l++) {
      const g = this.work[l].g;
      const gl = grads.layers[l];
      copyRound(g.dWih, gl.wIh as Float32Array);
      copyRound(g.dWhh, gl.wHh as Float32Array);
      if (g.dBih && gl.bIh) copyRound(g.dBih, gl.bIh as Float32Array);
      if (g.dBhh && gl.bHh) copyRound(g.dBhh, gl.bHh as Float32Array);
    }

    // Embedding backward: gW[tok] += dx over the padded positions in (b, t) order, padding skipped.
    const gE = grads.emb;
    zeroFill(gE);
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
    clock?.lap('kernel: loss, bias and embedding gradients');
    return loss;
  }
}

/** dst[k] = src[k] rounded to float32 (the autograd path adds a Float64 gradient into zeros); SIMD when both are in WASM memory. */
function copyRound(src: Float64Array, dst: Float32Array): void {
  demoteF64(src, 0, dst, 0, dst.length);
}
