// torch.optim.SGD (1.13, single-tensor path). Per parameter with a gradient:
//   d = maximize ? −grad : grad;  d += wd·p
//   momentum ≠ 0:  buf = d on the first step (a copy, no dampening), else buf = μ·buf + (1−dampening)·d
//                  d = nesterov ? d + μ·buf : buf
//   p = p − lr·d
// float32: the `add_(x, alpha)` steps are fused multiply-adds, as in PyTorch's AVX2 kernels (fma32.ts).
// State per parameter: `momentum_buffer` (null until momentum is used), PyTorch's key.
import { Optimizer } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './optimizer.js';
import type { FloatArray } from '../tensor/dtype.js';
import { fma32 } from './fma32.js';
import { pyNumber } from './py-format.js';
import { resolveOptions } from '../util/options.js';

export interface SGDOptions {
  /** Required, as in PyTorch 1.13. */
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

export interface SGDParamGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export interface SGDState {
  [key: string]: number | FloatArray | null;
  momentum_buffer: FloatArray | null;
}

export interface SGDHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * SGD update of `param[0..n)` in place. `buf` is the momentum buffer or null when it doesn't
 * exist yet (it is then filled with the first direction: pass a fresh array as `bufOut`).
 * Returns the buffer in use (null when momentum is 0).
 */
export function sgdUpdate(
  param: FloatArray, grad: FloatArray, buf: FloatArray | null, bufOut: FloatArray | null, n: number, h: SGDHyper,
): FloatArray | null {
  const f32 = param instanceof Float32Array;
  const fr = f32 ? Math.fround : (x: number) => x;
  const fma = f32 ? fma32 : (a: number, b: number, c: number) => c + a * b;
  const wd = fr(h.weightDecay), mom = fr(h.momentum), omd = fr(1 - h.dampening), negLr = fr(-h.lr);
  const useMom = h.momentum !== 0;
  const first = useMom && buf === null;
  const b = useMom ? (buf ?? bufOut) : null;
  if (useMom && b === null) throw new Error('sgdUpdate: momentum needs a buffer');
  for (let i = 0; i < n; i++) {
    let d = h.maximize ? -grad[i] : grad[i];
    if (h.weightDecay !== 0) d = fma(param[i], wd, d);
    if (b !== null) {
      const bi = first ? d : fma(d, omd, fr(b[i] * mom));
      b[i] = bi;
      d = h.nesterov ? fma(bi, mom, d) : bi;
    }
    param[i] = fma(d, negLr, param[i]);
  }
  return b;
}

function checkSGD(o: { lr: number; momentum: number; weightDecay: number; nesterov: boolean; dampening: number }): void {
  if (o.lr !== undefined && o.lr < 0.0) throw new Error(`Invalid learning rate: ${pyNumber(o.lr)}`);
  if (o.momentum < 0.0) throw new Error(`Invalid momentum value: ${pyNumber(o.momentum)}`);
  if (o.weightDecay < 0.0) throw new Error(`Invalid weight_decay value: ${pyNumber(o.weightDecay)}`);
  if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error('Nesterov momentum requires a momentum and zero dampening');
}

function sgdDefaults(opts: SGDOptions): Omit<SGDParamGroup, 'params'> {
  const d = {
    lr: opts?.lr,
    momentum: opts?.momentum ?? 0,
    dampening: opts?.dampening ?? 0,
    weightDecay: opts?.weightDecay ?? 0,
    nesterov: opts?.nesterov ?? false,
    maximize: opts?.maximize ?? false,
  };
  checkSGD(d as Omit<SGDParamGroup, 'params'>);
  return d as Omit<SGDParamGroup, 'params'>;
}

export class SGD extends Optimizer<SGDParamGroup, SGDState> {
  /** `new SGD(params, { lr: 0.1, momentum: 0.9 })`, or PyTorch's positional `new SGD(params, 0.1, 0.9)`. */
  constructor(params: ParamsInput<SGDParamGroup>, opts: SGDOptions);
  constructor(params: ParamsInput<SGDParamGroup>, lr: number, momentum?: number, dampening?: number, weightDecay?: number, nesterov?: boolean);
  constructor(params: ParamsInput<SGDParamGroup>, ...rest: unknown[]) {
    const positional = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'];
    super(params, sgdDefaults(resolveOptions<SGDOptions>('SGD()', rest, positional, [...positional, 'maximize'])));
  }

  protected override validateGroup(g: SGDParamGroup): void {
    checkSGD(g);
  }

  protected stepGroup(group: SGDParamGroup): void {
    for (const p of group.params) {
      if (p.grad === null) continue;
      const param = p.data as FloatArray;
      const grad = p.grad.data as FloatArray;
      if (grad.length !== param.length || grad.constructor !== param.constructor) {
        throw new Error(`SGD: gradient of shape [${p.grad.shape.join(', ')}] (${p.grad.dtype}) does not match its parameter [${p.shape.join(', ')}] (${p.dtype})`);
      }
      let s = this.state.get(p);
      if (s === undefined) {
        s = { momentum_buffer: null };
        this.state.set(p, s);
      }
      const fresh = group.momentum !== 0 && s.momentum_buffer === null
        ? (param instanceof Float32Array ? new Float32Array(param.length) : new Float64Array(param.length))
        : null;
      s.momentum_buffer = sgdUpdate(param, grad, s.momentum_buffer, fresh, param.length, group);
    }
  }
}
