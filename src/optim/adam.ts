// torch.optim.Adam (1.13, single-tensor path): L2 weight decay added to the gradient, eps after
// the bias correction, amsgrad keeping the max of the uncorrected second moment. State per
// parameter (PyTorch's keys): step, exp_avg, exp_avg_sq (, max_exp_avg_sq), created at the first
// step where the parameter has a gradient. The update itself is adamUpdate (adam-kernel.ts).
import { Optimizer } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './optimizer.js';
import { adamUpdate } from './adam-kernel.js';
import type { FloatArray } from '../tensor/dtype.js';
import { pyFloat, pyNumber } from './py-format.js';

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

export class Adam extends Optimizer<AdamParamGroup, AdamState> {
  /** true for AdamW: weight decay shrinks the parameter instead of entering the gradient. */
  protected decoupled = false;

  constructor(params: ParamsInput<AdamParamGroup>, opts: AdamOptions = {}) {
    super(params, adamDefaults(opts, 0));
  }

  protected override validateGroup(g: AdamParamGroup): void {
    checkAdamOptions(g);
  }

  protected stepGroup(group: AdamParamGroup): void {
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
        s = { step: 0, exp_avg: zeros(), exp_avg_sq: zeros() };
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
