// e^x over a float64 buffer, with Math.exp's bits: fdlibm's e_exp.c (cells/fdlibm.ts), which is
// what Node 20's Math.exp computes. Where the buffer lives in WASM memory the gates module's
// `mathv` runs it on f64x2 lanes (the same operations, each branch chosen per lane: bit for bit,
// test/cells-wasm.test.ts), about 3.7× faster than a Math.exp loop here; elsewhere the scalar
// port (expInPlaceNaive). Callers stage their arguments in `expScratch()` and read the results
// back from it: a softmax or a cross-entropy over many rows is then one kernel call per chunk.
import { allocF64, inWasmMemory, release, wasmGates } from './gemm-wasm.js';
import { fdlibmExp } from './cells/fdlibm.js';

/** Float64 elements the scratch holds at least (16,384: 128 KiB). */
export const EXP_SCRATCH = 16384;

let scratch: Float64Array = new Float64Array(0);
let scratchInWasm = false; // the scratch was a WASM block (re-made if that memory has been replaced)

/**
 * The shared staging buffer, at least max(EXP_SCRATCH, n) elements: in WASM memory when there is
 * room, else an ordinary array (expInPlace then runs the scalar port: the same bits). Valid until
 * the next call; single-threaded use only.
 */
export function expScratch(n: number): Float64Array {
  const want = Math.max(EXP_SCRATCH, n);
  if (scratch.length < want || (scratchInWasm && !inWasmMemory(scratch))) {
    if (scratchInWasm && inWasmMemory(scratch)) release(scratch);
    scratch = allocF64(Math.max(want, scratch.length));
    scratchInWasm = inWasmMemory(scratch);
  }
  return scratch;
}

/** a[i] = e^a[i] for i < n (Math.exp's bits). */
export function expInPlace(a: Float64Array, n: number): void {
  if (n <= 0) return;
  const g = wasmGates();
  if (g !== null && inWasmMemory(a)) {
    g.mathv(0, a.byteOffset, a.byteOffset, n);
    return;
  }
  expInPlaceNaive(a, n);
}

/** expInPlace's scalar twin. */
export function expInPlaceNaive(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] = fdlibmExp(a[i]);
}
