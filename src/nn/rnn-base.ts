// RNNBase: the layer/direction stack shared by RNN, LSTM and GRU (torch.nn.RNNBase).
// Each layer-direction is one autograd node (recurrentLayer); this file only validates,
// reorders (batch_first, unbatched, packed permutations), concatenates directions and applies
// dropout between layers.
import { Module, registrationCount } from './module.js';
import { uniformParam } from './linear.js';
import { dropout as dropoutFn } from './dropout.js';
import { recurrentLayer } from './recurrent-layer.js';
import type { CellMode, LayerShape, LayerWeights } from './recurrent-layer.js';
import { PackedSequence } from './utils/packed-sequence.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { cat, indexSelect, reshape, select, squeeze, stack, transpose, unsqueeze } from '../tensor/ops.js';
import { zeros } from '../tensor/create.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { checkOptions, resolveOptions } from '../util/options.js';
import { allocate } from '../tensor/dtype.js';

export interface RNNBaseOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  dropout?: number;
  bidirectional?: boolean;
  dtype?: DType;
  generator?: Generator;
}

/** Python's `type(v).__name__` for the values a TS caller can pass. */
export function pyTypeName(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'NoneType';
  return typeof v;
}

/** Python's repr of a float (`1.0`, `0.5`, `1e-05`). */
export function pyFloat(v: number): string {
  if (Number.isInteger(v)) return v.toFixed(1);
  if (v !== 0 && Math.abs(v) < 1e-4) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(v);
}

const py = (b: boolean) => (b ? 'True' : 'False');
const pyTuple = (s: number[]) => `(${s.join(', ')})`;
const pyList = (s: number[]) => `[${s.join(', ')}]`;

export const RNN_BASE_KEYS = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'dtype', 'generator'];

export function checkOptionKeys(opts: unknown, allowed: readonly string[], owner = 'RNNBase'): void {
  checkOptions(`${owner}.__init__()`, opts, allowed);
}

/**
 * The options of `new LSTM(i, h, opts)` or of PyTorch's positional form `new LSTM(i, h, numLayers,
 * opts)` (GRU/LSTM also take bias, batchFirst, dropout, bidirectional positionally, as torch 1.13;
 * RNN only numLayers, since torch 2 put nonlinearity fourth). Key checks follow in the subclass.
 */
export function rnnOptions<O extends RNNBaseOptions>(kind: 'RNN' | 'GRU' | 'LSTM', args: unknown[], allowed: readonly string[]): O {
  const positional = kind === 'RNN' ? ['numLayers'] : ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', ...(kind === 'LSTM' ? ['projSize'] : [])];
  // Unknown keys are reported by the caller with PyTorch's RNNBase wording; accept them here.
  const all = [...new Set([...allowed, ...RNN_BASE_KEYS, 'projSize', 'nonlinearity'])];
  const opts = resolveOptions<O>('RNNBase.__init__()', args, positional, all);
  checkOptionKeys(opts, allowed);
  return opts;
}

export function checkSize(name: string, v: unknown, allowZero: boolean): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} should be of type int, got: ${pyTypeName(v)}`);
  if (allowZero && v < 0) throw new Error(`${name} must be non-negative, got ${v}`);
  if (!allowZero && v <= 0) throw new Error(`${name} must be greater than zero`);
}

/**
 * Whether a permutation is the identity (a batch packed in its own order, e.g. one sequence): the
 * reorder it asks for would copy every value to where it is.
 */
function isIdentity(perm: Tensor): boolean {
  const p = perm.data;
  for (let i = 0; i < p.length; i++) if (p[i] !== i) return false;
  return true;
}

export type RecurrentInput = Tensor | PackedSequence;

/** What forward returns for an input of type I: a Tensor for a Tensor, a PackedSequence for a PackedSequence. */
export type RecurrentOutput<I extends RecurrentInput> = I extends PackedSequence ? PackedSequence : Tensor;

/** A hidden state: h for RNN and GRU, [h, c] for LSTM. */
export type HiddenState = Tensor | [Tensor, Tensor];

export class RNNBase extends Module {
  readonly mode: CellMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  /** Read at every forward (changing it takes effect on the next call, as in PyTorch). */
  dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly generator: Generator;
  /**
   * Additive state noise for training forwards (not a PyTorch feature; recur's --state_noise):
   * flat [numLayers, D, Ttot, Hout] added to each row's new state after its step (LSTM: h only).
   * Used only while training and when set; the caller sizes it for the batch (Ttot packed rows).
   */
  stateNoise: Float32Array | null = null;
  /** Parameter names in `_flat_weights_names` order. */
  readonly flatWeightsNames: string[] = [];

  constructor(mode: CellMode, inputSize: number, hiddenSize: number, opts: RNNBaseOptions & { projSize?: number }) {
    super();
    if (hiddenSize === undefined) throw new TypeError("RNNBase.__init__() missing 1 required positional argument: 'hidden_size'");
    const numLayers = opts.numLayers ?? 1;
    const dropout = opts.dropout ?? 0;
    const projSize = opts.projSize ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
      throw new Error('dropout should be a number in range [0, 1] representing the probability of an element being zeroed');
    }
    if (dropout > 0 && numLayers === 1) {
      console.warn(
        'dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects ' +
          `num_layers greater than 1, but got dropout=${pyFloat(dropout)} and num_layers=${numLayers}`,
      );
    }
    checkSize('hidden_size', hiddenSize, false);
    if (typeof inputSize !== 'number' || !Number.isInteger(inputSize)) {
      throw new TypeError(`input_size should be of type int, got: ${pyTypeName(inputSize)}`);
    }
    checkSize('num_layers', numLayers, false);
    if (typeof projSize !== 'number' || !Number.isInteger(projSize)) {
      throw new TypeError(`proj_size should be of type int, got: ${pyTypeName(projSize)}`);
    }
    if (projSize < 0) throw new Error('proj_size should be a positive integer or zero to disable projections');
    if (projSize >= hiddenSize) throw new Error('proj_size has to be smaller than hidden_size');
    const G = mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
    if (inputSize < 0) {
      throw new Error(`Trying to create tensor with negative dimension ${inputSize}: [${G * hiddenSize}, ${inputSize}]`);
    }
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new Error(`RNN modules support dtype float32 or float64, got ${String(dtype)}`);
    }

    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = dropout;
    this.bidirectional = opts.bidirectional ?? false;
    this.projSize = projSize;
    this.generator = opts.generator ?? defaultGenerator;

    // Parameters in PyTorch's registration order, each ~ U(-1/sqrt(H), 1/sqrt(H)) drawn in order.
    const D = this.bidirectional ? 2 : 1;
    const Hout = projSize > 0 ? projSize : hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    for (let layer = 0; layer < numLayers; layer++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const layerIn = layer === 0 ? inputSize : Hout * D;
        const shapes: Array<[string, number[]]> = [
          [`weight_ih${sfx}`, [G * hiddenSize, layerIn]],
          [`weight_hh${sfx}`, [G * hiddenSize, Hout]],
        ];
        if (this.bias) shapes.push([`bias_ih${sfx}`, [G * hiddenSize]], [`bias_hh${sfx}`, [G * hiddenSize]]);
        if (projSize > 0) shapes.push([`weight_hr${sfx}`, [projSize, hiddenSize]]);
        for (const [name, shape] of shapes) {
          this.registerParameter(name, uniformParam(shape, bound, dtype, this.generator));
          this.flatWeightsNames.push(name);
        }
      }
    }
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Output features per direction (projSize if > 0, else hiddenSize). */
  get hiddenOut(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /**
   * A zero initial state [B, n] for calls without hx, kept between calls: the layers only read it
   * and it never requires grad, so one (per shape and dtype) serves every forward.
   */
  private zeroState(B: number, n: number, dtype: DType): Tensor {
    const key = `${dtype}:${B}:${n}`;
    let z = this.zeroStates.get(key);
    if (z === undefined) {
      if (this.zeroStates.size >= 8) this.zeroStates.clear();
      z = zeros([B, n], { dtype });
      this.zeroStates.set(key, z);
    }
    return z;
  }

  private readonly zeroStates = new Map<string, Tensor>();

  /** The parameters of each (layer, direction), in order (PyTorch's `all_weights`). */
  get allWeights(): Tensor[][] {
    const out: Tensor[][] = [];
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < this.numDirections; d++) {
        const w = this.layerWeights(l, d);
        out.push([w.wIh, w.wHh, w.bIh, w.bHh, w.wHr].filter((t): t is Tensor => t !== null));
      }
    }
    return out;
  }

  layerWeights(layer: number, direction: number): LayerWeights {
    // Looked up by name once per registration change anywhere (registrationCount): a forward asks
    // for every layer's weights, and the name strings and map lookups cost about 1 µs a call.
    if (this.weightsAt !== registrationCount()) {
      this.weightsCache.length = 0;
      this.weightsAt = registrationCount();
    }
    const key = 2 * layer + direction;
    return (this.weightsCache[key] ??= this.lookUpWeights(layer, direction));
  }

  private weightsAt = -1;
  private readonly weightsCache: LayerWeights[] = [];

  /**
   * Whether every weight has the first one's dtype: walked once per registration change anywhere
   * (a tensor's dtype never changes; a module changes dtype by registering new parameters).
   */
  private weightsShareDtype(): boolean {
    if (this.sameDtypeAt !== registrationCount()) {
      const dtype = this.getParameter(this.flatWeightsNames[0]).dtype;
      this.sameDtype = this.flatWeightsNames.every((n) => this.getParameter(n).dtype === dtype);
      this.sameDtypeAt = registrationCount();
    }
    return this.sameDtype;
  }

  private sameDtypeAt = -1;
  private sameDtype = true;

  private lookUpWeights(layer: number, direction: number): LayerWeights {
    const sfx = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
    return {
      wIh: this.getParameter(`weight_ih${sfx}`),
      wHh: this.getParameter(`weight_hh${sfx}`),
      bIh: this.bias ? this.getParameter(`bias_ih${sfx}`) : null,
      bHh: this.bias ? this.getParameter(`bias_hh${sfx}`) : null,
      wHr: this.projSize > 0 ? this.getParameter(`weight_hr${sfx}`) : null,
    };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.bias !== true) s += `, bias=${py(this.bias)}`;
    if (this.batchFirst !== false) s += `, batch_first=${py(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional !== false) s += `, bidirectional=${py(this.bidirectional)}`;
    return s;
  }

  /**
   * Type-level only (no runtime value): the hidden state this class's forward returns — Tensor for
   * RNN and GRU, [h, c] for LSTM. forward's return type reads it through `this`, so one forward
   * declaration serves all three and a field typed `RNN | GRU | LSTM` (or RNNBase) is callable.
   */
  declare readonly hiddenStateType: HiddenState;

  /**
   * input: (L, N, H_in), (N, L, H_in) with batchFirst, unbatched (L, H_in), or a PackedSequence;
   * hx: h0 (D·numLayers, N, H_out) for RNN/GRU, [h0, c0] for LSTM; null or absent = zeros.
   * Returns [output, h_n] ([output, [h_n, c_n]] for LSTM); output is a PackedSequence exactly when
   * the input is one.
   */
  forward<I extends RecurrentInput>(input: I, hx: HiddenState | null = null): [RecurrentOutput<I>, this['hiddenStateType']] {
    return this.forwardImpl(input, hx) as [RecurrentOutput<I>, this['hiddenStateType']];
  }

  /** The subclass's forward (checks hx's form, runs runStack). */
  protected forwardImpl(_input: RecurrentInput, _hx: HiddenState | null): [RecurrentInput, HiddenState] {
    throw new Error(`${this.constructor.name}: RNNBase is abstract; use RNN, LSTM or GRU`);
  }

  /** Class name used in messages ("RNN", "LSTM", "GRU"). */
  protected get kind(): string {
    return this.mode === 'LSTM' ? 'LSTM' : this.mode === 'GRU' ? 'GRU' : 'RNN';
  }

  /**
   * The shared forward. `h0`/`c0` are in the user's layout and batch order (null = zeros);
   * `hxGiven` is false when the caller passed no hx at all. Returns output (same kind as input),
   * h_n and c_n (LSTM).
   */
  protected runStack(
    input: RecurrentInput, h0: Tensor | null, c0: Tensor | null,
  ): { output: RecurrentInput; hN: Tensor; cN: Tensor | null } {
    const lstm = this.mode === 'LSTM';
    const D = this.numDirections;
    const H = this.hiddenSize;
    const Hout = this.hiddenOut;
    const packed = input instanceof PackedSequence;
    const x0 = packed ? input.data : input;
    if (!(x0 instanceof Tensor)) throw new Error(`${this.kind}: input must be a Tensor or a PackedSequence`);

    // 1. Dimensionality of input and hx.
    let batched = true;
    if (packed) {
      if (x0.ndim !== 2) throw new Error(`input must have 2 dimensions, got ${x0.ndim}`);
    } else {
      if (x0.ndim !== 2 && x0.ndim !== 3) {
        throw new Error(`${this.kind}: Expected input to be 2D or 3D, got ${x0.ndim}D ${this.kind === 'RNN' ? 'tensor ' : ''}instead`);
      }
      batched = x0.ndim === 3;
      const want = batched ? 3 : 2;
      const label = batched ? 'batched 3-D' : 'unbatched 2-D';
      if (lstm) {
        if (h0 !== null && (h0.ndim !== want || c0!.ndim !== want)) {
          throw new Error(`For ${label} input, hx and cx should also be ${want}-D but got (${h0.ndim}-D, ${c0!.ndim}-D) tensors`);
        }
      } else if (h0 !== null && h0.ndim !== want) {
        throw new Error(`For ${label} input, hx should also be ${want}-D but got ${h0.ndim}-D tensor`);
      }
    }

    // 2. To time-major rows [Ttot, In] plus batchSizes.
    let x = x0;
    let hx = h0;
    let cx = c0;
    if (!batched) {
      x = unsqueeze(x, 1);
      if (hx !== null) hx = unsqueeze(hx, 1);
      if (cx !== null) cx = unsqueeze(cx, 1);
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new Error(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[x.ndim - 1]}`);
    }
    let batchSizes: Int32Array;
    let B: number;
    let T = 0;
    if (packed) {
      batchSizes = allocate('int64', input.batchSizes.data.length) as Int32Array;
      batchSizes.set(input.batchSizes.data);
      B = batchSizes.length ? batchSizes[0] : 0;
    } else {
      T = this.batchFirst && batched ? x.shape[1] : x.shape[0];
      B = this.batchFirst && batched ? x.shape[0] : x.shape[1];
      batchSizes = new Int32Array(T).fill(B);
    }

    // 3. Hidden sizes (checked before any permutation, against the batch the kernel will see).
    const expH = [D * this.numLayers, B, Hout];
    const expC = [D * this.numLayers, B, H];
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    if (hx !== null) {
      if (lstm) {
        if (!same(hx.shape, expH)) throw new Error(`Expected hidden[0] size ${pyTuple(expH)}, got ${pyList(hx.shape)}`);
        if (!same(cx!.shape, expC)) throw new Error(`Expected hidden[1] size ${pyTuple(expC)}, got ${pyList(cx!.shape)}`);
      } else if (!same(hx.shape, expH)) {
        throw new Error(`Expected hidden size ${pyTuple(expH)}, got ${pyList(hx.shape)}`);
      }
    }
    if (!packed && T === 0) throw new Error('Expected sequence length to be larger than 0 in RNN');
    const dtype = this.getParameter(this.flatWeightsNames[0]).dtype; // the module's dtype
    if (!this.weightsShareDtype()) {
      const odd = this.flatWeightsNames.find((n) => this.getParameter(n).dtype !== dtype)!;
      // Weights of two dtypes: PyTorch's message depends on the input's dtype; the weight whose
      // dtype differs from the input's is named.
      const torchMsg = x.dtype === 'float64' ? 'expected scalar type Double but found Float' : 'self and mat2 must have the same dtype';
      const name = this.flatWeightsNames.find((n) => this.getParameter(n).dtype !== x.dtype) ?? odd;
      throw new Error(`${torchMsg} (${this.kind}: ${name} is ${this.getParameter(name).dtype}, the input is ${x.dtype})`);
    }
    if (x.dtype !== dtype || (hx !== null && hx.dtype !== dtype) || (cx !== null && cx.dtype !== dtype)) {
      throw new Error('mat1 and mat2 must have the same dtype');
    }

    // 4. Packed: hx into sorted order. Padded batch-first: to time-major.
    if (packed && input.sortedIndices !== null && !isIdentity(input.sortedIndices)) {
      if (hx !== null) hx = indexSelect(hx, 1, input.sortedIndices);
      if (cx !== null) cx = indexSelect(cx, 1, input.sortedIndices);
    }
    // Batch-first and time-major hold the same order when B or T is 1 (one sequence, one step):
    // then a reshape, without the copy a transpose makes.
    const swap = this.batchFirst && batched && B > 1 && T > 1;
    let rows: Tensor;
    if (packed) rows = x;
    else rows = reshape(swap ? transpose(x, 0, 1) : x, [T * B, this.inputSize]);

    // 5. The stack.
    const zeroH = hx === null ? this.zeroState(B, Hout, dtype) : null;
    const zeroC = lstm && cx === null ? this.zeroState(B, H, dtype) : null;
    const hNs: Tensor[] = [];
    const cNs: Tensor[] = [];
    let layerIn = rows;
    const noise = this.training ? this.stateNoise : null;
    const Ttot = rows.shape[0];
    if (noise !== null && noise.length < this.numLayers * D * Ttot * Hout) {
      throw new Error(`${this.kind}: stateNoise holds ${noise.length} values, the batch needs ${this.numLayers * D * Ttot * Hout}`);
    }
    for (let l = 0; l < this.numLayers; l++) {
      const shape: LayerShape = {
        mode: this.mode, inputSize: l === 0 ? this.inputSize : D * Hout, hiddenSize: H, projSize: this.projSize,
      };
      const ys: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const idx = l * D + d;
        const h0l = hx !== null ? select(hx, 0, idx) : zeroH!;
        const c0l = lstm ? (cx !== null ? select(cx, 0, idx) : zeroC!) : null;
        const r = recurrentLayer(shape, this.layerWeights(l, d), layerIn, batchSizes, d === 1, h0l, c0l, noise, idx * Ttot * Hout);
        ys.push(r.y);
        hNs.push(r.hN);
        if (r.cN !== null) cNs.push(r.cN);
      }
      const layerOut = D === 1 ? ys[0] : cat(ys, 1);
      // Dropout between layers only (never on the last layer's output or on h_n), training only.
      layerIn = l < this.numLayers - 1 && this.training && this.dropout > 0
        ? dropoutFn(layerOut, this.dropout, true, this.generator)
        : layerOut;
    }
    const outRows = layerIn; // [Ttot, D*Hout]

    // 6. Back to the user's layout and batch order.
    let hN = stack(hNs, 0);
    let cN = lstm ? stack(cNs, 0) : null;
    if (packed && input.unsortedIndices !== null && !isIdentity(input.unsortedIndices)) {
      hN = indexSelect(hN, 1, input.unsortedIndices);
      if (cN !== null) cN = indexSelect(cN, 1, input.unsortedIndices);
    }
    let output: RecurrentInput;
    if (packed) {
      output = new PackedSequence(outRows, input.batchSizes, input.sortedIndices, input.unsortedIndices);
    } else {
      const o = swap ? transpose(reshape(outRows, [T, B, D * Hout]), 0, 1)
        : reshape(outRows, this.batchFirst && batched ? [B, T, D * Hout] : [T, B, D * Hout]);
      output = batched ? o : squeeze(o, 1);
    }
    if (!batched) {
      hN = squeeze(hN, 1);
      if (cN !== null) cN = squeeze(cN, 1);
    }
    return { output, hN, cN };
  }
}
