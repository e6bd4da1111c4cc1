// examples/pos-tagger trains from PyTorch's initial weights through the tutorial's whole run
// (300 epochs × 2 sentences, SGD lr 0.1) and matches PyTorch's loss at every step.
import { describe, it, expect } from 'vitest';
import { noGrad } from '../src/index.js';
import { makeModel, train, prepareSequence, trainingData, wordToIx } from '../examples/pos-tagger/train.js';
import { readFixture, loadInit, expectTrajectory } from './helpers/examples.js';

interface Fixture {
  losses: number[];
  tag_scores_before: number[][];
  tag_scores_after: number[][];
}

describe('examples/pos-tagger', () => {
  const fx = readFixture<Fixture>('pos-tagger');

  it('has PyTorch tag scores before training and its loss at each of the 600 steps, and its scores after', () => {
    const model = makeModel();
    loadInit(model, 'pos-tagger');
    const inputs = prepareSequence(trainingData[0][0], wordToIx);
    const before = noGrad(() => model.forward(inputs)).toArray() as number[][];
    for (let i = 0; i < before.length; i++) for (let j = 0; j < 3; j++) expect(before[i][j]).toBeCloseTo(fx.tag_scores_before[i][j], 6);
    const losses: number[] = [];
    train(model, 300, (loss) => losses.push(loss));
    // float32 with a different summation order: differences grow to ~1.1e-6 relative over 600 steps.
    expectTrajectory(losses, fx.losses, 2e-5, 1e-6);
    const after = noGrad(() => model.forward(inputs)).toArray() as number[][];
    for (let i = 0; i < after.length; i++) for (let j = 0; j < 3; j++) expect(after[i][j]).toBeCloseTo(fx.tag_scores_after[i][j], 4);
  });
});
