// Grow-only WASM workspaces owned by an object (a module): workspace(owner, n) returns a float32
// view of at least n elements in WASM memory (a plain Float32Array when WASM is unavailable or its
// memory is full: the kernels then run their JS twins, with the same bits), the same block while it
// is big enough, a bigger one (the old given back) when it is not. A workspace holds nothing between
// calls, so when a block elsewhere does not fit, the oldest workspaces are given back (the owner
// gets a new one at its next call). Otherwise the block is given back by disposeWorkspace(owner)
// (what a module's dispose() calls) or when the owner is garbage-collected — which, in a loop that
// never lets the finalizers run, is never.
import { addEvictor, allocF32, inWasmMemory, release } from '../../kernels/gemm-wasm.js';

/** An owner's block; null once given back to make room. */
interface Slot {
  block: Float32Array | null;
}

const slots = new WeakMap<object, Slot>();
// Slots holding a WASM block, least recently handed out first (only the small Slot: never the
// owner). The last one handed out may be in use right now (its caller is between workspace() and
// its return, and may reserve memory meanwhile): it is never given back to make room. Callers hold
// one workspace at a time.
const resident = new Set<Slot>();
let newest: Slot | null = null;
const collected = new FinalizationRegistry<Slot>((slot) => drop(slot));

function drop(slot: Slot): void {
  resident.delete(slot);
  if (slot.block !== null) release(slot.block);
  slot.block = null;
}

addEvictor(0, () => {
  for (const slot of resident) {
    if (slot === newest) continue;
    drop(slot);
    return true;
  }
  return false;
});

/** A float32 block of ≥ n elements owned by `owner` (in WASM memory when there is room). */
export function workspace(owner: object, n: number): Float32Array {
  let slot = slots.get(owner);
  const have = slot?.block ?? null;
  if (slot !== undefined) newest = slot;
  if (have !== null && have.length >= n) {
    resident.delete(slot!); // now the most recent
    resident.add(slot!);
    return have;
  }
  if (slot === undefined) {
    slot = { block: null };
    slots.set(owner, slot);
    collected.register(owner, slot, slot);
    newest = slot;
  }
  drop(slot); // the one too small, if any
  const next = allocF32(Math.max(n, have !== null ? Math.ceil(have.length * 1.5) : 0), false); // a scratch: written before read
  slot.block = next;
  if (inWasmMemory(next)) resident.add(slot);
  return next;
}

/** Gives back `owner`'s block now (no-op without one). */
export function disposeWorkspace(owner: object): void {
  const slot = slots.get(owner);
  if (slot === undefined) return;
  collected.unregister(slot);
  drop(slot);
  slots.delete(owner);
}

/** Elements of `owner`'s block (0 without one): for tests. */
export function workspaceSize(owner: object): number {
  return slots.get(owner)?.block?.length ?? 0;
}
