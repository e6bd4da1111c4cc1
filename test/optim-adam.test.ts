// Adam against PyTorch: the golden training traces (test/fixtures/golden.json `adam_cases`), the
// fused kernel against its naive twin, PyTorch's constructor errors, and bit-exact resume from a
// state dict.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor } from '../src/tensor/create.js';
import { Adam } from '../src/optim/adam.js';
import { AdamW } from '../src/optim/adamw.js';
import { adamUpdate, adamUpdateNaive } from '../src/optim/adam-kernel.js';
import { fma32 } from '../src/optim/fma32.js';
import { allocF32, wasmAdam } from '../src/kernels/gemm-wasm.js';
import type { AdamHyper } from '../src/optim/adam-kernel.js';
import { LinearLR, CosineAnnealingLR, SequentialLR } from '../src/optim/lr-scheduler.js';
import type { LRScheduler } from '../src/optim/lr-scheduler.js';

type GT = { dtype: string; shape: number[]; data: number[] };
const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'));
const { atol, rtol } = golden.meta.tolerances.float64 as { atol: number; rtol: number };

function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, what: string, tol = { atol, rtol }): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i] - e[i]);
    if (!(err <= tol.atol + tol.rtol * Math.abs(e[i]))) {
      throw new Error(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${err})`);
    }
  }
}

const leaf = (t: GT) => tensor(Float64Array.from(t.data), { shape: t.shape, dtype: 'float64', requiresGrad: true });

/** mean cross-entropy of X W^T + b against class indices y, from plain ops (logSoftmax + pick). */
function ceLoss(X: Tensor, W: Tensor, b: Tensor, y: number[]): Tensor {
  const logits = X.matmul(W.T).add(b);
  const [n, c] = logits.shape;
  const logp = logits.logSoftmax(1).reshape([n * c]);
  return logp.indexSelect(0, y.map((yi, i) => i * c + yi)).mean().neg();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function makeCase(c: any, params: Tensor[]): { opt: Adam; sched: LRScheduler | null } {
  const a = c.adam;
  const opt = new Adam(params, { lr: a.lr, betas: a.betas, eps: a.eps, weightDecay: a.weight_decay, amsgrad: a.amsgrad });
  let sched: LRScheduler | null = null;
  if (c.schedule) {
    expect(c.schedule.type).toBe('SequentialLR');
    const [lin, cos] = c.schedule.schedulers;
    expect([lin.type, cos.type]).toEqual(['LinearLR', 'CosineAnnealingLR']);
    sched = new SequentialLR(opt, {
      schedulers: [
        new LinearLR(opt, { startFactor: lin.start_factor, endFactor: lin.end_factor, totalIters: lin.total_iters }),
        new CosineAnnealingLR(opt, { TMax: cos.T_max, etaMin: cos.eta_min }),
      ],
      milestones: c.schedule.milestones,
    });
  }
  return { opt, sched };
}

describe('Adam golden trajectories (autograd loss → backward → step → scheduler step)', () => {
  for (const c of golden.adam_cases) {
    it(c.name, () => {
      const X = tensor(Float64Array.from(c.problem.X.data), { shape: c.problem.X.shape, dtype: 'float64' });
      const y = c.problem.y.data as number[];
      const W = leaf(c.problem.W0);
      const b = leaf(c.problem.b0);
      const { opt, sched } = makeCase(c, [W, b]);
      for (const tr of c.trace) {
        const k = `step ${tr.step}`;
        expectClose(opt.paramGroups[0].lr, tr.lr_used, `${k} lr_used`);
        opt.zeroGrad();
        const loss = ceLoss(X, W, b, y);
        expectClose(loss.item(), tr.loss_before_step, `${k} loss`);
        loss.backward();
        expectClose(W.grad!.data, tr.grad.W.data, `${k} grad W`);
        expectClose(b.grad!.data, tr.grad.b.data, `${k} grad b`);
        opt.step();
        sched?.step();
        expectClose(W.data, tr.params_after.W.data, `${k} W`);
        expectClose(b.data, tr.params_after.b.data, `${k} b`);
        expectClose(opt.state.get(W)!.exp_avg, tr.exp_avg_W_after.data, `${k} exp_avg W`);
        expectClose(opt.state.get(W)!.exp_avg_sq, tr.exp_avg_sq_W_after.data, `${k} exp_avg_sq W`);
        expectClose(opt.paramGroups[0].lr, tr.lr_after_scheduler_step, `${k} lr after scheduler`);
        expect(opt.state.get(W)!.step).toBe(tr.step);
      }
    });
  }
});

describe('Adam golden trajectories, optimizer alone (recorded gradients fed in)', () => {
  // Isolates the update from autograd: with PyTorch's own gradients each step, the parameters
  // must follow PyTorch's to ~1e-15 relative (only ulp-level FMA/pow differences remain).
  for (const c of golden.adam_cases) {
    it(c.name, () => {
      const W = leaf(c.problem.W0);
      const b = leaf(c.problem.b0);
      const { opt, sched } = makeCase(c, [W, b]);
      const tight = { atol: 1e-15, rtol: 1e-12 };
      for (const tr of c.trace) {
        W.grad = tensor(Float64Array.from(tr.grad.W.data), { shape: tr.grad.W.shape, dtype: 'float64' });
        b.grad = tensor(Float64Array.from(tr.grad.b.data), { shape: tr.grad.b.shape, dtype: 'float64' });
        opt.step();
        sched?.step();
        expectClose(W.data, tr.params_after.W.data, `step ${tr.step} W`, tight);
        expectClose(b.data, tr.params_after.b.data, `step ${tr.step} b`, tight);
        expectClose(opt.state.get(W)!.exp_avg_sq, tr.exp_avg_sq_W_after.data, `step ${tr.step} exp_avg_sq`, tight);
      }
    });
  }
});

describe('adamUpdate (fused) equals adamUpdateNaive (op-by-op transcription) bit for bit', () => {
  // Deterministic pseudo-random data (LCG), values over several magnitudes.
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 10 ** Math.floor(((s >> 8) % 5) - 3);
  const configs: Array<Partial<AdamHyper>> = [
    {},
    { amsgrad: true },
    { maximize: true, weightDecay: 0.1 },
    { decoupled: true, weightDecay: 0.05 },
    { amsgrad: true, maximize: true, decoupled: true, weightDecay: 0.3, beta1: 0.5, beta2: 0.9, eps: 1e-3 },
  ];
  for (const Arr of [Float32Array, Float64Array]) {
    for (const cfg of configs) {
      it(`${Arr.name} ${JSON.stringify(cfg)}`, () => {
        const n = 101;
        const init = () => Arr.from(Array.from({ length: n }, rnd));
        const pA = init(), pB = pA.slice(), p0 = pA.slice();
        const mA = new Arr(n), mB = new Arr(n), vA = new Arr(n), vB = new Arr(n), xA = new Arr(n), xB = new Arr(n);
        for (let step = 1; step <= 7; step++) {
          const g = init();
          const hyp: AdamHyper = {
            lr: 0.001 * step, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step,
            amsgrad: false, maximize: false, decoupled: false, ...cfg,
          };
          adamUpdate(pA, g, mA, vA, xA, n, hyp);
          adamUpdateNaive(pB, g, mB, vB, xB, n, hyp);
        }
        const bytes = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
        expect(bytes(pA).equals(bytes(pB))).toBe(true);
        expect(bytes(mA).equals(bytes(mB))).toBe(true);
        expect(bytes(vA).equals(bytes(vB))).toBe(true);
        expect(bytes(xA).equals(bytes(xB))).toBe(true);
        expect(pA.some((x, i) => x !== p0[i])).toBe(true); // the parameters really moved
      });
    }
  }
});

describe('Adam / AdamW constructor errors (PyTorch 1.13 messages)', () => {
  const p = () => [tensor([1, 2], { requiresGrad: true })];
  const cases: Array<[string, () => unknown, string]> = [
    ['lr=-1', () => new Adam(p(), { lr: -1 }), 'Invalid learning rate: -1'],
    ['eps=-1', () => new Adam(p(), { eps: -1 }), 'Invalid epsilon value: -1'],
    ['betas=(1.0,0.999)', () => new Adam(p(), { betas: [1.0, 0.999] }), 'Invalid beta parameter at index 0: 1.0'],
    ['betas=(0.9,-0.1)', () => new Adam(p(), { betas: [0.9, -0.1] }), 'Invalid beta parameter at index 1: -0.1'],
    ['weight_decay=-1', () => new Adam(p(), { weightDecay: -1 }), 'Invalid weight_decay value: -1'],
    ['empty params', () => new Adam([]), 'optimizer got an empty parameter list'],
    ['lr=-1e-5 (Python float repr)', () => new Adam(p(), { lr: -1e-5 }), 'Invalid learning rate: -1e-05'],
    ['AdamW lr=-0.5', () => new AdamW(p(), { lr: -0.5 }), 'Invalid learning rate: -0.5'],
    ['AdamW betas', () => new AdamW(p(), { betas: [0.9, 1] }), 'Invalid beta parameter at index 1: 1.0'],
    ['AdamW empty params', () => new AdamW([]), 'optimizer got an empty parameter list'],
    ['group with bad lr', () => new Adam([{ params: p(), lr: -2 }]), 'Invalid learning rate: -2'],
    ['same parameter in two groups', () => { const q = p(); return new Adam([{ params: q }, { params: q }]); }, 'some parameters appear in more than one parameter group'],
    ['non-leaf parameter', () => new Adam([tensor([1], { requiresGrad: true }).mul(2)]), "can't optimize a non-leaf Tensor"],
  ];
  for (const [name, fn, msg] of cases) it(name, () => expect(fn).toThrow(msg));
  it('params is a tensor → TypeError naming torch.FloatTensor', () => {
    const t = tensor([1, 2], { requiresGrad: true });
    expect(() => new Adam(t as never)).toThrow(TypeError);
    expect(() => new Adam(t as never)).toThrow(
      'params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor',
    );
    expect(() => new AdamW(tensor([1], { dtype: 'float64' }) as never)).toThrow('but got torch.DoubleTensor');
  });
});

describe('Adam behaviour', () => {
  it('parameters without a gradient are skipped and get no state', () => {
    const a = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const b = tensor([3], { dtype: 'float64', requiresGrad: true });
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = tensor([1, -1], { dtype: 'float64' });
    opt.step();
    expect(opt.state.has(b)).toBe(false);
    expect(Array.from(b.data)).toEqual([3]);
    // first Adam step moves each coordinate by lr·g/|g| (up to eps): m̂ = g, v̂ = g², update = lr·g/(|g|+eps)
    expectClose(a.data, [1 - 0.1 / (1 + 1e-8), 2 + 0.1 / (1 + 1e-8)], 'a');
  });
  it('param groups: per-group options override defaults; lr is read at each step', () => {
    const a = tensor([0], { dtype: 'float64', requiresGrad: true });
    const b = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.5, betas: [0.5, 0.9] }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    expect(opt.paramGroups[0].betas).toEqual([0.9, 0.999]);
    expect(opt.paramGroups[1].betas).toEqual([0.5, 0.9]);
    a.grad = tensor([2], { dtype: 'float64' });
    b.grad = tensor([2], { dtype: 'float64' });
    opt.paramGroups[0].lr = 0.25;
    opt.step();
    expectClose(a.data, [-0.25 / (1 + 1e-8 / 2)], 'a'); // |g| = 2 → lr·2/(2+eps)
    expectClose(b.data, [-0.5 / (1 + 1e-8 / 2)], 'b');
  });
  it('zeroGrad sets gradients to null (or zeros with setToNone=false)', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const opt = new Adam([a]);
    a.grad = tensor([1, 1], { dtype: 'float32' });
    opt.zeroGrad(false);
    expect(Array.from(a.grad!.data)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });
  it('stateDict has PyTorch layout and keys', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3], { requiresGrad: true });
    const opt = new Adam([a, b], { lr: 0.01, amsgrad: true });
    a.grad = tensor([0.5, -0.5]);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0']);
    expect(Object.keys(sd.state[0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(sd.state[0].step).toBe(1);
    expect(sd.state[0].exp_avg).toBeInstanceOf(Float32Array);
    expect(sd.param_groups).toEqual([
      { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: true, maximize: false, params: [0, 1] },
    ]);
    expect(() => new Adam([a]).loadStateDict(sd)).toThrow(
      "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
    );
    expect(() => new Adam([{ params: [a] }, { params: [b] }]).loadStateDict(sd)).toThrow(
      'loaded state dict has a different number of parameter groups',
    );
  });
});

describe('resume from state dicts continues bit for bit (float32, amsgrad, SequentialLR warm-up + cosine)', () => {
  const c = golden.adam_cases[0];
  const f32 = (t: GT) => tensor(Float32Array.from(t.data), { shape: t.shape, dtype: 'float32', requiresGrad: true });
  const X = tensor(Float32Array.from(c.problem.X.data), { shape: c.problem.X.shape, dtype: 'float32' });
  const y = c.problem.y.data as number[];
  function build(W: Tensor, b: Tensor) {
    const opt = new Adam([W, b], { lr: 0.05, amsgrad: true, weightDecay: 0.01 });
    const sched = new SequentialLR(opt, {
      schedulers: [new LinearLR(opt, { startFactor: 0.01, totalIters: 4 }), new CosineAnnealingLR(opt, { TMax: 10, etaMin: 1e-4 })],
      milestones: [4],
    });
    return { opt, sched };
  }
  function train(W: Tensor, b: Tensor, opt: Adam, sched: LRScheduler, steps: number, lrs: number[]) {
    for (let i = 0; i < steps; i++) {
      lrs.push(opt.paramGroups[0].lr);
      opt.zeroGrad();
      ceLoss(X, W, b, y).backward();
      opt.step();
      sched.step();
    }
  }
  it('12 steps straight == 5 steps, save, restore into fresh objects, 7 steps', () => {
    const W1 = f32(c.problem.W0), b1 = f32(c.problem.b0);
    const r1 = build(W1, b1);
    const lrs1: number[] = [];
    train(W1, b1, r1.opt, r1.sched, 12, lrs1);

    const W2 = f32(c.problem.W0), b2 = f32(c.problem.b0);
    const r2 = build(W2, b2);
    const lrs2: number[] = [];
    train(W2, b2, r2.opt, r2.sched, 5, lrs2);
    // what a checkpoint holds; structuredClone proves it is plain data (+ typed arrays)
    const saved = structuredClone({
      W: W2.data, b: b2.data, opt: r2.opt.stateDict(), sched: r2.sched.stateDict(),
    });
    train(W2, b2, r2.opt, r2.sched, 2, []); // the old run goes on; the saved state must not change
    const W3 = tensor(saved.W, { shape: W2.shape, requiresGrad: true });
    const b3 = tensor(saved.b, { shape: b2.shape, requiresGrad: true });
    const r3 = build(W3, b3);
    r3.opt.loadStateDict(saved.opt);
    r3.sched.loadStateDict(saved.sched);
    train(W3, b3, r3.opt, r3.sched, 7, lrs2);

    expect(lrs2).toEqual(lrs1);
    expect(Array.from(W3.data)).toEqual(Array.from(W1.data));
    expect(Array.from(b3.data)).toEqual(Array.from(b1.data));
    const s1 = r1.opt.state.get(W1)!, s3 = r3.opt.state.get(W3)!;
    expect(s3.step).toBe(12);
    for (const k of ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']) expect(Array.from(s3[k] as Float32Array)).toEqual(Array.from(s1[k] as Float32Array));
    expect(r3.sched.getLastLr()).toEqual(r1.sched.getLastLr());
  });
});

describe('the WASM Adam kernel (what adamUpdate runs for float32 spans of ≥ 64 elements)', () => {
  // Through the kernel's first moment with β1 = 1: m' = fma32(g, 1 − β1 → b, m·1) = fma32(g, b, m),
  // four lanes per call sharing b: every lane must equal the scalar fma32 (itself checked against
  // exact integer arithmetic in optim-fma32.test.ts), double-rounding traps included.
  it('rounds a·b + c once, like fma32, on 20000 random triples and the double-rounding trap', () => {
    const kernel = wasmAdam()!;
    expect(kernel).not.toBeNull();
    const buf = allocF32(16);
    const at = buf.byteOffset;
    const run = (a: number[], b: number, c: number[]) => {
      buf.fill(0);
      for (let i = 0; i < 4; i++) { buf[4 + i] = a[i]; buf[8 + i] = c[i]; buf[12 + i] = 1; }
      kernel(at, at + 16, at + 32, at + 48, 4, 1, b, 0.999, 0.001, -0.001, 1, 1e-8, 1, 0, 0);
      return Array.from(buf.subarray(8, 12));
    };
    const trapA = Math.fround(2 ** -24 * (1 + 2 ** -23)), trapB = Math.fround(1 - 2 ** -23), trapC = Math.fround(1 + 2 ** -23);
    expect(run([trapA, -trapA, trapA, 0], trapB, [trapC, -trapC, 1, 1])).toEqual([fma32(trapA, trapB, trapC), fma32(-trapA, trapB, -trapC), fma32(trapA, trapB, 1), 1]);
    let s = 987654321;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const rf = () => Math.fround((rnd() - 0.5) * 2 ** Math.floor(rnd() * 40 - 20));
    for (let i = 0; i < 5000; i++) {
      const b = rf();
      const a = [rf(), rf(), rf(), rf()];
      const c = a.map((x, k) => (k === 0 ? Math.fround(-x * b * (1 + (rnd() - 0.5) * 2 ** -20)) : k === 1 ? Math.fround(1 + Math.floor(rnd() * 2 ** 23) * 2 ** -23) : rf()));
      const got = run(a, b, c);
      for (let k = 0; k < 4; k++) {
        const want = fma32(a[k], b, c[k]);
        if (!Object.is(got[k], want)) throw new Error(`lane ${k}: fma32(${a[k]}, ${b}, ${c[k]}) = ${want}, kernel ${got[k]}`);
      }
    }
  });

  it('equals the JS loop on 4099 parameters over 20 steps, for Adam, Adam + L2, AdamW and maximize', () => {
    let s = 777;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 10 ** Math.floor(((s >> 8) % 7) - 4);
    for (const cfg of [{}, { weightDecay: 0.1 }, { decoupled: true, weightDecay: 0.05 }, { maximize: true, weightDecay: 0.01 }]) {
      const n = 4099;
      const p1 = Float32Array.from({ length: n }, rnd), p2 = p1.slice();
      const m1 = new Float32Array(n), m2 = new Float32Array(n), v1 = new Float32Array(n), v2 = new Float32Array(n);
      for (let step = 1; step <= 20; step++) {
        const g = Float32Array.from({ length: n }, rnd);
        const hyp: AdamHyper = { lr: 0.003, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step, amsgrad: false, maximize: false, decoupled: false, ...cfg };
        adamUpdate(p1, g, m1, v1, null, n, hyp); // the WASM kernel
        adamUpdateNaive(p2, g, m2, v2, null, n, hyp); // op by op in JS
      }
      expect(Array.from(p1), JSON.stringify(cfg)).toEqual(Array.from(p2));
      expect(Array.from(m1)).toEqual(Array.from(m2));
      expect(Array.from(v1)).toEqual(Array.from(v2));
    }
  });

  it('in place on arrays in WASM memory (all four there: groups of four by the kernel, the tail by the loop) = the JS loop', () => {
    let s = 4242;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 10 ** Math.floor(((s >> 8) % 7) - 4);
    for (const n of [4099, 4096, 65]) {
      const p1 = allocF32(n), m1 = allocF32(n), v1 = allocF32(n), g1 = allocF32(n);
      p1.set(Float32Array.from({ length: n }, rnd));
      const p2 = p1.slice(), m2 = new Float32Array(n), v2 = new Float32Array(n);
      for (let step = 1; step <= 12; step++) {
        g1.set(Float32Array.from({ length: n }, rnd));
        const hyp: AdamHyper = { lr: 0.003, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step, amsgrad: false, maximize: false, decoupled: step % 2 === 0 };
        adamUpdate(p1, g1, m1, v1, null, n, hyp);
        adamUpdateNaive(p2, g1.slice(), m2, v2, null, n, hyp);
      }
      expect(Array.from(p1), `n ${n}`).toEqual(Array.from(p2));
      expect(Array.from(m1)).toEqual(Array.from(m2));
      expect(Array.from(v1)).toEqual(Array.from(v2));
    }
  });
});

describe('Adam state through JSON', () => {
  it('a JSON round trip of stateDict() loads back as float32 buffers and continues bit for bit', () => {
    const mk = () => tensor(Array.from({ length: 100 }, (_, i) => Math.sin(i)), { requiresGrad: true });
    const a = mk(), b = mk();
    const oa = new Adam([a], { lr: 0.01 }), ob = new Adam([b], { lr: 0.01 });
    const grad = (t: Tensor, k: number) => { t.grad = tensor(Array.from({ length: 100 }, (_, i) => Math.cos(i * k))); };
    for (let k = 1; k <= 3; k++) { grad(a, k); oa.step(); grad(b, k); ob.step(); }
    ob.loadStateDict(JSON.parse(JSON.stringify(ob.stateDict())));
    const st = ob.stateDict().state[0] as Record<string, unknown>;
    expect(st.exp_avg).toBeInstanceOf(Float32Array); // not {"0": …, "1": …}
    expect(st.exp_avg_sq).toBeInstanceOf(Float32Array);
    for (let k = 4; k <= 6; k++) { grad(a, k); oa.step(); grad(b, k); ob.step(); }
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});

describe('Adam over flat buffers (useFlatBuffers)', () => {
  it('one update over the whole span = the per-parameter updates, bit for bit; state dicts agree', () => {
    const shapes = [[3, 5], [7], [2, 2, 3]];
    const total = shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
    const flatP = allocF32(total), flatG = allocF32(total);
    const views: Tensor[] = [];
    const plain: Tensor[] = [];
    let o = 0;
    for (const sh of shapes) {
      const n = sh.reduce((a, b) => a * b, 1);
      const init = Float32Array.from({ length: n }, (_, k) => Math.sin(o + k) * 0.5);
      flatP.set(init, o);
      views.push(new Tensor(flatP.subarray(o, o + n), sh, 'float32', true));
      plain.push(new Tensor(init.slice(), sh, 'float32', true));
      o += n;
    }
    const flat = new AdamW(views, { lr: 0.01, weightDecay: 0.1 });
    flat.useFlatBuffers(flatP, flatG);
    const ref = new AdamW(plain, { lr: 0.01, weightDecay: 0.1 });
    for (let step = 1; step <= 5; step++) {
      o = 0;
      views.forEach((v, i) => {
        const n = v.data.length;
        const g = Float32Array.from({ length: n }, (_, k) => Math.cos(step * (o + k)));
        flatG.set(g, o);
        v.grad = new Tensor(flatG.subarray(o, o + n), [...v.shape], 'float32');
        plain[i].grad = new Tensor(g, [...v.shape], 'float32');
        o += n;
      });
      flat.step();
      ref.step();
    }
    expect(flat.flatSteps).toBe(5); // every step took the flat path
    views.forEach((v, i) => expect(Array.from(v.data)).toEqual(Array.from(plain[i].data)));
    const a = flat.stateDict().state, b = ref.stateDict().state;
    for (const i of Object.keys(b)) expect(Array.from(a[Number(i)].exp_avg_sq as Float32Array)).toEqual(Array.from(b[Number(i)].exp_avg_sq as Float32Array));
  });
});

describe('Adam.flatten: a parameter list moved into flat buffers', () => {
  // 75 + 9 + 36 = 120 values: the WASM kernel takes 120 (its groups of four), and a tail is left
  // when the last tensor is dropped (84 values: the kernel's 84, no tail; 75: 72 + a tail of 3).
  const shapes = [[15, 5], [9], [3, 4, 3]];
  const make = () => shapes.map((sh, t) => {
    const n = sh.reduce((a, b) => a * b, 1);
    return new Tensor(Float32Array.from({ length: n }, (_, k) => Math.sin(7 * t + k) * 0.5), sh, 'float32', true);
  });
  const setGrads = (ps: Tensor[], step: number) => ps.forEach((p, t) => {
    const g = Float32Array.from({ length: p.data.length }, (_, k) => Math.cos(step * (t + 1) + k));
    if (p.grad === null) p.grad = new Tensor(g, [...p.shape], 'float32');
    else (p.grad.data as Float32Array).set(g);
  });

  it('keeps every value, makes the parameters and gradients views of two buffers, and steps with the per-tensor bits', () => {
    for (const count of [3, 2, 1]) {
      const flatPs = make().slice(0, count), refPs = make().slice(0, count);
      setGrads(flatPs, 0);
      const before = flatPs.map((p) => Array.from(p.data));
      const beforeGrad = flatPs.map((p) => Array.from(p.grad!.data));
      const flat = new AdamW(flatPs, { lr: 0.01, weightDecay: 0.1 });
      expect(flat.flatten()).toBe(true);
      flatPs.forEach((p, i) => {
        expect(Array.from(p.data)).toEqual(before[i]);
        expect(Array.from(p.grad!.data)).toEqual(beforeGrad[i]);
        expect(p.data.buffer).toBe(flatPs[0].data.buffer);
        expect(p.grad!.data.buffer).toBe(flatPs[0].grad!.data.buffer);
      });
      const ref = new AdamW(refPs, { lr: 0.01, weightDecay: 0.1 });
      for (let step = 1; step <= 4; step++) {
        flat.zeroGrad(false);
        setGrads(flatPs, step);
        ref.zeroGrad();
        setGrads(refPs, step);
        flat.step();
        ref.step();
      }
      expect(flat.flatSteps).toBe(4);
      flatPs.forEach((p, i) => expect(Array.from(p.data), `${count} tensors`).toEqual(Array.from(refPs[i].data)));
      // zeroGrad() drops the gradient views: the per-tensor path, still the same bits
      flat.zeroGrad();
      setGrads(flatPs, 5);
      ref.zeroGrad();
      setGrads(refPs, 5);
      flat.step();
      ref.step();
      expect(flat.flatSteps).toBe(4);
      flatPs.forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(refPs[i].data)));
    }
  });

  it('changes nothing for float64 parameters or several groups', () => {
    const p64 = new Tensor(new Float64Array(80), [80], 'float64', true);
    const d = p64.data;
    expect(new Adam([p64]).flatten()).toBe(false);
    expect(p64.data).toBe(d);
    const [a, b] = make();
    const da = a.data;
    expect(new Adam([{ params: [a] }, { params: [b], lr: 0.1 }]).flatten()).toBe(false);
    expect(a.data).toBe(da);
  });
});

