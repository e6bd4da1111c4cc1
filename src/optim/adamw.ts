// torch.optim.AdamW (1.13): Adam with decoupled weight decay (default 1e-2): every step first
// shrinks the parameter, p ← p·(1 − lr·weight_decay), then applies the Adam update without any
// L2 term in the gradient. Same state, checks and messages as Adam.
import { Adam, adamOptions } from './adam.js';
import type { AdamOptions, AdamParamGroup } from './adam.js';
import type { ParamsInput } from './optimizer.js';

export class AdamW extends Adam {
  /** `new AdamW(params, { lr, weightDecay })`, or PyTorch's positional `new AdamW(params, lr, betas, eps, weightDecay)`. */
  constructor(params: ParamsInput<AdamParamGroup>, opts?: AdamOptions);
  constructor(params: ParamsInput<AdamParamGroup>, lr: number, betas?: [number, number], eps?: number, weightDecay?: number, amsgrad?: boolean);
  constructor(params: ParamsInput<AdamParamGroup>, ...rest: unknown[]) {
    const opts = adamOptions('AdamW()', rest);
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 1e-2 });
    this.decoupled = true;
  }
}
