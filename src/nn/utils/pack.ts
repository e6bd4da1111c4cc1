// pack_padded_sequence / pad_packed_sequence (torch.nn.utils.rnn, PyTorch 1.13 semantics).
//
// Both are one gather/scatter autograd node over flat buffers: a padded tensor is viewed as rows
// of F = prod(trailing dims) elements, row (t, b) at flat row index `t*B + b` (time-major) or
// `b*T + t` (batch-first). Packing computes, for every packed row r, the padded row it comes
// from (`rowOf[r]`) and copies F elements; backward adds the packed gradient back into those rows,
// so padding positions get exactly zero. The training loop calls these every step.
import { Tensor, makeResult, gradOf, numel } from '../../tensor/tensor.js';
import { allocate } from '../../tensor/dtype.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { PackedSequence } from './packed-sequence.js';
import { resolveOptions } from '../../util/options.js';

/** Lengths as PyTorch accepts them: a list, a typed array or a 1-D int64 (or integral float) tensor. */
export type LengthsLike = readonly number[] | Int32Array | Tensor;

export interface PackPaddedOptions {
  batchFirst?: boolean;
  enforceSorted?: boolean;
}

export interface PadPackedOptions {
  batchFirst?: boolean;
  paddingValue?: number;
  totalLength?: number | null;
}

const SORT_MSG =
  '`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass ' +
  '`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do ' +
  'not need ONNX exportability.';
export const NONPOSITIVE_LENGTH_MSG =
  "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0";

/**
 * The options of `fn`: an object, or PyTorch's positional values in `allowed` order
 * (`packPaddedSequence(x, lengths, true)` is batch_first=True). Unknown keys are an error.
 */
export function packOptions<O extends object>(fn: string, args: unknown[], allowed: readonly string[]): O {
  return resolveOptions<O>(`${fn}()`, args, allowed, allowed);
}

function depthOf(x: unknown): number {
  let d = 0;
  let cur: unknown = x;
  while (Array.isArray(cur)) {
    d++;
    cur = cur[0];
  }
  return d;
}

/**
 * Converts `lengths` to plain integers. PyTorch runs `torch.as_tensor(lengths, dtype=int64)`, which
 * truncates 3.7 to 3; we accept integral floats (4.0) but reject non-integral ones instead of
 * silently truncating.
 */
export function lengthsToArray(lengths: LengthsLike, fn: string): number[] {
  let values: ArrayLike<number>;
  if (lengths instanceof Tensor) {
    if (lengths.ndim !== 1) {
      throw new Error(`'lengths' argument should be a 1D CPU int64 tensor, but got ${lengths.ndim}D cpu Long tensor`);
    }
    values = lengths.data;
  } else if (Array.isArray(lengths) || lengths instanceof Int32Array) {
    const depth = Array.isArray(lengths) ? depthOf(lengths) : 1;
    if (depth !== 1 && !(depth === 0 && lengths.length === 0)) {
      throw new Error(`'lengths' argument should be a 1D CPU int64 tensor, but got ${depth}D cpu Long tensor`);
    }
    values = lengths;
  } else {
    throw new Error(`${fn}: lengths must be an array of integers or a 1-D int64 Tensor, got ${typeof lengths}`);
  }
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(
        `${fn}: expected integer lengths, but got lengths[${i}] = ${String(v)}` +
          (typeof v === 'number' && Number.isFinite(v) ? ` (PyTorch 1.13 would silently truncate it to ${Math.trunc(v)})` : ''),
      );
    }
    out[i] = v;
  }
  return out;
}

/** `out[perm[i]] = i`; null stays null (torch.nn.utils.rnn.invert_permutation). */
export function invertPermutation(perm: Tensor | null): Tensor | null {
  if (perm === null || perm === undefined) return null;
  const p = perm.data;
  const n = p.length;
  const out = (allocate('int64', n) as Int32Array).fill(-1);
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (!Number.isInteger(v) || v < 0 || v >= n || out[v] !== -1) {
      throw new Error(`invertPermutation: expected a permutation of 0..${n - 1}, but got ${Array.from(p).join(', ')}`);
    }
    out[v] = i;
  }
  return new Tensor(out, [n], 'int64');
}

/**
 * Packs a padded batch `(T, B, *)` (or `(B, T, *)` with batchFirst) of sequences with the given
 * lengths into a PackedSequence: data `(sum(lengths), *)`, time-major, within a step the
 * sequences in decreasing-length order. With `enforceSorted: false` the batch is sorted by length
 * (descending, **stable**: ties keep their original order; PyTorch's sort is not stable above 16
 * elements, so its order among ties can differ) and the permutation is recorded.
 */
export function packPaddedSequence(input: Tensor, lengths: LengthsLike, opts?: PackPaddedOptions): PackedSequence;
export function packPaddedSequence(input: Tensor, lengths: LengthsLike, batchFirst: boolean, enforceSorted?: boolean): PackedSequence;
export function packPaddedSequence(input: Tensor, lengths: LengthsLike, ...args: unknown[]): PackedSequence {
  const opts = packOptions<PackPaddedOptions>('packPaddedSequence', args, ['batchFirst', 'enforceSorted']);
  const batchFirst = opts.batchFirst ?? false;
  const enforceSorted = opts.enforceSorted ?? true;
  if (!(input instanceof Tensor)) throw new Error(`packPaddedSequence: input must be a Tensor, got ${typeof input}`);
  const lens = lengthsToArray(lengths, 'packPaddedSequence');
  if (input.ndim < 2) {
    throw new Error(
      `Dimension out of range (expected to be in range of [-1, 0], but got 1): packPaddedSequence expects input of ` +
        `at least 2 dimensions, (T, B, *) or with batchFirst (B, T, *), but got a ${input.ndim}-D tensor of shape [${input.shape.join(', ')}]`,
    );
  }
  const T = batchFirst ? input.shape[1] : input.shape[0];
  const B = batchFirst ? input.shape[0] : input.shape[1];
  if (input.data.length === 0) throw new Error('Cannot pack empty tensors.');
  // PyTorch only checks this after sorting; with enforce_sorted=False it silently drops sequences
  // (fewer lengths) or fails inside index_select (more lengths). We report the count mismatch.
  if (lens.length !== B) {
    throw new Error(`Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${B})`);
  }
  let order: Int32Array | null = null;
  let sorted = lens;
  if (!enforceSorted) {
    order = allocate('int64', B) as Int32Array;
    if (B <= 64) {
      // Insertion sort, longest first; a tie keeps its order (strict <): no closures or arrays,
      // which cost more than the sort itself at a training batch's size.
      for (let i = 0; i < B; i++) {
        const li = lens[i];
        let j = i;
        for (; j > 0 && lens[order[j - 1]] < li; j--) order[j] = order[j - 1];
        order[j] = i;
      }
    } else {
      const idx = Array.from({ length: B }, (_, i) => i);
      idx.sort((a, b) => lens[b] - lens[a] || a - b);
      order.set(idx);
    }
    sorted = new Array<number>(B);
    for (let i = 0; i < B; i++) sorted[i] = lens[order[i]];
  }
  if (sorted[B - 1] <= 0) throw new Error(NONPOSITIVE_LENGTH_MSG);
  for (let i = 0; i + 1 < B; i++) if (sorted[i + 1] > sorted[i]) throw new Error(SORT_MSG);
  const maxLen = sorted[0];
  if (maxLen > T) {
    const at = lens.indexOf(maxLen);
    throw new Error(
      `Expected every length to be at most the padded sequence length ${T} (input.size(${batchFirst ? 1 : 0})), but got ` +
        `lengths[${at}] = ${maxLen} (PyTorch 1.13 would silently build a corrupt PackedSequence)`,
    );
  }

  // batchSizes[t] = #{i : sorted[i] > t}; sorted is non-increasing, so walk a pointer down.
  const batchSizes = allocate('int64', maxLen) as Int32Array;
  let active = B;
  for (let t = 0; t < maxLen; t++) {
    while (sorted[active - 1] <= t) active--;
    batchSizes[t] = active;
  }
  let total = 0;
  for (let t = 0; t < maxLen; t++) total += batchSizes[t];
  // rowOf[r]: padded row feeding packed row r.
  const rowOf = allocate('int64', total) as Int32Array;
  let r = 0;
  for (let t = 0; t < maxLen; t++) {
    const n = batchSizes[t];
    for (let i = 0; i < n; i++) {
      const b = order === null ? i : order[i];
      rowOf[r++] = batchFirst ? b * T + t : t * B + b;
    }
  }
  const rest = input.shape.slice(2);
  const F = numel(rest);
  const src = input.data;
  const out = allocate(input.dtype, total * F);
  if (F === 1) {
    for (let k = 0; k < total; k++) out[k] = src[rowOf[k]];
  } else if (F < 256) {
    // Short rows as plain loops: a subarray view per row costs more than its copy.
    for (let k = 0, o = 0; k < total; k++) {
      const s = rowOf[k] * F;
      for (let j = 0; j < F; j++) out[o++] = src[s + j];
    }
  } else {
    for (let k = 0; k < total; k++) out.set(src.subarray(rowOf[k] * F, rowOf[k] * F + F), k * F);
  }
  const data = makeResult(out, [total, ...rest], input.dtype, [input], (g) => {
    const gi = gradOf(input);
    if (gi === null) return;
    scatterRows(gi, g, rowOf, F);
  });
  const sortedIndices = order === null ? null : new Tensor(order, [B], 'int64');
  return new PackedSequence(data, new Tensor(batchSizes, [maxLen], 'int64'), sortedIndices, invertPermutation(sortedIndices));
}

/** dst[rowOf[k]*F + j] += g[k*F + j]. */
function scatterRows(dst: FloatArray, g: FloatArray, rowOf: Int32Array, F: number): void {
  const n = rowOf.length;
  if (F === 1) {
    for (let k = 0; k < n; k++) dst[rowOf[k]] += g[k];
    return;
  }
  for (let k = 0; k < n; k++) {
    const d = rowOf[k] * F;
    const s = k * F;
    for (let j = 0; j < F; j++) dst[d + j] += g[s + j];
  }
}

function typeName(x: unknown): string {
  if (x instanceof Tensor) return 'Tensor';
  if (x === null || x === undefined) return 'NoneType';
  if (Array.isArray(x)) return 'list';
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x;
}

/**
 * Inverse of packing: returns `[padded, lengths]`, padded `(T', B, *)` (or `(B, T', *)`) in the
 * original batch order, `T' = totalLength ?? max(lengths)`, positions past each length set to
 * `paddingValue`; lengths is an int64 tensor in the original order.
 */
export function padPackedSequence(sequence: PackedSequence, opts?: PadPackedOptions): [Tensor, Tensor];
export function padPackedSequence(sequence: PackedSequence, batchFirst: boolean, paddingValue?: number, totalLength?: number | null): [Tensor, Tensor];
export function padPackedSequence(sequence: PackedSequence, ...args: unknown[]): [Tensor, Tensor] {
  if (!(sequence instanceof PackedSequence)) {
    throw new Error(
      `'${typeName(sequence)}' object has no attribute 'batch_sizes' (padPackedSequence expects a PackedSequence)`,
    );
  }
  const opts = packOptions<PadPackedOptions>('padPackedSequence', args, ['batchFirst', 'paddingValue', 'totalLength']);
  const batchFirst = opts.batchFirst ?? false;
  const paddingValue = opts.paddingValue ?? 0;
  const totalLength = opts.totalLength ?? null;
  const bs = sequence.batchSizes.data;
  const maxLen = bs.length;
  if (totalLength !== null) {
    if (typeof totalLength !== 'number' || !Number.isInteger(totalLength)) {
      throw new Error(
        `_pad_packed_sequence(): argument 'total_length' (position 5) must be int, not ${typeof totalLength === 'number' ? 'float' : typeName(totalLength)}`,
      );
    }
    if (totalLength < maxLen) {
      throw new Error(
        `Expected total_length to be at least the length of the longest sequence in input, but got total_length=${totalLength} and max sequence length being ${maxLen}`,
      );
    }
  }
  const T = totalLength ?? maxLen;
  const B = maxLen > 0 ? bs[0] : 0;
  const data = sequence.data;
  if (data.ndim < 1) throw new Error('padPackedSequence: PackedSequence data must have at least 1 dimension');
  let total = 0;
  for (let t = 0; t < maxLen; t++) {
    if (bs[t] <= 0 || (t > 0 && bs[t] > bs[t - 1])) {
      throw new Error(`padPackedSequence: batch_sizes must be positive and non-increasing, got [${Array.from(bs).join(', ')}]`);
    }
    total += bs[t];
  }
  if (total !== data.shape[0]) {
    throw new Error(`padPackedSequence: sum(batch_sizes) = ${total} does not match data.size(0) = ${data.shape[0]}`);
  }
  // origOf[i]: original batch index of sorted position i (torch: index_select(unsorted_indices)).
  let origOf: Int32Array | null = null;
  if (sequence.unsortedIndices !== null) {
    const u = sequence.unsortedIndices.data;
    if (u.length !== B) {
      throw new Error(`padPackedSequence: unsorted_indices has ${u.length} entries but the batch has ${B} sequences`);
    }
    origOf = (allocate('int64', B) as Int32Array).fill(-1);
    for (let j = 0; j < B; j++) {
      const v = u[j];
      if (v < 0 || v >= B || origOf[v] !== -1) throw new Error(`padPackedSequence: unsorted_indices is not a permutation of 0..${B - 1}`);
      origOf[v] = j;
    }
  }
  const rowOf = allocate('int64', total) as Int32Array;
  const lengths = allocate('int64', B) as Int32Array;
  let r = 0;
  for (let t = 0; t < maxLen; t++) {
    const n = bs[t];
    for (let i = 0; i < n; i++) {
      const b = origOf === null ? i : origOf[i];
      rowOf[r++] = batchFirst ? b * T + t : t * B + b;
      lengths[b]++;
    }
  }
  const rest = data.shape.slice(1);
  const F = numel(rest);
  const out = allocate(data.dtype, B * T * F);
  const fill = data.dtype === 'int64' ? Math.trunc(paddingValue) : paddingValue;
  if (fill !== 0) out.fill(fill);
  const src = data.data;
  if (F === 1) {
    for (let k = 0; k < total; k++) out[rowOf[k]] = src[k];
  } else {
    for (let k = 0; k < total; k++) out.set(src.subarray(k * F, k * F + F), rowOf[k] * F);
  }
  const shape = batchFirst ? [B, T, ...rest] : [T, B, ...rest];
  const padded = makeResult(out, shape, data.dtype, [data], (g) => {
    const gd = gradOf(data);
    if (gd === null) return;
    if (F === 1) {
      for (let k = 0; k < total; k++) gd[k] += g[rowOf[k]];
      return;
    }
    for (let k = 0; k < total; k++) {
      const s = rowOf[k] * F;
      const d = k * F;
      for (let j = 0; j < F; j++) gd[d + j] += g[s + j];
    }
  });
  return [padded, new Tensor(lengths, [B], 'int64')];
}
