// Trainer trains any Module whose forward(inputs, lengths) gives logits, with any loss: a model the
// user composed (Embedding → 2-layer LSTM on the packed batch → a two-layer head on the mean of the
// outputs) trains with the same bits as the plain PyTorch-style loop over the same data, resumes
// bit-exactly, and bad options get clear errors.
import { describe, expect, it } from 'vitest';
import { Trainer, makeScheduler, streamSeed } from '../src/train/trainer.js';
import { resolveConfig } from '../src/train/config.js';
import { Module } from '../src/nn/module.js';
import { Embedding } from '../src/nn/embedding.js';
import { Linear } from '../src/nn/linear.js';
import { LSTM, GRU } from '../src/nn/rnn.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';
import { packPaddedSequence, padPackedSequence } from '../src/nn/utils/pack.js';
import { crossEntropy } from '../src/nn/loss.js';
import { Adam } from '../src/optim/adam.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Generator } from '../src/tensor/random.js';
import { getTask } from '../src/tasks/registry.js';

/** Embedding → LSTM(2 layers, packed) → mean of each sequence's outputs → Linear → tanh → Linear. */
class MeanPoolNet extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM;
  readonly hidden: Linear;
  readonly out: Linear;
  constructor(gen: Generator, vocab: number, classes: number) {
    super();
    this.embedding = new Embedding(vocab, 6, { paddingIdx: -1, generator: gen });
    this.rnn = new LSTM(6, 12, { numLayers: 2, batchFirst: true, generator: gen });
    this.hidden = new Linear(12, 16, { generator: gen });
    this.out = new Linear(16, classes, { generator: gen });
  }

  forward(inputs: Tensor, lengths: Tensor): Tensor {
    const packed = packPaddedSequence(this.embedding.forward(inputs), lengths, { batchFirst: true, enforceSorted: false });
    const [o] = this.rnn.forward(packed) as [PackedSequence, unknown];
    const [padded, lens] = padPackedSequence(o, { batchFirst: true }); // [B, T, H], zeros past each end
    const mean = padded.sum(1).div(lens.to('float32').unsqueeze(1)); // [B, H]
    return this.out.forward(this.hidden.forward(mean).tanh());
  }
}

/** A loss other than the default: cross-entropy plus 0.01 × the mean squared logit. */
const penalised = (logits: Tensor, targets: Tensor): Tensor => crossEntropy(logits, targets).add(logits.mul(logits).mean().mul(0.01));

const config = resolveConfig({ seed: 21, batch_size: 8, lr: 0.01, warmup_step: 3, total_steps: 40 });
const task = getTask(config.task);
const vocab = task.vocabSize(config), classes = task.numClasses(config);
const build = (gen: Generator) => new MeanPoolNet(gen, vocab, classes);
const bits = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? 0 : v));

describe('Trainer with a model and a loss of the caller', () => {
  it('trains with the bits of the plain loop over the same data (zero_grad, forward, loss, backward, step, schedule)', () => {
    const t = new Trainer(config, { model: build, loss: penalised });
    expect(t.model).toBeInstanceOf(MeanPoolNet);

    const gen = new Generator(config.seed!);
    const model = build(gen);
    const opt = new Adam(model.parameters(), { lr: config.lr });
    const sched = makeScheduler(opt, config);
    const stream = task.stream(config, new Generator(streamSeed(config.seed!, 'data')));
    for (let s = 0; s < 8; s++) {
      const batch = Array.from({ length: config.batch_size }, () => stream.next());
      const { inputs, lengths, targets } = task.collate(batch, config);
      opt.zeroGrad();
      const loss = penalised(model.forward(inputs, lengths), targets);
      loss.backward();
      opt.step();
      sched.step();
      const r = t.trainStep();
      expect(r.loss, `step ${s + 1}`).toBe(loss.item());
    }
    // the Trainer's Adam took one update over its flat buffers every step; the plain loop's per tensor
    expect(t.optimizer.flatSteps).toBe(8);
    expect(opt.flatSteps).toBe(0);
    const mine = t.model.stateDict(), theirs = model.stateDict();
    for (const k of Object.keys(theirs)) expect(bits(mine[k].data), k).toEqual(bits(theirs[k].data));
    // the penalty is in the loss: the default loss gives other numbers from the same start
    const plain = new Trainer(config, { model: build });
    const other = new Trainer(config, { model: build, loss: penalised });
    expect(plain.trainStep().loss).not.toBe(other.trainStep().loss);
  });

  it('evaluate() and predict run the caller\'s model; resume is bit-exact', () => {
    const a = new Trainer(config, { model: build, loss: penalised });
    for (let s = 0; s < 5; s++) a.trainStep();
    const acc = a.evaluate(50);
    expect(acc).toBeGreaterThanOrEqual(0);
    expect(acc).toBeLessThanOrEqual(1);
    const b = new Trainer(config, { model: build, loss: penalised });
    b.model.loadStateDict(a.model.stateDict());
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    for (let s = 0; s < 5; s++) expect(b.trainStep().loss).toBe(a.trainStep().loss);
  });

  it('state noise goes into the model\'s one recurrent module; with two it is an error', () => {
    const noisy = new Trainer({ ...config, state_noise: 0.3 }, { model: build });
    const clean = new Trainer(config, { model: build });
    expect(noisy.trainStep().loss).not.toBe(clean.trainStep().loss);
    class TwoRnns extends MeanPoolNet {
      readonly extra = new GRU(6, 4);
    }
    expect(() => new Trainer({ ...config, state_noise: 0.3 }, { model: (g) => new TwoRnns(g, vocab, classes) }))
      .toThrow('--state_noise needs a model with exactly one RNN/LSTM/GRU module; this one has 2');
  });

  it("a model whose output is not [batch, classes] is refused before the loss, naming both shapes; nothing trains", () => {
    const t = new Trainer(config, { model: (g) => new MeanPoolNet(g, vocab, classes + 3) });
    const before = Object.fromEntries(Object.entries(t.model.stateDict()).map(([k, v]) => [k, Array.from(v.data)]));
    expect(() => t.trainStep()).toThrow(`Trainer: the model's output has shape [${config.batch_size}, ${classes + 3}]; the task needs logits of shape [${config.batch_size}, ${classes}] (batch, classes)`);
    expect(t.step).toBe(0);
    const after = t.model.stateDict();
    for (const k of Object.keys(before)) expect(Array.from(after[k].data), k).toEqual(before[k]);
  });

  it('a model factory that returns no Module is refused', () => {
    expect(() => new Trainer(config, { model: () => ({ forward: () => null }) as never })).toThrow('Trainer: options.model must return a Module');
  });
});
