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

/** Why the fused path cannot run this model (null: it can). Inference ignores dropout. */
export function fusedUnsupported(model: RnnClsNet, training: boolean): string | null {
  const r = model.rnn;
  if (r.bidirectional) return 'bidirectional';
  if (training && r.dropout > 0) return 'dropout';
  if (r.projSize > 0) return 'proj_size';
  if (r.dtype !== 'float32' || model.embedding.weight.dtype !== 'float32') return 'dtype';
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

  constructor(readonly model: RnnClsNet) {
    const why = fusedUnsupported(model, true);
    if (why !== null) throw new Error(`fused RnnClsNet path: unsupported model (${why})`);
    this.params = model.parameters();
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
    const loss = this.kernel.trainStep(inputs.data, inputs.shape[1], lengths.data, targets.data, this.gradArrays, noise);
    for (let i = 0; i < this.params.length; i++) this.params[i].grad = this.gradTensors[i];
    return loss;
  }
}

/** Inference kernels per model, rebuilt when a parameter's storage was replaced. */
const inference = new WeakMap<RnnClsNet, { kernel: RnnClsNetKernel; params: Tensor[]; data: unknown[] }>();

/** A forward-only kernel bound to the model's current parameter arrays, or null if unsupported. */
export function inferenceKernel(model: RnnClsNet): RnnClsNetKernel | null {
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
