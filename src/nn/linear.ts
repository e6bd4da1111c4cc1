// y = x W^T + b, W: [outFeatures, inFeatures], b: [outFeatures]. Init as PyTorch:
// W, b ~ U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)).
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { allocate, isFloat } from '../tensor/dtype.js';
import { add, matmul, transpose } from '../tensor/ops.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { describeValue, resolveOptions } from '../util/options.js';
import { linear32 } from './linear32.js';

const LINEAR_KEYS = ['bias', 'dtype', 'generator'] as const;

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
  generator?: Generator;
}

export function uniformParam(shape: number[], bound: number, dtype: DType, gen: Generator): Parameter {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = allocate(dtype, n);
  for (let i = 0; i < n; i++) d[i] = gen.uniform(-bound, bound);
  return new Parameter(new Tensor(d, shape, dtype));
}

/**
 * PyTorch's dtype errors for x·Wᵀ + b (addmm(bias, x, Wᵀ) checks bias against W first, then x
 * against W), with the dtypes appended: no operand is ever cast to another's dtype.
 */
function checkLinearDtypes(x: Tensor, weight: Tensor, bias: Tensor | null): void {
  if (bias !== null && bias.dtype !== weight.dtype) {
    throw new Error(`self and mat2 must have the same dtype (Linear: bias is ${bias.dtype}, weight is ${weight.dtype})`);
  }
  if (x.dtype !== weight.dtype && isFloat(x.dtype)) {
    throw new Error(`mat1 and mat2 must have the same dtype (Linear: input is ${x.dtype}, weight is ${weight.dtype})`);
  }
}

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  readonly inFeatures: number;
  readonly outFeatures: number;

  /** `new Linear(4, 2, { bias: false })`, or `new Linear(4, 2, false)` as PyTorch's positional bias. */
  constructor(inFeatures: number, outFeatures: number, opts?: LinearOptions);
  constructor(inFeatures: number, outFeatures: number, bias: boolean, opts?: Omit<LinearOptions, 'bias'>);
  constructor(inFeatures: number, outFeatures: number, ...rest: unknown[]) {
    super();
    const opts = resolveOptions<LinearOptions>('Linear()', rest, ['bias'], LINEAR_KEYS);
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`Linear(): bias must be a boolean, got ${describeValue(opts.bias)}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Linear: ${k} must be a non-negative integer, got ${v}`);
    }
    const dtype = opts.dtype ?? 'float32';
    const gen = opts.generator ?? defaultGenerator;
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = this.registerParameter('weight', uniformParam([outFeatures, inFeatures], bound, dtype, gen))!;
    this.bias = this.registerParameter('bias', opts.bias === false ? null : uniformParam([outFeatures], bound, dtype, gen));
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      const rows = x.ndim >= 2 ? x.data.length / x.shape[x.ndim - 1] : 1;
      throw new Error(`mat1 and mat2 shapes cannot be multiplied (${rows}x${x.shape[x.ndim - 1]} and ${this.inFeatures}x${this.outFeatures})`);
    }
    checkLinearDtypes(x, this.weight, this.bias);
    if (x.dtype === 'float32' && this.weight.dtype === 'float32' && (this.bias === null || this.bias.dtype === 'float32')) {
      const y32 = linear32(this, x, this.weight, this.bias);
      if (y32 !== null) return y32;
    }
    const y = matmul(x, transpose(this.weight, 0, 1));
    return this.bias ? add(y, this.bias) : y;
  }
}
