// nn.Embedding / F.embedding (PyTorch 1.13): a lookup table weight [numEmbeddings, embeddingDim].
//   forward:  out[p, :] = weight[idx_p, :]                  out shape = indices.shape + [embeddingDim]
//   backward: gradW[i, :] = Σ_{p : idx_p = i} gOut[p, :]   (÷ count(i) with scaleGradByFreq),
//             row paddingIdx always gets 0 (it still returns its stored value in forward).
//   maxNorm:  before the lookup, every *referenced* row whose normType-norm exceeds maxNorm is
//             scaled in place (outside autograd) by maxNorm / (norm + 1e-7).
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { Tensor, makeResult, gradOf } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { checkOptions, resolveOptions } from '../util/options.js';
import { pyFloat } from '../optim/py-format.js';

const FUNCTIONAL_KEYS = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq'] as const;
const EMBEDDING_KEYS = [...FUNCTIONAL_KEYS, 'dtype', 'generator', 'weight'] as const;

export interface EmbeddingFunctionalOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
}

export interface EmbeddingOptions extends EmbeddingFunctionalOptions {
  dtype?: DType;
  generator?: Generator;
  /** Initial weight (PyTorch's `_weight`), used as is: its storage is shared and its padding row is not zeroed. */
  weight?: Tensor;
}

export interface FromPretrainedOptions extends EmbeddingFunctionalOptions {
  /** Default true: the weight does not require grad. */
  freeze?: boolean;
}

const PADDING_MSG = 'Padding_idx must be within num_embeddings';

function torchTypeName(dtype: DType): string {
  return dtype === 'float32' ? 'torch.FloatTensor' : dtype === 'float64' ? 'torch.DoubleTensor' : 'torch.LongTensor';
}

/** Resolves a negative paddingIdx against `n` rows (PyTorch stores the resolved index). */
function resolvePaddingIdx(paddingIdx: number | null | undefined, n: number, msg: string): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (typeof paddingIdx !== 'number' || !Number.isInteger(paddingIdx)) {
    throw new Error(`Embedding: paddingIdx must be an integer, but got ${String(paddingIdx)}`);
  }
  if (paddingIdx > 0 && !(paddingIdx < n)) throw new Error(msg);
  if (paddingIdx < 0) {
    if (!(paddingIdx >= -n)) throw new Error(msg);
    return n + paddingIdx;
  }
  return paddingIdx;
}

function rowNorm(w: ArrayLike<number>, off: number, D: number, p: number): number {
  if (p === 2) {
    let s = 0;
    for (let j = 0; j < D; j++) s += w[off + j] * w[off + j];
    return Math.sqrt(s);
  }
  if (p === Infinity || p === -Infinity) {
    let m = p === Infinity ? 0 : Infinity;
    for (let j = 0; j < D; j++) m = p === Infinity ? Math.max(m, Math.abs(w[off + j])) : Math.min(m, Math.abs(w[off + j]));
    return D === 0 ? 0 : m;
  }
  if (p === 0) {
    let c = 0;
    for (let j = 0; j < D; j++) if (w[off + j] !== 0) c++;
    return c;
  }
  let s = 0;
  for (let j = 0; j < D; j++) s += Math.abs(w[off + j]) ** p;
  return p === 1 ? s : s ** (1 / p);
}

/**
 * In-place renormalisation of the rows referenced by `idx` (torch.embedding_renorm_), each row
 * once. float32 weights are scaled in float32 arithmetic like PyTorch.
 */
function embeddingRenorm(weight: Tensor, idx: ArrayLike<number>, maxNorm: number, normType: number): void {
  const D = weight.shape[1];
  const w = weight.data;
  const f32 = weight.dtype === 'float32';
  const seen = new Set<number>();
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (seen.has(i)) continue;
    seen.add(i);
    const off = i * D;
    let norm = rowNorm(w, off, D, normType);
    if (f32) norm = Math.fround(norm);
    if (norm > maxNorm) {
      let scale = maxNorm / (norm + 1e-7);
      if (f32) scale = Math.fround(scale);
      for (let j = 0; j < D; j++) w[off + j] *= scale;
    }
  }
}

/**
 * Functional embedding lookup (F.embedding). `paddingIdx` may be negative (resolved against
 * weight.size(0)); the padding row's gradient is zero.
 */
export function embedding(input: Tensor, weight: Tensor, opts: EmbeddingFunctionalOptions = {}): Tensor {
  checkOptions('embedding()', opts, FUNCTIONAL_KEYS);
  if (!(weight instanceof Tensor) || weight.ndim !== 2) {
    throw new Error(`'weight' must be 2-D${weight instanceof Tensor ? ` (got a ${weight.ndim}-D tensor)` : ''}`);
  }
  const [N, D] = weight.shape;
  const paddingIdx = resolvePaddingIdx(opts.paddingIdx, N, 'Padding_idx must be within weight.size(0)');
  if (!(input instanceof Tensor)) throw new Error(`embedding: indices must be an int64 Tensor, got ${typeof input}`);
  if (isFloat(input.dtype)) {
    throw new Error(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${torchTypeName(input.dtype)} instead (while checking arguments for embedding)`,
    );
  }
  const idx = input.data;
  const P = idx.length;
  if (N === 0 && P > 0) throw new Error('index_select(): self indexing axis dim should be positive');
  for (let p = 0; p < P; p++) {
    const i = idx[p];
    if (i < 0 || i >= N) throw new Error(`index out of range in self (index ${i}, num_embeddings ${N})`);
  }
  if (opts.maxNorm !== null && opts.maxNorm !== undefined) {
    embeddingRenorm(weight, idx, opts.maxNorm, opts.normType ?? 2);
  }
  const w = weight.data;
  const out = allocate(weight.dtype, P * D);
  if (D < 256) {
    // Short rows as plain loops: a subarray view per row costs more than its copy.
    for (let p = 0, o = 0; p < P; p++) {
      const src = idx[p] * D;
      for (let j = 0; j < D; j++) out[o++] = w[src + j];
    }
  } else for (let p = 0; p < P; p++) out.set(w.subarray(idx[p] * D, idx[p] * D + D), p * D);
  const scaleByFreq = opts.scaleGradByFreq ?? false;
  return makeResult(out, [...input.shape, D], weight.dtype, [weight], (g) => {
    const gw = gradOf(weight);
    if (gw === null) return;
    let counts: Map<number, number> | null = null;
    if (scaleByFreq) {
      counts = new Map();
      for (let p = 0; p < P; p++) counts.set(idx[p], (counts.get(idx[p]) ?? 0) + 1);
    }
    for (let p = 0; p < P; p++) {
      const i = idx[p];
      if (i === paddingIdx) continue;
      const o = i * D;
      const s = p * D;
      if (counts === null) {
        for (let j = 0; j < D; j++) gw[o + j] += g[s + j];
      } else {
        const c = counts.get(i)!;
        for (let j = 0; j < D; j++) gw[o + j] += g[s + j] / c;
      }
    }
  });
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Resolved (non-negative) padding row, or null. */
  readonly paddingIdx: number | null;
  maxNorm: number | null;
  normType: number;
  scaleGradByFreq: boolean;
  weight: Tensor;

  /** `new Embedding(10, 4, { paddingIdx: 0 })`, or `new Embedding(10, 4, 0)` as PyTorch's positional padding_idx. */
  constructor(numEmbeddings: number, embeddingDim: number, opts?: EmbeddingOptions);
  constructor(numEmbeddings: number, embeddingDim: number, paddingIdx: number | null, opts?: Omit<EmbeddingOptions, 'paddingIdx'>);
  constructor(numEmbeddings: number, embeddingDim: number, ...rest: unknown[]) {
    super();
    const opts = resolveOptions<EmbeddingOptions>('Embedding()', rest, ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq'], EMBEDDING_KEYS);
    for (const [k, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`Embedding: ${k} must be an integer, got ${String(v)}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = resolvePaddingIdx(opts.paddingIdx, numEmbeddings, PADDING_MSG);
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2;
    this.scaleGradByFreq = opts.scaleGradByFreq ?? false;
    let weight: Tensor;
    if (opts.weight !== undefined && opts.weight !== null) {
      const w = opts.weight;
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new Error('Shape of weight does not match num_embeddings and embedding_dim');
      }
      if (!isFloat(w.dtype)) throw new Error(`Embedding: weight must be a floating point tensor, got ${w.dtype}`);
      weight = new Parameter(new Tensor(w.data, [numEmbeddings, embeddingDim], w.dtype));
    } else {
      if (numEmbeddings < 0 || embeddingDim < 0) {
        throw new Error(`Trying to create tensor with negative dimension ${numEmbeddings < 0 ? numEmbeddings : embeddingDim}: [${numEmbeddings}, ${embeddingDim}]`);
      }
      const dtype = opts.dtype ?? 'float32';
      const gen = opts.generator ?? defaultGenerator;
      const d = allocate(dtype, numEmbeddings * embeddingDim);
      for (let i = 0; i < d.length; i++) d[i] = gen.normal();
      if (this.paddingIdx !== null) d.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
      weight = new Parameter(new Tensor(d, [numEmbeddings, embeddingDim], dtype));
    }
    this.weight = this.registerParameter('weight', weight)!;
  }

  /** Builds an Embedding around `embeddings` [num, dim] (storage shared; padding row kept as is). */
  static fromPretrained(embeddings: Tensor, opts: FromPretrainedOptions = {}): Embedding {
    if (!(embeddings instanceof Tensor) || embeddings.ndim !== 2) {
      throw new Error('Embeddings parameter is expected to be 2-dimensional');
    }
    checkOptions('Embedding.fromPretrained()', opts, [...FUNCTIONAL_KEYS, 'freeze']);
    const { freeze = true, ...rest } = opts;
    const m = new Embedding(embeddings.shape[0], embeddings.shape[1], { ...rest, weight: embeddings });
    m.weight.requiresGrad = !freeze;
    return m;
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ', scale_grad_by_freq=True';
    return s;
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
    });
  }
}
