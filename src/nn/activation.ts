// Activations as torch.nn.functional functions and as modules: relu, tanh, sigmoid, softmax and
// log_softmax (the last two along a required `dim`, given as a number or as `{ dim }`).
import { Module } from './module.js';
import { Tensor } from '../tensor/tensor.js';
import * as ops from '../tensor/ops.js';
import { checkOptions, describeValue } from '../util/options.js';

export interface SoftmaxOptions {
  /** The dimension the probabilities sum to one along (negative counts from the end). */
  dim: number;
}

/**
 * The `dim` of softmax/log_softmax. PyTorch's dim=None (an implicit, deprecated choice of dim) is
 * not supported: a missing dim is an error rather than a guess.
 */
function softmaxDim(where: string, dim: number | SoftmaxOptions | undefined): number {
  if (typeof dim === 'number') return dim;
  if (dim === undefined) throw new Error(`${where}: give the dimension, e.g. ${where}(x, 1) or ${where}(x, { dim: 1 }) (PyTorch's implicit dim choice is deprecated)`);
  checkOptions(`${where}()`, dim, ['dim']);
  if (typeof dim.dim !== 'number') throw new TypeError(`${where}(): dim must be a number, got ${describeValue(dim.dim)}`);
  return dim.dim;
}

function checkTensor(where: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${where}(): argument 'input' must be a Tensor, got ${describeValue(x)}`);
}

/** F.softmax(input, dim): exp(x) / Σ exp(x) along dim. */
export function softmax(input: Tensor, dim: number | SoftmaxOptions): Tensor {
  checkTensor('softmax', input);
  return ops.softmax(input, softmaxDim('softmax', dim));
}

/** F.log_softmax(input, dim): x − log Σ exp(x) along dim (computed stably). */
export function logSoftmax(input: Tensor, dim: number | SoftmaxOptions): Tensor {
  checkTensor('logSoftmax', input);
  return ops.logSoftmax(input, softmaxDim('logSoftmax', dim));
}

/** F.relu: max(x, 0), with gradient 0 at 0 as in PyTorch. */
export function relu(input: Tensor): Tensor {
  checkTensor('relu', input);
  return ops.relu(input);
}

/** F.tanh. */
export function tanh(input: Tensor): Tensor {
  checkTensor('tanh', input);
  return ops.tanh(input);
}

/** F.sigmoid: 1 / (1 + exp(−x)). */
export function sigmoid(input: Tensor): Tensor {
  checkTensor('sigmoid', input);
  return ops.sigmoid(input);
}

/** nn.ReLU. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

/** nn.Tanh. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
}

/** nn.Sigmoid. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

/** nn.Softmax(dim): `new Softmax(1)` or `new Softmax({ dim: 1 })`. */
export class Softmax extends Module {
  readonly dim: number;

  constructor(dim: number | SoftmaxOptions) {
    super();
    this.dim = softmaxDim('Softmax', dim);
  }

  forward(x: Tensor): Tensor { return softmax(x, this.dim); }

  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** nn.LogSoftmax(dim): `new LogSoftmax(1)` or `new LogSoftmax({ dim: 1 })`. */
export class LogSoftmax extends Module {
  readonly dim: number;

  constructor(dim: number | SoftmaxOptions) {
    super();
    this.dim = softmaxDim('LogSoftmax', dim);
  }

  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }

  override extraRepr(): string { return `dim=${this.dim}`; }
}
