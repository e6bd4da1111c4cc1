// Every golden rnn_case (PyTorch 1.13): outputs, final states and the gradient of every
// parameter, input and initial state of  loss = Σ OUT·w_out + Σ h_n·w_h (+ Σ c_n·w_c).
import { describe, it, expect } from 'vitest';
import { RNN, LSTM, GRU } from '../src/nn/rnn.js';
import type { RNNBase } from '../src/nn/rnn.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor } from '../src/tensor/create.js';
import { add, mul, sum } from '../src/tensor/ops.js';
import type { FloatArray } from '../src/tensor/dtype.js';
import { expectClose, expectShape, fromGolden, golden, padPacked, packFromPadded, tap } from './rnn-helpers.js';

const g = golden();

function makeModule(c: any): RNNBase {
  const cfg = c.config;
  const common = {
    numLayers: cfg.num_layers, bias: cfg.bias, batchFirst: cfg.batch_first, dropout: cfg.dropout,
    bidirectional: cfg.bidirectional, dtype: c.dtype,
  };
  const quiet = console.warn;
  console.warn = () => {};
  try {
    if (c.mode === 'LSTM') return new LSTM(cfg.input_size, cfg.hidden_size, { ...common, projSize: cfg.proj_size });
    if (c.mode === 'GRU') return new GRU(cfg.input_size, cfg.hidden_size, common);
    return new RNN(cfg.input_size, cfg.hidden_size, { ...common, nonlinearity: cfg.nonlinearity });
  } finally {
    console.warn = quiet;
  }
}

describe('golden rnn_cases (PyTorch 1.13)', () => {
  it('has 80 cases', () => expect(g.rnn_cases.length).toBe(80));

  for (const c of g.rnn_cases) {
    it(c.name, () => {
      const [atol, rtol] = c.dtype === 'float64' ? [1e-9, 1e-9] : [1e-5, 1e-4];
      const close = (what: string, a: ArrayLike<number>, e: ArrayLike<number>) => expectClose(`${c.name} ${what}`, a, e, atol, rtol);
      const m = makeModule(c);
      m.train(c.training);
      expect(m.namedParameters().map(([n]) => n)).toEqual(c.param_order);
      for (const name of c.param_order) expectShape(name, m.getParameter(name).shape, c.params[name].shape);
      m.loadStateDict(Object.fromEntries(c.param_order.map((n: string) => [n, c.params[n]])));

      const x = fromGolden(c.inputs.x, true);
      const h0 = c.inputs.h0 ? fromGolden(c.inputs.h0, true) : null;
      const c0 = c.inputs.c0 ? fromGolden(c.inputs.c0, true) : null;
      const packedSink = { grad: null as FloatArray | null };
      let input: Tensor | PackedSequence = x;
      if (c.input_kind === 'packed') {
        const pk = c.inputs.packed;
        const sorted = pk.sorted_indices ? pk.sorted_indices.data : null;
        const p = packFromPadded(x, c.inputs.lengths, c.config.batch_first, sorted);
        close('packed input data', p.data.data, pk.data.data);
        expect(Array.from(p.batchSizes.data)).toEqual(pk.batch_sizes.data);
        input = new PackedSequence(tap(p.data, packedSink), p.batchSizes, p.sortedIndices, p.unsortedIndices);
      }

      const [out, hidden] = c.mode === 'LSTM'
        ? (m as LSTM).forward(input, h0 ? [h0, c0!] : null)
        : (m as RNN).forward(input, h0);
      const [hN, cN] = Array.isArray(hidden) ? hidden : [hidden, null];

      let outT: Tensor;
      if (c.input_kind === 'packed') {
        const po = out as PackedSequence;
        const ex = c.outputs.output_packed;
        expectShape('output_packed.data', po.data.shape, ex.data.shape);
        close('output_packed.data', po.data.data, ex.data.data);
        expect(Array.from(po.batchSizes.data)).toEqual(ex.batch_sizes.data);
        expect(po.sortedIndices ? Array.from(po.sortedIndices.data) : null).toEqual(ex.sorted_indices?.data ?? null);
        expect(po.unsortedIndices ? Array.from(po.unsortedIndices.data) : null).toEqual(ex.unsorted_indices?.data ?? null);
        const padded = padPacked(po, c.config.batch_first);
        expectShape('output_padded', padded.shape, c.outputs.output_padded.shape);
        close('output_padded', padded.data, c.outputs.output_padded.data);
        expect(padded.lengths).toEqual(c.outputs.output_lengths.data ?? c.outputs.output_lengths);
        outT = po.data;
      } else {
        outT = out as Tensor;
        expectShape('output', outT.shape, c.outputs.output.shape);
        close('output', outT.data, c.outputs.output.data);
      }
      expectShape('h_n', hN.shape, c.outputs.h_n.shape);
      close('h_n', hN.data, c.outputs.h_n.data);
      if (c.mode === 'LSTM') {
        expectShape('c_n', cN!.shape, c.outputs.c_n.shape);
        close('c_n', cN!.data, c.outputs.c_n.data);
      }

      const w = (t: any) => tensor(t.data, { shape: t.shape, dtype: c.dtype });
      let loss = add(sum(mul(outT, w(c.loss.w_out))), sum(mul(hN, w(c.loss.w_h))));
      if (c.mode === 'LSTM') loss = add(loss, sum(mul(cN!, w(c.loss.w_c))));
      close('loss', [loss.item()], [c.loss.value]);
      loss.backward();

      for (const name of c.param_order) {
        const grad = m.getParameter(name).grad;
        expect(grad, `grad of ${name}`).not.toBeNull();
        close(`grad ${name}`, grad!.data, c.grads[name].data);
      }
      close('grad x', x.grad!.data, c.grads.x.data);
      if (c.grads.h0) close('grad h0', h0!.grad!.data, c.grads.h0.data);
      if (c.grads.c0) close('grad c0', c0!.grad!.data, c.grads.c0.data);
      if (c.input_kind === 'packed') close('grad packed_data', packedSink.grad!, c.grads.packed_data.data);
    });
  }
});
