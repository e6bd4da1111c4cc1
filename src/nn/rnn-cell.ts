// torch.nn.RNNCell / LSTMCell / GRUCell: one time step. The step is a one-step packed layer
// (batchSizes = [N]), so cells share the layer kernels' math and hand-written backward.
//   input (N, H_in) or (H_in,); hx (N, H) or (H,), default zeros; LSTMCell hx = [h, c] → [h', c'].
import { Module } from './module.js';
import { uniformParam } from './linear.js';
import { recurrentLayer } from './recurrent-layer.js';
import type { CellMode } from './recurrent-layer.js';
import { checkSize } from './rnn-base.js';
import { resolveOptions } from '../util/options.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { squeeze, unsqueeze } from '../tensor/ops.js';
import { zeros } from '../tensor/create.js';
import { defaultGenerator, Generator } from '../tensor/random.js';

export interface RNNCellOptions {
  bias?: boolean;
  dtype?: DType;
  generator?: Generator;
}

export class RNNCellBase extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;
  readonly bias: boolean;

  constructor(
    readonly mode: CellMode, readonly inputSize: number, readonly hiddenSize: number, opts: RNNCellOptions,
  ) {
    super();
    checkSize('input_size', inputSize, true);
    checkSize('hidden_size', hiddenSize, true);
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`RNN cells support dtype float32 or float64, got ${String(dtype)}`);
    const gen = opts.generator ?? defaultGenerator;
    this.bias = opts.bias ?? true;
    const G = mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
    const bound = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0;
    this.weight_ih = this.registerParameter('weight_ih', uniformParam([G * hiddenSize, inputSize], bound, dtype, gen))!;
    this.weight_hh = this.registerParameter('weight_hh', uniformParam([G * hiddenSize, hiddenSize], bound, dtype, gen))!;
    this.bias_ih = this.registerParameter('bias_ih', this.bias ? uniformParam([G * hiddenSize], bound, dtype, gen) : null);
    this.bias_hh = this.registerParameter('bias_hh', this.bias ? uniformParam([G * hiddenSize], bound, dtype, gen) : null);
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += ', bias=False';
    if (this.mode === 'RNN_RELU') s += ", nonlinearity=relu";
    return s;
  }

  /** Validates and runs one step; `hs` are the state tensors (h, and c for LSTM) or null. */
  protected step(input: Tensor, hs: Tensor[] | null): Tensor[] {
    const name = this.constructor.name;
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new Error(`${name}: Expected input to be 1-D or 2-D but received ${input.ndim}-D tensor`);
    }
    for (const h of hs ?? []) {
      if (h.ndim !== 1 && h.ndim !== 2) throw new Error(`${name}: Expected hidden to be 1-D or 2-D but received ${h.ndim}-D tensor`);
    }
    const batched = input.ndim === 2;
    const x = batched ? input : unsqueeze(input, 0);
    let states = hs?.map((h) => (batched ? h : unsqueeze(h, 0))) ?? null;
    const B = x.shape[0];
    if (x.shape[1] !== this.inputSize) {
      throw new Error(`input has inconsistent input_size: got ${x.shape[1]} expected ${this.inputSize}`);
    }
    for (const h of states ?? []) {
      if (h.ndim !== 2 || h.shape[0] !== B) {
        throw new Error(`Input batch size ${B} doesn't match hidden0 batch size ${h.ndim === 2 ? h.shape[0] : h.shape.join('x')}`);
      }
      if (h.shape[1] !== this.hiddenSize) {
        throw new Error(`hidden0 has inconsistent hidden_size: got ${h.shape[1]}, expected ${this.hiddenSize}`);
      }
    }
    const dtype = this.weight_ih.dtype;
    if (x.dtype !== dtype || (states ?? []).some((h) => h.dtype !== dtype)) throw new Error('mat1 and mat2 must have the same dtype');
    for (const [wn, w] of [['weight_hh', this.weight_hh], ['bias_ih', this.bias_ih], ['bias_hh', this.bias_hh]] as const) {
      if (w !== null && w.dtype !== dtype) throw new Error(`self and mat2 must have the same dtype (${name}: ${wn} is ${w.dtype}, the input and weight_ih are ${dtype})`);
    }
    const lstm = this.mode === 'LSTM';
    if (states === null) {
      states = [zeros([B, this.hiddenSize], { dtype })];
      if (lstm) states.push(zeros([B, this.hiddenSize], { dtype }));
    }
    const r = recurrentLayer(
      { mode: this.mode, inputSize: this.inputSize, hiddenSize: this.hiddenSize, projSize: 0 },
      { wIh: this.weight_ih, wHh: this.weight_hh, bIh: this.bias_ih, bHh: this.bias_hh, wHr: null },
      x, [B], false, states[0], lstm ? states[1] : null,
    );
    const outs = lstm ? [r.hN, r.cN!] : [r.hN];
    return batched ? outs : outs.map((t) => squeeze(t, 0));
  }
}

export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  /** `new RNNCell(i, h, { bias, nonlinearity })`, or PyTorch's positional `new RNNCell(i, h, bias, nonlinearity)`. */
  constructor(inputSize: number, hiddenSize: number, opts?: RNNCellOptions & { nonlinearity?: 'tanh' | 'relu' });
  constructor(inputSize: number, hiddenSize: number, bias: boolean, nonlinearity?: 'tanh' | 'relu', opts?: Omit<RNNCellOptions, 'bias'>);
  constructor(inputSize: number, hiddenSize: number, ...rest: unknown[]) {
    const keys = ['bias', 'nonlinearity', 'dtype', 'generator'];
    const opts = resolveOptions<RNNCellOptions & { nonlinearity?: 'tanh' | 'relu' }>('RNNCell.__init__()', rest, ['bias', 'nonlinearity'], keys);
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`Unknown nonlinearity: ${String(nl)}`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(input, hx ? [hx] : null)[0];
  }
}

export class GRUCell extends RNNCellBase {
  /** `new GRUCell(i, h, { bias })`, or PyTorch's positional `new GRUCell(i, h, bias)`. */
  constructor(inputSize: number, hiddenSize: number, opts?: RNNCellOptions);
  constructor(inputSize: number, hiddenSize: number, bias: boolean, opts?: Omit<RNNCellOptions, 'bias'>);
  constructor(inputSize: number, hiddenSize: number, ...rest: unknown[]) {
    const opts = resolveOptions<RNNCellOptions>('GRUCell.__init__()', rest, ['bias'], ['bias', 'dtype', 'generator']);
    super('GRU', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(input, hx ? [hx] : null)[0];
  }
}

export class LSTMCell extends RNNCellBase {
  /** `new LSTMCell(i, h, { bias })`, or PyTorch's positional `new LSTMCell(i, h, bias)`. */
  constructor(inputSize: number, hiddenSize: number, opts?: RNNCellOptions);
  constructor(inputSize: number, hiddenSize: number, bias: boolean, opts?: Omit<RNNCellOptions, 'bias'>);
  constructor(inputSize: number, hiddenSize: number, ...rest: unknown[]) {
    const opts = resolveOptions<RNNCellOptions>('LSTMCell.__init__()', rest, ['bias'], ['bias', 'dtype', 'generator']);
    super('LSTM', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const [h, c] = this.step(input, hx ? [hx[0], hx[1]] : null);
    return [h, c];
  }
}
