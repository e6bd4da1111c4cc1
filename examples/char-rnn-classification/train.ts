// Port of PyTorch's "NLP From Scratch: Classifying Names with a Character-Level RNN": one random
// (language, name) pair per step, chosen with Python's `random` (recur's PyRandom draws the same
// pairs for the same seed), NLLLoss on the output after the last letter, plain SGD by hand.
// Run: node examples/run.mjs char-rnn-classification [--n_iters 100000]
import { NLLLoss, PyRandom, manualSeed, noGrad, tensor, zeros, Tensor } from 'recur';
import { RNN } from './model.js';
import { readNames, allLetters, nLetters } from '../common/data.js';
import { parseFlags } from '../common/args.js';
import { loadWeights } from '../common/weights.js';

export { RNN };

// Find letter index from allLetters, e.g. "a" = 0
export function letterToIndex(letter: string): number {
  return allLetters.indexOf(letter);
}

// Turn a line into a <line_length x 1 x n_letters>, an array of one-hot letter vectors
export function lineToTensor(line: string): Tensor {
  const t = zeros([line.length, 1, nLetters]);
  for (let li = 0; li < line.length; li++) t.data[li * nLetters + letterToIndex(line[li])] = 1;
  return t;
}

// Interpret the output of the network, a likelihood of each category: Tensor.topk gives the index of the greatest value.
export function categoryFromOutput(output: Tensor, allCategories: string[]): [string, number] {
  const [, topI] = output.topk(1);
  const categoryI = topI.item();
  return [allCategories[categoryI], categoryI];
}

export function randomChoice<T>(random: PyRandom, l: T[]): T {
  return l[random.randint(0, l.length - 1)];
}

export interface Example {
  category: string;
  line: string;
  categoryTensor: Tensor;
  lineTensor: Tensor;
}

export function randomTrainingExample(random: PyRandom, categoryLines: Record<string, string[]>, allCategories: string[]): Example {
  const category = randomChoice(random, allCategories);
  const line = randomChoice(random, categoryLines[category]);
  const categoryTensor = tensor([allCategories.indexOf(category)]);
  return { category, line, categoryTensor, lineTensor: lineToTensor(line) };
}

/** One training step of the tutorial's train(): returns the last output and the loss. */
export function train(rnn: RNN, categoryTensor: Tensor, lineTensor: Tensor, learningRate: number): [Tensor, number] {
  const criterion = new NLLLoss();
  let hidden = rnn.initHidden();
  rnn.zeroGrad();
  let output!: Tensor;
  for (let i = 0; i < lineTensor.size(0); i++) [output, hidden] = rnn.forward(lineTensor.index(i), hidden);
  const loss = criterion.forward(output, categoryTensor);
  loss.backward();
  // Add parameters' gradients to their values, multiplied by learning rate
  for (const p of rnn.parameters()) {
    const d = p.data;
    const g = p.grad!.data;
    for (let k = 0; k < d.length; k++) d[k] += -learningRate * g[k];
  }
  return [output, loss.item()];
}

/** The output for a name, as in the tutorial's evaluate(). */
export function evaluate(rnn: RNN, lineTensor: Tensor): Tensor {
  return noGrad(() => {
    let hidden = rnn.initHidden();
    let output!: Tensor;
    for (let i = 0; i < lineTensor.size(0); i++) [output, hidden] = rnn.forward(lineTensor.index(i), hidden);
    return output;
  });
}

export function main(argv: string[]): void {
  const flags = parseFlags(argv, 'node examples/run.mjs char-rnn-classification [flags]', {
    n_iters: 100000, n_hidden: 128, learning_rate: 0.005, seed: 0, print_every: 5000, plot_every: 1000, init: '',
  }, {
    n_iters: 'training steps, one name each', n_hidden: 'hidden size', learning_rate: 'SGD step size',
    seed: 'seed of the example sampler (Python random) and of the initial weights',
    print_every: 'print a sample prediction every N steps', plot_every: 'average the loss over N steps',
    init: 'start from this state dict (safetensors, PyTorch keys) instead of a fresh init',
  });
  const { categoryLines, allCategories } = readNames();
  const random = new PyRandom(flags.seed);
  manualSeed(flags.seed);
  const rnn = new RNN(nLetters, flags.n_hidden, allCategories.length);
  if (flags.init) loadWeights(rnn, flags.init);
  const start = Date.now();
  let currentLoss = 0;
  let lastAvg = NaN;
  for (let iter = 1; iter <= flags.n_iters; iter++) {
    const { category, line, categoryTensor, lineTensor } = randomTrainingExample(random, categoryLines, allCategories);
    const [output, loss] = train(rnn, categoryTensor, lineTensor, flags.learning_rate);
    currentLoss += loss;
    if (iter % flags.print_every === 0) {
      const guess = categoryFromOutput(output, allCategories)[0];
      const correct = guess === category ? '✓' : `✗ (${category})`;
      const secs = ((Date.now() - start) / 1000).toFixed(0);
      console.log(`${iter} ${Math.floor((iter / flags.n_iters) * 100)}% (${secs}s) ${loss.toFixed(4)} ${line} / ${guess} ${correct}`);
    }
    if (iter % flags.plot_every === 0) {
      lastAvg = currentLoss / flags.plot_every;
      currentLoss = 0;
    }
  }
  // With fewer than plot_every steps, the mean of all of them.
  const window = Math.min(flags.plot_every, flags.n_iters);
  if (Number.isNaN(lastAvg)) lastAvg = currentLoss / window;
  console.log(`final loss (mean of the last ${window} steps) ${lastAvg.toFixed(4)}`);
  for (const name of ['Dovesky', 'Jackson', 'Satoshi']) {
    const output = evaluate(rnn, lineToTensor(name));
    // Get top N categories
    const [topv, topi] = output.topk(3, 1, true);
    const [values, indices] = [topv.tolist() as number[][], topi.tolist() as number[][]];
    console.log(`> ${name}: ${values[0].map((v, i) => `(${v.toFixed(2)}) ${allCategories[indices[0][i]]}`).join(' ')}`);
  }
}
