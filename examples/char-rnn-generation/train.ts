// Port of PyTorch's "NLP From Scratch: Generating Names with a Character-Level RNN": one random
// (language, name) pair per step (Python's `random`, reproduced by recur's PyRandom), the summed
// NLLLoss of predicting every next letter (the last target is EOS), plain SGD by hand. Names are then
// generated letter by letter from a start letter: the tutorial takes the most likely letter
// (topk(1)); --temperature T > 0 draws each letter with probability ∝ exp(log-prob / T) (multinomial,
// seeded generator).
// Run: node examples/run.mjs char-rnn-generation [--n_iters 100000] [--temperature 0.8]
import { NLLLoss, PyRandom, Generator, manualSeed, multinomial, noGrad, tensor, zeros, Tensor } from 'recur';
import { RNN } from './model.js';
import { readNames, allLetters } from '../common/data.js';
import { parseFlags } from '../common/args.js';
import { loadWeights } from '../common/weights.js';

export { RNN };

export const nLetters = allLetters.length + 1; // Plus EOS marker
export const EOS = nLetters - 1;
export const maxLength = 20;

export function randomChoice<T>(random: PyRandom, l: T[]): T {
  return l[random.randint(0, l.length - 1)];
}

// One-hot vector for category
export function categoryTensor(category: string, allCategories: string[]): Tensor {
  const t = zeros([1, allCategories.length]);
  t.data[allCategories.indexOf(category)] = 1;
  return t;
}

// One-hot matrix of first to last letters (not including EOS) for input
export function inputTensor(line: string): Tensor {
  const t = zeros([line.length, 1, nLetters]);
  for (let li = 0; li < line.length; li++) t.data[li * nLetters + allLetters.indexOf(line[li])] = 1;
  return t;
}

// int64 tensor (tensor() of integers) of second letter to end (EOS) for target
export function targetTensor(line: string): Tensor {
  const letterIndexes = [...line.slice(1)].map((c) => allLetters.indexOf(c));
  letterIndexes.push(EOS);
  return tensor(letterIndexes);
}

/** One step of the tutorial's train(): returns the last output and the loss per letter. */
export function train(rnn: RNN, categoryT: Tensor, inputLineTensor: Tensor, targetLineTensor: Tensor, learningRate: number): [Tensor, number] {
  const criterion = new NLLLoss();
  const target = targetLineTensor.unsqueeze(-1);
  let hidden = rnn.initHidden();
  rnn.zeroGrad();
  let loss: Tensor = zeros([1]);
  let output!: Tensor;
  for (let i = 0; i < inputLineTensor.size(0); i++) {
    [output, hidden] = rnn.forward(categoryT, inputLineTensor.index(i), hidden);
    const l = criterion.forward(output, target.index(i));
    loss = loss.add(l);
  }
  loss.backward();
  // p.data.add_(p.grad.data, alpha=-learning_rate), element by element
  for (const p of rnn.parameters()) {
    const d = p.data;
    const g = p.grad!.data;
    for (let k = 0; k < d.length; k++) d[k] += -learningRate * g[k];
  }
  return [output, loss.item() / inputLineTensor.size(0)];
}

/**
 * Generates a name from a category and a start letter (the tutorial's sample()). temperature 0
 * takes the most likely letter; T > 0 samples from softmax(log-probs / T) with `generator`.
 */
export function sample(
  rnn: RNN, category: string, allCategories: string[], startLetter = 'A', temperature = 0, generator?: Generator,
): string {
  return noGrad(() => {
    const categoryT = categoryTensor(category, allCategories);
    let input = inputTensor(startLetter);
    let hidden = rnn.initHidden();
    let outputName = startLetter;
    for (let i = 0; i < maxLength; i++) {
      let output: Tensor;
      [output, hidden] = rnn.forward(categoryT, input.index(0), hidden);
      let topi: number;
      if (temperature > 0) {
        // Sample from the network as a multinomial distribution over letters, sharpened or flattened by the temperature
        const outputDist = output.view(-1).div(temperature).exp();
        topi = multinomial(outputDist, 1, { generator }).item();
      } else {
        const [, top] = output.topk(1);
        topi = top.item();
      }
      if (topi === EOS) break;
      const letter = allLetters[topi];
      outputName += letter;
      input = inputTensor(letter);
    }
    return outputName;
  });
}

export function main(argv: string[]): void {
  const flags = parseFlags(argv, 'node examples/run.mjs char-rnn-generation [flags]', {
    n_iters: 100000, n_hidden: 128, learning_rate: 0.0005, seed: 0, print_every: 5000, plot_every: 500,
    temperature: 0, start_letters: 'RUS', init: '',
  }, {
    n_iters: 'training steps, one name each', n_hidden: 'hidden size', learning_rate: 'SGD step size',
    seed: 'seed of the example sampler (Python random), the initial weights, dropout and sampling',
    print_every: 'print progress every N steps', plot_every: 'average the loss over N steps',
    temperature: '0: most likely letter (the tutorial); > 0: sample letters at this temperature',
    start_letters: 'start letters of the generated names',
    init: 'start from this state dict (safetensors, PyTorch keys) instead of a fresh init',
  });
  const { categoryLines, allCategories } = readNames();
  const random = new PyRandom(flags.seed);
  manualSeed(flags.seed);
  const rnn = new RNN(allCategories.length, nLetters, flags.n_hidden, nLetters);
  if (flags.init) loadWeights(rnn, flags.init);
  const start = Date.now();
  let totalLoss = 0;
  let lastAvg = NaN;
  for (let iter = 1; iter <= flags.n_iters; iter++) {
    const category = randomChoice(random, allCategories);
    const line = randomChoice(random, categoryLines[category]);
    const [, loss] = train(rnn, categoryTensor(category, allCategories), inputTensor(line), targetTensor(line), flags.learning_rate);
    totalLoss += loss;
    if (iter % flags.print_every === 0) {
      console.log(`${iter} ${Math.floor((iter / flags.n_iters) * 100)}% (${((Date.now() - start) / 1000).toFixed(0)}s) ${loss.toFixed(4)}`);
    }
    if (iter % flags.plot_every === 0) {
      lastAvg = totalLoss / flags.plot_every;
      totalLoss = 0;
    }
  }
  // With fewer than plot_every steps, the mean of all of them.
  const window = Math.min(flags.plot_every, flags.n_iters);
  if (Number.isNaN(lastAvg)) lastAvg = totalLoss / window;
  console.log(`final loss (mean of the last ${window} steps) ${lastAvg.toFixed(4)}`);
  rnn.eval();
  const gen = new Generator(flags.seed);
  for (const category of ['Russian', 'German', 'Spanish', 'Chinese']) {
    const names = [...flags.start_letters].map((c) => sample(rnn, category, allCategories, c, flags.temperature, gen));
    console.log(`${category}: ${names.join(' ')}`);
  }
}
