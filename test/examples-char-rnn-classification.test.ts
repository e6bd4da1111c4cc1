// examples/char-rnn-classification: the port draws the same (language, name) pairs as the
// tutorial's Python `random` and, from PyTorch's initial weights, has PyTorch's loss at every step.
import { describe, it, expect } from 'vitest';
import { PyRandom } from '../src/index.js';
import { RNN, randomTrainingExample, train } from '../examples/char-rnn-classification/train.js';
import { readNames, nLetters } from '../examples/common/data.js';
import { readFixture, loadInit, expectTrajectory } from './helpers/examples.js';

interface Fixture {
  config: { n_hidden: number; learning_rate: number; seed: number; all_categories: string[] };
  steps: Array<[number, string]>;
  losses: number[];
}

describe('examples/char-rnn-classification', () => {
  const fx = readFixture<Fixture>('char-rnn-classification');
  const { categoryLines, allCategories } = readNames();

  it('reads the 18 languages in the tutorial order', () => {
    expect(allCategories).toEqual(fx.config.all_categories);
  });

  it(`trains ${fx.losses.length} steps on the same names with PyTorch's losses`, () => {
    const random = new PyRandom(fx.config.seed);
    const rnn = new RNN(nLetters, fx.config.n_hidden, allCategories.length);
    loadInit(rnn, 'char-rnn-classification');
    const losses: number[] = [];
    for (const [catIndex, name] of fx.steps) {
      const ex = randomTrainingExample(random, categoryLines, allCategories);
      expect([ex.category, ex.line]).toEqual([allCategories[catIndex], name]);
      losses.push(train(rnn, ex.categoryTensor, ex.lineTensor, fx.config.learning_rate)[1]);
    }
    expectTrajectory(losses, fx.losses, 1e-5, 1e-6);
  });
});
