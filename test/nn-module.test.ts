// Module bookkeeping (names, state dicts, modes), Linear and Dropout.
import { describe, it, expect } from 'vitest';
import { Module, Linear, Dropout, RnnClsNet, tensor, randn, gradcheck, Generator, zeros } from '../src/index.js';

const net = () => new RnnClsNet({ vocabSize: 11, embedDim: 10, hiddenDim: 16, numLayers: 2, numClasses: 10, generator: new Generator(0) });

describe('Module', () => {
  it("names parameters with PyTorch's dotted keys in registration order", () => {
    expect(net().namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'embedding.weight:11x10',
      'rnn.weight_ih_l0:16x10', 'rnn.weight_hh_l0:16x16', 'rnn.bias_ih_l0:16', 'rnn.bias_hh_l0:16',
      'rnn.weight_ih_l1:16x16', 'rnn.weight_hh_l1:16x16', 'rnn.bias_ih_l1:16', 'rnn.bias_hh_l1:16',
      'fc.weight:10x16', 'fc.bias:10',
    ]);
    // embedding 11·10, layer 0: 16·10 + 16·16 + 2·16, layer 1: 2·16·16 + 2·16, fc: 10·16 + 10
    expect(net().numParameters()).toBe(110 + 448 + 544 + 170);
  });

  it('loadStateDict copies values, and strict loading lists every problem at once', () => {
    const a = net();
    const b = new RnnClsNet({ vocabSize: 11, embedDim: 10, hiddenDim: 16, numLayers: 2, numClasses: 10, generator: new Generator(1) });
    b.loadStateDict(a.stateDict());
    for (const [k, p] of a.namedParameters()) expect(Array.from(b.stateDict()[k].data)).toEqual(Array.from(p.data));
    const sd = { ...a.stateDict() } as Record<string, ReturnType<typeof tensor>>;
    delete sd['fc.bias'];
    sd['rnn.weight_ih_l2'] = zeros([16, 16]);
    sd['fc.weight'] = zeros([10, 8]);
    let msg = '';
    try { b.loadStateDict(sd); } catch (e) { msg = (e as Error).message; }
    expect(msg).toContain('Error(s) in loading state_dict for RnnClsNet:');
    expect(msg).toContain('Missing key(s) in state_dict: "fc.bias".');
    expect(msg).toContain('Unexpected key(s) in state_dict: "rnn.weight_ih_l2".');
    expect(msg).toContain('size mismatch for fc.weight: copying a param with shape [10, 8] from checkpoint, the shape in current model is [10, 16].');
    const r = b.loadStateDict({ 'fc.bias': a.stateDict()['fc.bias'] }, false);
    expect(r.missingKeys.length).toBe(10);
  });

  it('train()/eval() reach every sub-module; zeroGrad clears gradients', () => {
    const m = net();
    m.eval();
    for (const [, sub] of m.namedModules()) expect(sub.training).toBe(false);
    m.train();
    for (const [, sub] of m.namedModules()) expect(sub.training).toBe(true);
    const x = tensor([[1, 2, 3]], { dtype: 'int64' });
    m.forward(x, tensor([3], { dtype: 'int64' })).sum().backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('rejects dotted names', () => {
    class M extends Module {}
    expect(() => new M().registerParameter('a.b', zeros([1]))).toThrow(`parameter name can't contain "." or be empty, got 'a.b'`);
  });
});

describe('Linear', () => {
  it('y = x W^T + b, with gradients checked by finite differences', () => {
    const lin = new Linear(3, 2, { dtype: 'float64', generator: new Generator(2) });
    const x = tensor([[1, 2, 3]], { dtype: 'float64' });
    const w = lin.weight.data;
    const b = lin.bias!.data;
    const y = lin.forward(x).toArray()[0];
    expect(y[0]).toBeCloseTo(w[0] * 1 + w[1] * 2 + w[2] * 3 + b[0], 12);
    expect(y[1]).toBeCloseTo(w[3] * 1 + w[4] * 2 + w[5] * 3 + b[1], 12);
    const xs = randn([4, 3], { dtype: 'float64', generator: new Generator(3) }).requiresGrad_();
    expect(gradcheck((xx) => lin.forward(xx), [xs])).toBe(true);
    expect(() => lin.forward(tensor([[1, 2]], { dtype: 'float64' }))).toThrow('mat1 and mat2 shapes cannot be multiplied (1x2 and 3x2)');
  });
  it('initialises within ±1/sqrt(in_features)', () => {
    const lin = new Linear(16, 10, { generator: new Generator(4) });
    for (const v of [...lin.weight.data, ...lin.bias!.data]) expect(Math.abs(v)).toBeLessThanOrEqual(0.25);
  });
});

describe('Dropout', () => {
  it('is the identity in eval mode and for p=0; p=1 zeroes; kept values are scaled by 1/(1-p)', () => {
    const x = randn([1000], { generator: new Generator(5) });
    const d = new Dropout(0.25, new Generator(6));
    d.eval();
    expect(d.forward(x)).toBe(x);
    d.train();
    const y = d.forward(x).data;
    let kept = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] !== 0) { kept++; expect(y[i]).toBeCloseTo(x.data[i] / 0.75, 5); }
    }
    expect(kept).toBeGreaterThan(700);
    expect(kept).toBeLessThan(800);
    expect(Array.from(new Dropout(1).forward(x).data).every((v) => v === 0)).toBe(true);
    expect(() => new Dropout(1.5)).toThrow('dropout probability has to be between 0 and 1, but got 1.5');
  });
});
