// examples/time-sequence-prediction: generate_sine_wave.py's data, and, from PyTorch's initial
// weights, PyTorch's MSE at every L-BFGS closure call (2 steps × 20 evaluations) and its test loss
// after each step, in float64.
import { describe, it, expect } from 'vitest';
import { Sequence, sineData, split, train } from '../examples/time-sequence-prediction/train.js';
import { readFixture, loadInit, expectTrajectory } from './helpers/examples.js';

interface Fixture {
  config: { steps: number; hidden: number; L: number; N: number; future: number };
  losses: number[];
  test_losses: number[];
}

describe('examples/time-sequence-prediction', () => {
  const fx = readFixture<Fixture>('time-sequence-prediction');
  const c = fx.config;

  it(`matches PyTorch's loss at all ${fx.losses.length} closure calls and its test losses`, () => {
    const s = split(sineData(c.N, c.L));
    expect(s.input.shape).toEqual([c.N - 3, c.L - 1]);
    const seq = new Sequence(c.hidden);
    loadInit(seq, 'time-sequence-prediction');
    const losses: number[] = [];
    const testLosses: number[] = [];
    let predShape: number[] = [];
    train(seq, s, c.steps, c.future, (l) => losses.push(l), (l, pred) => {
      testLosses.push(l);
      predShape = pred.shape;
    });
    // float64, but L-BFGS feeds every difference back through its curvature pairs.
    expectTrajectory(losses, fx.losses, 1e-8, 1e-12);
    expectTrajectory(testLosses, fx.test_losses, 1e-8, 1e-12);
    expect(predShape).toEqual([3, c.L - 1 + c.future]);
  });
});
