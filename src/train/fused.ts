// The fused training path for RnnClsNet: the model's parameters become views into ONE flat
// float32 buffer and their gradients views into ONE flat gradient buffer; a step is one call of
// the flat-array kernel (src/kernels/rnn-cls-net.ts) instead of an autograd graph. Parameters stay
// ordinary Tensors (views), so stateDict(), loadStateDict() (copies in place), checkpoints, Adam
// and clipGradNorm work unchanged. The autograd path is the naive twin; both give bit-identical
// results (test/train-fused.test.ts).
import { RnnClsNet } from '../models/rnn-cls-net.js';
import { RnnClsNetKernel } from '../kernels/rnn-cls-net.js';
import type { ClsNetArrays, ClsNetDims } from '../kernels/rnn-cls-net.js';
import type { LayerParams } from '../kernels/packed-layer.js';
import type { ShardLink } from '../kernels/rnn-cls-shard.js';
import type { PhaseClock } from '../kernels/phase-clock.js';
import { Tensor } from '../tensor/tensor.js';
import { allocF32 } from '../kernels/gemm-wasm.js';
import { registrationCount } from '../nn/module.js';
import type { Module } from '../nn/module.js';
import { NONPOSITIVE_LENGTH_MSG } from '../nn/utils/pack.js';

/** Why the fused path cannot run this model (null: it can). Inference ignores dropout. */
export function fusedUnsupported(model: RnnClsNet, training: boolean): string | null {
  const r = model.rnn;
  if (r.bidirectional) return 'bidirectional';
  if (training && r.dropout > 0) return 'dropout';
  if (r.projSize > 0) return 'proj_size';
  if (model.parameters().some((p) => p.dtype !== 'float32')) return 'dtype';
  if (model.embedding.maxNorm !== null || model.embedding.scaleGradByFreq) return 'embedding options';
  if (model.embedding.paddingIdx === null) return 'no padding index';
  return null;
}

function dimsOf(model: RnnClsNet): ClsNetDims {
  return {
    mode: model.rnn.mode, vocab: model.embedding.numEmbeddings, embed: model.embedding.embeddingDim,
    hidden: model.rnn.hiddenSize, layers: model.rnn.numLayers, classes: model.fc.outFeatures,
    padIdx: model.embedding.paddingIdx!,
  };
}

/** The kernel's view of a set of per-parameter arrays (params or grads), by parameter tensor. */
function arraysOf(model: RnnClsNet, get: (p: Tensor) => Float32Array): ClsNetArrays {
  const layers: LayerParams[] = [];
  for (let l = 0; l < model.rnn.numLayers; l++) {
    const w = model.rnn.layerWeights(l, 0);
    layers.push({ wIh: get(w.wIh), wHh: get(w.wHh), bIh: w.bIh ? get(w.bIh) : null, bHh: w.bHh ? get(w.bHh) : null, wHr: null });
  }
  return { emb: get(model.embedding.weight), layers, fcW: get(model.fc.weight), fcB: get(model.fc.bias!) };
}

export class FusedRnnClsNet {
  /** All parameters, in model.parameters() order. */
  readonly flatParams: Float32Array;
  /** Their gradients, same layout. */
  readonly flatGrads: Float32Array;
  private readonly kernel: RnnClsNetKernel;
  private readonly gradArrays: ClsNetArrays;
  private readonly gradTensors: Tensor[];
  private readonly params: Tensor[];
  /** Per parameter: its dotted name, the module holding it and its name there (see checkBound). */
  private readonly where: Array<{ name: string; owner: Module; local: string }>;
  /** registrationCount() when checkBound last found every parameter in place (-1: never). */
  private checkedAt = -1;

  constructor(readonly model: RnnClsNet) {
    const why = fusedUnsupported(model, true);
    if (why !== null) throw new Error(`fused RnnClsNet path: unsupported model (${why})`);
    const named = model.namedParameters();
    this.params = named.map(([, p]) => p);
    const owners = new Map(model.namedModules());
    this.where = named.map(([name]) => {
      const dot = name.lastIndexOf('.');
      return { name, owner: owners.get(dot < 0 ? '' : name.slice(0, dot))!, local: name.slice(dot + 1) };
    });
    const total = this.params.reduce((s, p) => s + p.data.length, 0);
    // In WASM memory (while it has room), where the kernels can read them in place: predict's
    // weight check compares them without a copy. Never released: the parameters stay views of it.
    this.flatParams = allocF32(total);
    this.flatGrads = allocF32(total);
    const gradOf = new Map<Tensor, Float32Array>();
    this.gradTensors = [];
    let o = 0;
    for (const p of this.params) {
      const n = p.data.length;
      this.flatParams.set(p.data, o);
      p.data = this.flatParams.subarray(o, o + n); // the parameter is now a view
      const g = this.flatGrads.subarray(o, o + n);
      gradOf.set(p, g);
      this.gradTensors.push(new Tensor(g, [...p.shape], p.dtype));
      o += n;
    }
    this.kernel = new RnnClsNetKernel(dimsOf(model), arraysOf(model, (p) => p.data as Float32Array));
    this.gradArrays = arraysOf(model, (p) => gradOf.get(p)!);
  }

  /** Splits big enough steps with a second thread (null: this thread only). Same results either way. */
  attach(link: ShardLink | null): void {
    this.kernel.attach(link);
  }

  /** Times the kernel's phases on `clock` (null: off). See PhaseClock. */
  set clock(clock: PhaseClock | null) {
    this.kernel.clock = clock;
  }

  /**
   * Forward + backward of mean cross-entropy on a padded batch (inputs int64 [B, T], lengths and
   * targets int64 [B]); every parameter's .grad is set to its view of the flat gradient buffer.
   * Returns the loss. `noise`: state noise, flat [L, rows, H] (see RnnClsNetKernel.trainStep).
   */
  step(inputs: Tensor, lengths: Tensor, targets: Tensor, noise: Float32Array | null = null): number {
    this.checkBound();
    checkBatch(inputs, lengths, targets, this.model.embedding.numEmbeddings);
    const loss = this.kernel.trainStep(inputs.data, inputs.shape[1], lengths.data, targets.data, this.gradArrays, noise);
    for (let i = 0; i < this.params.length; i++) this.params[i].grad = this.gradTensors[i];
    return loss;
  }

  /**
   * Throws, naming the parameter and both shapes, when the model no longer trains through the
   * flat buffers: a parameter replaced by another tensor (`model.fc.weight = new Parameter(...)`)
   * or given other storage (`p.data = ...`) after this was built — the kernel would go on training
   * the old values while the model shows the new ones. Runs before the kernel: nothing changes.
   */
  checkBound(): void {
    if (this.model.disposed) throw new Error('RnnClsNet: used after dispose()');
    // Which tensor each name holds is looked up again only after some module's registrations
    // changed (lookups through the modules' proxies cost ~0.5 µs each).
    const recheck = registrationCount() !== this.checkedAt;
    let o = 0;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      const { name, owner, local } = this.where[i];
      const n = this.gradTensors[i].data.length; // the parameter's span of the flat buffers
      let now: Tensor | null = p;
      if (recheck) {
        try {
          now = owner.getParameter(local);
        } catch {
          now = null;
        }
      }
      if (now !== p) {
        const what = now === null ? 'was removed' : `was replaced (the new one has shape [${now.shape.join(', ')}], ${now.dtype})`;
        throw new Error(
          `FusedRnnClsNet: parameter '${name}' ${what} after the fused step was built; the fused buffer holds shape [${p.shape.join(', ')}]. ` +
            'Copy new values into the existing parameters (loadStateDict, p.data.set) or build a new fused step for the new ones',
        );
      }
      const d = p.data;
      if (d.buffer !== this.flatParams.buffer || d.byteOffset !== this.flatParams.byteOffset + 4 * o) {
        throw new Error(
          `FusedRnnClsNet: the storage of parameter '${name}' (shape [${p.shape.join(', ')}]) was replaced after the fused step was built ` +
            `(it now has ${d.length} values, the fused buffer holds ${n} for shape [${this.gradTensors[i].shape.join(', ')}]). ` +
            'Copy new values into the existing storage (loadStateDict, p.data.set) instead',
        );
      }
      o += n;
    }
    this.checkedAt = registrationCount();
  }
}

/**
 * The checks the autograd path makes on a padded batch (nn.Embedding, pack_padded_sequence), with
 * their messages: the kernel reads tokens[b·T + t] for t < lengths[b] and targets[b] without them.
 */
function checkBatch(inputs: Tensor, lengths: Tensor, targets: Tensor, vocab: number): void {
  if (inputs.ndim !== 2) throw new Error(`FusedRnnClsNet: inputs must be [batch, time] token ids, got shape [${inputs.shape.join(', ')}]`);
  const [B, T] = inputs.shape;
  if (lengths.ndim !== 1) throw new Error(`'lengths' argument should be a 1D CPU int64 tensor, but got ${lengths.ndim}D cpu Long tensor`);
  if (lengths.shape[0] !== B) throw new Error(`Expected \`len(lengths)\` to be equal to batch_size, but got ${lengths.shape[0]} (batch_size=${B})`);
  if (targets.ndim !== 1 || targets.shape[0] !== B) {
    throw new Error(`Expected input batch_size (${B}) to match target batch_size (${targets.ndim === 1 ? targets.shape[0] : targets.shape.join('x')}).`);
  }
  const x = inputs.data;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!(v >= 0 && v < vocab) || !Number.isInteger(v)) throw new Error(`index out of range in self (index ${v}, num_embeddings ${vocab})`);
  }
  const len = lengths.data;
  for (let b = 0; b < B; b++) {
    const l = len[b];
    if (!(l > 0)) throw new Error(NONPOSITIVE_LENGTH_MSG);
    if (!Number.isInteger(l) || l > T) throw new Error(`FusedRnnClsNet: lengths[${b}] = ${l} is not a length within the padded length ${T}`);
  }
}

/** Inference kernels per model, rebuilt when a parameter's storage was replaced. */
const inference = new WeakMap<RnnClsNet, { kernel: RnnClsNetKernel; params: Tensor[]; data: unknown[] }>();

/** A forward-only kernel bound to the model's current parameter arrays, or null if unsupported (or disposed). */
export function inferenceKernel(model: RnnClsNet): RnnClsNetKernel | null {
  if (model.disposed) return null; // the module path then reports the use after dispose()
  const hit = inference.get(model);
  if (hit) {
    let same = true;
    for (let i = 0; i < hit.params.length; i++) if (hit.params[i].data !== hit.data[i]) { same = false; break; }
    if (same) return hit.kernel;
  }
  if (fusedUnsupported(model, false) !== null) return null;
  const params = model.parameters();
  const kernel = new RnnClsNetKernel(dimsOf(model), arraysOf(model, (p) => p.data as Float32Array));
  inference.set(model, { kernel, params, data: params.map((p) => p.data) });
  return kernel;
}

/** RECUR_NO_FUSED=1 forces the autograd path (read where an environment exists; browser: unset). */
export function fusedDisabledByEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.RECUR_NO_FUSED === '1';
}
