// The article's many-to-one classifier:
//   Embedding(vocab, embedDim, paddingIdx=-1) → RNN|LSTM|GRU(batchFirst) on the packed batch
//   → Linear(hiddenDim, numClasses) on h_n[-1] (top layer's last direction, each sequence's own
//   last step). Sub-module names give PyTorch's state-dict keys: embedding.weight,
//   rnn.weight_ih_l0, ..., fc.weight, fc.bias.
import { Module } from '../nn/module.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { RNN, LSTM, GRU } from '../nn/rnn.js';
import { packPaddedSequence } from '../nn/utils/rnn.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { select } from '../tensor/ops.js';
import { Generator, defaultGenerator } from '../tensor/random.js';
import { checkOptions } from '../util/options.js';

export type CellType = 'rnn' | 'lstm' | 'gru';

export interface RnnClsNetOptions {
  vocabSize: number;
  embedDim: number;
  hiddenDim: number;
  numLayers: number;
  numClasses: number;
  cell?: CellType;
  bidirectional?: boolean;
  dropout?: number;
  dtype?: DType;
  /** Draws the initial weights, then dropout masks (its state is saved with each checkpoint). */
  generator?: Generator;
}

export class RnnClsNet extends Module {
  readonly embedding: Embedding;
  readonly rnn: RNN | LSTM | GRU;
  readonly fc: Linear;
  readonly cell: CellType;

  constructor(readonly opts: RnnClsNetOptions) {
    super();
    checkOptions('RnnClsNet()', opts, ['vocabSize', 'embedDim', 'hiddenDim', 'numLayers', 'numClasses', 'cell', 'bidirectional', 'dropout', 'dtype', 'generator']);
    const gen = opts.generator ?? defaultGenerator;
    const dtype = opts.dtype ?? 'float32';
    this.cell = opts.cell ?? 'rnn';
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(opts.vocabSize, opts.embedDim, { paddingIdx: -1, dtype, generator: gen }),
    );
    const rnnOpts = {
      numLayers: opts.numLayers,
      batchFirst: true,
      dropout: opts.dropout ?? 0,
      bidirectional: opts.bidirectional ?? false,
      dtype,
      generator: gen,
    };
    const make = {
      rnn: () => new RNN(opts.embedDim, opts.hiddenDim, rnnOpts),
      lstm: () => new LSTM(opts.embedDim, opts.hiddenDim, rnnOpts),
      gru: () => new GRU(opts.embedDim, opts.hiddenDim, rnnOpts),
    }[this.cell];
    if (!make) throw new Error(`unknown cell '${opts.cell}' (expected rnn, lstm or gru)`);
    this.rnn = this.registerModule('rnn', make());
    this.fc = this.registerModule('fc', new Linear(opts.hiddenDim, opts.numClasses, { dtype, generator: gen }));

  }

  /**
   * x: int64 [B, T] padded token ids; lengths: int64 [B] (any order) → logits [B, numClasses].
   */
  forward(x: Tensor, lengths: Tensor): Tensor {
    const embedded = this.embedding.forward(x); // [B, T, E]
    const packed = packPaddedSequence(embedded, lengths, { batchFirst: true, enforceSorted: false });
    const [, hidden] = this.rnn.forward(packed);
    const hN = Array.isArray(hidden) ? hidden[0] : hidden; // LSTM gives [h_n, c_n]
    return this.fc.forward(select(hN, 0, -1)); // h_n[-1]: [B, H]
  }
}
