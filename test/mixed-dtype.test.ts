// float32 and float64 in one model or one optimizer, against PyTorch 1.13
// (test/fixtures/mixed_dtype.json, tools/gen_mixed_dtype_fixture.py): a forward that would mix
// dtypes raises PyTorch's error (its text first, then which weight and which dtypes) and never casts
// one dtype to the other; Adam and clipGradNorm over a mixed list work as PyTorch's do (float32
// state for the float32 parameter, float64 for the float64 one); the article's model with one
// float64 weight reports the mix.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Linear } from '../src/nn/linear.js';
import { GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell } from '../src/nn/rnn.js';
import type { RNNBase, RNNCellBase } from '../src/nn/rnn.js';
import { Parameter } from '../src/nn/parameter.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randn, tensor } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { Adam } from '../src/optim/adam.js';
import { clipGradNorm } from '../src/optim/clip-grad.js';
import { RnnClsNet } from '../src/models/rnn-cls-net.js';

interface Fixture {
  errors: Record<string, string>;
  adam: { init: number[][]; lr: number; weight_decay: number; steps: Array<{ grads: number[][]; after: number[][] }>; state_dtypes: string[] };
  clip: { grads: number[][]; max_norm: number; total: number; total_dtype: string; clipped: number[][] };
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/mixed_dtype.json', import.meta.url), 'utf8')) as Fixture;

const as64 = (t: Tensor) => new Parameter(tensor(Float64Array.from(t.data as Float32Array), { shape: [...t.shape], dtype: 'float64' }));
const x32 = (shape: number[]) => randn(shape, { generator: new Generator(1) });
const x64 = (shape: number[]) => randn(shape, { generator: new Generator(1), dtype: 'float64' });

/** The error `f` throws: PyTorch's text first, then recur's detail in parentheses. */
function expectTorchError(f: () => unknown, torchText: string, detail: RegExp): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(Error);
  const msg = (err as Error).message;
  expect(msg.startsWith(torchText), msg).toBe(true);
  expect(msg).toMatch(detail);
}

describe('a forward that mixes float32 and float64 raises PyTorch\'s error', () => {
  it('Linear: float64 weight or bias with a float32 input, and a float64 Linear on float32', () => {
    const lin = new Linear(3, 2, { generator: new Generator(0) });
    lin.weight = as64(lin.weight);
    expectTorchError(() => lin.forward(x32([4, 3])), fx.errors['linear weight float64, input float32'], /Linear: bias is float32, weight is float64/);
    const lb = new Linear(3, 2, { generator: new Generator(0) });
    lb.bias = as64(lb.bias!);
    expectTorchError(() => lb.forward(x32([4, 3])), fx.errors['linear bias float64, input float32'], /Linear: bias is float64, weight is float32/);
    const l64 = new Linear(3, 2, { dtype: 'float64' });
    expectTorchError(() => l64.forward(x32([4, 3])), fx.errors['linear float64, input float32'], /input is float32, weight is float64/);
    // the same module with matching dtypes still runs (nothing was changed by the failed calls)
    expect(l64.forward(x64([4, 3])).dtype).toBe('float64');
  });

  for (const kind of ['LSTM', 'GRU', 'RNN'] as const) {
    it(`${kind}: one float64 weight among float32 ones, with a float32 or a float64 input`, () => {
      const Make = { LSTM, GRU, RNN }[kind] as unknown as new (i: number, h: number, o: object) => RNNBase;
      const m = new Make(3, 4, { numLayers: 2, batchFirst: true, generator: new Generator(2) });
      m.forward(x32([2, 5, 3])); // all float32 first: the dtype check the module keeps must see the change below
      const before = m.parameters().map((p) => Float64Array.from(p.data as Float32Array));
      (m as unknown as Record<string, Tensor>).weight_hh_l1 = as64(m.getParameter('weight_hh_l1'));
      expect(m.getParameter('weight_hh_l1').dtype).toBe('float64');
      expectTorchError(() => m.forward(x32([2, 5, 3])), fx.errors[`${kind} weight_hh_l1 float64, input float32`], new RegExp(`${kind}: weight_hh_l1 is float64, the input is float32`));
      expectTorchError(() => m.forward(x64([2, 5, 3])), fx.errors[`${kind} weight_hh_l1 float64, input float64`], new RegExp(`${kind}: weight_ih_l0 is float32, the input is float64`));
      // no weight was touched (or cast)
      m.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(before[i])));
    });
  }

  for (const kind of ['LSTMCell', 'GRUCell', 'RNNCell'] as const) {
    it(`${kind}: a float64 weight_hh with float32 weight_ih and input`, () => {
      const Make = { LSTMCell, GRUCell, RNNCell }[kind] as unknown as new (i: number, h: number, o: object) => RNNCellBase;
      const c = new Make(3, 4, { generator: new Generator(3) }) as RNNCellBase & { weight_hh: Tensor; forward(x: Tensor): unknown };
      c.weight_hh = as64(c.weight_hh);
      expectTorchError(() => c.forward(x32([2, 3])), fx.errors[`${kind} weight_hh float64, input float32`], new RegExp(`${kind}: weight_hh is float64`));
    });
  }
});

describe('optimizers over a list mixing float32 and float64 parameters (as PyTorch)', () => {
  it('Adam: each parameter updated in its own dtype, equal to PyTorch (float32 bit for bit)', () => {
    const a = tensor(Float32Array.from(fx.adam.init[0]), { dtype: 'float32', requiresGrad: true });
    const b = tensor(Float64Array.from(fx.adam.init[1]), { shape: [3, 2], dtype: 'float64', requiresGrad: true });
    const opt = new Adam([a, b], { lr: fx.adam.lr, weightDecay: fx.adam.weight_decay });
    for (const s of fx.adam.steps) {
      a.grad = tensor(Float32Array.from(s.grads[0]), { dtype: 'float32' });
      b.grad = tensor(Float64Array.from(s.grads[1]), { shape: [3, 2], dtype: 'float64' });
      opt.step();
      expect(a.data).toBeInstanceOf(Float32Array);
      expect(b.data).toBeInstanceOf(Float64Array);
      expect(Array.from(a.data)).toEqual(s.after[0]);
      // float64: PyTorch's vectorised double kernel may round the last bit differently
      Array.from(b.data).forEach((v, i) => expect(Math.abs(v - s.after[1][i])).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(v))));
    }
    expect(opt.state.get(a)!.exp_avg).toBeInstanceOf(Float32Array);
    expect(opt.state.get(b)!.exp_avg).toBeInstanceOf(Float64Array);
    expect(fx.adam.state_dtypes).toEqual(['torch.float32', 'torch.float64']);
    // the state dict keeps each buffer's dtype, and a fresh optimizer resumes from it with the same bits
    const sd = opt.stateDict();
    expect(sd.state[0].exp_avg).toBeInstanceOf(Float32Array);
    expect(sd.state[1].exp_avg).toBeInstanceOf(Float64Array);
  });

  it('clipGradNorm: the total norm in float64 (torch.stack promotes), each gradient scaled in its own dtype', () => {
    const a = tensor(Float32Array.from([1, 2, 3, 4, 5]), { dtype: 'float32', requiresGrad: true });
    const b = tensor(new Float64Array(6), { shape: [3, 2], dtype: 'float64', requiresGrad: true });
    a.grad = tensor(Float32Array.from(fx.clip.grads[0]), { dtype: 'float32' });
    b.grad = tensor(Float64Array.from(fx.clip.grads[1]), { shape: [3, 2], dtype: 'float64' });
    const total = clipGradNorm([a, b], fx.clip.max_norm);
    expect(fx.clip.total_dtype).toBe('torch.float64');
    // the float32 part's norm is a float32 value (PyTorch sums in float32 in its own order: 1 ulp)
    expect(Math.abs(total - fx.clip.total)).toBeLessThan(1e-6 * fx.clip.total);
    expect(total).not.toBe(Math.fround(total)); // not rounded to float32: the float64 gradient promoted it
    expect(a.grad.data).toBeInstanceOf(Float32Array);
    Array.from(a.grad.data).forEach((v, i) => expect(Math.abs(v - fx.clip.clipped[0][i])).toBeLessThanOrEqual(2 ** -22 * Math.abs(v)));
    Array.from(b.grad.data).forEach((v, i) => expect(Math.abs(v - fx.clip.clipped[1][i])).toBeLessThan(1e-6 * Math.abs(v) + 1e-300));
  });
});

describe("the article's model and mixed dtypes", () => {
  it('a model with one float64 parameter reports the mix, naming the weight', () => {
    const net = new RnnClsNet({ vocabSize: 12, embedDim: 4, hiddenDim: 8, numLayers: 1, numClasses: 10, cell: 'lstm' });
    net.fc.weight = as64(net.fc.weight);
    const xs = tensor(Int32Array.from([1, 2, 3, 4, 5, 11]), { shape: [2, 3], dtype: 'int64' });
    expect(() => net.forward(xs, tensor(Int32Array.from([3, 2]), { dtype: 'int64' }))).toThrow(/^self and mat2 must have the same dtype \(Linear: bias is float32, weight is float64\)/);
  });
});
