// AdamW and SGD against formulas derived by hand (float64, tiny problems), their constructor
// errors, and clipGradNorm against PyTorch 1.13 values (float32; printed by torch for the same
// gradients: `torch.nn.utils.clip_grad_norm_([a, b], 0.5[, norm_type])`).
// Bit-exact float32 trajectories of AdamW and SGD vs PyTorch are in optim-float32.test.ts.
import { describe, it, expect } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor } from '../src/tensor/create.js';
import { Adam } from '../src/optim/adam.js';
import { AdamW } from '../src/optim/adamw.js';
import { SGD, type SGDOptions } from '../src/optim/sgd.js';
import { clipGradNorm } from '../src/optim/clip-grad.js';

const f64 = (xs: number[], requiresGrad = false) => tensor(xs, { dtype: 'float64', requiresGrad });
const close = (a: ArrayLike<number>, b: number[], tol = 1e-14) =>
  b.forEach((x, i) => expect(Math.abs(a[i] - x), `[${i}] ${a[i]} vs ${x}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(x))));

describe('AdamW (decoupled weight decay), hand-derived', () => {
  // With a constant gradient g, Adam's bias-corrected moments are exact: m̂ = g, v̂ = g², so every
  // step moves by lr·g/(|g| + eps). AdamW first shrinks p by (1 − lr·wd):
  //   p_k = p_{k−1}·(1 − lr·wd) − lr·g/(|g| + eps).
  it('constant gradient: p_k = p_{k-1}(1 − lr·wd) − lr·g/(|g|+eps)', () => {
    const lr = 0.1, wd = 0.1, g = 0.5, eps = 1e-8;
    const p = f64([1], true);
    const opt = new AdamW([p], { lr, weightDecay: wd });
    expect(opt.paramGroups[0].weightDecay).toBe(wd);
    let want = 1;
    for (let k = 1; k <= 6; k++) {
      p.grad = f64([g]);
      opt.step();
      want = want * (1 - lr * wd) - (lr * g) / (Math.abs(g) + eps);
      close(p.data, [want]);
    }
  });
  it('default weight decay is 1e-2; weight decay acts even with a zero gradient', () => {
    // g = 0: m = v = 0, the Adam term is 0/(0+eps) = 0, only the decay remains: p·(1 − 1e-3·1e-2)
    const p = f64([2], true);
    const opt = new AdamW([p]);
    expect(opt.paramGroups[0].weightDecay).toBe(1e-2);
    p.grad = f64([0]);
    opt.step();
    close(p.data, [2 * (1 - 1e-3 * 1e-2)]);
  });
  it('differs from Adam, which adds wd·p to the gradient (first step: g′ = g + wd·p)', () => {
    const p = f64([1], true);
    const opt = new Adam([p], { lr: 0.1, weightDecay: 0.1 });
    p.grad = f64([0.5]);
    opt.step();
    close(p.data, [1 - (0.1 * 0.6) / (0.6 + 1e-8)]); // g′ = 0.6
  });
  it('maximize ascends', () => {
    const p = f64([1], true);
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0, maximize: true });
    p.grad = f64([0.5]);
    opt.step();
    close(p.data, [1 + 0.1 / (1 + 2e-8)]);
  });
});

describe('SGD, hand-derived (PyTorch semantics)', () => {
  const grads = [[0.5, -1], [0.25, 2], [-1, 0.5]];
  /** Runs SGD from p0 = [1, −2] over `grads` and returns the parameters. */
  function run(opts: SGDOptions): Float64Array {
    const p = f64([1, -2], true);
    const opt = new SGD([p], opts);
    for (const g of grads) {
      p.grad = f64(g);
      opt.step();
    }
    return p.data as Float64Array;
  }
  /** The same recurrence written out per coordinate. */
  function ref(lr: number, mu: number, tau: number, wd: number, nesterov: boolean, maximize: boolean): number[] {
    return [1, -2].map((p0, j) => {
      let p = p0;
      let buf: number | null = null;
      for (const gs of grads) {
        let d = maximize ? -gs[j] : gs[j];
        d += wd * p;
        if (mu !== 0) {
          buf = buf === null ? d : mu * buf + (1 - tau) * d; // first step: buffer = d, no dampening
          d = nesterov ? d + mu * buf : buf;
        }
        p -= lr * d;
      }
      return p;
    });
  }
  it('plain: p −= lr·g', () => close(run({ lr: 0.1 }), [1 - 0.1 * (0.5 + 0.25 - 1), -2 - 0.1 * (-1 + 2 + 0.5)]));
  it('momentum 0.9 (first buffer = gradient)', () => {
    // coordinate 0: buf = 0.5, 0.9·0.5+0.25 = 0.7, 0.9·0.7−1 = −0.37 → p = 1 − 0.1·(0.5+0.7−0.37)
    close(run({ lr: 0.1, momentum: 0.9 }), [1 - 0.1 * (0.5 + 0.7 - 0.37), ref(0.1, 0.9, 0, 0, false, false)[1]]);
  });
  it('momentum + dampening', () => close(run({ lr: 0.1, momentum: 0.9, dampening: 0.5 }), ref(0.1, 0.9, 0.5, 0, false, false)));
  it('nesterov', () => close(run({ lr: 0.1, momentum: 0.9, nesterov: true }), ref(0.1, 0.9, 0, 0, true, false)));
  it('weight decay', () => close(run({ lr: 0.1, weightDecay: 0.1 }), ref(0.1, 0, 0, 0.1, false, false)));
  it('maximize + momentum + weight decay', () =>
    close(run({ lr: 0.05, momentum: 0.5, weightDecay: 0.2, maximize: true }), ref(0.05, 0.5, 0, 0.2, false, true)));
  it('momentum_buffer state (null without momentum)', () => {
    const p = f64([1], true);
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = f64([1]);
    opt.step();
    expect(opt.stateDict().state[0]).toEqual({ momentum_buffer: null });
    const q = f64([1], true);
    const o2 = new SGD([q], { lr: 0.1, momentum: 0.9 });
    q.grad = f64([2]);
    o2.step();
    expect(Array.from(o2.stateDict().state[0].momentum_buffer as Float64Array)).toEqual([2]);
  });
  it('constructor errors (torch 1.13 messages)', () => {
    const p = () => [f64([1], true)];
    expect(() => new SGD(p(), { lr: -1 })).toThrow('Invalid learning rate: -1');
    expect(() => new SGD(p(), { lr: 0.1, momentum: -0.5 })).toThrow('Invalid momentum value: -0.5');
    expect(() => new SGD(p(), { lr: 0.1, weightDecay: -1 })).toThrow('Invalid weight_decay value: -1');
    expect(() => new SGD(p(), { lr: 0.1, nesterov: true })).toThrow('Nesterov momentum requires a momentum and zero dampening');
    expect(() => new SGD(p(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      'Nesterov momentum requires a momentum and zero dampening',
    );
    expect(() => new SGD(p(), {} as never)).toThrow("parameter group didn't specify a value of required optimization parameter lr");
    expect(() => new SGD([], { lr: 0.1 })).toThrow('optimizer got an empty parameter list');
  });
});

describe('clipGradNorm (torch.nn.utils.clip_grad_norm_ 1.13)', () => {
  function setup(): [Tensor, Tensor] {
    const a = tensor([0, 0, 0], { requiresGrad: true });
    const b = tensor([0, 0], { requiresGrad: true });
    a.grad = tensor([0.1, 0.2, 0.3]);
    b.grad = tensor([0.4, -0.7]);
    return [a, b];
  }
  // These small cases match PyTorch exactly (the float32 sums are exact enough here).
  const same = (a: ArrayLike<number>, want: number[]) => expect(Array.from(a)).toEqual(want.map(Math.fround));
  it('2-norm over all gradients, clipped to max_norm (torch values)', () => {
    const [a, b] = setup();
    expect(clipGradNorm([a, b], 0.5)).toBe(Math.fround(0.8888194561004639));
    same(a.grad!.data, [0.05625432729721069, 0.11250865459442139, 0.16876298189163208]);
    same(b.grad!.data, [0.22501730918884277, -0.39378029108047485]);
  });
  it('inf-norm (torch values)', () => {
    const [a, b] = setup();
    expect(clipGradNorm([a, b], 0.5, Infinity)).toBe(Math.fround(0.699999988079071));
    same(a.grad!.data, [0.07142847031354904, 0.14285694062709808, 0.21428541839122772]);
    same(b.grad!.data, [0.28571388125419617, -0.4999992847442627]);
  });
  it('1-norm (torch values)', () => {
    const [a, b] = setup();
    expect(clipGradNorm([a, b], 0.5, 1)).toBe(Math.fround(1.7000000476837158));
    same(a.grad!.data, [0.02941174805164337, 0.05882349610328674, 0.08823524415493011]);
    same(b.grad!.data, [0.11764699220657349, -0.2058822363615036]);
  });
  it('below max_norm: gradients unchanged, norm returned', () => {
    const a = f64([0, 0], true);
    a.grad = f64([3, 4]);
    expect(clipGradNorm(a, 10)).toBe(5);
    expect(Array.from(a.grad.data)).toEqual([3, 4]);
  });
  it('float64: coefficient max_norm/(total+1e-6)', () => {
    const a = f64([0, 0], true);
    const b = f64([0], true);
    a.grad = f64([3, 0]);
    b.grad = f64([4]);
    expect(clipGradNorm([a, b], 1)).toBe(5);
    close(a.grad.data, [3 / (5 + 1e-6), 0]);
    close(b.grad.data, [4 / (5 + 1e-6)]);
  });
  it('parameters without gradients are ignored; none → 0', () => {
    const a = f64([1], true);
    expect(clipGradNorm([a], 1)).toBe(0);
  });
  it('non-finite norm: error with errorIfNonfinite, NaN spreads otherwise (as PyTorch)', () => {
    const [a, b] = setup();
    a.grad!.data[1] = NaN;
    expect(() => clipGradNorm([a, b], 0.5, 2, { errorIfNonfinite: true })).toThrow(
      'The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`',
    );
    expect(Number.isNaN(clipGradNorm([a, b], 0.5))).toBe(true);
    expect(Number.isNaN(b.grad!.data[0])).toBe(true);
  });
});
