// CrossEntropyLoss: every golden `cross_entropy_cases` entry, every CrossEntropyLoss row of
// FEATURES §10 (and its edge cases), PyTorch's own cross-entropy tests (PEERTESTS §D) and
// finite-difference gradient checks.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Tensor } from '../src/tensor/tensor.js';
import { storageFrom } from '../src/tensor/dtype.js';
import { tensor, zeros, randn, rand } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { gradcheck } from '../src/tensor/gradcheck.js';
import { CrossEntropyLoss, crossEntropy } from '../src/nn/loss.js';
import type { Reduction } from '../src/nn/loss.js';

type GT = { dtype: 'float32' | 'float64' | 'int64'; shape: number[]; data: Array<number | string> };
const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'));
const TOL = golden.meta.tolerances as Record<'float32' | 'float64', { atol: number; rtol: number }>;

function toTensor(g: GT, requiresGrad = false): Tensor {
  let vals = g.data.map((v) => (v === 'nan' ? NaN : (v as number)));
  if (g.dtype === 'float32') vals = vals.map(Math.fround);
  return new Tensor(storageFrom(g.dtype, vals), [...g.shape], g.dtype, requiresGrad);
}
function expectClose(actual: Tensor | null, expected: GT, what: string): void {
  expect(actual, what).not.toBeNull();
  expect(actual!.shape, `${what} shape`).toEqual(expected.shape);
  const { atol, rtol } = TOL[expected.dtype as 'float32' | 'float64'];
  const exp = toTensor(expected).data;
  for (let i = 0; i < exp.length; i++) {
    const a = actual!.data[i];
    const e = exp[i];
    if (Number.isNaN(e) ? !Number.isNaN(a) : !(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e}`);
    }
  }
}
const F64 = { dtype: 'float64' as const };
const long = (x: number[] | number[][] | number) => tensor(x as number[], { dtype: 'int64' });

describe('golden cross_entropy_cases', () => {
  expect((golden.cross_entropy_cases as unknown[]).length).toBe(28);
  for (const c of golden.cross_entropy_cases as any[]) {
    it(c.name, () => {
      const x = toTensor(c.input, true);
      const y = toTensor(c.target);
      const a = c.args;
      const opts = {
        reduction: a.reduction as Reduction,
        labelSmoothing: a.label_smoothing,
        ignoreIndex: a.ignore_index,
        weight: a.weight ? toTensor(a.weight) : null,
      };
      const out = new CrossEntropyLoss(opts).forward(x, y);
      expectClose(out, c.output, 'output');
      expectClose(crossEntropy(x, y, opts), c.output, 'functional output');
      if (c.grad?.grad_input) {
        out.backward(toTensor(c.grad.g_out));
        expectClose(x.grad, c.grad.grad_input, 'grad_input');
      } else {
        expect(Number.isNaN(out.item())).toBe(true);
      }
    });
  }
});

describe('CrossEntropyLoss errors (FEATURES §10)', () => {
  const x = () => randn([3, 4], { ...F64, generator: new Generator(1) });
  it("reduction='avg'", () => {
    expect(() => new CrossEntropyLoss({ reduction: 'avg' as Reduction })).toThrow('avg is not a valid value for reduction');
    expect(() => crossEntropy(x(), long([0, 1, 2]), { reduction: 'avg' as Reduction })).toThrow('avg is not a valid value for reduction');
  });
  it('labelSmoothing=1.2', () => {
    expect(() => new CrossEntropyLoss({ labelSmoothing: 1.2 })).toThrow('label_smoothing must be between 0.0 and 1.0. Got: 1.2');
    expect(() => crossEntropy(x(), long([0, 1, 2]), { labelSmoothing: 1.2 })).toThrow('label_smoothing must be between 0.0 and 1.0. Got: 1.2');
  });
  it('labelSmoothing=-0.1: no error, and (like 1.13) it means no smoothing', () => {
    const y = long([0, 3, 1]);
    expect(new CrossEntropyLoss({ labelSmoothing: -0.1 }).forward(x(), y).item()).toBe(crossEntropy(x(), y).item());
  });
  it('target class 4 out of range (C=4)', () => {
    expect(() => crossEntropy(x(), long([0, 4, 1]))).toThrow('Target 4 is out of bounds.');
  });
  it('target class -1 (not ignoreIndex)', () => {
    expect(() => crossEntropy(x(), long([0, -1, 1]))).toThrow('Target -1 is out of bounds.');
  });
  it('batch mismatch input (3,4) target (2,)', () => {
    expect(() => crossEntropy(x(), long([0, 1]))).toThrow('Expected input batch_size (3) to match target batch_size (2).');
  });
  it('target float of wrong shape', () => {
    expect(() => crossEntropy(x(), tensor([0, 1, 2], { dtype: 'float32' }))).toThrow('expected scalar type Long but found Float');
  });
  it('target of a non-int64 dtype (recur has no int32; float64 shown)', () => {
    expect(() => crossEntropy(x(), tensor([0, 1, 2], F64))).toThrow('expected scalar type Long but found Double');
  });
  it('target 2-D long for 2-D input', () => {
    expect(() => crossEntropy(x(), long([[0], [1], [2]]))).toThrow('0D or 1D target tensor expected, multi-target not supported');
  });
  it('input 0-D', () => {
    expect(() => crossEntropy(tensor(1, F64), long(1))).toThrow('Expected floating point type for target with class probabilities, got Long');
    expect(() => crossEntropy(tensor(1, F64), tensor(1, F64))).toThrow('cross_entropy: input must have shape (C), (N, C) or (N, C, d1, ...)');
  });
  it('all targets ignored, mean → NaN', () => {
    expect(Number.isNaN(crossEntropy(x(), long([-100, -100, -100])).item())).toBe(true);
  });
  it('weight wrong size', () => {
    expect(() => crossEntropy(x(), long([0, 1, 2]), { weight: tensor([1, 1, 1], F64) })).toThrow(
      'weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]',
    );
    expect(() => crossEntropy(x(), rand([3, 4], F64), { weight: tensor([1, 1, 1], F64) })).toThrow(
      'cross_entropy: weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]',
    );
  });
  it('edge: ignoreIndex=1 with probability targets', () => {
    expect(() => crossEntropy(x(), rand([3, 4], F64), { ignoreIndex: 1 })).toThrow('ignore_index is not supported for floating point target');
  });
  it('k-dim target of the wrong size', () => {
    expect(() => crossEntropy(zeros([2, 3, 4], F64), long([[0, 1, 2], [0, 1, 2]]))).toThrow('Expected target size [2, 4], got [2, 3]');
  });
  it('unbatched (C) input with a 1-D target', () => {
    expect(() => crossEntropy(zeros([4], F64), long([1]))).toThrow('size mismatch (got input: [4], target: [1])');
  });
});

/** Reference loss straight from the formula, per element, for index or probability targets. */
function reference(
  x: number[][],
  probs: number[][],
  w: number[] | null,
): number[] {
  return x.map((row, n) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return -row.reduce((s, v, c) => s + (w ? w[c] : 1) * probs[n][c] * (v - lse), 0);
  });
}

describe('cross-entropy behaviour (PEERTESTS §D)', () => {
  const gen = new Generator(21);
  /** (N, C, d1..dk) input, index target and the equivalent smoothed one-hot probabilities. */
  function kdim(k: number, C: number) {
    const spatial = [3, 2, 2, 1].slice(0, k);
    const x = randn([2, C, ...spatial], { ...F64, generator: gen });
    const S = spatial.reduce((a, b) => a * b, 1);
    const yData = Array.from({ length: 2 * S }, () => gen.randint(0, C - 1));
    const y = new Tensor(Int32Array.from(yData), [2, ...spatial], 'int64');
    return { x, y, S, yData, spatial };
  }
  for (const eps of [0.05, 0.15]) {
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      it(`label smoothing ε=${eps} (${reduction}) with index targets == smoothed one-hot probability targets, k = 0..4`, () => {
        for (let k = 0; k <= 4; k++) {
          const C = 4;
          const { x, y, S, yData, spatial } = kdim(k, C);
          const p = zeros([2, C, ...spatial], F64);
          for (let b = 0; b < 2; b++) {
            for (let s = 0; s < S; s++) {
              for (let c = 0; c < C; c++) p.data[(b * C + c) * S + s] = (c === yData[b * S + s] ? 1 : 0) * (1 - eps) + eps / C;
            }
          }
          const a = crossEntropy(x, y, { labelSmoothing: eps, reduction });
          const b = crossEntropy(x, p, { reduction });
          expect(a.shape).toEqual(b.shape);
          Array.from(a.data).forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 12));
          // ... and smoothing probability targets == smoothing them by hand (D56)
          const oneHot = zeros(p.shape, F64);
          for (let i = 0; i < p.data.length; i++) oneHot.data[i] = (p.data[i] - eps / C) / (1 - eps);
          const c2 = crossEntropy(x, oneHot, { labelSmoothing: eps, reduction });
          Array.from(c2.data).forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 12));
        }
      });
    }
  }
  for (const ignoreIndex of [-100, -2, 2, 1]) {
    it(`weights [0.3,0.6], ignoreIndex ${ignoreIndex}: ignored rows do not count (D57)`, () => {
      const w = tensor([0.3, 0.6], F64);
      const x = randn([4, 2], { ...F64, generator: gen });
      const tgt = [0, 1, ignoreIndex, 1];
      for (const reduction of ['mean', 'sum'] as const) {
        for (const eps of [0, 0.1]) {
          const opts = { weight: w, ignoreIndex, reduction, labelSmoothing: eps };
          const full = crossEntropy(x, long(tgt), opts).item();
          const x2 = x.detach().clone();
          x2.data[4] += 3;
          x2.data[5] -= 1;
          const yIdx = tgt.map((v, i) => [v, i] as const).filter(([v]) => v !== ignoreIndex).map(([, i]) => i);
          const removed = crossEntropy(x.indexSelect(0, yIdx), long(yIdx.map((i) => tgt[i])), opts).item();
          expect(crossEntropy(x2, long(tgt), opts).item()).toBeCloseTo(full, 12);
          expect(full).toBeCloseTo(removed, 12);
        }
      }
    });
  }
  it('probability targets match the reference formula for all reductions and weights; unit weights = none (D59)', () => {
    const x = randn([5, 3], { ...F64, generator: gen });
    const t = rand([5, 3], { ...F64, generator: gen });
    const X = x.toArray() as number[][];
    const P = t.toArray() as number[][];
    for (const w of [null, [0.2, 1.5, 0.7]]) {
      const ref = reference(X, P, w);
      const opts = { weight: w ? tensor(w, F64) : null };
      const none = crossEntropy(x, t, { ...opts, reduction: 'none' });
      ref.forEach((v, i) => expect(none.data[i]).toBeCloseTo(v, 12));
      const s = ref.reduce((a, b) => a + b, 0);
      expect(crossEntropy(x, t, { ...opts, reduction: 'sum' }).item()).toBeCloseTo(s, 12);
      expect(crossEntropy(x, t, { ...opts, reduction: 'mean' }).item()).toBeCloseTo(s / 5, 12); // ÷ N, not Σw
    }
    expect(crossEntropy(x, t, { weight: tensor([1, 1, 1], F64) }).item()).toBeCloseTo(crossEntropy(x, t).item(), 14);
  });
  it('unbatched (C) equals batched with N = 1, index and probability targets (D59)', () => {
    const x = randn([4], { ...F64, generator: gen });
    const xb = x.reshape(1, 4);
    expect(crossEntropy(x, long(2)).item()).toBeCloseTo(crossEntropy(xb, long([2])).item(), 14);
    const t = tensor([0.1, 0.2, 0.3, 0.4], F64);
    expect(crossEntropy(x, t).item()).toBeCloseTo(crossEntropy(xb, t.reshape(1, 4)).item(), 14);
    expect(crossEntropy(x, long(2), { reduction: 'none' }).shape).toEqual([]);
  });
  it('index targets: unit weights = no weights; == one-hot probability targets except weighted mean (D60)', () => {
    const x = randn([6, 3], { ...F64, generator: gen });
    const y = [0, 2, 1, 1, 0, 2];
    const oneHot = tensor(y.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))), F64);
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const a = crossEntropy(x, long(y), { reduction, weight: tensor([1, 1, 1], F64) });
      const b = crossEntropy(x, long(y), { reduction });
      const c = crossEntropy(x, oneHot, { reduction });
      Array.from(a.data).forEach((v, i) => {
        expect(v).toBeCloseTo(b.data[i], 14);
        expect(v).toBeCloseTo(c.data[i], 12);
      });
    }
    const w = tensor([0.5, 2, 1], F64);
    const idxMean = crossEntropy(x, long(y), { weight: w }).item();
    const sumW = y.reduce((s, c) => s + w.data[c], 0);
    expect(idxMean).toBeCloseTo(crossEntropy(x, long(y), { weight: w, reduction: 'sum' }).item() / sumW, 12);
  });
  it('zero-size input (5, 0) with (5, 0) targets does not raise (D61)', () => {
    const out = new CrossEntropyLoss().forward(rand([5, 0], F64), rand([5, 0], F64));
    expect(Number.isNaN(out.item())).toBe(true);
  });
  it('all ignored / zero total weight: sum → 0, mean → NaN, none → zeros (D62)', () => {
    const x = randn([3, 4], { ...F64, generator: gen });
    const y = long([-100, -100, -100]);
    expect(crossEntropy(x, y, { reduction: 'sum' }).item()).toBe(0);
    expect(Number.isNaN(crossEntropy(x, y).item())).toBe(true);
    expect(Array.from(crossEntropy(x, y, { reduction: 'none' }).data)).toEqual([0, 0, 0]);
    const wz = tensor([0, 1, 1, 1], F64);
    expect(Number.isNaN(crossEntropy(x, long([0, 0, 0]), { weight: wz }).item())).toBe(true);
  });
  it('float32 input gives a float32 result matching the float64 computation', () => {
    const x64 = randn([4, 5], { ...F64, generator: gen });
    const x32 = x64.to('float32').detach().requiresGrad_();
    const y = long([0, 4, 2, 1]);
    const out = crossEntropy(x32, y, { labelSmoothing: 0.1 });
    expect(out.dtype).toBe('float32');
    expect(out.item()).toBeCloseTo(crossEntropy(x64, y, { labelSmoothing: 0.1 }).item(), 5);
    out.backward();
    expect(x32.grad!.dtype).toBe('float32');
  });
  it('the module has no parameters and forwards its options', () => {
    const m = new CrossEntropyLoss({ weight: tensor([1, 2], F64), ignoreIndex: 0, reduction: 'sum' });
    expect(m.parameters()).toEqual([]);
    const x = randn([3, 2], { ...F64, generator: gen });
    expect(m.forward(x, long([1, 0, 1])).item()).toBe(crossEntropy(x, long([1, 0, 1]), { weight: tensor([1, 2], F64), ignoreIndex: 0, reduction: 'sum' }).item());
  });
});

describe('cross-entropy gradcheck (float64)', () => {
  const gen = new Generator(33);
  const configs = [
    { name: '(N,C) index, mean, weights, smoothing, ignore', shape: [5, 4], opts: { weight: tensor([0.5, 1, 2, 0.25], F64), labelSmoothing: 0.2, ignoreIndex: 1 } },
    { name: '(N,C,d) index, none', shape: [2, 3, 4], opts: { reduction: 'none' as const } },
    { name: '(N,C,d1,d2) index, sum, smoothing', shape: [2, 3, 2, 2], opts: { reduction: 'sum' as const, labelSmoothing: 0.1 } },
    { name: '(C) index', shape: [5], opts: {} },
  ];
  for (const c of configs) {
    it(c.name, () => {
      const x = randn(c.shape, { ...F64, generator: gen }).requiresGrad_();
      const C = c.shape.length === 1 ? c.shape[0] : c.shape[1];
      const tShape = c.shape.length === 1 ? [] : [c.shape[0], ...c.shape.slice(2)];
      const n = tShape.reduce((a, b) => a * b, 1);
      const y = new Tensor(Int32Array.from({ length: n }, () => gen.randint(0, C - 1)), tShape, 'int64');
      expect(gradcheck((t) => crossEntropy(t, y, c.opts), [x])).toBe(true);
    });
  }
  it('probability targets: gradients w.r.t. input and target, weights and smoothing', () => {
    const x = randn([3, 4, 2], { ...F64, generator: gen }).requiresGrad_();
    const t = rand([3, 4, 2], { ...F64, generator: gen }).requiresGrad_();
    const opts = { weight: tensor([0.5, 1, 2, 0.25], F64), labelSmoothing: 0.3 };
    expect(gradcheck((a, b) => crossEntropy(a, b, opts), [x, t])).toBe(true);
    expect(gradcheck((a, b) => crossEntropy(a, b, { reduction: 'none' }), [x, t])).toBe(true);
  });
});
