// Lists of variable-length sequences <-> padded / packed batches (torch.nn.utils.rnn 1.13):
// pad_sequence, pack_sequence, unpack_sequence, unpad_sequence.
//   sequence i: (L_i, *);  padded: (T, B, *) or (B, T, *), T = max L_i, B = number of sequences.
import { Tensor, makeResult, gradOf, numel } from '../../tensor/tensor.js';
import { allocate } from '../../tensor/dtype.js';
import type { Storage } from '../../tensor/dtype.js';
import { broadcastIndex, broadcastShapes, select } from '../../tensor/ops.js';
import { PackedSequence } from './packed-sequence.js';
import { packOptions, lengthsToArray, packPaddedSequence, padPackedSequence } from './pack.js';
import type { LengthsLike } from './pack.js';

export interface PadSequenceOptions {
  batchFirst?: boolean;
  paddingValue?: number;
}

function pyTypeName(x: unknown): string {
  if (x === null || x === undefined) return 'NoneType';
  if (typeof x === 'number') return Number.isInteger(x) ? 'int' : 'float';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'string') return 'str';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return x !== null && x !== undefined && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function toSequenceList(sequences: unknown, fn: string): Tensor[] {
  let seqs: unknown[];
  if (sequences instanceof Tensor) {
    // A tensor (B, L, *) is treated as the list of its rows, as in PyTorch (unbind along dim 0).
    if (sequences.ndim === 0) throw new Error('Dimension specified as 0 but tensor has no dimensions');
    seqs = Array.from({ length: sequences.shape[0] }, (_, i) => select(sequences, 0, i));
  } else if (isIterable(sequences) && typeof sequences !== 'string') {
    seqs = Array.from(sequences);
  } else {
    throw new Error(`${fn}: Expected iterable for input sequences, but got arg of type: <class '${pyTypeName(sequences)}'>`);
  }
  if (seqs.length === 0) throw new Error('received an empty list of sequences');
  seqs.forEach((s, i) => {
    if (!(s instanceof Tensor)) throw new Error(`${fn}: expected a list of Tensors, but element ${i} is of type ${pyTypeName(s)}`);
    if (s.ndim === 0) throw new Error('Dimension specified as 0 but tensor has no dimensions');
  });
  return seqs as Tensor[];
}

/**
 * For each element of a slot of shape `dst`, the flat index of the element of `src` that PyTorch's
 * broadcasting `copy_` writes there (1.13 accepts e.g. a (2,) sequence into a (2, 2) slot).
 */
function broadcastCopyIndex(dst: readonly number[], src: readonly number[]): Int32Array {
  const bshape = broadcastShapes(dst, src);
  if (bshape.length !== dst.length || bshape.some((s, i) => s !== dst[i])) {
    throw new Error(`output with shape [${dst.join(', ')}] doesn't match the broadcast shape [${bshape.join(', ')}]`);
  }
  return broadcastIndex(src, dst);
}

/**
 * Stacks sequences `(L_i, *)` into `(T, B, *)` (or `(B, T, *)`), T = max L_i, filling with
 * `paddingValue`. dtype and trailing dims come from the first sequence (others are cast, and
 * broadcast like PyTorch's copy_). One autograd node with every sequence as a parent.
 */
export function padSequence(sequences: Tensor[] | Tensor, opts?: PadSequenceOptions): Tensor;
export function padSequence(sequences: Tensor[] | Tensor, batchFirst: boolean, paddingValue?: number): Tensor;
export function padSequence(sequences: Tensor[] | Tensor, ...rest: unknown[]): Tensor {
  const opts = packOptions<PadSequenceOptions>('padSequence', rest, ['batchFirst', 'paddingValue']);
  const batchFirst = opts.batchFirst ?? false;
  const paddingValue = opts.paddingValue ?? 0;
  const seqs = toSequenceList(sequences, 'pad_sequence');
  const B = seqs.length;
  const first = seqs[0];
  const dtype = first.dtype;
  const trailing = first.shape.slice(1);
  const F = numel(trailing);
  let T = 0;
  for (const s of seqs) T = Math.max(T, s.shape[0]);
  const out = allocate(dtype, B * T * F);
  const toInt = dtype === 'int64';
  const fill = toInt ? Math.trunc(paddingValue) : paddingValue;
  if (fill !== 0) out.fill(fill);
  // maps[i]: null when sequence i has exactly the slot shape, else slot element -> source element.
  const maps: Array<Int32Array | null> = seqs.map((s) => {
    const slot = [s.shape[0], ...trailing];
    const same = s.ndim === slot.length && s.shape.every((d, j) => d === slot[j]);
    return same ? null : broadcastCopyIndex(slot, s.shape);
  });
  // Element k of slot i (row t = k / F, feature j = k % F) lives at out[base(i, t) + j].
  const rowBase = (i: number, t: number): number => (batchFirst ? i * T + t : t * B + i) * F;
  for (let i = 0; i < B; i++) {
    const s = seqs[i];
    const src: Storage = s.data;
    const map = maps[i];
    const L = s.shape[0];
    const castInt = toInt && s.dtype !== 'int64';
    for (let t = 0; t < L; t++) {
      const o = rowBase(i, t);
      const k0 = t * F;
      if (map === null && !castInt) {
        out.set(src.subarray(k0, k0 + F), o);
      } else {
        for (let j = 0; j < F; j++) {
          const v = src[map === null ? k0 + j : map[k0 + j]];
          out[o + j] = castInt ? Math.trunc(v) : v;
        }
      }
    }
  }
  const shape = batchFirst ? [B, T, ...trailing] : [T, B, ...trailing];
  return makeResult(out, shape, dtype, seqs, (g) => {
    for (let i = 0; i < B; i++) {
      const gs = gradOf(seqs[i]);
      if (gs === null) continue;
      const map = maps[i];
      const L = seqs[i].shape[0];
      for (let t = 0; t < L; t++) {
        const o = rowBase(i, t);
        const k0 = t * F;
        if (map === null) for (let j = 0; j < F; j++) gs[k0 + j] += g[o + j];
        else for (let j = 0; j < F; j++) gs[map[k0 + j]] += g[o + j];
      }
    }
  });
}

/** Packs a list of sequences `(L_i, *)`: `packPaddedSequence(padSequence(seqs), lengths)`. */
export function packSequence(sequences: Tensor[], opts?: { enforceSorted?: boolean }): PackedSequence;
export function packSequence(sequences: Tensor[], enforceSorted: boolean): PackedSequence;
export function packSequence(sequences: Tensor[], ...rest: unknown[]): PackedSequence {
  const opts = packOptions<{ enforceSorted?: boolean }>('packSequence', rest, ['enforceSorted']);
  const seqs = toSequenceList(sequences, 'pack_sequence');
  const lengths = seqs.map((s) => s.shape[0]);
  return packPaddedSequence(padSequence(seqs), lengths, { enforceSorted: opts.enforceSorted ?? true });
}

/**
 * Splits a padded batch into its sequences, `padded[b, :lengths[b]]` in batch order. Unlike
 * PyTorch 1.13 it never transposes its argument in place. A length greater than the padded length
 * gives the full padded length (PyTorch's mask semantics). Each result is a differentiable copy.
 */
export function unpadSequence(padded: Tensor, lengths: LengthsLike, opts?: { batchFirst?: boolean }): Tensor[];
export function unpadSequence(padded: Tensor, lengths: LengthsLike, batchFirst: boolean): Tensor[];
export function unpadSequence(padded: Tensor, lengths: LengthsLike, ...args: unknown[]): Tensor[] {
  const opts = packOptions<{ batchFirst?: boolean }>('unpadSequence', args, ['batchFirst']);
  const batchFirst = opts.batchFirst ?? false;
  if (!(padded instanceof Tensor)) throw new Error(`unpadSequence: padded must be a Tensor, got ${pyTypeName(padded)}`);
  if (padded.ndim < 2) {
    throw new Error(`unpadSequence: expected a padded tensor of at least 2 dimensions, (T, B, *) or with batchFirst (B, T, *), but got shape [${padded.shape.join(', ')}]`);
  }
  const lens = lengthsToArray(lengths, 'unpadSequence');
  const T = batchFirst ? padded.shape[1] : padded.shape[0];
  const B = batchFirst ? padded.shape[0] : padded.shape[1];
  // PyTorch zips sequences with lengths and silently drops the surplus of either; we refuse.
  if (lens.length !== B) {
    throw new Error(`Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${B})`);
  }
  const rest = padded.shape.slice(2);
  const F = numel(rest);
  const src = padded.data;
  const result: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    if (lens[b] < 0) throw new Error(`unpadSequence: expected non-negative lengths, but got lengths[${b}] = ${lens[b]}`);
    const L = Math.min(lens[b], T);
    // Row t of sequence b is padded row (b*T + t) batch-first, (t*B + b) time-major.
    const rowBase = (t: number): number => (batchFirst ? b * T + t : t * B + b) * F;
    const out = allocate(padded.dtype, L * F);
    if (batchFirst) out.set(src.subarray(rowBase(0), rowBase(0) + L * F));
    else for (let t = 0; t < L; t++) out.set(src.subarray(rowBase(t), rowBase(t) + F), t * F);
    result.push(
      makeResult(out, [L, ...rest], padded.dtype, [padded], (g) => {
        const gp = gradOf(padded);
        if (gp === null) return;
        for (let t = 0; t < L; t++) {
          const o = rowBase(t);
          for (let j = 0; j < F; j++) gp[o + j] += g[t * F + j];
        }
      }),
    );
  }
  return result;
}

/** The list of sequences of a PackedSequence, in the original order (inverse of packSequence). */
export function unpackSequence(packed: PackedSequence): Tensor[] {
  const [padded, lengths] = padPackedSequence(packed, { batchFirst: true });
  return unpadSequence(padded, lengths, { batchFirst: true });
}
