// Finite-difference gradient checks (float64) of the hand-written BPTT, on random small
// configurations drawn by fast-check: mode, layers, directions, bias, projection, input kind
// (padded time-major / batch-first, packed unsorted, unbatched), with and without h0.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { RNN, LSTM, GRU } from '../src/nn/rnn.js';
import type { RNNBase } from '../src/nn/rnn.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randn } from '../src/tensor/create.js';
import { gradcheck } from '../src/tensor/gradcheck.js';
import { Generator } from '../src/tensor/random.js';
import { sortedOrder, packIndex } from './rnn-helpers.js';
import { tensor } from '../src/tensor/create.js';

const config = fc.record({
  mode: fc.constantFrom('RNN_TANH', 'RNN_RELU', 'LSTM', 'LSTM_PROJ', 'GRU'),
  layers: fc.integer({ min: 1, max: 2 }),
  bidirectional: fc.boolean(),
  bias: fc.boolean(),
  kind: fc.constantFrom('padded', 'batch_first', 'packed', 'unbatched'),
  withH0: fc.boolean(),
  In: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 2, max: 3 }),
  lengths: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});
type Config = typeof config extends fc.Arbitrary<infer C> ? C : never;

function check(c: Config): void {
  const gen = new Generator(c.seed);
  const F64 = { dtype: 'float64' as const, generator: gen };
  const opts = {
    numLayers: c.layers, bidirectional: c.bidirectional, bias: c.bias, batchFirst: c.kind === 'batch_first',
    dtype: 'float64' as const, generator: gen,
  };
  const lstm = c.mode.startsWith('LSTM');
  const P = c.mode === 'LSTM_PROJ' ? 1 : 0;
  const m: RNNBase = lstm ? new LSTM(c.In, c.H, { ...opts, projSize: P })
    : c.mode === 'GRU' ? new GRU(c.In, c.H, opts)
      : new RNN(c.In, c.H, { ...opts, nonlinearity: c.mode === 'RNN_RELU' ? 'relu' : 'tanh' });
  const D = c.bidirectional ? 2 : 1;
  const Hout = P || c.H;
  const B = c.kind === 'unbatched' ? 1 : c.lengths.length;
  const T = Math.max(...c.lengths);

  const inputs: Tensor[] = [];
  let makeInput: (d: Tensor) => Tensor | PackedSequence;
  let data: Tensor;
  if (c.kind === 'packed') {
    const sorted = sortedOrder(c.lengths);
    const { batchSizes } = packIndex(c.lengths, T, false, sorted);
    data = randn([c.lengths.reduce((a, b) => a + b, 0), c.In], F64).requiresGrad_();
    const unsorted = sorted.map((_, i) => sorted.indexOf(i));
    const bs = tensor(batchSizes, { dtype: 'int64' });
    const si = tensor(sorted, { dtype: 'int64' }), ui = tensor(unsorted, { dtype: 'int64' });
    makeInput = (d) => new PackedSequence(d, bs, si, ui);
  } else {
    const shape = c.kind === 'unbatched' ? [T, c.In] : c.kind === 'batch_first' ? [B, T, c.In] : [T, B, c.In];
    data = randn(shape, F64).requiresGrad_();
    makeInput = (d) => d;
  }
  inputs.push(data);
  const hShape = c.kind === 'unbatched' ? [D * c.layers, Hout] : [D * c.layers, B, Hout];
  const cShape = c.kind === 'unbatched' ? [D * c.layers, c.H] : [D * c.layers, B, c.H];
  const h0 = c.withH0 ? randn(hShape, F64).requiresGrad_() : null;
  const c0 = c.withH0 && lstm ? randn(cShape, F64).requiresGrad_() : null;
  if (h0) inputs.push(h0);
  if (c0) inputs.push(c0);
  inputs.push(...m.parameters());

  gradcheck(() => {
    const input = makeInput(data);
    if (m instanceof LSTM) {
      const [o, [h, cc]] = m.forward(input, h0 ? [h0, c0!] : null);
      return [o instanceof PackedSequence ? o.data : o, h, cc];
    }
    const [o, h] = (m as RNN).forward(input, h0);
    return [o instanceof PackedSequence ? o.data : o, h];
  }, inputs, { eps: 1e-6, atol: 1e-6, rtol: 1e-4, projections: 1, seed: c.seed });
}

describe('gradcheck of RNN/LSTM/GRU (float64, random small configurations)', () => {
  it('property: analytic gradients = central differences for every input, state and parameter', () => {
    fc.assert(fc.property(config, (c) => { check(c); }), { numRuns: 60, seed: 20240601 });
  });
  // The grid corners that matter most, checked explicitly (not left to sampling).
  for (const mode of ['RNN_TANH', 'LSTM', 'LSTM_PROJ', 'GRU'] as const) {
    it(`${mode}: 2 layers, bidirectional, packed unsorted, with h0`, () => {
      check({ mode, layers: 2, bidirectional: true, bias: true, kind: 'packed', withH0: true, In: 2, H: 3, lengths: [2, 3, 1], seed: 1 });
    });
  }
});
