// Port of PyTorch's seq2seq translation tutorial (French → English, GRU encoder, Bahdanau-attention
// decoder, teacher forcing, Adam, NLLLoss) on examples/data/eng-fra.txt: 728 generated
// "subject is (not/very/a little) adjective" pairs in the tutorial's file format (tools/gen_examples.py
// writes it), so nothing is downloaded. Sentences are padded with zeros to MAX_LENGTH, as in the
// tutorial's get_dataloader. Run: node examples/run.mjs seq2seq-translation [--n_epochs 80]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, Generator, NLLLoss, PyRandom, manualSeed, noGrad, tensor, Tensor } from 'recur';
import { EncoderRNN, AttnDecoderRNN, SOS_token, EOS_token } from './model.js';
import { dataDir, unicodeToAscii } from '../common/data.js';
import { parseFlags } from '../common/args.js';
import { loadWeights } from '../common/weights.js';

export { EncoderRNN, AttnDecoderRNN, SOS_token, EOS_token };

export class Lang {
  word2index: Record<string, number> = {};
  word2count: Record<string, number> = {};
  index2word: Record<number, string> = { 0: 'SOS', 1: 'EOS' };
  n_words = 2; // Count SOS and EOS

  constructor(readonly name: string) {}

  addSentence(sentence: string): void {
    for (const word of sentence.split(' ')) this.addWord(word);
  }

  addWord(word: string): void {
    if (!(word in this.word2index)) {
      this.word2index[word] = this.n_words;
      this.word2count[word] = 1;
      this.index2word[this.n_words] = word;
      this.n_words += 1;
    } else {
      this.word2count[word] += 1;
    }
  }
}

// Lowercase, trim, and remove non-letter characters
export function normalizeString(s: string): string {
  s = unicodeToAscii(s.toLowerCase().trim());
  s = s.replace(/([.!?])/g, ' $1');
  s = s.replace(/[^a-zA-Z!?]+/g, ' ');
  return s.trim();
}

const engPrefixes = ['i am ', 'i m ', 'he is', 'he s ', 'she is', 'she s ', 'you are', 'you re ', 'we are', 'we re ', 'they are', 'they re '];

/** The tutorial's prepareData('eng', 'fra', True): pairs [french, english], filtered by length and prefix. */
export function prepareData(maxLength: number): { inputLang: Lang; outputLang: Lang; pairs: Array<[string, string]> } {
  const lines = readFileSync(join(dataDir(), 'eng-fra.txt'), 'utf8').trim().split('\n');
  let pairs = lines.map((l) => l.split('\t').map(normalizeString).reverse() as [string, string]);
  pairs = pairs.filter((p) => p[0].split(' ').length < maxLength && p[1].split(' ').length < maxLength
    && engPrefixes.some((e) => p[1].startsWith(e)));
  const inputLang = new Lang('fra');
  const outputLang = new Lang('eng');
  for (const [fra, eng] of pairs) {
    inputLang.addSentence(fra);
    outputLang.addSentence(eng);
  }
  return { inputLang, outputLang, pairs };
}

/** Word indices + EOS, zero-padded to maxLength: input_ids and target_ids of get_dataloader, (n, maxLength). */
export function pairsToIds(pairs: Array<[string, string]>, inputLang: Lang, outputLang: Lang, maxLength: number): [Int32Array, Int32Array] {
  const inputIds = new Int32Array(pairs.length * maxLength);
  const targetIds = new Int32Array(pairs.length * maxLength);
  pairs.forEach(([inp, tgt], idx) => {
    const inpIds = [...inp.split(' ').map((w) => inputLang.word2index[w]), EOS_token];
    const tgtIds = [...tgt.split(' ').map((w) => outputLang.word2index[w]), EOS_token];
    inputIds.set(inpIds, idx * maxLength);
    targetIds.set(tgtIds, idx * maxLength);
  });
  return [inputIds, targetIds];
}

/** Rows `idx` of an (n, maxLength) id matrix as an int64 (idx.length, maxLength) tensor. */
export function rows(ids: Int32Array, idx: number[], maxLength: number): Tensor {
  const out = new Int32Array(idx.length * maxLength);
  idx.forEach((r, i) => out.set(ids.subarray(r * maxLength, (r + 1) * maxLength), i * maxLength));
  return new Tensor(out, [idx.length, maxLength], 'int64');
}

export interface Seq2Seq {
  encoder: EncoderRNN;
  decoder: AttnDecoderRNN;
  encoderOptimizer: Adam;
  decoderOptimizer: Adam;
}

export function makeSeq2Seq(inputWords: number, outputWords: number, hiddenSize: number, maxLength: number, lr: number): Seq2Seq {
  const encoder = new EncoderRNN(inputWords, hiddenSize);
  const decoder = new AttnDecoderRNN(hiddenSize, outputWords, maxLength);
  return {
    encoder, decoder,
    encoderOptimizer: new Adam(encoder.parameters(), { lr }),
    decoderOptimizer: new Adam(decoder.parameters(), { lr }),
  };
}

/** One batch of the tutorial's train_epoch: returns the loss. */
export function trainBatch(m: Seq2Seq, inputTensor: Tensor, targetTensor: Tensor): number {
  const criterion = new NLLLoss();
  m.encoderOptimizer.zeroGrad();
  m.decoderOptimizer.zeroGrad();
  const [encoderOutputs, encoderHidden] = m.encoder.forward(inputTensor);
  const [decoderOutputs] = m.decoder.forward(encoderOutputs, encoderHidden, targetTensor);
  const loss = criterion.forward(decoderOutputs.view(-1, decoderOutputs.size(-1)), targetTensor.view(-1));
  loss.backward();
  m.encoderOptimizer.step();
  m.decoderOptimizer.step();
  return loss.item();
}

/** Greedy translation of one sentence (the tutorial's evaluate()): [words, attention weights (1, maxLength, L)]. */
export function evaluate(m: Seq2Seq, sentence: string, inputLang: Lang, outputLang: Lang, maxLength: number): [string[], Tensor] {
  return noGrad(() => {
    const ids = [...sentence.split(' ').map((w) => inputLang.word2index[w]), EOS_token];
    const inputTensor = tensor(ids).view(1, -1);
    const [encoderOutputs, encoderHidden] = m.encoder.forward(inputTensor);
    const [decoderOutputs, , decoderAttn] = m.decoder.forward(encoderOutputs, encoderHidden);
    const [, topi] = decoderOutputs.topk(1);
    const decodedIds = (topi.squeeze().tolist() as number[]);
    const words: string[] = [];
    for (let i = 0; i < maxLength; i++) {
      const idx = decodedIds[i];
      if (idx === EOS_token) {
        words.push('<EOS>');
        break;
      }
      words.push(outputLang.index2word[idx]);
    }
    return [words, decoderAttn];
  });
}

/** A random permutation of 0..n-1 (RandomSampler), Fisher–Yates from `g`. */
export function randperm(n: number, g: Generator): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

export function main(argv: string[]): void {
  const flags = parseFlags(argv, 'node examples/run.mjs seq2seq-translation [flags]', {
    n_epochs: 80, hidden_size: 128, batch_size: 32, learning_rate: 0.001, max_length: 10, seed: 0, print_every: 5, init: '',
  }, {
    n_epochs: 'passes over the pairs', hidden_size: 'GRU and embedding size', batch_size: 'pairs per batch',
    learning_rate: 'Adam learning rate', max_length: 'longest sentence in words, plus EOS',
    seed: 'seed of the weights, dropout and batch order', print_every: 'print the loss every N epochs',
    init: 'start from this state dict (safetensors, keys encoder.* and decoder.*) instead of a fresh init',
  });
  const maxLength = flags.max_length;
  const { inputLang, outputLang, pairs } = prepareData(maxLength);
  console.log(`Read ${pairs.length} sentence pairs; counted words: ${inputLang.name} ${inputLang.n_words}, ${outputLang.name} ${outputLang.n_words}`);
  const [inputIds, targetIds] = pairsToIds(pairs, inputLang, outputLang, maxLength);
  manualSeed(flags.seed);
  const m = makeSeq2Seq(inputLang.n_words, outputLang.n_words, flags.hidden_size, maxLength, flags.learning_rate);
  if (flags.init) {
    loadWeights(m.encoder, flags.init, 'encoder.');
    loadWeights(m.decoder, flags.init, 'decoder.');
  }
  const g = new Generator(flags.seed);
  const start = Date.now();
  let epochLoss = NaN;
  for (let epoch = 1; epoch <= flags.n_epochs; epoch++) {
    const perm = randperm(pairs.length, g);
    let total = 0;
    let nb = 0;
    for (let b = 0; b < pairs.length; b += flags.batch_size) {
      const idx = perm.slice(b, b + flags.batch_size);
      total += trainBatch(m, rows(inputIds, idx, maxLength), rows(targetIds, idx, maxLength));
      nb++;
    }
    epochLoss = total / nb;
    if (epoch % flags.print_every === 0) {
      console.log(`(${((Date.now() - start) / 1000).toFixed(0)}s) epoch ${epoch} ${Math.floor((epoch / flags.n_epochs) * 100)}% loss ${epochLoss.toFixed(4)}`);
    }
  }
  console.log(`final loss (mean over the last epoch) ${epochLoss.toFixed(4)}`);
  m.encoder.eval();
  m.decoder.eval();
  const random = new PyRandom(flags.seed);
  for (let i = 0; i < 5; i++) {
    const [fra, eng] = pairs[random.randint(0, pairs.length - 1)];
    console.log(`> ${fra}\n= ${eng}\n< ${evaluate(m, fra, inputLang, outputLang, maxLength)[0].join(' ')}\n`);
  }
}
