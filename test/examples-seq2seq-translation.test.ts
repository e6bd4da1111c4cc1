// examples/seq2seq-translation: the same vocabularies and padded id matrices as the tutorial's
// prepareData/get_dataloader, and, from PyTorch's initial weights on PyTorch's batches with its
// dropout masks replayed, PyTorch's loss at every step (Adam, teacher forcing).
import { describe, it, expect } from 'vitest';
import { prepareData, pairsToIds, rows, makeSeq2Seq, trainBatch, evaluate } from '../examples/seq2seq-translation/train.js';
import { readFixture, loadInit, expectTrajectory, ReplayDropout } from './helpers/examples.js';

interface Fixture {
  config: { hidden_size: number; batch_size: number; max_length: number; learning_rate: number; n_pairs: number; input_words: number; output_words: number };
  steps: Array<[number[], string[]]>;
  losses: number[];
  translations: Array<[string, string[], number[][]]>;
}

describe('examples/seq2seq-translation', () => {
  const fx = readFixture<Fixture>('seq2seq-translation');
  const c = fx.config;
  const { inputLang, outputLang, pairs } = prepareData(c.max_length);

  it('prepares the pairs and vocabularies the tutorial code does', () => {
    expect(pairs.length).toBe(c.n_pairs);
    expect([inputLang.n_words, outputLang.n_words]).toEqual([c.input_words, c.output_words]);
    expect(pairs[0]).toEqual(['je suis fatigue', 'i am tired']);
    expect(pairs.find((p) => p[1] === 'he is not angry')?.[0]).toBe('il n est pas fache');
  });

  it(`trains ${fx.losses.length} batches with PyTorch's losses`, () => {
    const [inputIds, targetIds] = pairsToIds(pairs, inputLang, outputLang, c.max_length);
    const m = makeSeq2Seq(inputLang.n_words, outputLang.n_words, c.hidden_size, c.max_length, c.learning_rate);
    loadInit(m.encoder, 'seq2seq-translation', 'encoder.');
    loadInit(m.decoder, 'seq2seq-translation', 'decoder.');
    // Each step's masks: the encoder's one call, then the decoder's max_length calls.
    const enc = new ReplayDropout(0.1, fx.steps.map((s) => s[1][0]));
    const dec = new ReplayDropout(0.1, fx.steps.flatMap((s) => s[1].slice(1)));
    m.encoder.dropout = enc;
    m.decoder.dropout = dec;
    const losses = fx.steps.map(([idx]) => trainBatch(m, rows(inputIds, idx, c.max_length), rows(targetIds, idx, c.max_length)));
    expect([enc.remaining, dec.remaining]).toEqual([0, 0]);
    expectTrajectory(losses, fx.losses, 1e-5, 1e-6);
    m.encoder.eval();
    m.decoder.eval();
    // Greedy decoding (no teacher forcing: topk(1) fed back) gives PyTorch's words and attention.
    for (const [fra, words, attn] of fx.translations) {
      const [ours, ourAttn] = evaluate(m, fra, inputLang, outputLang, c.max_length);
      expect(ours).toEqual(words);
      const flat = (ourAttn.tolist() as number[][][])[0].flat();
      attn.flat().forEach((v, i) => expect(Math.abs(flat[i] - v)).toBeLessThan(1e-5));
    }
  });
});
