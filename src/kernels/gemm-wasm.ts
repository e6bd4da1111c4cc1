// The WebAssembly SIMD (f64x2) matrix products (module: tools/gen-gemm-wasm.mjs → gemm-wasm-module.ts)
// and the memory they work in. WASM code can only address its own linear memory, so the workspaces
// of the recurrent kernels (scratch slots, tapes, the fused step's gradients) are allocated as
// Float64Array views of that memory with allocF64; a product runs in WASM when all its operands
// live there, and in the JS kernels of gemm.ts otherwise. Same results either way (bit for bit:
// same per-element order, separate multiply and add; test/gemm-wasm.test.ts).
//
// The memory is reserved once (ARENA_PAGES) and never grown — growing would detach every view —
// and allocation is a bump pointer that is never freed, so only long-lived, grow-only workspaces
// should use it; when it is full allocF64 returns ordinary arrays (JS path). Untouched pages cost
// no resident memory. No SIMD (WebAssembly.validate fails), or RECUR_NO_WASM=1: JS only.
import { GEMM_WASM_BASE64 } from './gemm-wasm-module.js';

/** 64 KiB pages reserved for workspaces: 64 MiB. */
const ARENA_PAGES = 1024;
/** Rows per atb call, so a tile of A and B rows stays in cache while C's tiles cycle (as gemm.ts). */
const ROW_TILE = 64;

interface GemmExports {
  ab(A: number, B: number, bias: number, C: number, M: number, K: number, N: number, mode: number): void;
  atb(A: number, B: number, C: number, R: number, M: number, N: number): void;
}

let wasm: GemmExports | null = null;
let memory: ArrayBuffer | null = null;
let top = 0;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function disabledByEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.RECUR_NO_WASM === '1';
}

// Set up on first use (not at import: a page that only predicts never reserves the memory).
let initialised = false;
function init(): void {
  initialised = true;
  if (disabledByEnv() || typeof WebAssembly !== 'object') return;
  try {
    const bytes = decodeBase64(GEMM_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return; // no SIMD
    const mem = new WebAssembly.Memory({ initial: ARENA_PAGES, maximum: ARENA_PAGES });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } });
    wasm = inst.exports as unknown as GemmExports;
    memory = mem.buffer;
    top = 16; // address 0 stays unused (a null bias pointer is 0)
  } catch {
    wasm = null; // e.g. a browser refusing synchronous compilation: JS kernels
    memory = null;
  }
}
/** Whether the SIMD kernels are in use. */
export function wasmGemmEnabled(): boolean {
  if (!initialised) init();
  return wasm !== null;
}

/** A zeroed Float64Array of n elements, in WASM memory while it has room (16-byte aligned). */
export function allocF64(n: number): Float64Array {
  if (!initialised) init();
  if (memory !== null) {
    const bytes = (n * 8 + 15) & ~15;
    if (top + bytes <= memory.byteLength) {
      const a = new Float64Array(memory, top, n);
      top += bytes;
      return a;
    }
  }
  return new Float64Array(n);
}

const inArena = (a: Float64Array): boolean => a.buffer === memory;

/** Whether `a` is a view of the WASM memory (so the SIMD kernels can read it). */
export function inWasmMemory(a: ArrayBufferView): boolean {
  return memory !== null && a.buffer === memory;
}

/**
 * C[co + m·N + n] = start + Σ_k A[ao + m·K + k]·B[k·N + n]: start 0 (mode 0), bias[n] (mode 1),
 * C's value (mode 2). Returns false (nothing done) unless every operand is in WASM memory.
 */
export function wasmAB(
  A: Float64Array, ao: number, B: Float64Array, bias: Float64Array | null, C: Float64Array, co: number,
  M: number, K: number, N: number, mode: 0 | 1 | 2,
): boolean {
  if (wasm === null || !inArena(A) || !inArena(B) || !inArena(C) || (mode === 1 && (bias === null || !inArena(bias)))) return false;
  if (M <= 0 || N <= 0) return true;
  wasm.ab(A.byteOffset + ao * 8, B.byteOffset, mode === 1 ? bias!.byteOffset : 0, C.byteOffset + co * 8, M, K, N, mode);
  return true;
}

/** C[m, n] += Σ_r A[r, m]·B[r, n] (A [R, M], B [R, N], C [M, N]); false unless all in WASM memory. */
export function wasmAtB(A: Float64Array, B: Float64Array, R: number, M: number, N: number, C: Float64Array): boolean {
  if (wasm === null || !inArena(A) || !inArena(B) || !inArena(C)) return false;
  if (M <= 0 || N <= 0) return true;
  for (let r0 = 0; r0 < R; r0 += ROW_TILE) {
    const r1 = Math.min(R, r0 + ROW_TILE);
    wasm.atb(A.byteOffset + r0 * M * 8, B.byteOffset + r0 * N * 8, C.byteOffset, r1 - r0, M, N);
  }
  return true;
}
