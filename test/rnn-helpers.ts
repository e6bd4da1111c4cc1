// Shared helpers for the RNN tests (not a test file itself).
import { Tensor } from '../src/tensor/tensor.js';
import { tensor } from '../src/tensor/create.js';
import { indexSelect, reshape } from '../src/tensor/ops.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';

/** Throws a readable message unless |a − e| ≤ atol + rtol·|e| everywhere. */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const ok = err <= atol + rtol * Math.abs(expected[i]);
    if (!ok && (worst < 0 || err > worstErr)) { worst = i; worstErr = err; }
  }
  if (worst >= 0) {
    throw new Error(`${what}: mismatch at ${worst}: got ${actual[worst]}, expected ${expected[worst]} (abs err ${worstErr})`);
  }
}

/** Packed row order of a padded batch: row → flat (t, b) position in the padded layout. */
export function packIndex(lengths: number[], T: number, batchFirst: boolean, sorted: number[] | null): { idx: number[]; batchSizes: number[] } {
  const B = lengths.length;
  const order = sorted ?? [...Array(B).keys()];
  const maxLen = Math.max(...lengths);
  const idx: number[] = [];
  const batchSizes: number[] = [];
  for (let t = 0; t < maxLen; t++) {
    let n = 0;
    for (const b of order) {
      if (lengths[b] > t) { idx.push(batchFirst ? b * T + t : t * B + b); n++; }
    }
    batchSizes.push(n);
  }
  return { idx, batchSizes };
}

/** A differentiable PackedSequence gathered from a padded x (grad flows back to x, 0 at padding). */
export function packFromPadded(x: Tensor, lengths: number[], batchFirst: boolean, sorted: number[] | null): PackedSequence {
  const T = batchFirst ? x.shape[1] : x.shape[0];
  const F = x.shape[2];
  const { idx, batchSizes } = packIndex(lengths, T, batchFirst, sorted);
  const data = indexSelect(reshape(x, [x.shape[0] * x.shape[1], F]), 0, idx);
  const bs = tensor(batchSizes, { dtype: 'int64' });
  if (sorted === null) return new PackedSequence(data, bs, null, null);
  const unsorted = new Array(sorted.length);
  sorted.forEach((b, i) => { unsorted[b] = i; });
  return new PackedSequence(data, bs, tensor(sorted, { dtype: 'int64' }), tensor(unsorted, { dtype: 'int64' }));
}

/** Sorted order (descending length, stable) as enforce_sorted=False would give for distinct lengths. */
export function sortedOrder(lengths: number[]): number[] {
  return [...lengths.keys()].sort((a, b) => lengths[b] - lengths[a] || a - b);
}

/** Pads packed rows back to [T, B, F] (or [B, T, F]) in the original batch order, zeros after each length. */
export function padPacked(p: PackedSequence, batchFirst: boolean): { data: Float64Array; shape: number[]; lengths: number[] } {
  const bs = Array.from(p.batchSizes.data);
  const T = bs.length;
  const B = bs[0];
  const F = p.data.shape[1];
  const sorted = p.sortedIndices ? Array.from(p.sortedIndices.data) : [...Array(B).keys()];
  const out = new Float64Array(T * B * F);
  const lengths = new Array(B).fill(0);
  let r = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < bs[t]; i++, r++) {
      const b = sorted[i];
      lengths[b] = t + 1;
      const o = (batchFirst ? b * T + t : t * B + b) * F;
      for (let k = 0; k < F; k++) out[o + k] = p.data.data[r * F + k];
    }
  }
  return { data: out, shape: batchFirst ? [B, T, F] : [T, B, F], lengths };
}
