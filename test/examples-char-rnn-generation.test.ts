// examples/char-rnn-generation: the same (language, name) pairs as the tutorial's Python `random`,
// PyTorch's dropout masks replayed, PyTorch's loss at every step and its greedy samples afterwards.
import { describe, it, expect } from 'vitest';
import { PyRandom, Generator } from '../src/index.js';
import {
  RNN, nLetters, randomChoice, train, sample, categoryTensor, inputTensor, targetTensor,
} from '../examples/char-rnn-generation/train.js';
import { readNames } from '../examples/common/data.js';
import { readFixture, loadInit, expectTrajectory, ReplayDropout } from './helpers/examples.js';

interface Fixture {
  config: { n_hidden: number; learning_rate: number; seed: number };
  steps: Array<[number, string, string[]]>;
  losses: number[];
  samples: Record<string, string[]>;
}

describe('examples/char-rnn-generation', () => {
  const fx = readFixture<Fixture>('char-rnn-generation');
  const { categoryLines, allCategories } = readNames();

  function trained(): RNN {
    const random = new PyRandom(fx.config.seed);
    const rnn = new RNN(allCategories.length, nLetters, fx.config.n_hidden, nLetters);
    loadInit(rnn, 'char-rnn-generation');
    const replay = new ReplayDropout(0.1, fx.steps.flatMap((s) => s[2]));
    rnn.dropout = replay;
    const losses: number[] = [];
    for (const [catIndex, name] of fx.steps) {
      const category = randomChoice(random, allCategories);
      const line = randomChoice(random, categoryLines[category]);
      expect([category, line]).toEqual([allCategories[catIndex], name]);
      losses.push(train(rnn, categoryTensor(category, allCategories), inputTensor(line), targetTensor(line), fx.config.learning_rate)[1]);
    }
    expect(replay.remaining).toBe(0);
    expectTrajectory(losses, fx.losses, 1e-5, 1e-6);
    return rnn;
  }

  it(`trains ${fx.losses.length} steps with PyTorch's dropout masks and losses, then samples its names`, () => {
    const rnn = trained();
    rnn.eval();
    for (const [category, names] of Object.entries(fx.samples)) {
      expect([...'ABC'].map((c) => sample(rnn, category, allCategories, c))).toEqual(names);
    }
  });

  it('samples with a temperature from a seeded generator: repeatable, letters only, at most 21 characters', () => {
    const rnn = trained();
    rnn.eval();
    const draw = (seed: number) => {
      const g = new Generator(seed);
      return [...'ABCDEFGH'].map((c) => sample(rnn, 'Russian', allCategories, c, 1.0, g));
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
    for (const n of a) expect(n).toMatch(/^[A-Za-z .,;']{1,21}$/);
    // At temperature 1 an untrained-ish model rarely repeats the greedy name for every letter.
    expect(a).not.toEqual([...'ABCDEFGH'].map((c) => sample(rnn, 'Russian', allCategories, c)));
  });
});
