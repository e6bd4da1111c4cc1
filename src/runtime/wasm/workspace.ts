// Grow-only WASM workspaces owned by an object (a module): workspace(owner, n) returns a float32
// view of at least n elements in WASM memory (a plain Float32Array when WASM is unavailable or its
// memory is full: the kernels then run their JS twins, with the same bits), the same block while it is big enough, a bigger one
// (the old given back) when it is not. The block is given back by disposeWorkspace(owner) (what a
// module's dispose() calls) or, failing that, when the owner is garbage-collected.
import { allocF32, inWasmMemory, release } from '../../kernels/gemm-wasm.js';

const blocks = new WeakMap<object, Float32Array>();
const collected = new FinalizationRegistry<Float32Array>((block) => release(block));

/** A float32 block of ≥ n elements owned by `owner` (in WASM memory when there is room). */
export function workspace(owner: object, n: number): Float32Array {
  const have = blocks.get(owner);
  if (have !== undefined && have.length >= n) return have;
  if (have !== undefined) {
    collected.unregister(owner);
    release(have);
    blocks.delete(owner);
  }
  const next = allocF32(Math.max(n, have !== undefined ? Math.ceil(have.length * 1.5) : 0), false); // a scratch: written before read
  blocks.set(owner, next);
  if (inWasmMemory(next)) collected.register(owner, next, owner);
  return next;
}

/** Gives back `owner`'s block now (no-op without one). */
export function disposeWorkspace(owner: object): void {
  const have = blocks.get(owner);
  if (have === undefined) return;
  collected.unregister(owner);
  release(have);
  blocks.delete(owner);
}

/** Elements of `owner`'s block (0 without one): for tests. */
export function workspaceSize(owner: object): number {
  return blocks.get(owner)?.length ?? 0;
}
