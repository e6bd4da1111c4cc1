// The errors of invalid RNN constructor / forward / cell calls with torch 1.13's exact messages (or
// newer PyTorch's, where 1.13 only fails incidentally), plus the cases where PyTorch silently
// corrupts and we raise instead.
import { describe, it, expect, vi } from 'vitest';
import { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from '../src/nn/rnn.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randn, tensor, zeros } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';

const gen = new Generator(5);
const r = (...shape: number[]) => randn(shape, { generator: gen });
const DROPOUT_MSG = 'dropout should be a number in range [0, 1] representing the probability of an element being zeroed';
const any = (v: unknown) => v as any;

function packed3(features: number, lengths = [3, 2, 1], sorted: number[] | null = null): PackedSequence {
  const bs = Array.from({ length: Math.max(...lengths) }, (_, t) => lengths.filter((l) => l > t).length);
  const rows = bs.reduce((a, b) => a + b, 0);
  const unsorted = sorted ? sorted.map((_, i) => sorted.indexOf(i)) : null;
  return new PackedSequence(
    r(rows, features), tensor(bs, { dtype: 'int64' }),
    sorted ? tensor(sorted, { dtype: 'int64' }) : null, unsorted ? tensor(unsorted, { dtype: 'int64' }) : null,
  );
}

describe('RNN constructor errors', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ["nonlinearity='sigmoid'", () => new RNN(3, 4, { nonlinearity: any('sigmoid') }), "Unknown nonlinearity 'sigmoid'"],
    ['dropout=-0.1', () => new RNN(3, 4, { dropout: -0.1 }), DROPOUT_MSG],
    ['dropout=1.5', () => new RNN(3, 4, { dropout: 1.5 }), DROPOUT_MSG],
    ['dropout=true', () => new RNN(3, 4, { dropout: any(true) }), DROPOUT_MSG],
    ["dropout='0.1'", () => new RNN(3, 4, { dropout: any('0.1') }), DROPOUT_MSG],
    ['RNN projSize', () => new RNN(3, 4, any({ projSize: 2 })), 'proj_size argument is only supported for LSTM, not RNN or GRU'],
    ['RNN projSize=0', () => new RNN(3, 4, any({ projSize: 0 })), 'proj_size argument is only supported for LSTM, not RNN or GRU'],
    ['GRU projSize', () => new GRU(3, 4, any({ projSize: 2 })), 'proj_size argument is only supported for LSTM, not RNN or GRU'],
    ['LSTM projSize=-1', () => new LSTM(3, 4, { projSize: -1 }), 'proj_size should be a positive integer or zero to disable projections'],
    ['LSTM projSize=4', () => new LSTM(3, 4, { projSize: 4 }), 'proj_size has to be smaller than hidden_size'],
    ['LSTM projSize=5', () => new LSTM(3, 4, { projSize: 5 }), 'proj_size has to be smaller than hidden_size'],
    // [newer] messages (1.13 reports these incidentally as proj_size / list-index / torch.empty errors)
    ['hidden_size=-4', () => new RNN(3, -4), 'hidden_size must be greater than zero'],
    ['hidden_size=0', () => new RNN(3, 0), 'hidden_size must be greater than zero'],
    ['hidden_size=4.5', () => new RNN(3, 4.5), 'hidden_size should be of type int, got: float'],
    ['input_size=3.5', () => new RNN(3.5, 4), 'input_size should be of type int, got: float'],
    ['numLayers=0', () => new RNN(3, 4, { numLayers: 0 }), 'num_layers must be greater than zero'],
    ['numLayers=-1', () => new RNN(3, 4, { numLayers: -1 }), 'num_layers must be greater than zero'],
    ['numLayers=2.5', () => new RNN(3, 4, { numLayers: 2.5 }), 'num_layers should be of type int, got: float'],
    ['input_size=-3', () => new RNN(-3, 4), 'Trying to create tensor with negative dimension -3: [4, -3]'],
    ['unknown option', () => new RNN(3, 4, any({ foo: 1 })), "RNNBase.__init__() got an unexpected keyword argument 'foo'"],
    ['nonlinearity on LSTM', () => new LSTM(3, 4, any({ nonlinearity: 'relu' })), "RNNBase.__init__() got an unexpected keyword argument 'nonlinearity'"],
    ['missing hidden_size', () => new (RNN as any)(3), "RNNBase.__init__() missing 1 required positional argument: 'hidden_size'"],
  ];
  for (const [name, fn, msg] of cases) it(name, () => expect(fn).toThrow(msg));

  it('dropout>0 with one layer warns (PyTorch message) and is still built', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const m = new RNN(3, 4, { numLayers: 1, dropout: 0.5 });
    expect(warn).toHaveBeenCalledWith(
      'dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=0.5 and num_layers=1',
    );
    warn.mockRestore();
    expect(m.toString()).toBe('RNN(3, 4, dropout=0.5)');
  });
  it('accepted: dropout=1.0, input_size=0, truthy bias', () => {
    expect(new RNN(3, 4, { numLayers: 2, dropout: 1 }).toString()).toBe('RNN(3, 4, num_layers=2, dropout=1.0)');
    expect(new RNN(0, 4).toString()).toBe('RNN(0, 4)');
    expect(new RNN(3, 4, { bias: any(0) }).namedParameters().length).toBe(2);
  });
});

describe('RNN forward errors', () => {
  const rnn = new RNN(3, 4, { numLayers: 2 });
  const lstm = new LSTM(3, 4, { numLayers: 2 });
  const gru = new GRU(3, 4);
  const cases: Array<[string, () => unknown, string]> = [
    // [newer] (1.13: "input must have 3 dimensions, got 2 / got 5", counting its own unsqueeze)
    ['RNN input 1-D', () => rnn.forward(r(3)), 'RNN: Expected input to be 2D or 3D, got 1D tensor instead'],
    ['RNN input 4-D', () => rnn.forward(r(2, 2, 2, 3)), 'RNN: Expected input to be 2D or 3D, got 4D tensor instead'],
    ['LSTM input 4-D', () => lstm.forward(r(2, 2, 2, 3)), 'LSTM: Expected input to be 2D or 3D, got 4D instead'],
    ['GRU input 4-D', () => gru.forward(r(2, 2, 2, 3)), 'GRU: Expected input to be 2D or 3D, got 4D instead'],
    ['GRU input 1-D', () => gru.forward(r(3)), 'GRU: Expected input to be 2D or 3D, got 1D instead'],
    ['RNN input (5,2,7)', () => rnn.forward(r(5, 2, 7)), 'input.size(-1) must be equal to input_size. Expected 3, got 7'],
    ['RNN unbatched (5,7)', () => rnn.forward(r(5, 7)), 'input.size(-1) must be equal to input_size. Expected 3, got 7'],
    ['RNN h0 wrong layers', () => rnn.forward(r(5, 2, 3), r(1, 2, 4)), 'Expected hidden size (2, 2, 4), got [1, 2, 4]'],
    ['RNN h0 wrong batch', () => rnn.forward(r(5, 2, 3), r(2, 3, 4)), 'Expected hidden size (2, 2, 4), got [2, 3, 4]'],
    ['RNN h0 wrong hidden', () => rnn.forward(r(5, 2, 3), r(2, 2, 5)), 'Expected hidden size (2, 2, 4), got [2, 2, 5]'],
    ['RNN batched, 2-D h0', () => rnn.forward(r(5, 2, 3), r(2, 4)), 'For batched 3-D input, hx should also be 3-D but got 2-D tensor'],
    ['RNN unbatched, 3-D h0', () => rnn.forward(r(5, 3), r(2, 1, 4)), 'For unbatched 2-D input, hx should also be 2-D but got 3-D tensor'],
    ['RNN unbatched, wrong 2-D h0', () => rnn.forward(r(5, 3), r(1, 4)), 'Expected hidden size (2, 1, 4), got [1, 1, 4]'],
    ['RNN seq_len 0', () => rnn.forward(r(0, 2, 3)), 'Expected sequence length to be larger than 0 in RNN'],
    ['float32 input into float64 module', () => new RNN(3, 4, { dtype: 'float64' }).forward(r(5, 2, 3)), 'mat1 and mat2 must have the same dtype'],
    ['integer input', () => rnn.forward(zeros([5, 2, 3], { dtype: 'int64' })), 'mat1 and mat2 must have the same dtype'],
    ['bidirectional h0 needs 2*layers', () => new RNN(3, 4, { bidirectional: true }).forward(r(5, 2, 3), r(1, 2, 4)), 'Expected hidden size (2, 2, 4), got [1, 2, 4]'],
    ['batch_first h0 laid out batch-first', () => new RNN(3, 4, { batchFirst: true }).forward(r(2, 5, 3), r(2, 1, 4)), 'Expected hidden size (1, 2, 4), got [2, 1, 4]'],
    ['LSTM c wrong hidden', () => lstm.forward(r(5, 2, 3), [r(2, 2, 4), r(2, 2, 5)]), 'Expected hidden[1] size (2, 2, 4), got [2, 2, 5]'],
    ['LSTM h wrong batch', () => lstm.forward(r(5, 2, 3), [r(2, 3, 4), r(2, 2, 4)]), 'Expected hidden[0] size (2, 2, 4), got [2, 3, 4]'],
    ['LSTM hx a single tensor', () => lstm.forward(r(5, 2, 3), any(r(2, 2, 4))), 'For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors'],
    ['LSTM batched, 2-D (h,c)', () => lstm.forward(r(5, 2, 3), [r(2, 4), r(2, 4)]), 'For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors'],
    ['LSTM unbatched, 3-D (h,c)', () => lstm.forward(r(5, 3), [r(2, 1, 4), r(2, 1, 4)]), 'For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors'],
    ['LSTM input (5,2,7)', () => lstm.forward(r(5, 2, 7)), 'input.size(-1) must be equal to input_size. Expected 3, got 7'],
    ['LSTM proj h0 with hidden_size', () => new LSTM(3, 4, { projSize: 2 }).forward(r(5, 2, 3), [r(1, 2, 4), r(1, 2, 4)]), 'Expected hidden[0] size (1, 2, 2), got [1, 2, 4]'],
    ['GRU h0 wrong hidden', () => gru.forward(r(5, 2, 3), r(1, 2, 5)), 'Expected hidden size (1, 2, 4), got [1, 2, 5]'],
    ['GRU batched, 2-D h0', () => gru.forward(r(5, 2, 3), r(1, 4)), 'For batched 3-D input, hx should also be 3-D but got 2-D tensor'],
    ['packed: h0 batch 2, batch_sizes[0]=3', () => new RNN(5, 4).forward(packed3(5), r(1, 2, 4)), 'Expected hidden size (1, 3, 4), got [1, 2, 4]'],
    ['packed: 2-D h0', () => new RNN(5, 4).forward(packed3(5), r(1, 4)), 'Expected hidden size (1, 3, 4), got [1, 4]'],
    ['packed: wrong feature size', () => new RNN(5, 4).forward(packed3(3)), 'input.size(-1) must be equal to input_size. Expected 5, got 3'],
    // PyTorch: "INDICES element is out of DATA bounds" / silently ignores extra rows — we raise the normal error.
    ['packed unsorted: h0 batch 2 < 3', () => new RNN(5, 4).forward(packed3(5, [3, 2, 1], [2, 0, 1]), r(1, 2, 4)), 'Expected hidden size (1, 3, 4), got [1, 2, 4]'],
    ['packed unsorted: h0 batch 4 > 3', () => new RNN(5, 4).forward(packed3(5, [3, 2, 1], [2, 0, 1]), r(1, 4, 4)), 'Expected hidden size (1, 3, 4), got [1, 4, 4]'],
    ['LSTM packed: hx a single tensor', () => new LSTM(5, 4).forward(packed3(5), any(r(1, 3, 4))), 'LSTM: hx must be a pair [h0, c0], got a single Tensor'],
    ['packed data 3-D', () => new RNN(5, 4).forward(new PackedSequence(r(6, 1, 5), tensor([3, 2, 1], { dtype: 'int64' }))), 'input must have 2 dimensions, got 3'],
  ];
  for (const [name, fn, msg] of cases) it(name, () => expect(fn).toThrow(msg));

  it('batch 0 works: output (5,0,4), h_n (2,0,4), backward runs', () => {
    const m = new RNN(3, 4, { numLayers: 2 });
    const x = r(5, 0, 3).requiresGrad_();
    const [out, hN] = m.forward(x) as [Tensor, Tensor];
    expect(out.shape).toEqual([5, 0, 4]);
    expect(hN.shape).toEqual([2, 0, 4]);
    out.sum().add(hN.sum()).backward();
    expect(m.getParameter('weight_ih_l0').grad!.data.every((v) => v === 0)).toBe(true);
  });
});

describe('RNNCell errors', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['RNNCell input (3,11)', () => new RNNCell(10, 20).forward(r(3, 11)), 'input has inconsistent input_size: got 11 expected 10'],
    ['RNNCell hx (3,21)', () => new RNNCell(10, 20).forward(r(3, 10), r(3, 21)), 'hidden0 has inconsistent hidden_size: got 21, expected 20'],
    ['RNNCell input 3-D', () => new RNNCell(10, 20).forward(r(2, 3, 10)), 'RNNCell: Expected input to be 1-D or 2-D but received 3-D tensor'],
    ['RNNCell hx batch 1 vs input batch 3', () => new RNNCell(10, 20).forward(r(3, 10), r(1, 20)), "Input batch size 3 doesn't match hidden0 batch size 1"],
    ['GRUCell hx (3,21)', () => new GRUCell(10, 20).forward(r(3, 10), r(3, 21)), 'hidden0 has inconsistent hidden_size: got 21, expected 20'],
    ['GRUCell input (3,11)', () => new GRUCell(10, 20).forward(r(3, 11)), 'input has inconsistent input_size: got 11 expected 10'],
    ['LSTMCell cx (3,21)', () => new LSTMCell(10, 20).forward(r(3, 10), [r(3, 20), r(3, 21)]), 'hidden0 has inconsistent hidden_size: got 21, expected 20'],
    ['LSTMCell hx batch 1', () => new LSTMCell(10, 20).forward(r(3, 10), [r(1, 20), r(1, 20)]), "Input batch size 3 doesn't match hidden0 batch size 1"],
    ['LSTMCell input 3-D', () => new LSTMCell(10, 20).forward(r(2, 3, 10)), 'LSTMCell: Expected input to be 1-D or 2-D but received 3-D tensor'],
    ['RNNCell float64 input into float32 cell', () => new RNNCell(10, 20).forward(r(3, 10).double()), 'mat1 and mat2 must have the same dtype'],
  ];
  for (const [name, fn, msg] of cases) it(name, () => expect(fn).toThrow(msg));
});
