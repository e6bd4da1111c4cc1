// A second WASM memory, never shared with another thread, for work that stays on this one: a
// forward of one sequence without gradients (a prediction, a generated character), whose layers
// copy their weights into a workspace at every call. The workspaces' memory is a
// SharedArrayBuffer wherever a worker can share it, and V8 copies into and out of one with relaxed
// atomics: 213 K floats take 33 µs into it and 46 µs out, 14 µs and 18 µs for a non-shared memory
// (TypedArray.set, this machine). The same kernel modules run here, instantiated on this memory:
// the same bits. Only where the main memory is shared; otherwise it serves as well.
import { Arena } from '../../kernels/arena.js';
import { moduleFor, wasmMemory } from '../../kernels/gemm-wasm.js';
import { GEMM32_WASM_BASE64 } from './gemm32-module.js';
import type { Matvec32, Tiles32 } from './gemm32.js';
import { CELLS32B_WASM_BASE64, CELLS32F_WASM_BASE64, CELLS32G_WASM_BASE64, CELLS32R_WASM_BASE64, MOVE32_WASM_BASE64 } from './cells32-module.js';
import type { Cells32Kernels } from './cells32.js';

/** 64 KiB pages: 64 MiB, reserved once (never grown: growing would detach the views). */
const PAGES = 1024;

interface Private {
  buffer: ArrayBuffer;
  arena: Arena;
  tiles: Tiles32;
  matvec: Matvec32;
  cells: Cells32Kernels;
}

let state: Private | null = null;
let tried = false;

/** Blocks handed out since the process started, and how many of them were kept ones (tests read it). */
export const privateCounts = { blocks: 0, reused: 0 };

// Blocks given back, kept with their views for the next request of the same size: a forward of
// one sequence asks for the same few sizes at every call (one per layer), and the arena's
// bookkeeping plus a new view cost about 0.7 µs a block. At most KEEP are kept, the oldest going
// back to the arena first; all of them when a request does not fit.
const KEEP = 8;
const kept: Float32Array[] = [];

function init(): Private | null {
  tried = true;
  const main = wasmMemory();
  if (main === null || typeof SharedArrayBuffer !== 'function' || !(main.buffer instanceof SharedArrayBuffer)) return null;
  try {
    const mem = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
    const inst = (b64: string) => new WebAssembly.Instance(moduleFor(b64, false), { env: { mem } }).exports;
    const gemm = inst(GEMM32_WASM_BASE64);
    const cells = Object.assign({}, ...[CELLS32F_WASM_BASE64, CELLS32G_WASM_BASE64, CELLS32R_WASM_BASE64, CELLS32B_WASM_BASE64, MOVE32_WASM_BASE64].map(inst)) as Cells32Kernels;
    const buffer = mem.buffer as ArrayBuffer;
    // Address 0 stays unused, as in the main memory (a null bias pointer is 0).
    state = { buffer, arena: new Arena(16, buffer.byteLength), tiles: gemm.tiles as Tiles32, matvec: gemm.matvec as Matvec32, cells };
  } catch {
    state = null;
  }
  return state;
}

/**
 * A Float32Array of n elements in the private memory (16-byte aligned, not zeroed: for a workspace
 * whose every element is written before it is read), or null where there is none or it is full.
 */
export function privateF32(n: number): Float32Array | null {
  const s = tried ? state : init();
  if (s === null) return null;
  for (let i = 0; i < kept.length; i++) {
    const a = kept[i];
    if (a.length !== n) continue;
    kept.splice(i, 1);
    privateCounts.blocks++;
    privateCounts.reused++;
    return a;
  }
  let { at } = s.arena.reserve(4 * n);
  if (at < 0 && kept.length > 0) {
    for (const a of kept) s.arena.release(a.byteOffset);
    kept.length = 0;
    at = s.arena.reserve(4 * n).at;
  }
  if (at < 0) return null;
  privateCounts.blocks++;
  return new Float32Array(s.buffer, at, n);
}

/** Gives back a block privateF32 returned (no-op for anything else, or for a block given back already). */
export function releasePrivate(a: ArrayBufferView): void {
  if (state === null || a.buffer !== state.buffer || kept.includes(a as Float32Array)) return;
  if (kept.length === KEEP) state.arena.release(kept.shift()!.byteOffset);
  kept.push(a as Float32Array);
}

let lastIn: ArrayBufferView | null = null; // the view inPrivateMemory last found there

/**
 * Whether `a` is the view last found in the private memory: an identity test, without reading
 * `.buffer` (a walk's kernels ask about its one workspace many times a call). False says nothing.
 */
export function lastPrivate(a: ArrayBufferView): boolean {
  return a === lastIn && state !== null;
}

/** Whether `a` is a view of the private memory. */
export function inPrivateMemory(a: ArrayBufferView): boolean {
  if (state === null) return false;
  if (a === lastIn) return true;
  if (a.buffer !== state.buffer) return false;
  lastIn = a;
  return true;
}

/** The product kernels on the private memory (null until a block was handed out). */
export function privateGemm32(): { tiles: Tiles32; matvec: Matvec32 } | null {
  return state;
}

/** The cell kernels on the private memory (null until a block was handed out). */
export function privateCells32(): Cells32Kernels | null {
  return state === null ? null : state.cells;
}

/** Bytes of the private memory in use now: reserved, less the blocks kept for reuse (tests). */
export function privateReservedBytes(): number {
  if (state === null) return 0;
  let n = state.arena.reservedBytes;
  for (const a of kept) n -= Math.max(16, Math.ceil(a.byteLength / 16) * 16);
  return n;
}
