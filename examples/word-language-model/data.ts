// word_language_model/data.py: a dictionary of the words in train/valid/test (one '<eos>' per
// line), and each file as one long int64 tensor of word ids.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from 'recur';

export class Dictionary {
  word2idx: Record<string, number> = {};
  idx2word: string[] = [];

  addWord(word: string): number {
    if (!(word in this.word2idx)) {
      this.idx2word.push(word);
      this.word2idx[word] = this.idx2word.length - 1;
    }
    return this.word2idx[word];
  }

  get length(): number {
    return this.idx2word.length;
  }
}

/** The lines of a text file as Python iterates them (no empty last line after the final newline). */
function lines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

const words = (line: string): string[] => line.split(/\s+/).filter((w) => w !== '');

export class Corpus {
  dictionary = new Dictionary();
  train: Tensor;
  valid: Tensor;
  test: Tensor;

  constructor(path: string) {
    this.train = this.tokenize(join(path, 'train.txt'));
    this.valid = this.tokenize(join(path, 'valid.txt'));
    this.test = this.tokenize(join(path, 'test.txt'));
  }

  /** Tokenizes a text file. */
  tokenize(path: string): Tensor {
    const ls = lines(path);
    // Add words to the dictionary
    for (const line of ls) for (const word of [...words(line), '<eos>']) this.dictionary.addWord(word);
    // Tokenize file content
    const ids: number[] = [];
    for (const line of ls) for (const word of [...words(line), '<eos>']) ids.push(this.dictionary.word2idx[word]);
    return new Tensor(Int32Array.from(ids), [ids.length], 'int64');
  }
}
