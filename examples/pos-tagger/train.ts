// Port of the POS-tagging part of PyTorch's "Sequence Models and Long Short-Term Memory Networks"
// tutorial: two sentences, SGD(lr=0.1), NLLLoss, 300 epochs. Run: node examples/run.mjs pos-tagger
import { NLLLoss, manualSeed, noGrad, tensor, SGD, Tensor } from 'recur';
import { LSTMTagger } from './model.js';
import { parseFlags } from '../common/args.js';
import { loadWeights } from '../common/weights.js';

export { LSTMTagger };

export function prepareSequence(seq: string[], toIx: Record<string, number>): Tensor {
  return tensor(seq.map((w) => toIx[w])); // integers → int64, as torch.tensor(idxs, dtype=torch.long)
}

export const trainingData: Array<[string[], string[]]> = [
  ['The dog ate the apple'.split(' '), ['DET', 'NN', 'V', 'DET', 'NN']],
  ['Everybody read that book'.split(' '), ['NN', 'V', 'DET', 'NN']],
];

export const wordToIx: Record<string, number> = {};
for (const [sent] of trainingData) {
  for (const word of sent) if (!(word in wordToIx)) wordToIx[word] = Object.keys(wordToIx).length;
}
export const tagToIx: Record<string, number> = { DET: 0, NN: 1, V: 2 };

// These will usually be more like 32 or 64 dimensional. We will keep them small.
export const EMBEDDING_DIM = 6;
export const HIDDEN_DIM = 6;

export function makeModel(): LSTMTagger {
  return new LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, Object.keys(wordToIx).length, Object.keys(tagToIx).length);
}

/** Trains `model` for `epochs` passes over trainingData; `onLoss` sees every step's loss. */
export function train(model: LSTMTagger, epochs: number, onLoss: (loss: number, epoch: number, i: number) => void = () => {}): void {
  const lossFunction = new NLLLoss();
  const optimizer = new SGD(model.parameters(), { lr: 0.1 });
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [i, [sentence, tags]] of trainingData.entries()) {
      // Step 1. Remember that recur, like PyTorch, accumulates gradients: clear them first.
      model.zeroGrad();
      // Step 2. Get our inputs ready for the network, that is, turn them into tensors of word indices.
      const sentenceIn = prepareSequence(sentence, wordToIx);
      const targets = prepareSequence(tags, tagToIx);
      // Step 3. Run our forward pass.
      const tagScores = model.forward(sentenceIn);
      // Step 4. Compute the loss, gradients, and update the parameters by calling optimizer.step()
      const loss = lossFunction.forward(tagScores, targets);
      loss.backward();
      optimizer.step();
      onLoss(loss.item(), epoch, i);
    }
  }
}

export function main(argv: string[]): void {
  const flags = parseFlags(argv, 'node examples/run.mjs pos-tagger [flags]', { epochs: 300, seed: 1, init: '' }, {
    epochs: 'passes over the two training sentences (the tutorial: 300)',
    seed: 'manualSeed for the initial weights',
    init: 'start from this state dict (safetensors, PyTorch keys) instead of a fresh init',
  });
  manualSeed(flags.seed);
  const model = makeModel();
  if (flags.init) loadWeights(model, flags.init);
  // See what the scores are before training. Element i,j of the output is the score for tag j for word i.
  noGrad(() => console.log(model.forward(prepareSequence(trainingData[0][0], wordToIx)).toString()));
  let last = NaN;
  let epochLoss = 0;
  train(model, flags.epochs, (loss, epoch, i) => {
    last = loss;
    epochLoss += loss;
    if (i === trainingData.length - 1) {
      if ((epoch + 1) % 50 === 0) console.log(`epoch ${epoch + 1} mean loss ${(epochLoss / trainingData.length).toFixed(6)}`);
      epochLoss = 0;
    }
  });
  // See what the scores are after training: the tags of "The dog ate the apple" should be DET NOUN VERB DET NOUN.
  noGrad(() => {
    const scores = model.forward(prepareSequence(trainingData[0][0], wordToIx));
    console.log(scores.toString());
    const ixToTag = Object.keys(tagToIx);
    console.log('predicted tags:', scores.argmax(1).toArray().map((i: number) => ixToTag[i]).join(' '));
  });
  console.log(`final loss ${last.toFixed(6)}`);
}
