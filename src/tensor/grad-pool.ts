// Recycled gradient buffers for the non-leaf tensors of a backward pass. Each backward allocates a
// gradient buffer per intermediate tensor and drops them all at its end; a training step repeats
// the same shapes, so the next backward takes those buffers back (zeroed) instead of fresh memory.
// Fresh memory is dear at every size here: a new ArrayBuffer costs several µs, and its first touch
// page faults (a small one comes from a slab, slab.ts, whose new slabs cost 25–30 µs each in a
// steady training loop: about 60 µs of the `sota` model's 680 µs step, half of it for gradients).
//
// A buffer is an ArrayBuffer of a size class (2^k, 1.25·2^k, 1.5·2^k or 1.75·2^k bytes, so varying
// batch shapes still fit), handed out as a typed array over its first n elements. Only buffers made
// here go back into the pool, only once the backward that used them has finished, and never one a
// leaf's .grad holds. The pool keeps at most POOL_BYTES. Gradients of up to HEAP_BYTES live on V8's
// heap, where they cost little to make.
import type { FloatArray } from './dtype.js';
import { HEAP_BYTES, slabStorage } from './slab.js';

/** The most bytes the pool keeps between backward passes. */
const POOL_BYTES = 64 * 1024 * 1024;

const free = new Map<number, ArrayBuffer[]>();
const ours = new WeakSet<ArrayBuffer>();
let pooledBytes = 0;
/** Buffers handed out since start-up: made new, and taken back from the pool (tests read them). */
export const gradPoolCounts = { made: 0, reused: 0 };

/** The size class holding `bytes`: the next of 2^k·{1, 1.25, 1.5, 1.75} at or above it. */
function sizeClass(bytes: number): number {
  let p = 1;
  while (p * 2 <= bytes) p *= 2;
  for (const f of [1, 1.25, 1.5, 1.75, 2]) if (p * f >= bytes) return p * f;
  return p * 2;
}

/** A zeroed float buffer of n elements: from the pool when one of its class is free. */
export function takeGradBuffer(dtype: 'float32' | 'float64', n: number): FloatArray {
  const bpe = dtype === 'float32' ? 4 : 8;
  const bytes = n * bpe;
  if (bytes <= HEAP_BYTES) return slabStorage(dtype, n) as FloatArray;
  const cls = sizeClass(bytes);
  const list = free.get(cls);
  let ab = list !== undefined ? list.pop() : undefined;
  if (ab !== undefined) {
    pooledBytes -= cls;
    gradPoolCounts.reused++;
    const view = dtype === 'float32' ? new Float32Array(ab, 0, n) : new Float64Array(ab, 0, n);
    view.fill(0);
    return view;
  }
  ab = new ArrayBuffer(cls);
  ours.add(ab);
  gradPoolCounts.made++;
  return dtype === 'float32' ? new Float32Array(ab, 0, n) : new Float64Array(ab, 0, n);
}

/** True when `g` lives in a pool buffer (a leaf must then keep a copy, not `g` itself). */
export function isPoolBuffer(g: FloatArray): boolean {
  return ours.has(g.buffer as ArrayBuffer);
}

/**
 * Gives back the pool buffers among `grads` (a backward's dropped non-leaf gradients; views of one
 * buffer count once), except those in `kept`.
 */
export function recycleGradBuffers(grads: Iterable<FloatArray>, kept: ReadonlySet<ArrayBufferLike>): void {
  const seen = new Set<ArrayBufferLike>();
  for (const g of grads) {
    const ab = g.buffer as ArrayBuffer;
    if (seen.has(ab) || kept.has(ab) || !ours.has(ab)) continue;
    seen.add(ab);
    const cls = ab.byteLength;
    if (pooledBytes + cls > POOL_BYTES) continue;
    let list = free.get(cls);
    if (list === undefined) free.set(cls, (list = []));
    list.push(ab);
    pooledBytes += cls;
  }
}
