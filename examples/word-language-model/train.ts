// Port of pytorch/examples word_language_model/main.py: a multi-layer LSTM language model with
// dropout and tied weights, trained with truncated backpropagation through time (the hidden state
// is carried across batches but detached), gradient-norm clipping and plain SGD whose learning rate
// is divided by 4 when the validation loss stops improving; reports perplexity = exp(loss).
// Data: examples/data/corpus/{train,valid,test}.txt, a small generated corpus (tools/gen_examples.py)
// in place of Wikitext-2. Run: node examples/run.mjs word-language-model --tied [--epochs 6]
import { join } from 'node:path';
import { NLLLoss, clipGradNorm, manualSeed, noGrad, Tensor } from 'recur';
import { RNNModel } from './model.js';
import type { Hidden } from './model.js';
import { Corpus } from './data.js';
import { dataDir } from '../common/data.js';
import { parseFlags } from '../common/args.js';
import { loadWeights } from '../common/weights.js';

export { RNNModel, Corpus };

export function loadCorpus(): Corpus {
  return new Corpus(join(dataDir(), 'corpus'));
}

// Starting from sequential data, batchify arranges the dataset into columns: (nbatch, bsz), each
// column a contiguous stretch of the text; a few tokens at the end that don't fit are dropped.
export function batchify(data: Tensor, bsz: number): Tensor {
  const nbatch = Math.floor(data.shape[0] / bsz);
  const out = new Int32Array(nbatch * bsz);
  for (let i = 0; i < nbatch; i++) for (let j = 0; j < bsz; j++) out[i * bsz + j] = data.data[j * nbatch + i];
  return new Tensor(out, [nbatch, bsz], 'int64');
}

// Wraps hidden states in new tensors, to detach them from their history (truncated BPTT).
export function repackageHidden(h: Hidden): Hidden {
  return h instanceof Tensor ? h.detach() : [h[0].detach(), h[1].detach()];
}

// get_batch subdivides the source data into chunks of length bptt: data (seq_len, bsz) and the
// next words as targets, flattened to (seq_len·bsz).
export function getBatch(source: Tensor, i: number, bptt: number): [Tensor, Tensor] {
  const seqLen = Math.min(bptt, source.shape[0] - 1 - i);
  const data = source.narrow(0, i, seqLen);
  const target = source.narrow(0, i + 1, seqLen).view(-1);
  return [data, target];
}

export interface TrainOptions {
  lr: number;
  clip: number;
  bptt: number;
  batchSize: number;
  /** Stop after this many batches in total (for tests); undefined runs the whole epoch. */
  maxSteps?: number;
  onBatch?: (batch: number, i: number, loss: number) => void;
}

/** One epoch of main.py's train(); returns the losses of its batches. */
export function trainEpoch(model: RNNModel, trainData: Tensor, o: TrainOptions): number[] {
  const criterion = new NLLLoss();
  // Turn on training mode which enables dropout.
  model.train();
  const losses: number[] = [];
  let hidden = model.initHidden(o.batchSize);
  for (let batch = 0, i = 0; i < trainData.shape[0] - 1; batch++, i += o.bptt) {
    if (o.maxSteps !== undefined && losses.length >= o.maxSteps) break;
    const [data, targets] = getBatch(trainData, i, o.bptt);
    // Starting each batch, we detach the hidden state from how it was previously produced.
    // If we didn't, the model would try backpropagating all the way to start of the dataset.
    model.zeroGrad();
    hidden = repackageHidden(hidden);
    let output: Tensor;
    [output, hidden] = model.forward(data, hidden);
    const loss = criterion.forward(output, targets);
    loss.backward();
    // clipGradNorm helps prevent the exploding gradient problem in RNNs / LSTMs.
    clipGradNorm(model.parameters(), o.clip);
    // p.data.add_(p.grad, alpha=-lr), element by element
    for (const p of model.parameters()) {
      const d = p.data;
      const g = p.grad!.data;
      for (let k = 0; k < d.length; k++) d[k] += -o.lr * g[k];
    }
    losses.push(loss.item());
    o.onBatch?.(batch, i, loss.item());
  }
  return losses;
}

/** main.py's evaluate(): mean loss per token over `dataSource` (eval mode, no gradients). */
export function evaluate(model: RNNModel, dataSource: Tensor, bptt: number, evalBatchSize: number): number {
  model.eval();
  const criterion = new NLLLoss();
  let totalLoss = 0;
  let hidden = model.initHidden(evalBatchSize);
  noGrad(() => {
    for (let i = 0; i < dataSource.shape[0] - 1; i += bptt) {
      const [data, targets] = getBatch(dataSource, i, bptt);
      let output: Tensor;
      [output, hidden] = model.forward(data, hidden);
      hidden = repackageHidden(hidden);
      totalLoss += data.size(0) * criterion.forward(output, targets).item();
    }
  });
  return totalLoss / (dataSource.shape[0] - 1);
}

export function main(argv: string[]): void {
  const args = parseFlags(argv, 'node examples/run.mjs word-language-model [flags]', {
    model: 'LSTM', emsize: 200, nhid: 200, nlayers: 2, lr: 20, clip: 0.25, epochs: 40, batch_size: 20, bptt: 35,
    dropout: 0.2, tied: false, seed: 1111, log_interval: 200, init: '',
  }, {
    model: 'type of recurrent net (LSTM, GRU)', emsize: 'size of word embeddings', nhid: 'number of hidden units per layer',
    nlayers: 'number of layers', lr: 'initial learning rate', clip: 'gradient clipping', epochs: 'upper epoch limit',
    batch_size: 'batch size', bptt: 'sequence length', dropout: 'dropout applied to layers (0 = no dropout)',
    tied: 'tie the word embedding and softmax weights', seed: 'random seed', log_interval: 'report interval',
    init: 'start from this state dict (safetensors, PyTorch keys) instead of a fresh init',
  });
  manualSeed(args.seed);
  const corpus = loadCorpus();
  const evalBatchSize = 10;
  const trainData = batchify(corpus.train, args.batch_size);
  const valData = batchify(corpus.valid, evalBatchSize);
  const testData = batchify(corpus.test, evalBatchSize);
  const ntokens = corpus.dictionary.length;
  const model = new RNNModel(args.model as 'LSTM' | 'GRU', ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied);
  if (args.init) loadWeights(model, args.init);
  let lr = args.lr;
  let bestValLoss: number | null = null;
  const nBatches = Math.floor(trainData.shape[0] / args.bptt);
  for (let epoch = 1; epoch <= args.epochs; epoch++) {
    const epochStart = Date.now();
    let totalLoss = 0;
    let start = Date.now();
    trainEpoch(model, trainData, {
      lr, clip: args.clip, bptt: args.bptt, batchSize: args.batch_size,
      onBatch: (batch, _i, loss) => {
        totalLoss += loss;
        if (batch % args.log_interval === 0 && batch > 0) {
          const curLoss = totalLoss / args.log_interval;
          const ms = (Date.now() - start) / args.log_interval;
          console.log(`| epoch ${epoch} | ${batch}/${nBatches} batches | lr ${lr.toFixed(2)} | ms/batch ${ms.toFixed(2)} | loss ${curLoss.toFixed(2)} | ppl ${Math.exp(curLoss).toFixed(2)}`);
          totalLoss = 0;
          start = Date.now();
        }
      },
    });
    const valLoss = evaluate(model, valData, args.bptt, evalBatchSize);
    console.log(`| end of epoch ${epoch} | time: ${((Date.now() - epochStart) / 1000).toFixed(2)}s | valid loss ${valLoss.toFixed(2)} | valid ppl ${Math.exp(valLoss).toFixed(2)}`);
    // Anneal the learning rate if no improvement has been seen in the validation dataset.
    if (bestValLoss === null || valLoss < bestValLoss) bestValLoss = valLoss;
    else lr /= 4.0;
  }
  // main.py reloads the best model here; this port keeps the last one (no checkpoint file).
  const testLoss = evaluate(model, testData, args.bptt, evalBatchSize);
  console.log(`| End of training | test loss ${testLoss.toFixed(2)} | test ppl ${Math.exp(testLoss).toFixed(2)}`);
}
