// torch.nn.init's fills (uniform_, normal_, constant_, zeros_, ones_): in place, outside autograd
// (PyTorch runs them under no_grad), drawing from a seeded Generator. The draws follow PyTorch's
// distributions, not its random stream.
import { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../tensor/dtype.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { checkOptions } from '../util/options.js';

export interface InitOptions {
  /** The random source (default: the global generator seeded by manualSeed). */
  generator?: Generator;
}

function target(where: string, t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${where}: expected a Tensor`);
  if (!isFloat(t.dtype)) throw new Error(`${where}: expected a floating point tensor, got ${t.dtype}`);
  return t;
}

function generatorOf(where: string, opts: InitOptions): Generator {
  checkOptions(where, opts, ['generator']);
  return opts.generator ?? defaultGenerator;
}

/** Fills `tensor` with U(a, b) draws (torch.nn.init.uniform_); returns it. */
export function uniform_(tensor: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  const t = target('uniform_()', tensor);
  const g = generatorOf('uniform_()', opts);
  if (!(a <= b)) throw new Error(`uniform_ expects to return a [from, to) range, but found from=${a} > to=${b}`);
  for (let i = 0; i < t.data.length; i++) t.data[i] = g.uniform(a, b);
  return t;
}

/** Fills `tensor` with N(mean, std²) draws (torch.nn.init.normal_); returns it. */
export function normal_(tensor: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  const t = target('normal_()', tensor);
  const g = generatorOf('normal_()', opts);
  if (!(std >= 0)) throw new Error(`normal expects std >= 0.0, but found std ${std}`);
  for (let i = 0; i < t.data.length; i++) t.data[i] = mean + std * g.normal();
  return t;
}

/** Fills `tensor` with `val` (torch.nn.init.constant_); returns it. */
export function constant_(tensor: Tensor, val: number): Tensor {
  const t = target('constant_()', tensor);
  if (typeof val !== 'number') throw new TypeError(`constant_(): val must be a number, got ${typeof val}`);
  t.data.fill(val);
  return t;
}

/** Fills `tensor` with zeros (torch.nn.init.zeros_); returns it. */
export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

/** Fills `tensor` with ones (torch.nn.init.ones_); returns it. */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}
