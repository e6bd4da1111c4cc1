// The float32 recurrent cells, b rows of one time step: the f32x4 kernels (cells32{f,g,r,b}.wat,
// tools/gen-cells32-wasm.mjs) when the buffers live in WASM memory (the forward cells also in the
// private memory: src/runtime/wasm/private-memory.ts), else their JS twins (cells32-naive.ts) —
// the same bits either way. Buffers, shapes and formulas: see
// cells32-naive.ts; offsets are in elements. Forward: everything in the workspace w. Backward: the
// saved rows, c_prev / h_prev, dc and the gate gradients in w; dh, dy and GRU's dgh in e.
import { inWasmMemory } from './gemm-wasm.js';
import { cells32Kernels } from '../runtime/wasm/cells32.js';
import type { Cells32Kernels } from '../runtime/wasm/cells32.js';
import { inPrivateMemory, lastPrivate, privateCells32 } from '../runtime/wasm/private-memory.js';
import { kernelCounts } from '../runtime/wasm/gemm32.js';
import { setF32 } from '../runtime/wasm/copy.js';
import {
  add32Naive, gruBackRows32Naive, gruRows32Naive, lstmBackRows32Naive, lstmRows32Naive, rnnBackRows32Naive, rnnRows32Naive,
} from './cells32-naive.js';

/**
 * The cell kernels for a forward workspace `w`: on the workspaces' memory, or on the private one
 * (one-sequence work: src/runtime/wasm/private-memory.ts); null: the JS twins.
 */
export function forwardCells(w: Float32Array): Cells32Kernels | null {
  if (lastPrivate(w)) return privateCells32();
  const k = cells32Kernels();
  if (k !== null && inWasmMemory(w)) return k;
  return inPrivateMemory(w) ? privateCells32() : null;
}

/** LSTM forward rows: gi, gh [b, 4H] → sv [b, 6H] (i f g o tanh(c) c), hs, cs [b, H] in place. */
export function lstmRows32(w: Float32Array, b: number, H: number, gi: number, gh: number, sv: number, hs: number, cs: number): void {
  if (b <= 0) return;
  const k = forwardCells(w);
  if (k !== null) {
    kernelCounts.cells32++;
    const a = w.byteOffset;
    k.lstmF(b, H, a + 4 * gi, a + 4 * gh, a + 4 * sv, a + 4 * hs, a + 4 * cs);
    return;
  }
  lstmRows32Naive(w, b, H, gi, gh, sv, hs, cs);
}

/** GRU forward rows: gi, gh [b, 3H] → sv [b, 4H] (r z n gh_n), hs [b, H] in place. */
export function gruRows32(w: Float32Array, b: number, H: number, gi: number, gh: number, sv: number, hs: number): void {
  if (b <= 0) return;
  const k = forwardCells(w);
  if (k !== null) {
    kernelCounts.cells32++;
    const a = w.byteOffset;
    k.gruF(b, H, a + 4 * gi, a + 4 * gh, a + 4 * sv, a + 4 * hs);
    return;
  }
  gruRows32Naive(w, b, H, gi, gh, sv, hs);
}

/** Elman forward rows (tanh, or relu): gi, gh [b, H] → sv [b, H] (h), hs [b, H]. */
export function rnnRows32(w: Float32Array, b: number, H: number, gi: number, gh: number, sv: number, hs: number, relu: boolean): void {
  if (b <= 0) return;
  const k = forwardCells(w);
  if (k !== null) {
    kernelCounts.cells32++;
    const a = w.byteOffset;
    k.rnnF(b, H, a + 4 * gi, a + 4 * gh, a + 4 * sv, a + 4 * hs, relu ? 1 : 0);
    return;
  }
  rnnRows32Naive(w, b, H, gi, gh, sv, hs, relu);
}

/** LSTM backward rows: sv [b, 6H], cp, dc [b, H] and dg [b, 4H] in w; dh, dy [b, H] in e. */
export function lstmBackRows32(w: Float32Array, e: Float32Array, b: number, H: number, sv: number, dg: number, cp: number, dc: number, dh: number, dy: number): void {
  if (b <= 0) return;
  const k = cells32Kernels();
  if (k !== null && inWasmMemory(w) && inWasmMemory(e)) {
    kernelCounts.cells32++;
    const a = w.byteOffset, x = e.byteOffset;
    k.lstmB(b, H, a + 4 * sv, a + 4 * dg, a + 4 * cp, a + 4 * dc, x + 4 * dh, x + 4 * dy);
    return;
  }
  lstmBackRows32Naive(w, e, b, H, sv, dg, cp, dc, dh, dy);
}

/** GRU backward rows: sv [b, 4H], hp [b, H], dgi [b, 3H] in w; dgh [b, 3H], dh, dy [b, H] in e. */
export function gruBackRows32(w: Float32Array, e: Float32Array, b: number, H: number, sv: number, hp: number, dgi: number, dgh: number, dh: number, dy: number): void {
  if (b <= 0) return;
  const k = cells32Kernels();
  if (k !== null && inWasmMemory(w) && inWasmMemory(e)) {
    kernelCounts.cells32++;
    const a = w.byteOffset, x = e.byteOffset;
    k.gruB(b, H, a + 4 * sv, a + 4 * hp, a + 4 * dgi, x + 4 * dgh, x + 4 * dh, x + 4 * dy);
    return;
  }
  gruBackRows32Naive(w, e, b, H, sv, hp, dgi, dgh, dh, dy);
}

/** Elman backward rows: sv [b, H] and dg [b, H] in w; dh, dy [b, H] in e. */
export function rnnBackRows32(w: Float32Array, e: Float32Array, b: number, H: number, sv: number, dg: number, dh: number, dy: number, relu: boolean): void {
  if (b <= 0) return;
  const k = cells32Kernels();
  if (k !== null && inWasmMemory(w) && inWasmMemory(e)) {
    kernelCounts.cells32++;
    const a = w.byteOffset, x = e.byteOffset;
    k.rnnB(b, H, a + 4 * sv, a + 4 * dg, x + 4 * dh, x + 4 * dy, relu ? 1 : 0);
    return;
  }
  rnnBackRows32Naive(w, e, b, H, sv, dg, dh, dy, relu);
}

/** w[d + k] += w[s + k], k < n, each sum one float32 addition: the SIMD kernel, or its JS twin. */
export function add32(w: Float32Array, d: number, s: number, n: number): void {
  if (n <= 0) return;
  const k = cells32Kernels();
  if (k !== null && inWasmMemory(w)) {
    kernelCounts.cells32++;
    k.add32(1, n, w.byteOffset + 4 * d, w.byteOffset + 4 * s);
    return;
  }
  add32Naive(w, d, s, n);
}

/**
 * dst[k] += w[from + k], k < n: a gradient in ordinary memory plus a block of workspace `w`. dst is
 * copied into the workspace at `scratch` (n free elements), added to there (add32: one float32 sum
 * per element, the bits of the plain loop) and copied back.
 */
export function addInto32(dst: Float32Array, w: Float32Array, scratch: number, from: number, n: number): void {
  setF32(w, dst.subarray(0, n), scratch);
  add32(w, scratch, from, n);
  setF32(dst, w.subarray(scratch, scratch + n));
}
