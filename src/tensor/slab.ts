// Storage for small tensors: views into shared slabs instead of an ArrayBuffer each.
//
// V8 keeps a typed array of up to 64 bytes on its heap, but gives every larger one its own
// off-heap backing store: a malloc, plus an extension that a background thread sweeps and frees.
// On a 2-vCPU machine the two threads contend on malloc's lock, and one `new Float32Array(256)`
// costs 2–4 µs. That is more than the arithmetic of a small model's op: the article's baseline
// model makes about 20 such arrays a training step. A view into an existing ArrayBuffer costs
// about 40 ns.
//
// So a tensor of 65 to MAX_BYTES bytes is carved from a slab: one ArrayBuffer holding the slots
// of one size class (2^e·{1.25, 1.5, 1.75, 2} bytes: at most 25 % of a slot unused): SLOTS of them,
// more for small classes so that a slab holds at least SMALL_SLAB_BYTES, fewer for large classes so
// that it stays within SLAB_BYTES (at least MIN_SLOTS). A new slab costs 4–9 µs here whatever its
// size up to 256 KiB (the allocation, not the zeroing), so small classes take SMALL_SLAB_BYTES of
// slots at a time: the baseline model's step made a slab about once a step with 16 KiB slabs, 4 %
// of the step.
// Slabs are filled front to back and never reused. A new slab is zero, so the storage is too, as
// `new Float32Array(n)` would be. The garbage collector frees a slab once none of its views is
// reachable.
//
// The cost of sharing: a tensor that outlives its neighbours keeps its whole slab alive. That is at
// most SMALL_SLAB_BYTES, or SLOTS slots of its size class (about 20× its own bytes), and never more
// than SLAB_BYTES.
import type { DType, Storage } from './dtype.js';

/** Tensors of more bytes than this get their own ArrayBuffer. */
export const MAX_BYTES = 65536;
/** Tensors of this many bytes or fewer live on V8's heap already (V8_TYPED_ARRAY_MAX_SIZE_IN_HEAP). */
export const HEAP_BYTES = 64;
/** Tensors a slab holds, at most and at least, and the bytes it keeps to when it can. */
export const SLOTS = 16;
export const MIN_SLOTS = 4;
export const SLAB_BYTES = 262144;
export const SMALL_SLAB_BYTES = 131072;

// Per size class (index e·4 + q): the open slab and the byte offset of its next free slot.
const open: Array<ArrayBuffer | null> = [];
const next: number[] = [];

/** Zeroed storage of `n` elements of `dtype`: a slab view when it is small, else its own buffer. */
export function slabStorage(dtype: DType, n: number): Storage {
  const bpe = dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
  const bytes = n * bpe;
  if (bytes <= HEAP_BYTES || bytes > MAX_BYTES) return fresh(dtype, n);
  // The size class: 2^e < bytes ≤ 2^(e+1); slots of 2^e + q·2^(e−2) bytes, q in 1..4 (a multiple
  // of 16 for bytes > 64: every slot stays 16-byte aligned); index e·4 + q.
  const e = 31 - Math.clz32(bytes - 1);
  const quarter = 1 << (e - 2);
  const q = ((bytes - (1 << e) + quarter - 1) >> (e - 2));
  const size = (1 << e) + q * quarter;
  const k = e * 4 + q;
  let slab = open[k];
  let at = next[k];
  if (slab === undefined || slab === null || at + size > slab.byteLength) {
    const slots = Math.max(SLOTS, Math.floor(SMALL_SLAB_BYTES / size));
    slab = new ArrayBuffer(size * Math.max(MIN_SLOTS, Math.min(slots, Math.floor(SLAB_BYTES / size))));
    open[k] = slab;
    at = 0;
  }
  next[k] = at + size;
  switch (dtype) {
    case 'float32':
      return new Float32Array(slab, at, n);
    case 'float64':
      return new Float64Array(slab, at, n);
    case 'int64':
      return new Int32Array(slab, at, n);
    default:
      return new Uint8Array(slab, at, n);
  }
}

function fresh(dtype: DType, n: number): Storage {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new Int32Array(n);
    default:
      return new Uint8Array(n);
  }
}
