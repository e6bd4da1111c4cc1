// torch.nn.RNN / LSTM / GRU. The work is in RNNBase (stack) and src/kernels (cells, packed walk).
//   forward(input, hx?) → [output, h_n]   (LSTM: [output, [h_n, c_n]])
// input: (L, N, H_in) | (N, L, H_in) with batchFirst | unbatched (L, H_in) | PackedSequence.
// hx: (D*numLayers, N, H_out) in the user's batch order (unbatched: (D*numLayers, H_out)).
import { RNNBase, RNN_BASE_KEYS, rnnOptions } from './rnn-base.js';
import type { RNNBaseOptions, RecurrentInput, HiddenState } from './rnn-base.js';
import { Tensor } from '../tensor/tensor.js';

export { RNNBase } from './rnn-base.js';
export type { RNNBaseOptions, RecurrentInput, RecurrentOutput, HiddenState } from './rnn-base.js';
export { RNNCell, LSTMCell, GRUCell, RNNCellBase } from './rnn-cell.js';
export type { RNNCellOptions } from './rnn-cell.js';

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RNNBaseOptions {
  projSize?: number;
}

export type GRUOptions = RNNBaseOptions;

export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  /** `new RNN(i, h, opts)`, or `new RNN(i, h, numLayers, opts)` as PyTorch's positional num_layers. */
  constructor(inputSize: number, hiddenSize: number, opts?: RNNOptions);
  constructor(inputSize: number, hiddenSize: number, numLayers: number, opts?: Omit<RNNOptions, 'numLayers'>);
  constructor(inputSize: number, hiddenSize: number, ...rest: unknown[]) {
    const opts = rnnOptions<RNNOptions & { projSize?: number }>('RNN', rest, [...RNN_BASE_KEYS, 'nonlinearity', 'projSize']);
    if ('projSize' in opts) throw new Error('proj_size argument is only supported for LSTM, not RNN or GRU');
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`Unknown nonlinearity '${String(nl)}'`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }

  declare readonly hiddenStateType: Tensor;

  protected override forwardImpl(input: RecurrentInput, hx: HiddenState | null): [RecurrentInput, Tensor] {
    const { output, hN } = this.runStack(input, singleHx('RNN', hx), null);
    return [output, hN];
  }
}

/** RNN/GRU take one state tensor; a pair is the LSTM form. */
function singleHx(kind: string, hx: HiddenState | null): Tensor | null {
  if (hx === null || hx === undefined || hx instanceof Tensor) return hx ?? null;
  throw new TypeError(`${kind}: hx must be a single Tensor h0 (a pair [h0, c0] is for LSTM)`);
}

export class GRU extends RNNBase {
  /** `new GRU(i, h, opts)`, or `new GRU(i, h, numLayers, opts)` as PyTorch's positional num_layers. */
  constructor(inputSize: number, hiddenSize: number, opts?: GRUOptions);
  constructor(inputSize: number, hiddenSize: number, numLayers: number, opts?: Omit<GRUOptions, 'numLayers'>);
  constructor(inputSize: number, hiddenSize: number, ...rest: unknown[]) {
    const opts = rnnOptions<GRUOptions & { projSize?: number }>('GRU', rest, [...RNN_BASE_KEYS, 'projSize']);
    if ('projSize' in opts) throw new Error('proj_size argument is only supported for LSTM, not RNN or GRU');
    super('GRU', inputSize, hiddenSize, opts);
  }

  declare readonly hiddenStateType: Tensor;

  protected override forwardImpl(input: RecurrentInput, hx: HiddenState | null): [RecurrentInput, Tensor] {
    const { output, hN } = this.runStack(input, singleHx('GRU', hx), null);
    return [output, hN];
  }
}

export class LSTM extends RNNBase {
  /** `new LSTM(i, h, opts)`, or `new LSTM(i, h, numLayers, opts)` as PyTorch's positional num_layers. */
  constructor(inputSize: number, hiddenSize: number, opts?: LSTMOptions);
  constructor(inputSize: number, hiddenSize: number, numLayers: number, opts?: Omit<LSTMOptions, 'numLayers'>);
  constructor(inputSize: number, hiddenSize: number, ...rest: unknown[]) {
    const opts = rnnOptions<LSTMOptions>('LSTM', rest, [...RNN_BASE_KEYS, 'projSize']);
    super('LSTM', inputSize, hiddenSize, opts);
  }

  declare readonly hiddenStateType: [Tensor, Tensor];

  /** hx = [h0, c0] (both or neither); h0 has projSize features when projSize > 0, c0 hiddenSize. */
  protected override forwardImpl(input: RecurrentInput, hx: HiddenState | null): [RecurrentInput, [Tensor, Tensor]] {
    if (hx instanceof Tensor) {
      // PyTorch unpacks a single tensor along dim 0 into (h, c); report it the way it does.
      const d = hx.ndim - 1;
      const batched = !(input instanceof Tensor) || input.ndim === 3;
      if (input instanceof Tensor && (batched ? d !== 3 : d !== 2)) {
        const want = batched ? 3 : 2;
        throw new Error(`For ${batched ? 'batched 3-D' : 'unbatched 2-D'} input, hx and cx should also be ${want}-D but got (${d}-D, ${d}-D) tensors`);
      }
      throw new Error('LSTM: hx must be a pair [h0, c0], got a single Tensor');
    }
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new Error('LSTM: hx must be a pair [h0, c0]');
    }
    const { output, hN, cN } = this.runStack(input, hx ? hx[0] : null, hx ? hx[1] : null);
    return [output, [hN, cN!]];
  }
}
