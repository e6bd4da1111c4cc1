// Port of pytorch/examples time_sequence_prediction (generate_sine_wave.py + train.py): learn sine
// waves with two LSTMCells, MSE loss, L-BFGS (lr 0.8); train on waves 3..N-1 to predict the next
// value, test on waves 0..2 and extrapolate `future` steps. The data is generated as
// generate_sine_wave.py does: x[n, t] = t + shift[n], data = sin(x / T) with T = 20; the shifts are
// numpy's randint(-4T, 4T, N) after np.random.seed(2), listed below so no numpy is needed.
// Run: node examples/run.mjs time-sequence-prediction [--steps 15]
import { MSELoss, Tensor, manualSeed, noGrad } from 'recur';
import { Sequence } from './model.js';
import { LBFGS } from './lbfgs.js';
import { parseFlags } from '../common/args.js';
import { loadWeights } from '../common/weights.js';

export { Sequence, LBFGS };

/** numpy: np.random.seed(2); np.random.randint(-80, 80, 100) (any N ≤ 100 takes the first N). */
export const NUMPY_SHIFTS = [
  -65, -8, -58, -37, -5, 24, -73, 15, -5, -33, -17, -49, 68, 44, 36, -43, 22, -76, 27, -29, 23, -42, -47, -22, 44,
  -13, -11, 8, -34, 15, 41, -49, 0, -28, -30, 52, -17, -31, -41, 56, -65, 56, 65, 70, 37, -7, 25, 30, 3, 16, -37, -48,
  -54, 56, -4, 58, -40, -46, -20, 57, -10, 6, -61, -24, 49, -12, 1, -19, 45, 17, 66, 7, 70, -37, -28, -64, -25, 43, 69,
  -37, -10, -21, -63, 63, 78, -54, -41, -17, 68, 70, 20, -53, -80, -18, 12, -44, -17, -5, 30, -30,
];

/** generate_sine_wave.py: (N, L) float64 sin((t + shift[n]) / T). */
export function sineData(N = 100, L = 1000, T = 20): Tensor {
  if (N > NUMPY_SHIFTS.length) throw new Error(`sineData: at most ${NUMPY_SHIFTS.length} waves`);
  const d = new Float64Array(N * L);
  for (let n = 0; n < N; n++) for (let t = 0; t < L; t++) d[n * L + t] = Math.sin((t + NUMPY_SHIFTS[n]) / 1.0 / T);
  return new Tensor(d, [N, L], 'float64');
}

/** Rows [r0, r1) and columns [c0, c1) of a (N, L) tensor (numpy's data[r0:r1, c0:c1]). */
export function slice2d(x: Tensor, r0: number, r1: number, c0: number, c1: number): Tensor {
  return x.narrow(0, r0, r1 - r0).narrow(1, c0, c1 - c0).clone();
}

export interface Split {
  input: Tensor;
  target: Tensor;
  testInput: Tensor;
  testTarget: Tensor;
}

export function split(data: Tensor): Split {
  const [N, L] = data.shape;
  return {
    input: slice2d(data, 3, N, 0, L - 1),
    target: slice2d(data, 3, N, 1, L),
    testInput: slice2d(data, 0, 3, 0, L - 1),
    testTarget: slice2d(data, 0, 3, 1, L),
  };
}

/**
 * `steps` L-BFGS steps; `onLoss` sees the loss of every closure call, `onTest` the test loss and
 * predictions (3, L-1+future) after each step.
 */
export function train(
  seq: Sequence, s: Split, steps: number, future: number,
  onLoss: (loss: number) => void = () => {}, onTest: (loss: number, pred: Tensor) => void = () => {},
): void {
  const criterion = new MSELoss();
  // use LBFGS as optimizer since we can load the whole data to train
  const optimizer = new LBFGS(seq.parameters(), { lr: 0.8 });
  for (let i = 0; i < steps; i++) {
    optimizer.step(() => {
      optimizer.zeroGrad();
      const out = seq.forward(s.input);
      const loss = criterion.forward(out, s.target);
      onLoss(loss.item());
      loss.backward();
      return loss.item();
    });
    // begin to predict, no need to track gradient here
    noGrad(() => {
      const pred = seq.forward(s.testInput, future);
      const loss = criterion.forward(pred.narrow(1, 0, pred.size(1) - future), s.testTarget);
      onTest(loss.item(), pred);
    });
  }
}

export function main(argv: string[]): void {
  const opt = parseFlags(argv, 'node examples/run.mjs time-sequence-prediction [flags]', {
    steps: 15, hidden: 51, waves: 100, length: 1000, future: 1000, seed: 0, init: '',
  }, {
    steps: 'L-BFGS steps (up to 20 evaluations each)', hidden: 'LSTMCell hidden size (the example: 51)',
    waves: 'number of sine waves N (the first 3 are the test set)', length: 'samples per wave L',
    future: 'steps to extrapolate after the test input', seed: 'seed of the initial weights',
    init: 'start from this state dict (safetensors, PyTorch keys) instead of a fresh init',
  });
  manualSeed(opt.seed);
  const s = split(sineData(opt.waves, opt.length));
  const seq = new Sequence(opt.hidden);
  if (opt.init) loadWeights(seq, opt.init);
  let step = 0;
  let last = NaN;
  train(seq, s, opt.steps, opt.future, (loss) => {
    last = loss;
    console.log('loss:', loss);
  }, (loss) => {
    console.log(`STEP: ${step++} test loss: ${loss}`);
  });
  console.log(`final loss (last closure call) ${last}`);
}
