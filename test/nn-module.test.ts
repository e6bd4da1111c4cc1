// Module bookkeeping (names, state dicts, modes), Linear and Dropout.
import { describe, it, expect } from 'vitest';
import { Module, Linear, Dropout, RnnClsNet, CrossEntropyLoss, tensor, randn, gradcheck, Generator, zeros } from '../src/index.js';

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
    expect(msg).toContain('size mismatch for fc.weight: copying a param with shape torch.Size([10, 8]) from checkpoint, the shape in current model is torch.Size([10, 16]).');
    const r = b.loadStateDict({ 'fc.bias': a.stateDict()['fc.bias'] }, false);
    expect(r.missingKeys.length).toBe(10);
  });

  it('a tied weight is listed once as a parameter but under both keys in stateDict, as in PyTorch', () => {
    // PyTorch 1.13, with b.weight = a.weight: state_dict() keys ['a.weight', 'b.weight'],
    // named_parameters() ['a.weight']; loading {'a.weight'} alone: Missing key(s) "b.weight".
    class Tied extends Module {
      a = this.registerModule('a', new Linear(2, 2, { bias: false }));
      b = this.registerModule('b', new Linear(2, 2, { bias: false }));
      constructor() {
        super();
        this.b.registerParameter('weight', this.a.getParameter('weight'));
      }
    }
    const m = new Tied();
    expect(Object.keys(m.stateDict())).toEqual(['a.weight', 'b.weight']);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['a.weight']);
    expect(() => m.loadStateDict({ 'a.weight': zeros([2, 2]) })).toThrow('Missing key(s) in state_dict: "b.weight".');
    m.loadStateDict({ 'a.weight': tensor([[1, 2], [3, 4]]), 'b.weight': tensor([[1, 2], [3, 4]]) });
    expect(Array.from(m.b.getParameter('weight').data)).toEqual([1, 2, 3, 4]);
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
    const d = new Dropout({ p: 0.25, generator: new Generator(6) });
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

// Buffers as torch.nn.Module.register_buffer (PyTorch 1.13, checked by hand):
//   nn.CrossEntropyLoss(weight=w).state_dict() → {'weight': w}; named_parameters() → [];
//   a module with parameters a, c, buffers b, nb (persistent=False) and a weighted-loss child 'sub'
//   has state_dict keys ['a', 'c', 'b', 'sub.weight'] and named_buffers ['b', 'nb', 'sub.weight'];
//   register_buffer('a') over a parameter and register_parameter('b') over a buffer both raise
//   "attribute 'a' already exists".
describe('Module buffers', () => {
  class M extends Module {
    a = this.registerParameter('a', zeros([1]))!;
    b = this.registerBuffer('b', tensor([1]))!;
    nb = this.registerBuffer('nb', tensor([2]), false)!;
    sub = this.registerModule('sub', new CrossEntropyLoss({ weight: tensor([1, 2]) }));
    c = this.registerParameter('c', zeros([1]))!;
  }

  it("CrossEntropyLoss's class weight is a buffer: in stateDict, not a parameter", () => {
    const w = tensor([1, 2, 3]);
    const loss = new CrossEntropyLoss({ weight: w });
    expect(Object.keys(loss.stateDict())).toEqual(['weight']);
    expect(Array.from(loss.stateDict().weight.data)).toEqual([1, 2, 3]);
    expect(loss.parameters()).toEqual([]);
    expect(loss.numParameters()).toBe(0);
    expect(Object.keys(new CrossEntropyLoss().stateDict())).toEqual([]);
    expect(w.requiresGrad).toBe(false);
  });

  it("stateDict order is PyTorch's: each module's parameters, then its persistent buffers, then children", () => {
    const m = new M();
    expect(Object.keys(m.stateDict())).toEqual(['a', 'c', 'b', 'sub.weight']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['b', 'nb', 'sub.weight']);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['a', 'c']);
  });

  it('loadStateDict fills buffers too, and strict loading wants them', () => {
    const m = new M();
    const sd = { a: tensor([5]), c: tensor([6]), b: tensor([7]), 'sub.weight': tensor([8, 9]) };
    m.loadStateDict(sd);
    expect([m.a.data[0], m.c.data[0], m.b.data[0], ...m.sub.weight!.data]).toEqual([5, 6, 7, 8, 9]);
    expect(m.nb.data[0]).toBe(2); // non-persistent: not part of the state
    const { b: _b, ...noB } = sd;
    expect(() => m.loadStateDict(noB)).toThrow('Missing key(s) in state_dict: "b".');
    expect(() => m.loadStateDict({ ...sd, nb: tensor([0]) })).toThrow('Unexpected key(s) in state_dict: "nb".');
  });

  it('names are checked as PyTorch does', () => {
    const m = new M();
    expect(() => m.registerBuffer('a', tensor([1]))).toThrow("attribute 'a' already exists");
    expect(() => m.registerParameter('b', tensor([1]))).toThrow("attribute 'b' already exists");
    expect(() => m.registerBuffer('x.y', tensor([1]))).toThrow('buffer name can\'t contain "."');
  });
});
