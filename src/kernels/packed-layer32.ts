// One direction of one recurrent layer over a packed batch in float32, for float32 models: the
// packed algorithm of packed-layer.ts (same layout, same walk) with every product a float32 SIMD
// product (gemm32.ts) over a workspace in WASM memory, and the cells in float32. The arithmetic is
// in layer32-walk.ts; this file owns the workspace, copies the operands in and the results out,
// and shares each phase with the second thread when there is one (src/runtime/threads/pool.ts).
//
// Threads: the batch's sequences split at `split` (this thread's share of the packed rows, about
// half: TaskThread.share); this thread walks sequences [0, split), the worker [split, B), each the
// whole walk with no hand-off inside it (the rows are independent). After the backward walks meet,
// the products over all rows split by output rows/columns. Every element is computed by the same code in the same order on
// one thread or two: the same bits (test/threads-layer.test.ts).
//
// Memory: one workspace block per call (allocF32, layout32) holds the inputs, W (transposed for
// the forward), the scratch, the tape and, when training, the gradient accumulators; the caller
// releases it (Layer32.release) after backward, or when its graph is collected (attach). A tape
// waiting for its backward moves out to ordinary memory when a new block does not fit, oldest
// first, and comes back for its backward: see `waiting` below. A forward of one sequence without
// a backward takes its block from the private memory instead (see the constructor).
// Shapes: In, H (= Hout: no projection), G gates (RNN 1, GRU 3, LSTM 4), GH = G·H.
import { addEvictor, allocF32, inWasmMemory, release } from './gemm-wasm.js';
import { transpose32 } from './gemm32.js';
import { addInto32 } from './cells32.js';
import {
  WANT_BHH, WANT_BIH, WANT_WHH, WANT_WIH, WANT_X, backwardRows, forwardRows, gradRange, layout32, stepTable,
} from './layer32-walk.js';
import type { Layout32 } from './layer32-walk.js';
import { TASK_LAYER_BACKWARD, TASK_LAYER_FORWARD, TASK_LAYER_GRADS, layerArgs } from './layer32-tasks.js';
import { helperFor } from '../runtime/threads/pool.js';
import type { CellMode } from './packed-layer.js';
import { slabStorage } from '../tensor/slab.js';
import { setF32 } from '../runtime/wasm/copy.js';
import { privateF32, releasePrivate } from '../runtime/wasm/private-memory.js';

export interface Layer32Params {
  wIh: Float32Array; // [GH, In]
  wHh: Float32Array; // [GH, H]
  bIh: Float32Array | null;
  bHh: Float32Array | null;
}

/** Gradients a backward adds into (null: not wanted). */
export interface Layer32Grads {
  dX: Float32Array | null; // [rows, In]
  dh0: Float32Array | null; // [B, H]
  dc0: Float32Array | null; // [B, H]
  dWih: Float32Array | null; // [GH, In]
  dWhh: Float32Array | null; // [GH, H]
  dBih: Float32Array | null; // [GH]
  dBhh: Float32Array | null; // [GH]
}

/** Packed rows of sequences [0, s), s ≤ B: sequence i has as many rows as steps t with bs[t] > i. */
export function rowsBefore(bs: Int32Array, B: number): Int32Array {
  const len = slabStorage('int64', B) as Int32Array;
  for (let t = 0; t < bs.length; t++) for (let i = 0; i < bs[t]; i++) len[i]++;
  const acc = slabStorage('int64', B + 1) as Int32Array;
  for (let i = 0; i < B; i++) acc[i + 1] = acc[i] + len[i];
  return acc;
}

/**
 * Where sequences split between the threads for this thread's `share` of the packed rows: the
 * smallest s in [1, B) whose sequences [0, s) hold at least that share (`acc`: rowsBefore); 0 for
 * one sequence (no split).
 */
export function splitPoint(acc: Int32Array, share: number): number {
  const B = acc.length - 1;
  if (B < 2) return 0;
  const want = share * acc[B];
  let s = 1;
  while (s < B - 1 && acc[s] < want) s++;
  return s;
}

type Walk = (w: Float32Array, L: Layout32, reverse: boolean, lo: number, hi: number) => void;

/** Where a layer's workspace is: its WASM block, or (moved out) an ordinary copy. */
interface Residence {
  ws: Float32Array | null;
  saved: Float32Array | null;
}

// Tapes waiting in WASM memory for their backward, oldest first. Finalizers run only when the
// event loop turns, so a loop that never yields (a training script, an evaluation with gradients
// on) would otherwise fill the memory with the tapes of graphs it dropped long ago, and leave every
// later layer on the JS kernels. So when a block does not fit, the oldest waiting tape is copied out
// to ordinary memory, which the garbage collector sees and frees with its graph; a backward that
// does come copies it back in (the same bits). Only the Residence is registered and listed: a copy
// out is reachable from its layer alone, so it lives exactly as long as the graph.
const waiting = new Set<Residence>();
const collected = new FinalizationRegistry<Residence>((r) => {
  waiting.delete(r);
  if (r.ws !== null) release(r.ws);
  r.ws = null;
  r.saved = null;
});
/** Tapes moved out of WASM memory, and back in for a backward (tests read them). */
export const tapeCounts = { evicted: 0, restored: 0 };

addEvictor(1, () => {
  for (const r of waiting) {
    waiting.delete(r);
    collected.unregister(r);
    const ws = r.ws!;
    const copy = new Float32Array(ws.length);
    copy.set(ws);
    r.saved = copy;
    release(ws);
    r.ws = null;
    tapeCounts.evicted++;
    return true;
  }
  return false;
});

/** A forward's workspace and tape; `release()` gives its WASM memory back (idempotent). */
export class Layer32 {
  private readonly home: Residence;
  private released = false;
  readonly bytes: number;
  private readonly L: Layout32;
  private acc: Int32Array | null = null; // rowsBefore, once a walk is shared: where to split
  /** Multiply-adds of the forward (what decides whether a worker takes a share). */
  private readonly work: number;

  /**
   * `training`: room for the backward (its gradient accumulators); without it backward() throws.
   * `noisy`: room for state noise, which forward() then requires.
   */
  constructor(
    readonly mode: CellMode, readonly In: number, readonly H: number, readonly bs: Int32Array, readonly B: number,
    readonly reverse: boolean, readonly training = true, readonly noisy = false,
  ) {
    const T = bs.length;
    const rows = bs.reduce((a, b) => a + b, 0);
    this.L = layout32(mode, In, H, B, T, rows, training, noisy);
    // Every element is written before it is read. One sequence without a backward never goes to
    // the worker, and copies its weights in at every call: its workspace takes the private memory,
    // where copies take less than half the time (src/runtime/wasm/private-memory.ts). Measured in
    // alternating windows of one process: one character of the char-LM 1.30–1.31× faster, `predict`
    // 1.01–1.02×.
    const ws = (B === 1 && !training ? privateF32(this.L.size) : null) ?? allocF32(this.L.size, false);
    this.home = { ws, saved: null };
    this.bytes = 4 * this.L.size;
    const tab = stepTable(ws, this.L);
    tab.set(bs);
    for (let t = 0, r = 0; t < T; r += bs[t++]) tab[T + t] = r;
    this.work = rows * (In + H) * this.L.GH;
  }

  release(): void {
    const h = this.home;
    waiting.delete(h);
    collected.unregister(h);
    if (h.ws !== null) {
      release(h.ws);
      releasePrivate(h.ws);
    }
    h.ws = null;
    h.saved = null;
    this.released = true;
  }

  /**
   * After a training forward: the tape waits for its backward, and gives its block back when
   * `graph` (the result the backward hangs on) is collected first. It may move out of WASM memory
   * meanwhile (`waiting`).
   */
  attach(graph: object): void {
    if (this.released || this.home.ws === null || !inWasmMemory(this.home.ws)) return;
    collected.register(graph, this.home, this.home);
    waiting.add(this.home);
  }

  private workspace(): Float32Array {
    if (this.released) throw new Error('Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward(); recur has no retain_graph: run the forward again');
    const h = this.home;
    waiting.delete(h); // in use: not moved out until it waits again
    if (h.ws === null) {
      const ws = allocF32(this.L.size, false);
      ws.set(h.saved!);
      h.ws = ws;
      h.saved = null;
      tapeCounts.restored++; // the backward that asked for it releases it (recurrent-layer.ts: even when it throws)
    }
    return h.ws;
  }

  /** The worker when this layer's phases are shared with it now, else null. */
  private helper(w: Float32Array) {
    return this.B > 1 && inWasmMemory(w) ? helperFor(this.work) : null;
  }

  /** A walk over every sequence: [0, split) here and [split, B) on the worker when there is one. */
  private walk(w: Float32Array, task: number, fn: Walk): void {
    const { L, reverse, B } = this;
    const helper = this.helper(w);
    if (helper === null) {
      fn(w, L, reverse, 0, B);
      return;
    }
    const split = splitPoint((this.acc ??= rowsBefore(this.bs, B)), helper.share);
    helper.post(task, layerArgs(w, L, reverse, [split, B]));
    fn(w, L, reverse, 0, split);
    if (!helper.join()) fn(w, L, reverse, split, B); // the worker's share, here (not started, or failed: again)
  }

  /**
   * Runs the layer: writes y [rows, H], hN [B, H], cN [B, H] (LSTM). h0/c0 [B, H]. `noise`
   * ([rows, H] from `noiseOff`; required when the layer is `noisy`): state noise added to each new h.
   */
  forward(
    p: Layer32Params, x: Float32Array, h0: Float32Array, c0: Float32Array | null, y: Float32Array, hN: Float32Array, cN: Float32Array | null,
    noise: ArrayLike<number> | null = null, noiseOff = 0,
  ): void {
    const w = this.workspace();
    const { L, In, H, B } = this;
    const { GH, rows } = L;
    if ((noise !== null) !== this.noisy) throw new Error(`Layer32.forward: ${this.noisy ? 'a noisy layer needs its noise' : 'noise given to a layer built without room for it'}`);
    if (noise !== null) for (let k = 0; k < rows * H; k++) w[L.oNoise + k] = noise[noiseOff + k];
    setF32(w, x.subarray(0, rows * In), L.oX);
    if (L.asStored) {
      setF32(w, p.wIh, L.oWihT);
      setF32(w, p.wHh, L.oWhhT);
    } else {
      transpose32(p.wIh, 0, GH, In, w, L.oWihT);
      transpose32(p.wHh, 0, GH, H, w, L.oWhhT);
    }
    if (p.bIh) setF32(w, p.bIh, L.oBih);
    else w.fill(0, L.oBih, L.oBih + GH);
    if (p.bHh) setF32(w, p.bHh, L.oBhh);
    else w.fill(0, L.oBhh, L.oBhh + GH);
    setF32(w, h0.subarray(0, B * H), L.oH0);
    if (this.mode === 'LSTM') setF32(w, c0!.subarray(0, B * H), L.oC0);
    this.walk(w, TASK_LAYER_FORWARD, forwardRows);
    setF32(y, w.subarray(L.oY, L.oY + rows * H));
    setF32(hN, w.subarray(L.oH, L.oH + B * H));
    if (cN !== null) setF32(cN, w.subarray(L.oC, L.oC + B * H));
  }

  /**
   * Backward from dY [rows, H], dhN [B, H], dcN [B, H] (LSTM); adds into the given float32
   * gradients (null: not wanted). Reuses the forward's space: GI becomes dGI, GH dh, C dc.
   */
  backward(p: Layer32Params, dY: Float32Array, dhN: Float32Array, dcN: Float32Array | null, g: Layer32Grads): void {
    const w = this.workspace();
    if (!this.training) throw new Error('Layer32.backward: the layer was run without room for its backward (training false)');
    const { L, In, H, B } = this;
    const { GH, rows } = L;
    setF32(w, dY.subarray(0, rows * H), L.oY);
    setF32(w, dhN.subarray(0, B * H), L.oH0);
    if (this.mode === 'LSTM') setF32(w, dcN!.subarray(0, B * H), L.oC0);
    setF32(w, p.wHh, L.oWhhT); // W_hh [GH, H]: the right operand of dh_prev = dG·W_hh
    setF32(w, p.wIh, L.oWihT); // W_ih [GH, In]: of dX = dGI·W_ih
    this.walk(w, TASK_LAYER_BACKWARD, backwardRows);
    // dh0 (at oGH) and dc0 (at oC) added into the gradients so far, in the blocks of dh_n and dc_n
    // (read by the walk, free now): the SIMD add, then a copy out.
    if (g.dh0) addInto32(g.dh0, w, L.oH0, L.oGH, B * H);
    if (g.dc0) addInto32(g.dc0, w, L.oC0, L.oC, B * H);

    // The products over all rows: dW rows / bias columns [0, mid) and dX rows [0, xmid) here.
    const want = (g.dWih ? WANT_WIH : 0) | (g.dWhh ? WANT_WHH : 0) | (g.dBih ? WANT_BIH : 0) | (g.dBhh ? WANT_BHH : 0) | (g.dX ? WANT_X : 0);
    this.loadGrads(w, g, 0, GH);
    const helper = this.helper(w);
    if (helper === null) {
      gradRange(w, L, want, 0, GH, 0, rows);
    } else {
      const mid = Math.min(GH, 4 * Math.round((helper.share * GH) / 4)); // a multiple of 4 (aligned rows and columns)
      const xmid = Math.round(helper.share * rows);
      helper.post(TASK_LAYER_GRADS, layerArgs(w, L, this.reverse, [want, mid, GH, xmid, rows]));
      gradRange(w, L, want, 0, mid, 0, xmid);
      if (!helper.join()) {
        this.loadGrads(w, g, mid, GH); // the worker's share here (not started, or failed: again from the start)
        gradRange(w, L, want, mid, GH, xmid, rows);
      }
    }
    if (g.dWih) setF32(g.dWih, w.subarray(L.oAccWih, L.oAccWih + GH * In));
    if (g.dWhh) setF32(g.dWhh, w.subarray(L.oAccWhh, L.oAccWhh + GH * H));
    if (g.dBih) setF32(g.dBih, w.subarray(L.oAccBih, L.oAccBih + GH));
    if (g.dBhh) setF32(g.dBhh, w.subarray(L.oAccBhh, L.oAccBhh + GH));
    if (g.dX) addInto32(g.dX, w, L.oX, L.oDX, rows * In); // in X's block: the products are done
  }

  /** The gradients so far, rows / columns [m0, m1), into the accumulators the products add to. */
  private loadGrads(w: Float32Array, g: Layer32Grads, m0: number, m1: number): void {
    const { L, In, H } = this;
    if (g.dWih) setF32(w, g.dWih.subarray(m0 * In, m1 * In), L.oAccWih + m0 * In);
    if (g.dWhh) setF32(w, g.dWhh.subarray(m0 * H, m1 * H), L.oAccWhh + m0 * H);
    if (g.dBih) setF32(w, g.dBih.subarray(m0, m1), L.oAccBih + m0);
    if (g.dBhh) setF32(w, g.dBhh.subarray(m0, m1), L.oAccBhh + m0);
  }
}
