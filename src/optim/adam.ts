// torch.optim.Adam (1.13, single-tensor path): L2 weight decay added to the gradient, eps after
// the bias correction, amsgrad keeping the max of the uncorrected second moment. State per
// parameter (PyTorch's keys): step, exp_avg, exp_avg_sq (, max_exp_avg_sq), created at the first
// step where the parameter has a gradient. The update itself is adamUpdate (adam-kernel.ts).
import { Optimizer } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './optimizer.js';
import { adamUpdate } from './adam-kernel.js';
import type { FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { pyFloat, pyNumber } from './py-format.js';
import { resolveOptions } from '../util/options.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

export interface AdamParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export interface AdamState {
  [key: string]: number | FloatArray | null;
  step: number;
  exp_avg: FloatArray;
  exp_avg_sq: FloatArray;
}

/** PyTorch's Adam/AdamW constructor checks, with its messages. */
export function checkAdamOptions(o: { lr: number; eps: number; betas: [number, number]; weightDecay: number }): void {
  if (!(0.0 <= o.lr)) throw new Error(`Invalid learning rate: ${pyNumber(o.lr)}`);
  if (!(0.0 <= o.eps)) throw new Error(`Invalid epsilon value: ${pyNumber(o.eps)}`);
  if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`betas must be a pair of numbers, got ${String(o.betas)}`);
  // betas are formatted as Python floats: they are floats in every PyTorch call (`(0.9, 0.999)`).
  if (!(0.0 <= o.betas[0] && o.betas[0] < 1.0)) throw new Error(`Invalid beta parameter at index 0: ${pyFloat(o.betas[0])}`);
  if (!(0.0 <= o.betas[1] && o.betas[1] < 1.0)) throw new Error(`Invalid beta parameter at index 1: ${pyFloat(o.betas[1])}`);
  if (!(0.0 <= o.weightDecay)) throw new Error(`Invalid weight_decay value: ${pyNumber(o.weightDecay)}`);
}

const ADAM_POSITIONAL = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'] as const;

/** Adam's / AdamW's options from `(opts)` or PyTorch's positional `(lr, betas, eps, weight_decay, amsgrad)`. */
export function adamOptions(where: string, args: unknown[]): AdamOptions {
  return resolveOptions<AdamOptions>(where, args, ADAM_POSITIONAL, [...ADAM_POSITIONAL, 'maximize']);
}

function adamDefaults(opts: AdamOptions, weightDecay: number): Omit<AdamParamGroup, 'params'> {
  const d = {
    lr: opts.lr ?? 1e-3,
    betas: [...(opts.betas ?? [0.9, 0.999])] as [number, number],
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? weightDecay,
    amsgrad: opts.amsgrad ?? false,
    maximize: opts.maximize ?? false,
  };
  checkAdamOptions(d);
  return d;
}

/**
 * One flat span (llm.c style): parameters whose data are consecutive views of `params`, their
 * gradients the same views of `grads`; exp_avg / exp_avg_sq are views of `m` / `v` at the same
 * offsets. off[i] = start of the i-th parameter of the (single) group.
 */
interface FlatSpan {
  params: Float32Array;
  grads: Float32Array;
  m: Float32Array;
  v: Float32Array;
  off: Int32Array;
}

export class Adam extends Optimizer<AdamParamGroup, AdamState> {
  /** true for AdamW: weight decay shrinks the parameter instead of entering the gradient. */
  protected decoupled = false;
  private flat: FlatSpan | null = null;
  /** Steps taken as one update over the flat span (useFlatBuffers), not per parameter. */
  flatSteps = 0;

  /** `new Adam(params, { lr: 2e-3 })`, or PyTorch's positional `new Adam(params, 2e-3, [0.9, 0.99])`. */
  constructor(params: ParamsInput<AdamParamGroup>, opts?: AdamOptions);
  constructor(params: ParamsInput<AdamParamGroup>, lr: number, betas?: [number, number], eps?: number, weightDecay?: number, amsgrad?: boolean);
  constructor(params: ParamsInput<AdamParamGroup>, ...rest: unknown[]) {
    super(params, adamDefaults(adamOptions('Adam()', rest), 0));
  }

  protected override validateGroup(g: AdamParamGroup): void {
    checkAdamOptions(g);
  }

  /**
   * Declares that the (single) group's parameters are consecutive views of `params` (in group
   * order, covering it) with gradients at the same offsets of `grads` (llm.c's layout: a caller that
   * keeps a model's parameters and gradients in two flat buffers). exp_avg / exp_avg_sq are then created as views of two flat buffers, and a step where
   * every parameter has its flat gradient and the same step count is ONE adamUpdate over the
   * whole span: the update is elementwise with the same scalars, so this is bit-identical to the
   * per-parameter loop. Anything else (a missing gradient, loaded or differing state, amsgrad)
   * falls back to that loop. The state dict is unchanged (its buffers are copies either way).
   */
  useFlatBuffers(params: Float32Array, grads: Float32Array): void {
    if (this.paramGroups.length !== 1) throw new Error('useFlatBuffers: needs a single parameter group');
    const ps = this.paramGroups[0].params;
    const off = new Int32Array(ps.length + 1);
    for (let i = 0; i < ps.length; i++) {
      const d = ps[i].data;
      if (!(d instanceof Float32Array) || d.buffer !== params.buffer || d.byteOffset !== params.byteOffset + off[i] * 4) {
        throw new Error(`useFlatBuffers: parameter ${i} (shape [${ps[i].shape.join(', ')}], ${ps[i].dtype}) is not the float32 view of the flat buffer at element ${off[i]}; parameters must be consecutive float32 views of it`);
      }
      off[i + 1] = off[i] + d.length;
    }
    if (off[ps.length] !== params.length || grads.length !== params.length) {
      throw new Error(`useFlatBuffers: the parameters hold ${off[ps.length]} values, the flat parameter buffer ${params.length}, the flat gradient buffer ${grads.length}`);
    }
    // Ordinary memory, freed with the optimizer: the state's exp_avg/exp_avg_sq are views of these
    // and stay reachable through it, so a WASM block could never be given back safely (every
    // Trainer makes one). The Adam kernel stages them into WASM memory with the span each step.
    const m = new Float32Array(params.length);
    const v = new Float32Array(params.length);
    // Existing state moves into the flat buffers (values kept).
    ps.forEach((p, i) => {
      const st = this.state.get(p);
      if (st === undefined) return;
      m.set(st.exp_avg, off[i]);
      v.set(st.exp_avg_sq, off[i]);
      st.exp_avg = m.subarray(off[i], off[i + 1]);
      st.exp_avg_sq = v.subarray(off[i], off[i + 1]);
    });
    this.flat = { params, grads, m, v, off };
  }

  /**
   * Moves the (single) group's float32 parameters into one flat buffer and gives each a gradient
   * view of a second one, then useFlatBuffers: a step is one update over the whole span. Values are
   * kept (a gradient the parameter already has is copied into its view). Each parameter's `data`
   * becomes a view of the flat buffer, so a reference to the old `p.data` taken before this call
   * no longer follows the parameter. Zero the gradients with `zeroGrad(false)`, which keeps the
   * views; `zeroGrad()` drops them and the next steps take the per-parameter path (same bits).
   * Both buffers are ordinary memory, owned by the parameters: the model outlives the optimizer.
   * Returns false, changing nothing, for several groups or a parameter that is not float32.
   */
  flatten(): boolean {
    if (this.paramGroups.length !== 1) return false;
    const ps = this.paramGroups[0].params;
    if (ps.length === 0 || ps.some((p) => !(p.data instanceof Float32Array))) return false;
    let total = 0;
    for (const p of ps) total += p.data.length;
    const params = new Float32Array(total);
    const grads = new Float32Array(total);
    let o = 0;
    for (const p of ps) {
      const n = p.data.length;
      params.set(p.data as Float32Array, o);
      p.data = params.subarray(o, o + n);
      const g = grads.subarray(o, o + n);
      if (p.grad !== null) g.set(p.grad.data as Float32Array);
      p.grad = new Tensor(g, [...p.shape], 'float32');
      o += n;
    }
    this.useFlatBuffers(params, grads);
    return true;
  }

  override loadStateDict(sd: Parameters<Optimizer<AdamParamGroup, AdamState>['loadStateDict']>[0]): void {
    super.loadStateDict(sd);
    const f = this.flat;
    if (f === null) return;
    // Loaded buffers are fresh arrays: copy them into the flat span so the fast step still applies.
    this.paramGroups[0].params.forEach((p, i) => {
      const st = this.state.get(p);
      if (st === undefined || !(st.exp_avg instanceof Float32Array) || !(st.exp_avg_sq instanceof Float32Array)) return;
      f.m.set(st.exp_avg, f.off[i]);
      f.v.set(st.exp_avg_sq, f.off[i]);
      st.exp_avg = f.m.subarray(f.off[i], f.off[i + 1]);
      st.exp_avg_sq = f.v.subarray(f.off[i], f.off[i + 1]);
    });
  }

  /** The whole flat span in one update when every parameter qualifies (see useFlatBuffers). */
  private stepFlat(group: AdamParamGroup): boolean {
    const f = this.flat!;
    if (group.amsgrad || this.paramGroups.length !== 1 || group !== this.paramGroups[0]) return false;
    const ps = group.params;
    let step = -1;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      const g = p.grad?.data;
      const o = f.off[i];
      if (g === undefined || g.buffer !== f.grads.buffer || g.byteOffset !== f.grads.byteOffset + o * 4 || g.length !== f.off[i + 1] - o) return false;
      if (p.data.buffer !== f.params.buffer || p.data.byteOffset !== f.params.byteOffset + o * 4) return false;
      const st = this.state.get(p);
      const s = st === undefined ? 0 : st.step;
      if (st !== undefined && (st.exp_avg.buffer !== f.m.buffer || st.exp_avg.byteOffset !== f.m.byteOffset + o * 4 ||
        st.exp_avg_sq.buffer !== f.v.buffer || st.exp_avg_sq.byteOffset !== f.v.byteOffset + o * 4)) return false;
      if (step === -1) step = s;
      else if (s !== step) return false;
    }
    for (let i = 0; i < ps.length; i++) {
      let st = this.state.get(ps[i]);
      if (st === undefined) {
        st = { step: 0, exp_avg: f.m.subarray(f.off[i], f.off[i + 1]), exp_avg_sq: f.v.subarray(f.off[i], f.off[i + 1]) };
        this.state.set(ps[i], st);
      }
      st.step += 1;
    }
    const [beta1, beta2] = group.betas;
    adamUpdate(f.params, f.grads, f.m, f.v, null, f.params.length, {
      lr: group.lr, beta1, beta2, eps: group.eps, weightDecay: group.weightDecay, step: step + 1,
      amsgrad: false, maximize: group.maximize, decoupled: this.decoupled,
    });
    this.flatSteps++;
    return true;
  }

  protected stepGroup(group: AdamParamGroup): void {
    if (this.flat !== null && this.stepFlat(group)) return;
    const [beta1, beta2] = group.betas;
    for (const p of group.params) {
      if (p.grad === null) continue; // no gradient: skipped, and no state is created
      if (p.dtype === 'int64') throw new Error('Adam: parameters must be floating point');
      const param = p.data as FloatArray;
      const grad = p.grad.data as FloatArray;
      if (grad.length !== param.length || grad.constructor !== param.constructor) {
        throw new Error(`Adam: gradient of shape [${p.grad.shape.join(', ')}] (${p.grad.dtype}) does not match its parameter [${p.shape.join(', ')}] (${p.dtype})`);
      }
      let s = this.state.get(p);
      if (s === undefined) {
        const zeros = () => (param instanceof Float32Array ? new Float32Array(param.length) : new Float64Array(param.length));
        const i = this.flat !== null && this.paramGroups.length === 1 ? group.params.indexOf(p) : -1;
        if (i >= 0) {
          const f = this.flat!;
          f.m.fill(0, f.off[i], f.off[i + 1]);
          f.v.fill(0, f.off[i], f.off[i + 1]);
          s = { step: 0, exp_avg: f.m.subarray(f.off[i], f.off[i + 1]), exp_avg_sq: f.v.subarray(f.off[i], f.off[i + 1]) };
        } else {
          s = { step: 0, exp_avg: zeros(), exp_avg_sq: zeros() };
        }
        if (group.amsgrad) s.max_exp_avg_sq = zeros();
        this.state.set(p, s);
      }
      if (group.amsgrad && !(s.max_exp_avg_sq instanceof Float32Array || s.max_exp_avg_sq instanceof Float64Array)) {
        // amsgrad switched on after the state was made: start the max from zeros (as a fresh state would).
        s.max_exp_avg_sq = param instanceof Float32Array ? new Float32Array(param.length) : new Float64Array(param.length);
      }
      // PyTorch keeps step as a float32 tensor; counts stay exact in it up to 2^24 steps.
      s.step += 1;
      adamUpdate(param, grad, s.exp_avg, s.exp_avg_sq, group.amsgrad ? (s.max_exp_avg_sq as FloatArray) : null, param.length, {
        lr: group.lr,
        beta1,
        beta2,
        eps: group.eps,
        weightDecay: group.weightDecay,
        step: s.step,
        amsgrad: group.amsgrad,
        maximize: group.maximize,
        decoupled: this.decoupled,
      });
    }
  }
}
