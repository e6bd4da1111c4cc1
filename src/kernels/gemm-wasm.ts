// The WebAssembly SIMD kernels (five modules: tools/gen-gemm-wasm.mjs → gemm-wasm-module.ts) and
// the memory they work in: the matrix products; the Elman tanh steps (forward and backward) and
// the float32 ↔ float64 copies; Adam; the LSTM/GRU gate steps; their backward steps. WASM code can only address its own
// linear memory, so the kernels' workspaces (the recurrent layers' scratch slots and tapes, Adam's
// moments) are allocated as views of that memory with allocF64/allocF32; a kernel runs in WASM
// when all its operands live there, and its JS twin runs otherwise. Same results either way (bit for bit: same
// per-element order, separate multiply and add; test/gemm-wasm.test.ts, test/rnn-kernels.test.ts,
// test/cells-wasm.test.ts).
//
// The memory is reserved once (ARENA_PAGES) and never grown — growing would detach every view.
// Blocks are handed out by an Arena (first fit, else a bump pointer) and given back with release()
// when a workspace grows or is dropped; when it is full allocF64 returns ordinary arrays (JS path).
// Untouched pages cost no resident memory. No SIMD (WebAssembly.validate fails), or
// RECUR_NO_WASM=1: JS only.
import { ADAM_WASM_BASE64, BACK_WASM_BASE64, GEMM_WASM_BASE64, CELLS_WASM_BASE64, GATES_WASM_BASE64 } from './gemm-wasm-module.js';
import { Arena } from './arena.js';

/**
 * 64 KiB pages reserved for workspaces, largest first: 1 GiB holds the workspaces of a hidden-256,
 * batch-256, length-100 model; smaller reservations are the fall-backs where a runtime refuses it.
 */
const ARENA_PAGES = [16384, 4096, 1024];
/** Rows per atb call, so a tile of A and B rows stays in cache while C's tiles cycle (as gemm.ts). */
const ROW_TILE = 64;

/** The module's exports; pointers are byte addresses in its memory (see tools/gen-gemm-wasm.mjs). */
export interface GemmExports {
  ab(A: number, B: number, bias: number, C: number, M: number, K: number, N: number, mode: number): void;
  atb(A: number, B: number, C: number, R: number, M: number, N: number): void;
}

/** The second module's exports (tanh cell steps, copies), with the first module's products. */
export interface KernelExports extends GemmExports {
  tanhAdd(a: number, b: number, out: number, n: number): void;
  promote(src: number, dst: number, n: number): void;
  demote(src: number, dst: number, n: number): void;
  rnnTanhBack(dhS: number, dY: number, a: number, dg: number, n: number): void;
}

/** The third module: Adam/AdamW over float32 arrays in WASM memory (src/optim/adam-kernel.ts). */
export type AdamKernel = (p: number, g: number, m: number, v: number, n: number, b1: number, omb1: number, b2: number, omb2: number,
  negStep: number, bc2s: number, eps: number, decay: number, wd: number, flags: number) => void;

/**
 * The fourth module: n rows of lstmCellForward / gruCellForward in one call, bit for bit (fdlibm's
 * exp and tanh, cells/fdlibm.ts = Node 20's Math.exp/Math.tanh, on f64x2 lanes). Byte addresses of
 * each buffer's first row; rows are contiguous: gi and gh [n, 4H] (GRU [n, 3H]), c, hRaw and h
 * [n, H], save [n, 5H] (GRU [n, 4H]). `mathv` (tests): dst[i] = exp (kind 0) or tanh (kind 1) of
 * src[i], i < n.
 */
export interface GateKernels {
  lstmForward(gi: number, gh: number, c: number, hRaw: number, save: number, n: number, H: number): void;
  gruForward(gi: number, gh: number, h: number, save: number, n: number, H: number): void;
  mathv(kind: 0 | 1, src: number, dst: number, n: number): void;
}

/**
 * The fifth module: n rows of lstmCellBackward / gruCellBackward in one call, bit for bit. Byte
 * addresses of each buffer's first row; rows are contiguous: LSTM dhRaw, dc and cPrev [n, H], save
 * [n, 5H], dg [n, 4H]; GRU dh, hPrev and dhDirect [n, H], save [n, 4H], dgi and dgh [n, 3H].
 */
export interface GateBackKernels {
  lstmBackward(dhRaw: number, dc: number, cPrev: number, save: number, dg: number, n: number, H: number): void;
  gruBackward(dh: number, hPrev: number, save: number, dgi: number, dgh: number, dhDirect: number, n: number, H: number): void;
  /** n bytes at p set to 0 (memory.fill). */
  zero(p: number, n: number): void;
  /** n bytes from src to dst, overlap allowed (memory.copy). */
  copy(dst: number, src: number, n: number): void;
}

let wasm: GemmExports | null = null;
let cells: KernelExports | null = null; // both modules' exports (null if the second failed)
let adam: AdamKernel | null = null;
let gates: GateKernels | null = null;
let back: GateBackKernels | null = null;
let heap64: Float64Array | null = null; // the whole memory, for copyWithin between workspaces
let memory: ArrayBuffer | null = null;
// The last view found in the WASM memory: a layer's walk asks about its one workspace many times
// a step, and reading `.buffer` is a call into the engine each time.
let lastInMemory: ArrayBufferView | null = null;
let arena: Arena | null = null; // allocation inside `memory`

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

/** Whether this runtime can share a WebAssembly memory between threads (browsers: only when cross-origin isolated). */
function canShare(): boolean {
  return typeof SharedArrayBuffer === 'function';
}

/** The largest memory of ARENA_PAGES the runtime grants (shared between threads where it can be). */
function reserveMemory(): WebAssembly.Memory {
  for (const pages of ARENA_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: canShare() });
    } catch (e) {
      if (pages === ARENA_PAGES[ARENA_PAGES.length - 1]) throw e;
    }
  }
  throw new Error('unreachable');
}

/**
 * A module's bytes with its memory import declared shared when `mem` is: the generator declares
 * `(memory 1 65536)` (limits flag 0x01: with a maximum), and a shared import differs only in that
 * flag (0x03). Import matching requires the flags to agree.
 */
export function moduleFor(base64: string, shared: boolean): WebAssembly.Module {
  const bytes = decodeBase64(base64);
  if (shared) {
    const at = indexOfBytes(bytes, [0x03, 0x6d, 0x65, 0x6d, 0x02]); // name "mem", import kind memory
    if (at < 0 || bytes[at + 5] !== 0x01) throw new Error('gemm-wasm: unexpected memory import');
    bytes[at + 5] = 0x03;
  }
  return new WebAssembly.Module(bytes);
}

function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

let wasmMem: WebAssembly.Memory | null = null;

/** Instantiates the five modules on `mem`, allocating from bytes [start, end) of it. */
function instantiate(mem: WebAssembly.Memory, start: number, end: number): void {
  const shared = canShare() && mem.buffer instanceof SharedArrayBuffer;
  const inst = new WebAssembly.Instance(moduleFor(GEMM_WASM_BASE64, shared), { env: { mem } });
  wasm = inst.exports as unknown as GemmExports;
  wasmMem = mem;
  memory = mem.buffer as ArrayBuffer;
  lastInMemory = null;
  heap64 = new Float64Array(memory);
  arena = new Arena(start, end);
  try {
    const cellsInst = new WebAssembly.Instance(moduleFor(CELLS_WASM_BASE64, shared), { env: { mem } });
    cells = { ...wasm, ...(cellsInst.exports as unknown as KernelExports) };
  } catch {
    cells = null; // the cell steps and copies take their JS twins
  }
  try {
    adam = new WebAssembly.Instance(moduleFor(ADAM_WASM_BASE64, shared), { env: { mem } }).exports.adam as AdamKernel;
  } catch {
    adam = null; // the JS loop
  }
  try {
    gates = new WebAssembly.Instance(moduleFor(GATES_WASM_BASE64, shared), { env: { mem } }).exports as unknown as GateKernels;
  } catch {
    gates = null; // the JS cell functions
  }
  try {
    back = new WebAssembly.Instance(moduleFor(BACK_WASM_BASE64, shared), { env: { mem } }).exports as unknown as GateBackKernels;
  } catch {
    back = null; // the JS cell functions
  }
}

/** No WASM kernels and no WASM memory: every kernel takes its JS twin. */
function jsOnly(): void {
  wasm = null;
  wasmMem = null;
  cells = null;
  adam = null;
  gates = null;
  back = null;
  memory = null;
  lastInMemory = null;
  heap64 = null;
  arena = null;
}

// Set up on first use (not at import: a page that loads the library but runs no model never reserves the memory).
let initialised = false;
function init(): void {
  initialised = true;
  if (disabledByEnv() || typeof WebAssembly !== 'object') return;
  try {
    if (!WebAssembly.validate(decodeBase64(GEMM_WASM_BASE64))) return; // no SIMD
    const mem = reserveMemory();
    instantiate(mem, 16, mem.buffer.byteLength); // address 0 stays unused (a null bias pointer is 0)
  } catch {
    jsOnly(); // e.g. a browser refusing synchronous compilation
  }
}

/**
 * The WASM memory when it can be shared with a worker thread (a SharedArrayBuffer underneath),
 * else null. A worker given it and a block of it (`reserveBlock`) runs the same kernels on the
 * same workspaces (`adoptMemory`).
 */
export function sharedWasmMemory(): WebAssembly.Memory | null {
  if (!initialised) init();
  return wasmMem !== null && canShare() && wasmMem.buffer instanceof SharedArrayBuffer ? wasmMem : null;
}

/** Byte address of `bytes` of zeroes reserved for another thread's allocations, or −1. */
export function reserveBlock(bytes: number): number {
  return reserve(bytes);
}

/**
 * In a worker thread, before anything else of this module is used: run the kernels on another
 * thread's shared memory, allocating only from its bytes [start, end) (a reserveBlock). False (and
 * the JS kernels) when the modules cannot be instantiated here.
 */
export function adoptMemory(mem: WebAssembly.Memory, start: number, end: number): boolean {
  if (initialised && wasmMem === mem) return true;
  initialised = true;
  try {
    instantiate(mem, start, end);
    return true;
  } catch {
    jsOnly();
    return false;
  }
}

/** The WASM memory every workspace lives in (shared or not), or null: JS kernels only. */
export function wasmMemory(): WebAssembly.Memory | null {
  if (!initialised) init();
  return wasmMem;
}

/** Bytes of WASM memory currently handed out to workspaces (0 without WASM). */
export function wasmReservedBytes(): number {
  if (!initialised) init();
  return arena === null ? 0 : arena.reservedBytes;
}

/** Whether the SIMD kernels are in use. */
export function wasmGemmEnabled(): boolean {
  if (!initialised) init();
  return wasm !== null;
}

/**
 * Both modules' raw exports, for a caller that keeps its operands' byte addresses
 * (allocF64/allocF32 views never move: the memory never grows) and calls many small kernels in a
 * row: the checked wrappers below cost ~0.1 µs a call in `buffer`/`byteOffset` look-ups. Null:
 * JS kernels only.
 */
export function wasmKernels(): KernelExports | null {
  if (!initialised) init();
  return cells;
}

/** The Adam kernel (byte addresses in WASM memory), or null: the JS loop. */
export function wasmAdam(): AdamKernel | null {
  if (!initialised) init();
  return adam;
}

/** The LSTM/GRU gate kernels (byte addresses in WASM memory), or null: the JS cell functions. */
export function wasmGates(): GateKernels | null {
  if (!initialised) init();
  return gates;
}

/** The LSTM/GRU backward step kernels (byte addresses in WASM memory), or null: the JS cell functions. */
export function wasmGatesBackward(): GateBackKernels | null {
  if (!initialised) init();
  return back;
}

// Called, cheapest first, when a block does not fit: each gives back one block that can leave
// WASM memory and returns true, or false when it has none left. A module's scratch workspace
// (runtime/wasm/workspace.ts) goes for nothing; a tape waiting for its backward (packed-layer32.ts)
// for a copy.
const evictors: Array<{ cost: number; evict: () => boolean }> = [];

/** Adds a function reserve() calls, in order of `cost`, while a block does not fit. */
export function addEvictor(cost: number, evict: () => boolean): void {
  evictors.push({ cost, evict });
  evictors.sort((a, b) => a.cost - b.cost);
}

function evictOne(): boolean {
  for (const e of evictors) if (e.evict()) return true;
  return false;
}

/** Byte address of a block of `bytes` in WASM memory (16-byte aligned; zeroed unless `zero` is false), or −1 when it is full. */
function reserve(bytes: number, zero = true): number {
  if (!initialised) init();
  if (arena === null) return -1;
  let r = arena.reserve(bytes);
  while (r.at < 0 && evictOne()) r = arena.reserve(bytes);
  const { at, dirty } = r;
  if (at >= 0 && dirty && zero) new Uint8Array(memory!, at, bytes).fill(0);
  return at;
}

/** A zeroed Float64Array of n elements, in WASM memory while it has room (16-byte aligned). */
export function allocF64(n: number): Float64Array {
  const at = reserve(n * 8);
  return at < 0 ? new Float64Array(n) : new Float64Array(memory!, at, n);
}

/**
 * A Float32Array of n elements, in WASM memory while it has room (16-byte aligned); zeroed unless
 * `zero` is false (a workspace whose every element is written before it is read).
 */
export function allocF32(n: number, zero = true): Float32Array {
  const at = reserve(n * 4, zero);
  return at < 0 ? new Float32Array(n) : new Float32Array(memory!, at, n);
}

/**
 * Gives back the WASM memory of an array allocF64/allocF32 returned (no-op for ordinary arrays,
 * null, sub-views not starting at a block, and blocks already released). The caller must drop
 * every view of it: the bytes will be handed out again.
 */
export function release(a: ArrayBufferView | null): void {
  if (a !== null && arena !== null && inWasmMemory(a)) arena.release(a.byteOffset);
}

/** A view of `n` elements at byte address `at` of the WASM memory: float32 (kind 1) or float64 (kind 2). */
export function viewOf(kind: 1 | 2, at: number, n: number): Float32Array | Float64Array {
  if (memory === null) throw new Error('viewOf: no WASM memory');
  return kind === 1 ? new Float32Array(memory, at, n) : new Float64Array(memory, at, n);
}

/** Whether `a` is a view of the WASM memory (so the SIMD kernels can read it). */
export function inWasmMemory(a: ArrayBufferView): boolean {
  if (memory === null) return false;
  if (a === lastInMemory) return true;
  if (a.buffer !== memory) return false;
  lastInMemory = a;
  return true;
}

/**
 * C[co + m·N + n] = start + Σ_k A[ao + m·K + k]·B[k·N + n]: start 0 (mode 0), bias[n] (mode 1),
 * C's value (mode 2). Returns false (nothing done) unless every operand is in WASM memory.
 */
export function wasmAB(
  A: Float64Array, ao: number, B: Float64Array, bias: Float64Array | null, C: Float64Array, co: number,
  M: number, K: number, N: number, mode: 0 | 1 | 2,
): boolean {
  if (wasm === null || !inWasmMemory(A) || !inWasmMemory(B) || !inWasmMemory(C) || (mode === 1 && (bias === null || !inWasmMemory(bias)))) return false;
  if (M <= 0 || N <= 0) return true;
  wasm.ab(A.byteOffset + ao * 8, B.byteOffset, mode === 1 ? bias!.byteOffset : 0, C.byteOffset + co * 8, M, K, N, mode);
  return true;
}

/** C[m, n] += Σ_r A[r, m]·B[r, n] (A [R, M], B [R, N], C [M, N]); false unless all in WASM memory. */
export function wasmAtB(A: Float64Array, B: Float64Array, R: number, M: number, N: number, C: Float64Array): boolean {
  if (wasm === null || !inWasmMemory(A) || !inWasmMemory(B) || !inWasmMemory(C)) return false;
  if (M <= 0 || N <= 0) return true;
  for (let r0 = 0; r0 < R; r0 += ROW_TILE) {
    const r1 = Math.min(R, r0 + ROW_TILE);
    wasm.atb(A.byteOffset + r0 * M * 8, B.byteOffset + r0 * N * 8, C.byteOffset, r1 - r0, M, N);
  }
  return true;
}

let ones: Float64Array = new Float64Array(0); // [n] of 1, in WASM memory: the left operand of wasmColSum
/**
 * c[j] += Σ_r A[r, j] (r increasing) as the product onesᵀ·A: 1·x is exact, so each column is the
 * same sum in the same order as the JS loop (bit-identical). False unless A and c are in WASM memory.
 */
export function wasmColSum(A: Float64Array, R: number, M: number, c: Float64Array): boolean {
  if (wasm === null || !inWasmMemory(A) || !inWasmMemory(c)) return false;
  if (ones.length < R) {
    const next = allocF64(Math.max(R, 2 * ones.length, 256));
    if (!inWasmMemory(next)) return false;
    release(ones);
    ones = next.fill(1);
  }
  return wasmAtB(ones, A, R, 1, M, c);
}

/**
 * dst[d + i] = src[s + i] for i < n (float64 workspaces): a memmove when both are in WASM memory
 * (WASM memory.copy; else copyWithin on a view of all of it: no allocation), else a loop.
 */
export function copyF64(src: Float64Array, s: number, dst: Float64Array, d: number, n: number): void {
  if (back !== null && inWasmMemory(src) && inWasmMemory(dst)) {
    if (n > 0) back.copy(dst.byteOffset + 8 * d, src.byteOffset + 8 * s, 8 * n);
  } else if (heap64 !== null && inWasmMemory(src) && inWasmMemory(dst)) {
    const so = (src.byteOffset >> 3) + s;
    heap64.copyWithin((dst.byteOffset >> 3) + d, so, so + n);
  } else {
    for (let k = 0; k < n; k++) dst[d + k] = src[s + k];
  }
}

/**
 * a[from..to) = 0 (+0): WASM memory.fill when `a` is in WASM memory — a TypedArray's fill() on a
 * shared memory's view stores element by element, 5× slower — else fill().
 */
export function zeroFill(a: Float64Array | Float32Array, from = 0, to = a.length): void {
  if (back !== null && inWasmMemory(a)) {
    if (to > from) back.zero(a.byteOffset + a.BYTES_PER_ELEMENT * from, a.BYTES_PER_ELEMENT * (to - from));
  } else {
    a.fill(0, from, to);
  }
}

/** dst[i] = src[i] for i < src.length (float32 → float64) by the SIMD kernel; false unless both are in WASM memory. */
export function wasmPromote(src: Float32Array, dst: Float64Array): boolean {
  if (cells === null || !inWasmMemory(src) || !inWasmMemory(dst) || dst.length < src.length) return false;
  cells.promote(src.byteOffset, dst.byteOffset, src.length);
  return true;
}

/** dst[d + i] = src[s + i] rounded to float32, i < n: the SIMD kernel when both are in WASM memory, else a loop. */
export function demoteF64(src: Float64Array, s: number, dst: Float32Array, d: number, n: number): void {
  if (cells !== null && inWasmMemory(src) && inWasmMemory(dst)) cells.demote(src.byteOffset + 8 * s, dst.byteOffset + 4 * d, n);
  else for (let k = 0; k < n; k++) dst[d + k] = src[s + k];
}
