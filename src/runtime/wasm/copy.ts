// Copies between ordinary memory and the WASM memory the kernels work in, which is a
// SharedArrayBuffer wherever threads can share it. V8 copies into or out of a shared buffer with
// relaxed atomics: a word at a time when the two addresses agree mod 8, else a byte at a time.
// Measured with 213 K floats: 33 µs when they agree, 259–265 µs when they differ by 4, 14 µs between
// two ordinary buffers at any alignment. A float32 tensor's storage can start at any multiple of 4
// bytes (a part of a flat result, a view at an odd offset), so a copy whose ends disagree goes
// through an ordinary scratch aligned like the shared end: an ordinary copy, then a word-wise one
// (14 + 33 µs). A copy is a copy: the same bits either way.

/** Copies staged through the scratch (tests read it). */
export const copyCounts = { staged: 0 };

let scratch = new ArrayBuffer(0);

/** A float32 view of n elements of the scratch starting at byte `shift` (0 or 4). */
function scratchView(n: number, shift: number): Float32Array {
  if (scratch.byteLength < 4 * n + 4) scratch = new ArrayBuffer(Math.max(4 * n + 4, 2 * scratch.byteLength));
  return new Float32Array(scratch, shift, n);
}

/**
 * `dst.set(src, off)`, without V8's byte-wise copy: when exactly one of the two lives in a shared
 * buffer and their addresses differ by 4 mod 8, through an ordinary scratch aligned like that one.
 */
export function setF32(dst: Float32Array, src: Float32Array, off = 0): void {
  const at = dst.byteOffset + 4 * off;
  if (((at - src.byteOffset) & 7) === 0 || src.length < 64) {
    dst.set(src, off);
    return;
  }
  const dstShared = dst.buffer instanceof SharedArrayBuffer;
  if (dstShared === src.buffer instanceof SharedArrayBuffer) {
    dst.set(src, off); // both ordinary (fast at any alignment), or both shared (no better way here)
    return;
  }
  const s = scratchView(src.length, (dstShared ? at : src.byteOffset) & 7);
  s.set(src);
  dst.set(s, off);
  copyCounts.staged++;
}
