// torch.optim.AdamW (1.13): Adam with decoupled weight decay (default 1e-2): every step first
// shrinks the parameter, p ← p·(1 − lr·weight_decay), then applies the Adam update without any
// L2 term in the gradient. Same state, checks and messages as Adam.
import { Adam } from './adam.js';
import type { AdamOptions, AdamParamGroup } from './adam.js';
import type { ParamsInput } from './optimizer.js';

export class AdamW extends Adam {
  constructor(params: ParamsInput<AdamParamGroup>, opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 1e-2 });
    this.decoupled = true;
  }
}
