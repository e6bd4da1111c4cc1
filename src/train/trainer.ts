// The training loop of the article, as a library (browser-safe: no I/O here). Per step, exactly as
// the PyTorch reference: zero_grad → loss = CE(model(x, lengths), y) → backward → [clip] →
// optimizer.step() → scheduler.step(). All randomness comes from seeded generators whose states
// are part of the checkpoint, so a resumed run continues bit-exactly.
//
// The model is any Module whose forward(inputs, lengths) gives logits: the article's RnnClsNet by
// default, or one the caller composed (TrainerOptions.model). Everything runs through autograd;
// the modules pick their kernels (float32 SIMD, the second thread) underneath.
import { RnnClsNet } from '../models/rnn-cls-net.js';
import { Module, registrationCount } from '../nn/module.js';
import { RNNBase } from '../nn/rnn-base.js';
import { crossEntropy } from '../nn/loss.js';
import { Adam } from '../optim/adam.js';
import { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/clip-grad.js';
import { LinearLR, CosineAnnealingLR, SequentialLR } from '../optim/lr-scheduler.js';
import type { LRScheduler } from '../optim/lr-scheduler.js';
import { Tensor, noGrad } from '../tensor/tensor.js';
import { argmax } from '../tensor/ops.js';
import { Generator } from '../tensor/random.js';
import { PyRandom } from '../data/pyrandom.js';
import type { IntRng } from '../data/rng.js';
import { getTask } from '../tasks/registry.js';
import type { Task } from '../tasks/registry.js';
import type { Sample } from '../tasks/seq-sum-mod.js';
import type { TrainConfig } from './config.js';
import type { PhaseClock } from '../kernels/phase-clock.js';

/** A model the Trainer can train: padded token ids int64 [B, T] and lengths int64 [B] → logits [B, C]. */
export interface SequenceClassifier extends Module {
  forward(inputs: Tensor, lengths: Tensor): Tensor;
}

/** Seeds of the separate streams, derived from the run seed so one number repeats a run. */
export function streamSeed(seed: number, stream: 'data' | 'eval' | 'noise'): number {
  // Distinct odd offsets keep the streams apart; results stay safe integers.
  const offset = stream === 'data' ? 0x5eed : stream === 'eval' ? 0xe5a1 : 0x401d;
  return (seed * 2654435761 + offset) % 9007199254740881;
}

export function makeModel(config: TrainConfig, generator: Generator): RnnClsNet {
  const task = getTask(config.task);
  return new RnnClsNet({
    vocabSize: task.vocabSize(config),
    embedDim: config.embed_dim,
    hiddenDim: config.hidden_dim,
    numLayers: config.num_layers,
    numClasses: task.numClasses(config),
    cell: config.cell,
    bidirectional: config.bidirectional,
    dropout: config.dropout,
    dtype: 'float32',
    generator,
  });
}

export interface StepResult {
  step: number;
  loss: number;
  /** The learning rate this step used. */
  lr: number;
  gradNorm: number;
}

export interface TrainerState {
  step: number;
  optimizer: unknown;
  scheduler: unknown;
  modelRng: unknown;
  dataRng: unknown;
  evalRng: unknown;
  /** The state-noise generator (present only when state_noise > 0; older checkpoints lack it). */
  noiseRng?: unknown;
}

export interface TrainerOptions<M extends SequenceClassifier> {
  /**
   * The model to train, built by the caller from the generator it is given (draw its initial
   * weights from it: a run is then repeated by its seed). Default: the article's RnnClsNet from
   * the config. Its output must have the task's number of classes. The Trainer moves a float32
   * model's parameters into one flat buffer (Adam.flatten): hold `param.data` only from then on.
   */
  model?: (generator: Generator) => M;
  /** The loss of logits [B, C] and targets int64 [B] (a scalar). Default: crossEntropy. */
  loss?: (logits: Tensor, targets: Tensor) => Tensor;
}

export class Trainer<M extends SequenceClassifier = RnnClsNet> {
  readonly task: Task;
  readonly model: M;
  readonly loss: (logits: Tensor, targets: Tensor) => Tensor;
  readonly optimizer: Adam;
  readonly scheduler: LRScheduler;
  /** Draws initial weights, then dropout masks. */
  readonly modelRng: Generator;
  readonly dataRng: IntRng;
  readonly evalRng: Generator;
  /** Draws the state noise (--state_noise), or null when it is off. */
  readonly noiseRng: Generator | null;
  /** σ of the state noise (0: off, and no noise code runs). */
  readonly stateNoise: number;
  /** The recurrent module the state noise goes into (null: no state noise). */
  private readonly noisyRnn: RNNBase | null;
  /** The current step's noise, flat [layers, directions, packed rows, hidden] (grown, reused). */
  private noiseBuf = new Float32Array(0);
  private readonly stream: { next(): Sample };
  private fixedEval: Sample[] | null = null;
  /** model.parameters(), once (the set never changes; loadStateDict copies in place). */
  private readonly params: Tensor[];
  /** Their names, in the same order (checkParams). */
  private readonly paramNames: string[];
  /** registrationCount() when checkParams last found every parameter in place. */
  private checkedAt = -1;
  step = 0;

  constructor(readonly config: TrainConfig, opts: TrainerOptions<M> = {}) {
    if (config.seed === null) throw new Error('Trainer needs a resolved seed');
    this.task = getTask(config.task);
    this.task.validate(config);
    this.modelRng = new Generator(config.seed);
    this.model = opts.model ? opts.model(this.modelRng) : (makeModel(config, this.modelRng) as unknown as M);
    if (!(this.model instanceof Module)) throw new Error('Trainer: options.model must return a Module');
    this.loss = opts.loss ?? crossEntropy;
    this.dataRng = config.data_rng === 'python' ? pythonRng(config.seed) : new Generator(streamSeed(config.seed, 'data'));
    this.evalRng = new Generator(config.eval_seed ?? streamSeed(config.seed, 'eval'));
    this.stream = this.task.stream(config, this.dataRng);
    // Configs saved before --state_noise existed lack the key: off.
    this.stateNoise = config.state_noise ?? 0;
    if (!(this.stateNoise >= 0 && Number.isFinite(this.stateNoise))) throw new Error(`--state_noise must be a finite number ≥ 0, got ${this.stateNoise}`);
    this.noiseRng = this.stateNoise > 0 ? new Generator(streamSeed(config.seed, 'noise')) : null;
    this.noisyRnn = null;
    if (this.stateNoise > 0) {
      const rnns = [...this.model.modules()].filter((m): m is RNNBase => m instanceof RNNBase);
      if (rnns.length !== 1) throw new Error(`--state_noise needs a model with exactly one RNN/LSTM/GRU module; this one has ${rnns.length}`);
      this.noisyRnn = rnns[0];
    }
    const named = this.model.namedParameters();
    this.params = named.map(([, p]) => p);
    this.paramNames = named.map(([n]) => n);
    this.checkedAt = registrationCount();
    // Configs saved before these flags existed have neither key: plain Adam, no decay.
    const Opt = config.optimizer === 'adamw' ? AdamW : Adam;
    this.optimizer = new Opt(this.params, { lr: config.lr, weightDecay: config.weight_decay ?? 0 });
    // A float32 model's parameters and gradients move into two flat buffers (values kept): each
    // step is then one Adam update over the span instead of one per tensor, with the same bits.
    // zeroGrad(false) below keeps the gradient views.
    this.optimizer.flatten();
    this.scheduler = makeScheduler(this.optimizer, config);
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    return this.optimizer.paramGroups[0].lr;
  }

  private phaseClock: PhaseClock | null = null;

  /**
   * Times each phase of trainStep (data, forward and backward, the gradient norm, Adam, the
   * schedule) on `clock` — `npm run bench:profile -- CASE --phases`; null: off.
   */
  set clock(clock: PhaseClock | null) {
    this.phaseClock = clock;
  }

  nextBatch(): Sample[] {
    const out = new Array<Sample>(this.config.batch_size);
    for (let i = 0; i < out.length; i++) out[i] = this.stream.next();
    return out;
  }

  trainStep(): StepResult {
    // A step that cannot run fails before it draws its batch: the data stream stays where it was.
    if (this.model.disposed) throw new Error(`${this.model.constructor.name}: used after dispose()`);
    if (registrationCount() !== this.checkedAt) this.checkParams();
    const clock = this.phaseClock;
    clock?.start();
    const samples = this.nextBatch();
    const { inputs, lengths, targets } = this.task.collate(samples, this.config);
    this.model.train();
    const noise = this.noiseRng !== null ? this.drawNoise(lengths.data) : null;
    clock?.lap('data: batch, collate, noise');
    let lossValue: number;
    this.optimizer.zeroGrad(false);
    if (this.noisyRnn !== null) this.noisyRnn.stateNoise = noise;
    try {
      const logits = this.model.forward(inputs, lengths);
      const C = this.task.numClasses(this.config);
      if (logits.ndim !== 2 || logits.shape[0] !== samples.length || logits.shape[1] !== C) {
        throw new Error(`Trainer: the model's output has shape [${logits.shape.join(', ')}]; the task needs logits of shape [${samples.length}, ${C}] (batch, classes)`);
      }
      const loss = this.loss(logits, targets);
      clock?.lap('forward');
      loss.backward();
      lossValue = loss.item();
      clock?.lap('backward');
    } finally {
      if (this.noisyRnn !== null) this.noisyRnn.stateNoise = null;
    }
    const params = this.params;
    const gradNorm = this.config.clip_grad_norm > 0 ? clipGradNorm(params, this.config.clip_grad_norm) : globalGradNorm(params);
    clock?.lap('gradient norm');
    const lr = this.lr;
    this.optimizer.step();
    clock?.lap('adam');
    this.scheduler.step();
    this.step++;
    clock?.lap('schedule');
    return { step: this.step, loss: lossValue, lr, gradNorm };
  }

  /**
   * Throws, naming the parameter and both shapes, when a parameter the optimizer holds is no longer
   * the model's (`model.fc.weight = new Parameter(...)` after the Trainer was built): the optimizer
   * would go on updating the old tensor while the model computes with the new one. Looked up only
   * after some module's registrations changed; runs before the step draws its batch.
   */
  private checkParams(): void {
    const now = this.model.namedParameters();
    const byName = new Map(now);
    for (let i = 0; i < this.params.length; i++) {
      const name = this.paramNames[i];
      const p = this.params[i];
      const q = byName.get(name);
      if (q === p) continue;
      const what = q === undefined ? 'was removed' : `was replaced (the new one has shape [${q.shape.join(', ')}], ${q.dtype})`;
      throw new Error(
        `Trainer: parameter '${name}' ${what} after the Trainer was built; its optimizer holds the old one, shape [${p.shape.join(', ')}]. ` +
          'Copy new values into the existing parameters (loadStateDict, p.data.set) or build a new Trainer',
      );
    }
    if (now.length !== this.params.length) {
      const extra = now.find(([n]) => !this.paramNames.includes(n))!;
      throw new Error(`Trainer: parameter '${extra[0]}' was added after the Trainer was built; its optimizer would never update it. Build a new Trainer`);
    }
    this.checkedAt = registrationCount();
  }

  /**
   * This step's state noise: σ·N(0,1) (float32) for every (layer, direction, packed row, unit),
   * in that order (packed rows: time-major, longest sequences first — both training paths' order).
   */
  private drawNoise(lengths: ArrayLike<number>): Float32Array {
    let rows = 0;
    for (let b = 0; b < lengths.length; b++) rows += lengths[b];
    const r = this.noisyRnn!;
    const n = r.numLayers * r.numDirections * rows * r.hiddenOut;
    if (this.noiseBuf.length < n) this.noiseBuf = new Float32Array(n);
    const out = this.noiseBuf.subarray(0, n);
    const g = this.noiseRng!;
    // --state_noise_ramp R: σ·min(1, step/R), so the model first learns the task without noise.
    const ramp = this.config.state_noise_ramp ?? 0;
    const s = ramp > 0 ? this.stateNoise * Math.min(1, this.step / ramp) : this.stateNoise;
    for (let k = 0; k < n; k++) out[k] = s * g.normal();
    return out;
  }

  /**
   * Accuracy on `n` samples: a fixed set when eval_seed is given, otherwise fresh samples from the
   * evaluation stream (which never touches the training stream). Lengths default to training's.
   */
  evaluate(n = this.config.eval_samples, lengths?: { minLen: number; maxLen: number }): number {
    let samples: Sample[];
    if (lengths) {
      const s = this.task.stream(this.config, this.evalRng, lengths);
      samples = Array.from({ length: n }, () => s.next());
    } else if (this.config.eval_seed !== null) {
      if (this.fixedEval === null || this.fixedEval.length !== n) {
        const s = this.task.stream(this.config, new Generator(this.config.eval_seed));
        this.fixedEval = Array.from({ length: n }, () => s.next());
      }
      samples = this.fixedEval;
    } else {
      const s = this.task.stream(this.config, this.evalRng);
      samples = Array.from({ length: n }, () => s.next());
    }
    return accuracy(this.model, this.task, this.config, samples);
  }

  getState(): TrainerState {
    return {
      step: this.step,
      optimizer: this.optimizer.stateDict(),
      scheduler: this.scheduler.stateDict(),
      modelRng: this.modelRng.getState(),
      dataRng: this.dataRng.getState(),
      evalRng: this.evalRng.getState(),
      ...(this.noiseRng !== null ? { noiseRng: this.noiseRng.getState() } : {}),
    };
  }

  setState(s: TrainerState): void {
    this.step = s.step;
    this.optimizer.loadStateDict(s.optimizer as never);
    this.scheduler.loadStateDict(s.scheduler as never);
    this.modelRng.setState(s.modelRng as never);
    this.dataRng.setState(s.dataRng as never);
    this.evalRng.setState(s.evalRng as never);
    // A checkpoint without it (saved before the flag, or with it off) keeps the fresh stream.
    if (this.noiseRng !== null && s.noiseRng !== undefined) this.noiseRng.setState(s.noiseRng as never);
  }
}

/** Python's `random.Random(seed)` as an IntRng (its state methods are spelled as Python's). */
function pythonRng(seed: number): IntRng {
  const py = new PyRandom(seed);
  return {
    randint: (a, b) => py.randint(a, b),
    getState: () => py.getstate(),
    setState: (s) => py.setstate(s),
  };
}

export function makeScheduler(optimizer: Adam, c: TrainConfig): LRScheduler {
  const cosine = new CosineAnnealingLR(optimizer, { TMax: c.total_steps, etaMin: c.min_lr });
  if (c.warmup_step <= 0) return cosine;
  const warm = new LinearLR(optimizer, { startFactor: 0.01, totalIters: c.warmup_step });
  return new SequentialLR(optimizer, { schedulers: [warm, cosine], milestones: [c.warmup_step] });
}

function globalGradNorm(params: Tensor[]): number {
  let s = 0;
  for (const p of params) {
    const g = p.grad?.data;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  }
  return Math.sqrt(s);
}

/** A model whose output (logits) holds NaN or ±Infinity: its weights are no longer usable. */
export class NonFiniteOutputError extends Error {
  constructor(readonly value: number) {
    super(`the model's output is ${value}: its weights overflow in the forward pass`);
    this.name = 'NonFiniteOutputError';
  }
}

function checkFinite(logits: ArrayLike<number>, n: number): void {
  for (let i = 0; i < n; i++) if (!Number.isFinite(logits[i])) throw new NonFiniteOutputError(logits[i]);
}

/** Seed of the probe batch usableReason runs: fixed, so every check sees the same sequences. */
const PROBE_SEED = 0x9b0be;
const PROBE_SAMPLES = 64;

/**
 * Why the model's weights cannot be used for prediction, or null when they can: a parameter or
 * buffer holding NaN/±Infinity, or non-finite logits on a fixed probe batch of the task (finite
 * weights can still overflow in the forward pass, e.g. after a step with a huge learning rate).
 */
export function usableReason(model: SequenceClassifier, task: Task, config: TrainConfig): string | null {
  for (const [name, t] of Object.entries(model.stateDict())) {
    const d = t.data;
    if (!(d instanceof Float32Array || d instanceof Float64Array)) continue;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return `${name} holds ${d[i]}`;
  }
  const s = task.stream(config, new Generator(PROBE_SEED));
  try {
    accuracy(model, task, config, Array.from({ length: PROBE_SAMPLES }, () => s.next()));
  } catch (e) {
    if (e instanceof NonFiniteOutputError) return `the model's output is ${e.value} on a fixed probe batch`;
    throw e;
  }
  return null;
}

/**
 * Fraction of samples whose argmax prediction equals the target (eval mode, no grad). Throws
 * NonFiniteOutputError when a logit is NaN or ±Infinity: an argmax over those means nothing.
 */
export function accuracy(model: SequenceClassifier, task: Task, config: TrainConfig, samples: Sample[], batch = 1000): number {
  if (samples.length === 0) return NaN;
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  try {
    noGrad(() => {
      for (let i = 0; i < samples.length; i += batch) {
        const chunk = samples.slice(i, i + batch);
        const { inputs, lengths, targets } = task.collate(chunk, config);
        const logits = model.forward(inputs, lengths);
        checkFinite(logits.data, logits.data.length);
        const pred = argmax(logits, 1).data;
        for (let k = 0; k < chunk.length; k++) if (pred[k] === targets.data[k]) correct++;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return correct / samples.length;
}

/** Class probabilities for one sequence (predict). */
export function predictOne(model: SequenceClassifier, task: Task, config: TrainConfig, seq: number[]): { prediction: number; probability: number; probs: number[] } {
  const wasTraining = model.training;
  if (wasTraining) model.eval();
  try {
    const probs = noGrad(() => {
      const { inputs, lengths } = task.collate([[seq, seq.length, 0]], config);
      return Array.from(model.forward(inputs, lengths).softmax(1).data);
    });
    return pickBest(probs);
  } finally {
    if (wasTraining) model.train();
  }
}

function pickBest(probs: number[]): { prediction: number; probability: number; probs: number[] } {
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  return { prediction: best, probability: probs[best], probs };
}
