// What the PyTorch golden data cannot pin down: multinomial's distribution, replacement rules and
// seeding (PyTorch's random stream is not reproduced, so these are statistics and determinism),
// the TypeScript shapes of size()/topk()/tolist(), recur's option checks, the modules around the
// functional losses and activations, and the cases where recur raises and PyTorch guesses.
import { describe, expect, it } from 'vitest';
import {
  Tensor, tensor, F, Generator, multinomial, topk, zeros, ones, randn, full, arange, split, chunk,
  NLLLoss, MSELoss, LogSoftmax, Softmax, ReLU, Tanh, Sigmoid, init, noGrad, Embedding,
} from '../src/index.js';

// Float data written as integers (torch.tensor would make these int64).
const F32 = { dtype: 'float32' } as const;

describe('multinomial', () => {
  const w = tensor([1, 0, 3, 6], { dtype: 'float64' }); // p = 0.1, 0, 0.3, 0.6

  it('with replacement: frequencies match the normalised weights (chi-square, 3 dof)', () => {
    const n = 60000;
    const s = multinomial(w, n, { replacement: true, generator: new Generator(1) });
    expect(s.dtype).toBe('int64');
    expect(s.shape).toEqual([n]);
    const counts = [0, 0, 0, 0];
    for (const v of s.data) counts[v]++;
    expect(counts[1]).toBe(0); // a zero weight is never drawn
    const p = [0.1, 0.3, 0.6];
    const obs = [counts[0], counts[2], counts[3]];
    const chi2 = obs.reduce((acc, o, i) => acc + (o - n * p[i]) ** 2 / (n * p[i]), 0);
    expect(chi2).toBeLessThan(13.8); // p < 0.001 for 2 dof: fails on a biased sampler, not on noise
  });

  it('without replacement: no repeats in a row, and the first draw follows the weights', () => {
    const g = new Generator(7);
    const first = [0, 0, 0, 0];
    for (let t = 0; t < 20000; t++) {
      const s = multinomial(w, 3, { generator: g });
      expect(new Set(s.data).size).toBe(3);
      first[s.data[0]]++;
    }
    expect(first[1]).toBe(0);
    expect(Math.abs(first[3] / 20000 - 0.6)).toBeLessThan(0.02);
    expect(Math.abs(first[0] / 20000 - 0.1)).toBeLessThan(0.02);
  });

  it('without replacement, all categories: a permutation; zero weights come last (as PyTorch returns them)', () => {
    const s = multinomial(w, 4, { generator: new Generator(3) });
    expect([...s.data].sort()).toEqual([0, 1, 2, 3]);
    expect(s.data[3]).toBe(1);
  });

  it('second draw without replacement: P(second = j | first = i) = w_j / (1 − w_i)', () => {
    const g = new Generator(11);
    let firstIs3 = 0;
    let thenIs2 = 0;
    for (let t = 0; t < 20000; t++) {
      const s = multinomial(w, 2, { generator: g });
      if (s.data[0] === 3) { firstIs3++; if (s.data[1] === 2) thenIs2++; }
    }
    expect(Math.abs(thenIs2 / firstIs3 - 0.3 / 0.4)).toBeLessThan(0.02);
  });

  it('2-D input: one row of samples per row of weights; unnormalised float32 weights', () => {
    const rows = tensor([[0, 0, 5], [2, 0, 0]], F32);
    const s = rows.multinomial(4, true);
    expect(s.shape).toEqual([2, 4]);
    expect(s.tolist()).toEqual([[2, 2, 2, 2], [0, 0, 0, 0]]);
  });

  it('the same seed gives the same samples; another seed different ones; the default generator follows manualSeed', () => {
    const probs = F.softmax(randn([50], { generator: new Generator(5) }), 0);
    const a = multinomial(probs, 20, { replacement: true, generator: new Generator(42) });
    const b = multinomial(probs, 20, { replacement: true, generator: new Generator(42) });
    const c = multinomial(probs, 20, { replacement: true, generator: new Generator(43) });
    expect(a.tolist()).toEqual(b.tolist());
    expect(a.tolist()).not.toEqual(c.tolist());
  });

  it('positional replacement flag as in torch.multinomial(input, n, True); option keys are checked', () => {
    expect(multinomial(tensor([0, 1], F32), 3, true).tolist()).toEqual([1, 1, 1]);
    expect(() => multinomial(tensor([0, 1], F32), 1, { replace: true } as never)).toThrow(
      "multinomial() got an unexpected keyword argument 'replace'",
    );
    expect(() => multinomial(tensor([1, NaN]), 1)).toThrow('probability tensor contains either `inf`, `nan` or element < 0');
    expect(() => multinomial(tensor([1, Infinity]), 1)).toThrow('probability tensor contains either `inf`, `nan` or element < 0');
  });
});

describe('shapes PyTorch code takes for granted', () => {
  const x = zeros(2, 3, 4);
  it('size(d) is a number, size() the shape; negative d counts from the end', () => {
    const n: number = x.size(-1);
    const s: number[] = x.size();
    expect(n).toBe(4);
    expect(s).toEqual([2, 3, 4]);
    expect(x.size(0)).toBe(2);
    s[0] = 99; // a copy
    expect(x.shape[0]).toBe(2);
    expect(x.dim()).toBe(3);
  });
  it('topk returns [values, indices]; positional dim/largest as in torch, or an options object', () => {
    const t = tensor([[1, 9, 4], [7, 2, 8]], F32);
    const [v, i] = t.topk(2);
    expect(v.tolist()).toEqual([[9, 4], [8, 7]]);
    expect(i.tolist()).toEqual([[1, 2], [2, 0]]);
    const [v2, i2] = topk(t, 1, 0, false);
    expect(v2.tolist()).toEqual([[1, 2, 4]]);
    expect(i2.dtype).toBe('int64');
    expect(t.topk(1, { dim: 0, largest: false })[1].tolist()).toEqual([[0, 1, 0]]);
    expect(() => t.topk(1, { dims: 0 } as never)).toThrow("topk() got an unexpected keyword argument 'dims' (did you mean 'dim'?)");
  });
  it('topk: NaN ranks highest, ties keep index order, sorted: false still sorted', () => {
    const t = tensor([3, NaN, 5, 5, 1], F32);
    expect(Array.from(t.topk(3)[1].data)).toEqual([1, 2, 3]);
    expect(Array.from(t.topk(2, { largest: false })[1].data)).toEqual([4, 0]);
    expect(t.topk(2, { sorted: false })[0].tolist()).toEqual([NaN, 5]);
    // k = 1 takes a single scan: same ranking
    expect(t.topk(1)[1].tolist()).toEqual([1]);
    expect(tensor([5, 5, 1], F32).topk(1)[1].tolist()).toEqual([0]);
    expect(tensor([NaN, 2, 1, 1]).topk(1, { largest: false })[1].tolist()).toEqual([2]);
    expect(tensor([[NaN, 2], [0, 1]]).topk(1, 0)[1].tolist()).toEqual([[0, 0]]);
  });
  it('tolist: nested arrays, a number for 0-d', () => {
    expect(tensor([[1, 2], [3, 4]], F32).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(2.5).tolist()).toBe(2.5);
    expect(tensor([0, 3], { dtype: 'int64' }).view(2, 1).tolist()).toEqual([[0], [3]]);
  });
  it('detach cuts the graph and shares the data (truncated BPTT)', () => {
    const h = ones([2], { requiresGrad: true }).mul(3);
    const d = h.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data).toBe(h.data);
    const w = ones([2], { requiresGrad: true });
    d.mul(w).sum().backward();
    expect(w.grad!.tolist()).toEqual([3, 3]);
  });
  it('split/chunk: torch sizes, fewer chunks when the size does not divide', () => {
    const t = arange(7, { dtype: 'float32' });
    expect(chunk(t, 4).map((c) => c.size(0))).toEqual([2, 2, 2, 1]);
    expect(t.chunk(3).map((c) => c.size(0))).toEqual([3, 3, 1]);
    expect(split(t, 3).map((c) => c.tolist())).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const tsp = zeros(51, 3).chunk(3, 1);
    expect(tsp.map((c) => c.size())).toEqual([[51, 1], [51, 1], [51, 1]]);
  });
});

describe('factories', () => {
  it('zeros/ones/randn take torch.zeros(2, 3) and torch.zeros((2, 3)) forms, with options last', () => {
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(zeros([2, 3]).shape).toEqual([2, 3]);
    expect(ones(2, { dtype: 'int64' }).tolist()).toEqual([1, 1]);
    expect(zeros([1, 57], { dtype: 'float64' }).dtype).toBe('float64');
    expect(randn(2, 2, { generator: new Generator(0) }).shape).toEqual([2, 2]);
    expect(() => zeros([2], { dtpye: 'int64' } as never)).toThrow("zeros() got an unexpected keyword argument 'dtpye'");
    expect(() => zeros(2, 'float64' as never)).toThrow(TypeError);
    expect(() => zeros(2, -1)).toThrow('Trying to create tensor with negative dimension -1: [2, -1]');
  });
  it('full infers int64 from an integer fill value, as torch.full; options checked', () => {
    expect(full([2], 3).dtype).toBe('int64');
    expect(full([2], 0.5).dtype).toBe('float32');
    expect(full([2], 3, { dtype: 'float64' }).dtype).toBe('float64');
    expect(() => full([2], 0.5, { dtype: 'int64' })).toThrow('not an integer');
    expect(() => full([2], 1, { requires_grad: true } as never)).toThrow("recur spells PyTorch's 'requires_grad' as 'requiresGrad'");
  });
  it('arange: (end), (start, end), (start, end, step), each with options', () => {
    expect(arange(4).tolist()).toEqual([0, 1, 2, 3]);
    expect(arange(4, { dtype: 'float64' }).dtype).toBe('float64');
    expect(arange(1, 3, { dtype: 'float32' }).tolist()).toEqual([1, 2]);
    expect(arange(6, undefined, 2).tolist()).toEqual([0, 2, 4]);
    expect(() => arange(3, { step: 2 } as never)).toThrow("arange() got an unexpected keyword argument 'step'");
  });
});

describe('losses and activations as modules', () => {
  const logits = tensor([[0.5, -1, 2], [0.1, 0.2, -0.3]], { requiresGrad: true });
  const target = tensor([2, 0], { dtype: 'int64' });
  it('NLLLoss(LogSoftmax(x)) equals crossEntropy(x), value and gradient', () => {
    const a = new NLLLoss().forward(new LogSoftmax(1).forward(logits), target);
    a.backward();
    const ga = logits.grad!.tolist();
    logits.grad = null;
    const b = F.crossEntropy(logits, target);
    b.backward();
    expect(a.item()).toBeCloseTo(b.item(), 6);
    const gb = logits.grad!.tolist() as number[][];
    (ga as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(gb[i][j], 6)));
    logits.grad = null;
  });
  it('NLLLoss options: weight is a buffer in stateDict, reduction checked, snake_case rejected with a hint', () => {
    const l = new NLLLoss({ weight: tensor([1, 2, 3], F32), reduction: 'sum' });
    expect(Object.keys(l.stateDict())).toEqual(['weight']);
    expect(() => new NLLLoss({ reduction: 'avg' as 'mean' })).toThrow('avg is not a valid value for reduction');
    expect(() => new NLLLoss({ ignore_index: 0 } as never)).toThrow("recur spells PyTorch's 'ignore_index' as 'ignoreIndex'");
    expect(() => F.nllLoss(logits, target, { size_average: true } as never)).toThrow("nll_loss() got an unexpected keyword argument 'size_average'");
  });
  it('MSELoss: a target shape different from the input is an error, not a silent broadcast', () => {
    const y = tensor([[1], [2], [3]], F32);
    const t = tensor([1, 2, 3], F32);
    expect(() => new MSELoss().forward(y, t)).toThrow(
      'Using a target size (torch.Size([3])) that is different to the input size (torch.Size([3, 1])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    );
    expect(new MSELoss({ reduction: 'sum' }).forward(y, t.view(3, 1)).item()).toBe(0);
    expect(() => F.mseLoss(y, t.view(3, 1).double())).toThrow('same floating point dtype');
  });
  it('Softmax/LogSoftmax take dim positionally or as { dim }; a missing dim is an error, not a guess', () => {
    expect(new Softmax({ dim: 0 }).forward(tensor([1, 1], F32)).tolist()).toEqual([0.5, 0.5]);
    expect(new LogSoftmax(-1).dim).toBe(-1);
    expect(() => new LogSoftmax(undefined as never)).toThrow('give the dimension');
    expect(() => F.softmax(tensor([1], F32), undefined as never)).toThrow('give the dimension');
    expect(() => F.logSoftmax(tensor([1], F32), { axis: 0 } as never)).toThrow("logSoftmax() got an unexpected keyword argument 'axis'");
  });
  it('print(model) text: LogSoftmax(dim=1), NLLLoss(), MSELoss(), ReLU()', () => {
    expect(String(new LogSoftmax(1))).toBe('LogSoftmax(dim=1)');
    expect(String(new Softmax({ dim: -1 }))).toBe('Softmax(dim=-1)');
    expect(String(new NLLLoss())).toBe('NLLLoss()');
    expect(String(new MSELoss())).toBe('MSELoss()');
    expect(String(new ReLU())).toBe('ReLU()');
  });
  it('ReLU, Tanh, Sigmoid modules', () => {
    const v = tensor([-1, 0, 2], F32);
    expect(new ReLU().forward(v).tolist()).toEqual([0, 0, 2]);
    expect(new Tanh().forward(v).data[2]).toBeCloseTo(Math.tanh(2), 6);
    expect(new Sigmoid().forward(v).data[1]).toBe(0.5);
  });
  it('maskedFill: a float mask is an error (PyTorch 1.13 silently ignores it); int64 0/1 masks read as bool', () => {
    const v = tensor([1, 2, 3], F32);
    expect(() => v.maskedFill(tensor([1, 0, 0], F32), 0)).toThrow('masked_fill only supports boolean masks, but got mask with dtype float32');
    expect(v.maskedFill(tensor([0, 1, 0], { dtype: 'int64' }), -1).tolist()).toEqual([1, -1, 3]);
    expect(v.maskedFill(tensor([true, false, false]), 9).tolist()).toEqual([9, 2, 3]);
    expect(zeros([2], { dtype: 'bool' }).fill_(true).tolist()).toEqual([true, true]);
  });
  it('oneHot default infers the class count', () => {
    const o: Tensor = F.oneHot(tensor([0, 2], { dtype: 'int64' }));
    expect(o.tolist()).toEqual([[1, 0, 0], [0, 0, 1]]);
  });
});

describe('init and in-place fills', () => {
  it('init.uniform_: every draw in [a, b), mean and variance of U(a, b); seeded', () => {
    const w = init.uniform_(zeros(20000), -0.1, 0.1, { generator: new Generator(9) });
    let m = 0;
    for (const v of w.data) { expect(v).toBeGreaterThanOrEqual(-0.1); expect(v).toBeLessThan(0.1); m += v; }
    m /= w.data.length;
    let v2 = 0;
    for (const v of w.data) v2 += (v - m) ** 2;
    v2 /= w.data.length;
    expect(Math.abs(m)).toBeLessThan(0.002);
    expect(v2).toBeCloseTo(0.2 ** 2 / 12, 4);
    const again = init.uniform_(zeros(20000), -0.1, 0.1, { generator: new Generator(9) });
    expect(Array.from(again.data)).toEqual(Array.from(w.data));
  });
  it('init.normal_: mean and std; zeros_/ones_/constant_ exact; a parameter is filled without touching autograd', () => {
    const w = init.normal_(zeros([20000], { dtype: 'float64' }), 2, 0.5, { generator: new Generator(4) });
    const m = w.mean().item();
    const sd = Math.sqrt(w.sub(m).pow(2).mean().item());
    expect(Math.abs(m - 2)).toBeLessThan(0.02);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.02);
    const emb = new Embedding(5, 3);
    init.zeros_(emb.weight);
    expect(emb.weight.tolist()).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    expect(emb.weight.requiresGrad).toBe(true);
    expect(init.constant_(zeros(2), 0.25).tolist()).toEqual([0.25, 0.25]);
    expect(init.ones_(zeros(2)).tolist()).toEqual([1, 1]);
    expect(() => init.uniform_(zeros([2], { dtype: 'int64' }))).toThrow('expected a floating point tensor');
    expect(() => init.uniform_(zeros(2), 0, 1, { seed: 1 } as never)).toThrow("uniform_() got an unexpected keyword argument 'seed'");
  });
  it('fill_/zero_: plain tensors and leaves under noGrad; never a tensor inside the graph', () => {
    const idx = zeros([1, 1], { dtype: 'int64' }).fill_(7);
    expect(idx.tolist()).toEqual([[7]]);
    const leaf = ones([2], { requiresGrad: true });
    noGrad(() => leaf.zero_());
    expect(leaf.tolist()).toEqual([0, 0]);
    const mid = leaf.mul(2);
    expect(() => mid.fill_(1)).toThrow('in-place ops on a tensor that is part of the autograd graph are not supported');
    expect(() => idx.fill_(0.5)).toThrow('cannot be stored in an int64 tensor');
  });
  it('t() and contiguous() as in batchify: data.view(bsz, -1).t().contiguous()', () => {
    const data = arange(6, { dtype: 'float32' });
    expect(data.view(2, -1).t().contiguous().tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(data.t().shape).toEqual([6]);
  });
});
