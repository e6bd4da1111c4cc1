// The play page's explanation, computed in Node from the page's own module (web/play/src/
// explain.ts, its 'recur' import pointed at src/): the packed layout is what packing must give
// for lengths [5, 7, 3], and the per-layer hidden-state trajectories end (forward) / start
// (reverse) exactly in h_n of the model run on the same batch (each copied layer runs the same
// float32 computation as that layer of the stack), and within 1e-6 in h_n of the model run on the
// sequence alone — for RNN, GRU and LSTM, one and two directions, several layers.
import { describe, expect, it, vi } from 'vitest';
import { Generator, getTask, makeModel, noGrad, packPaddedSequence, resolveConfig, tensor } from '../src/index.js';
import type { Tensor } from '../src/index.js';

vi.mock('recur', async () => await import('../src/index.js'));
const { exampleBatch, hiddenTrajectory, packLayout } = await import('../web/play/src/explain.js');
const { inferConfig, parseDigits } = await import('../web/play/src/model.js');

describe('packLayout', () => {
  it('traces every packed row of [5, 7, 3] back to its sequence and step', () => {
    const seqs = [[4, 8, 2, 9, 6], [8, 7, 2, 7, 6, 1, 9], [4, 4, 4]];
    const p = packLayout(seqs, 10);
    expect(p.batchSizes).toEqual([3, 3, 3, 2, 2, 1, 1]);
    expect(p.sortedIndices).toEqual([1, 0, 2]);
    expect(p.unsortedIndices).toEqual([1, 0, 2]);
    // Step by step, longest first: t=0 → seq 1, 0, 2; ... t=3,4 → seq 1, 0; t=5,6 → seq 1.
    const order = [[1, 0], [0, 0], [2, 0], [1, 1], [0, 1], [2, 1], [1, 2], [0, 2], [2, 2], [1, 3], [0, 3], [1, 4], [0, 4], [1, 5], [1, 6]];
    expect(p.cells.map((c) => [c.seq, c.t])).toEqual(order);
    expect(p.cells.map((c) => c.row)).toEqual([...order.keys()]);
    expect(p.cells.map((c) => c.token)).toEqual(order.map(([b, t]) => seqs[b][t]));
  });

  it('puts the typed sequence with two examples of other lengths', () => {
    for (const n of [1, 2, 3, 5, 12]) {
      const seq = Array.from({ length: n }, (_, i) => i % 10);
      const batch = exampleBatch(seq, 9);
      expect(batch[0]).toBe(seq);
      const lens = batch.map((s) => s.length);
      expect(new Set(lens).size).toBe(3);
      for (const s of batch) for (const v of s) expect(v >= 0 && v <= 9).toBe(true);
      expect(exampleBatch(seq, 9)).toEqual(batch); // deterministic
    }
  });
});

describe('hiddenTrajectory', () => {
  const cases = [
    { cell: 'rnn', num_layers: 3, bidirectional: false },
    { cell: 'rnn', num_layers: 2, bidirectional: true },
    { cell: 'gru', num_layers: 2, bidirectional: false },
    { cell: 'lstm', num_layers: 2, bidirectional: true },
  ] as const;
  for (const k of cases) {
    it(`${k.cell} ${k.num_layers} layers${k.bidirectional ? ', bidirectional' : ''}: columns at h_n equal the model's h_n`, () => {
      const config = resolveConfig({ ...k, hidden_dim: 6, embed_dim: 4, seed: 5 });
      const model = makeModel(config, new Generator(5));
      const task = getTask(config.task);
      const seq = [3, 1, 4, 1, 5];
      const batch = exampleBatch(seq, 9);
      expect(model.rnn.dtype).toBe('float32'); // the article's model computes in float32
      const tr = hiddenTrajectory(model, task, config, batch, 0);
      expect(tr.layers).toHaveLength(k.num_layers);
      expect(tr.maxDiff).toBe(0);
      expect(model.training).toBe(true); // restored
      // Independent: the stacked module on the sequence alone (batch of one).
      const hN = noGrad(() => {
        model.eval();
        const x = model.embedding.forward(tensor([seq], { dtype: 'int64' }));
        const out = model.rnn.forward(packPaddedSequence(x, [seq.length], { batchFirst: true }))[1];
        model.train();
        return (Array.isArray(out) ? out[0] : out) as Tensor;
      });
      const D = k.bidirectional ? 2 : 1;
      expect(hN.shape).toEqual([k.num_layers * D, 1, 6]);
      for (const L of tr.layers) {
        expect(L.values).toHaveLength(D);
        expect(L.steps).toBe(seq.length);
        for (let d = 0; d < D; d++) {
          const col = d === 0 ? seq.length - 1 : 0;
          const got = Array.from(L.values[d].slice(col * 6, col * 6 + 6));
          const want = Array.from(hN.data.slice((L.layer * D + d) * 6, (L.layer * D + d + 1) * 6));
          for (let j = 0; j < 6; j++) expect(Math.abs(got[j] - want[j])).toBeLessThan(1e-6);
        }
        // Not a constant picture: the state changes along the sequence.
        expect(L.values[0].slice(0, 6)).not.toEqual(L.values[0].slice(6, 12));
      }
    });
  }
});

describe('page model helpers', () => {
  it('reads digits like the CLI, plus "3719" as 3 7 1 9', () => {
    expect(parseDigits('3 7, 1 9', 9)).toEqual([3, 7, 1, 9]);
    expect(parseDigits('3719', 9)).toEqual([3, 7, 1, 9]);
    expect(parseDigits('12', 20)).toEqual([12]);
    expect(parseDigits('', 9)).toMatch(/type digits/);
    expect(parseDigits('3 x', 9)).toMatch(/'x' is not an integer/);
    expect(parseDigits('3 10', 9)).toMatch(/10 is out of range/);
  });

  it('infers the architecture of a state dict without metadata', () => {
    const config = resolveConfig({ cell: 'gru', num_layers: 2, bidirectional: true, hidden_dim: 7, embed_dim: 3, max_number: 5, seed: 1 });
    const model = makeModel(config, new Generator(1));
    const c = inferConfig(model.stateDict());
    expect([c.cell, c.num_layers, c.bidirectional, c.hidden_dim, c.embed_dim, c.max_number]).toEqual(['gru', 2, true, 7, 3, 5]);
    expect(() => inferConfig({})).toThrow(/no 'embedding.weight'/);
  });
});
