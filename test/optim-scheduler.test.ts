// LR schedulers against PyTorch 1.13: the golden traces (test/fixtures/golden.json
// `scheduler_cases`), the errors of invalid scheduler calls with PyTorch 1.13's exact messages,
// and sequences from PyTorch's test_lrscheduler.py / values printed by torch 1.13 (quoted where used).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { tensor } from '../src/tensor/create.js';
import { Adam } from '../src/optim/adam.js';
import { SGD } from '../src/optim/sgd.js';
import {
  LinearLR, CosineAnnealingLR, SequentialLR, LambdaLR, StepLR, ExponentialLR, ConstantLR, pyMod,
} from '../src/optim/lr-scheduler.js';

import { goldenScheduler } from '../web/play/src/golden-checks.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'));
const { atol, rtol } = golden.meta.tolerances.float64 as { atol: number; rtol: number };

function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${expected[i]}`);
    }
  });
}

const dummyAdam = (lr: number) => new Adam([tensor([0], { requiresGrad: true })], { lr });

describe('golden scheduler traces (optimizer step k uses lr_used_by_step[k-1])', () => {
  for (const c of golden.scheduler_cases) {
    it(c.name, () => {
      const opt = dummyAdam(c.base_lr);
      const sched = goldenScheduler(opt, c); // parses the case's description, as the golden page does
      expectClose([opt.paramGroups[0].lr], [c.lr_after_construction], 'lr after construction');
      const used: number[] = [];
      const last: number[] = [];
      for (let k = 0; k < c.steps; k++) {
        used.push(opt.paramGroups[0].lr);
        opt.step(); // no gradients: a no-op, but the order is the real one
        sched.step();
        last.push(sched.getLastLr()[0]);
        expect(sched.getLastLr()[0]).toBe(opt.paramGroups[0].lr);
      }
      expectClose(used, c.lr_used_by_step, 'lr_used_by_step');
      expectClose(last, c.get_last_lr_after_step, 'get_last_lr_after_step');
      if (c.closed_form_after_step) {
        // the recursive form and the closed form (step(epoch)) agree to rounding
        expectClose(last, c.closed_form_after_step, 'recursive vs golden closed form');
        const o2 = dummyAdam(c.base_lr);
        const s2 = new CosineAnnealingLR(o2, { TMax: c.args.T_max, etaMin: c.args.eta_min });
        const closed = last.map((_, k) => (s2.step(k + 1), o2.paramGroups[0].lr));
        expectClose(closed, c.closed_form_after_step, 'closed form');
        const worst = Math.max(...last.map((x, k) => Math.abs(x - closed[k])));
        expect(worst).toBeLessThanOrEqual(1e-15);
      }
    });
  }
});

describe('SequentialLR(LinearLR, CosineAnnealingLR) follows its closed form', () => {
  it('step k uses base·(0.01 + 0.99·(k−1)/W) for k ≤ W and cos_closed(k−1−W) after', () => {
    const base = 0.005, W = 10, S = 50, etaMin = 1e-4;
    const opt = dummyAdam(base);
    const sched = new SequentialLR(opt, {
      schedulers: [new LinearLR(opt, { startFactor: 0.01, totalIters: W }), new CosineAnnealingLR(opt, { TMax: S, etaMin })],
      milestones: [W],
    });
    for (let k = 1; k <= 60; k++) {
      const want = k <= W ? base * (0.01 + (0.99 * (k - 1)) / W) : etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * (k - 1 - W)) / S))) / 2;
      expect(Math.abs(opt.paramGroups[0].lr - want)).toBeLessThan(1e-15);
      sched.step();
    }
  });
});

describe('sequences from PyTorch (test_lrscheduler.py and torch 1.13 output)', () => {
  it('test_linearlr: start 0.5, total 4, base 0.05', () => {
    const opt = dummyAdam(0.05);
    const s = new LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
    const lrs: number[] = [];
    for (let i = 0; i < 7; i++) { lrs.push(opt.paramGroups[0].lr); s.step(); }
    expectClose(lrs, [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05], 'lr');
  });
  it('test_sequentiallr1: ExponentialLR(0.8) then StepLR(0.1, 4) at milestone 3 (torch 1.13 values)', () => {
    const opt = new SGD([tensor([0], { requiresGrad: true })], { lr: 0.05 });
    const s = new SequentialLR(opt, {
      schedulers: [new ExponentialLR(opt, { gamma: 0.8 }), new StepLR(opt, { gamma: 0.1, stepSize: 4 })],
      milestones: [3],
    });
    const lrs: number[] = [];
    for (let i = 0; i < 12; i++) { lrs.push(opt.paramGroups[0].lr); s.step(); }
    expect(lrs).toEqual([0.05, 0.04000000000000001, 0.03200000000000001, 0.05, 0.05, 0.05, 0.05,
      0.005000000000000001, 0.005000000000000001, 0.005000000000000001, 0.005000000000000001, 0.0005000000000000001]);
  });
  it('test_sequentiallr3: ConstantLR(0.1, 3) → ExponentialLR(0.9) → StepLR(0.1, 2), milestones [3, 6]', () => {
    const opt = new SGD([tensor([0], { requiresGrad: true })], { lr: 0.05 });
    const s = new SequentialLR(opt, {
      schedulers: [
        new ConstantLR(opt, { factor: 0.1, totalIters: 3 }),
        new ExponentialLR(opt, { gamma: 0.9 }),
        new StepLR(opt, { gamma: 0.1, stepSize: 2 }),
      ],
      milestones: [3, 6],
    });
    const lrs: number[] = [];
    const last: number[] = [];
    for (let i = 0; i < 10; i++) { lrs.push(opt.paramGroups[0].lr); s.step(); last.push(s.getLastLr()[0]); }
    const want = [0.005000000000000001, 0.005000000000000001, 0.005000000000000001, 0.05, 0.045000000000000005,
      0.04050000000000001, 0.05, 0.05, 0.005000000000000001, 0.005000000000000001];
    expect(lrs).toEqual(want);
    expect(last.slice(0, 9)).toEqual(want.slice(1)); // test_get_last_lr_sequentiallr
  });
  it('LambdaLR: lr = base·λ(epoch)', () => {
    const opt = new SGD([tensor([0], { requiresGrad: true })], { lr: 0.05 });
    const s = new LambdaLR(opt, { lrLambda: (e) => 0.5 ** e });
    const lrs: number[] = [];
    for (let i = 0; i < 4; i++) { lrs.push(opt.paramGroups[0].lr); s.step(); }
    expect(lrs).toEqual([0.05, 0.025, 0.0125, 0.00625]);
    expect(() => new LambdaLR(opt, { lrLambda: [(e) => e, (e) => e] })).toThrow('Expected 1 lr_lambdas, but got 2');
  });
  it('test_compound_cosanneal_and_linearlr: two schedulers stepped together compose (chainable form)', () => {
    // PyTorch's target: cosine closed form × linear warm-up factor (atol 1e-5 there); the exact
    // values below were printed by torch 1.13 for the same loop.
    const base = 0.05, T = 10, eta = 1e-10, iters = 4, start = 0.4;
    const opt = new SGD([tensor([0], { requiresGrad: true })], { lr: base });
    const lin = new LinearLR(opt, { startFactor: start, totalIters: iters });
    const cos = new CosineAnnealingLR(opt, { TMax: T, etaMin: eta });
    const lrs: number[] = [];
    for (let e = 0; e < T; e++) {
      lrs.push(opt.paramGroups[0].lr);
      const target = (eta + ((base - eta) * (1 + Math.cos((Math.PI * e) / T))) / 2) * (e < iters ? start + (e / iters) * (1 - start) : 1);
      expect(Math.abs(opt.paramGroups[0].lr - target)).toBeLessThan(1e-5);
      lin.step();
      cos.step();
    }
    expectClose(lrs, [0.020000000000000004, 0.02682702710150554, 0.031657797411729555, 0.033740436634281334,
      0.032725424899303114, 0.025000000054110166, 0.01727457520891722, 0.010305368773771707, 0.004774575231862138,
      0.0012235871903751533], 'torch values');
  });
  it('state dict keys match torch 1.13', () => {
    const opt = new SGD([tensor([0], { requiresGrad: true })], { lr: 0.05 });
    expect(new CosineAnnealingLR(opt, { TMax: 4, etaMin: 0.001 }).stateDict()).toEqual({
      T_max: 4, eta_min: 0.001, base_lrs: [0.05], last_epoch: 0, verbose: false, _step_count: 1,
      _get_lr_called_within_step: false, _last_lr: [0.05],
    });
    const opt2 = new SGD([tensor([0], { requiresGrad: true })], { lr: 0.05 });
    const s = new SequentialLR(opt2, { schedulers: [new LinearLR(opt2), new CosineAnnealingLR(opt2, { TMax: 3 })], milestones: [2] });
    s.step();
    expect(s.stateDict()).toEqual({
      _milestones: [2], last_epoch: 1, _last_lr: [0.023333333333333334],
      _schedulers: [
        { start_factor: 0.3333333333333333, end_factor: 1.0, total_iters: 5, base_lrs: [0.05], last_epoch: 1, verbose: false,
          _step_count: 2, _get_lr_called_within_step: false, _last_lr: [0.023333333333333334] },
        { T_max: 3, eta_min: 0, base_lrs: [0.05], last_epoch: -1, verbose: false, _step_count: 1,
          _get_lr_called_within_step: false, _last_lr: [0.016666666666666666] },
      ],
    });
    expect(opt2.stateDict().param_groups[0]).toEqual({
      lr: 0.023333333333333334, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false,
      initial_lr: 0.05, params: [0],
    });
  });
  it('cosine keeps following the curve past T_max and carries external lr changes (recursive form)', () => {
    const opt = dummyAdam(0.1);
    const s = new CosineAnnealingLR(opt, { TMax: 2 });
    s.step(); s.step();
    expect(opt.paramGroups[0].lr).toBeCloseTo(0, 15);
    s.step(); s.step();
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.1, 15); // period 2·T_max
    opt.paramGroups[0].lr = 0.05; // someone halves the lr: the recursion continues from it
    s.step();
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.025, 15);
  });
  it('resuming with lastEpoch needs initial_lr', () => {
    const opt = dummyAdam(0.1);
    expect(() => new CosineAnnealingLR(opt, { TMax: 10, lastEpoch: 3 })).toThrow(
      "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer",
    );
    opt.paramGroups[0].initialLr = 0.1;
    const s = new CosineAnnealingLR(opt, { TMax: 10, lastEpoch: 3 });
    expect(s.lastEpoch).toBe(4);
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.05 * (1 + Math.cos((4 * Math.PI) / 10)), 15);
  });
  it('Python modulo', () => {
    expect(pyMod(-11, 20)).toBe(9);
    expect(pyMod(7, -3)).toBe(-2);
    expect(pyMod(-20, 20)).toBe(0);
  });
});

describe('lr_scheduler errors (torch 1.13 messages)', () => {
  it('LinearLR start_factor=1.5 / end_factor=1.5', () => {
    expect(() => new LinearLR(dummyAdam(0.05), { startFactor: 1.5 })).toThrow('Starting multiplicative factor expected to be between 0 and 1.');
    expect(() => new LinearLR(dummyAdam(0.05), { endFactor: 1.5 })).toThrow('Ending multiplicative factor expected to be between 0 and 1.');
  });
  it('LinearLR end_factor=0 is accepted', () => {
    expect(() => new LinearLR(dummyAdam(0.05), { endFactor: 0 })).not.toThrow();
  });
  it('LinearLR start_factor=0: accepted, lr 0, then the first step divides by zero', () => {
    const opt = dummyAdam(0.05);
    const s = new LinearLR(opt, { startFactor: 0 });
    expect(s.getLastLr()).toEqual([0]);
    expect(() => s.step()).toThrow('float division by zero');
  });
  it('LinearLR total_iters=0: lr stays base·start', () => {
    const opt = dummyAdam(0.05);
    const s = new LinearLR(opt, { totalIters: 0 });
    expect(s.getLastLr()).toEqual([0.016666666666666666]); // torch 1.13 prints [0.016666666666666666]
    s.step();
    s.step();
    expect(s.getLastLr()).toEqual([0.016666666666666666]);
  });
  it('CosineAnnealingLR T_max=0: construction fine, first step → integer modulo by zero', () => {
    const s = new CosineAnnealingLR(dummyAdam(0.05), { TMax: 0 });
    expect(s.getLastLr()).toEqual([0.05]);
    expect(() => s.step()).toThrow('integer modulo by zero');
  });
  it('SequentialLR milestones count', () => {
    const opt = dummyAdam(0.05);
    expect(() => new SequentialLR(opt, { schedulers: [new LinearLR(opt), new LinearLR(opt)], milestones: [1, 2] })).toThrow(
      'Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers 2 and the number of milestones to be equal to 2',
    );
  });
  it('SequentialLR scheduler bound to another optimizer', () => {
    const opt = dummyAdam(0.05);
    const other = dummyAdam(0.05);
    expect(() => new SequentialLR(opt, { schedulers: [new LinearLR(opt), new LinearLR(other)], milestones: [1] })).toThrow(
      'Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index 1 to be different than the optimizer passed in.',
    );
  });
  it('SequentialLR empty schedulers', () => {
    expect(() => new SequentialLR(dummyAdam(0.05), { schedulers: [], milestones: [] })).toThrow(
      'Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers 0 and the number of milestones to be equal to 0',
    );
  });
  it('ConstantLR factor out of range; a scheduler needs an Optimizer', () => {
    expect(() => new ConstantLR(dummyAdam(0.05), { factor: 2 })).toThrow('Constant multiplicative factor expected to be between 0 and 1.');
    expect(() => new StepLR({ paramGroups: [] } as never, { stepSize: 1 })).toThrow('Object is not an Optimizer');
  });
});
