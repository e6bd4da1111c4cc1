// examples/word-language-model: the corpus and batches of data.py/main.py, and, from PyTorch's
// initial (tied) weights with its dropout masks replayed, PyTorch's loss at every truncated-BPTT
// step (hidden state carried and detached, gradients clipped to norm 0.25, SGD lr 20).
import { describe, it, expect } from 'vitest';
import { RNNModel, loadCorpus, batchify, trainEpoch, evaluate } from '../examples/word-language-model/train.js';
import { readFixture, loadInit, expectTrajectory, ReplayDropout } from './helpers/examples.js';

interface Fixture {
  config: { emsize: number; nhid: number; nlayers: number; lr: number; clip: number; batch_size: number; bptt: number; dropout: number; tied: boolean; rnn_dropout: number; ntokens: number };
  steps: Array<[number, string[]]>;
  losses: number[];
}

describe('examples/word-language-model', () => {
  const fx = readFixture<Fixture>('word-language-model');
  const c = fx.config;
  const corpus = loadCorpus();

  it('builds the dictionary of data.py', () => {
    expect(corpus.dictionary.length).toBe(c.ntokens);
    expect(corpus.dictionary.idx2word.includes('<eos>')).toBe(true);
  });

  it(`trains ${fx.losses.length} truncated-BPTT batches with PyTorch's losses`, () => {
    const model = new RNNModel('LSTM', c.ntokens, c.emsize, c.nhid, c.nlayers, c.dropout, c.tied);
    expect(model.decoder.weight).toBe(model.encoder.weight);
    // The fixture turns the LSTM's own inter-layer dropout off (its masks come from PyTorch's
    // internal generator); the model's two nn.Dropout calls per batch are replayed.
    model.rnn.dropout = c.rnn_dropout;
    loadInit(model, 'word-language-model');
    const replay = new ReplayDropout(c.dropout, fx.steps.flatMap((s) => s[1]));
    model.drop = replay;
    const offsets: number[] = [];
    const losses = trainEpoch(model, batchify(corpus.train, c.batch_size), {
      lr: c.lr, clip: c.clip, bptt: c.bptt, batchSize: c.batch_size, maxSteps: fx.losses.length,
      onBatch: (_b, i) => offsets.push(i),
    });
    expect(offsets).toEqual(fx.steps.map((s) => s[0]));
    expect(replay.remaining).toBe(0);
    expectTrajectory(losses, fx.losses, 1e-5, 1e-6);
    // The tie survives training: one matrix, updated once per step.
    expect(model.parameters().length).toBe(4 * c.nlayers + 2);
    expect(model.decoder.weight).toBe(model.encoder.weight);
    const val = evaluate(model, batchify(corpus.valid, 10), c.bptt, 10);
    expect(val).toBeGreaterThan(0);
    expect(val).toBeLessThan(Math.log(c.ntokens) + 1);
  });
});
