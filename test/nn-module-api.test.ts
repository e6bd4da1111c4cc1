// Module as torch.nn.Module: fields register sub-modules and Parameters in assignment order, and
// printing, state-dict keys, traversal and load errors match PyTorch (test/fixtures/module.json,
// written by tools/gen_module_fixture.py).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  Module, Linear, LSTM, GRU, RNN, Embedding, Dropout, LSTMCell, GRUCell, RNNCell, CrossEntropyLoss, Parameter,
  Tensor, ones, zeros, tensor, Generator, parseSafetensors, serializeSafetensors,
} from '../src/index.js';

interface ModelFixture {
  repr: string;
  state_dict_keys: string[];
  state_dict_shapes: number[][];
  named_parameters: string[];
  named_buffers: string[];
  named_modules: Array<[string, string]>;
  named_children: Array<[string, string]>;
  apply_order: string[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/module.json', import.meta.url), 'utf8')) as {
  models: Record<'CharLM' | 'Seq2Seq' | 'Assigned', ModelFixture>;
  modules: Record<string, string>;
  load_errors: { strict_True: string; strict_False: string; keys_only: string; non_strict_result: { missing_keys: string[]; unexpected_keys: string[] } };
};

class CharLM extends Module {
  embed = new Embedding(76, 32);
  lstm = new LSTM(32, 128, { numLayers: 2, batchFirst: true });
  drop = new Dropout(0.2);
  fc = new Linear(128, 76);
}

class Encoder extends Module {
  embedding: Embedding;
  gru: GRU;
  constructor() {
    super();
    this.embedding = new Embedding(10, 8, { paddingIdx: 0 });
    this.gru = new GRU(8, 16, { bidirectional: true });
  }
}

class Seq2Seq extends Module {
  encoder = new Encoder();
  scale = new Parameter(ones([3]));
  decoder = new LSTMCell(16, 16);
  steps: Tensor;
  out = new Linear(16, 10, false);
  head = this.out;
  loss = new CrossEntropyLoss();
  constructor() {
    super();
    this.steps = this.registerBuffer('steps', zeros([1]));
  }
}

// Declared in another order than assigned: registration follows assignment, as in PyTorch.
class Assigned extends Module {
  a: RNN;
  c: RNNCell;
  b: Linear;
  constructor() {
    super();
    this.b = new Linear(2, 3);
    this.a = new RNN(3, 4, { nonlinearity: 'relu', bias: false });
    this.c = new RNNCell(4, 5, { nonlinearity: 'relu' });
  }
}

const builders = { CharLM: () => new CharLM(), Seq2Seq: () => new Seq2Seq(), Assigned: () => new Assigned() };

describe('Module: fields register, traversal and printing match PyTorch', () => {
  for (const [name, build] of Object.entries(builders) as Array<[keyof typeof builders, () => Module]>) {
    const want = fx.models[name];
    it(`${name}: print(model)`, () => {
      expect(build().toString()).toBe(want.repr);
      expect(String(build())).toBe(want.repr);
    });
    it(`${name}: stateDict keys and shapes in order`, () => {
      const sd = build().stateDict();
      expect(Object.keys(sd)).toEqual(want.state_dict_keys);
      expect(Object.values(sd).map((t) => t.shape)).toEqual(want.state_dict_shapes);
    });
    it(`${name}: namedParameters, namedBuffers, namedModules, namedChildren, apply`, () => {
      const m = build();
      expect(m.namedParameters().map(([n]) => n)).toEqual(want.named_parameters);
      expect(m.parameters().length).toBe(want.named_parameters.length);
      expect(m.namedBuffers().map(([n]) => n)).toEqual(want.named_buffers);
      expect([...m.namedModules()].map(([n, x]) => [n, x.constructor.name])).toEqual(want.named_modules);
      expect([...m.modules()].length).toBe(want.named_modules.length);
      expect([...m.namedChildren()].map(([n, x]) => [n, x.constructor.name])).toEqual(want.named_children);
      expect([...m.children()].length).toBe(want.named_children.length);
      const names = new Map([...m.namedModules()].map(([n, x]) => [x, n]));
      const order: string[] = [];
      expect(m.apply((x) => order.push(names.get(x)!))).toBe(m);
      expect(order).toEqual(want.apply_order);
    });
  }

  it('each built-in module prints as PyTorch prints it', () => {
    const ours: Record<string, Module> = {
      'Linear(128, 76)': new Linear(128, 76),
      'Linear(4, 2, bias=False)': new Linear(4, 2, { bias: false }),
      'Embedding(76, 32)': new Embedding(76, 32),
      'Embedding(10, 4, padding_idx=0, max_norm=1.0, scale_grad_by_freq=True)':
        new Embedding(10, 4, { paddingIdx: 0, maxNorm: 1, scaleGradByFreq: true }),
      'Embedding(10, 4, max_norm=2.0, norm_type=1.0)': new Embedding(10, 4, { maxNorm: 2, normType: 1 }),
      'Dropout()': new Dropout(),
      'Dropout(0.25)': new Dropout(0.25),
      'LSTM(32, 128, num_layers=2, batch_first=True)': new LSTM(32, 128, { numLayers: 2, batchFirst: true }),
      'LSTM(8, 16, proj_size=4, dropout=0.5, num_layers=2, bidirectional=True, bias=False)':
        new LSTM(8, 16, { projSize: 4, dropout: 0.5, numLayers: 2, bidirectional: true, bias: false }),
      'GRU(3, 5)': new GRU(3, 5),
      'RNN(3, 5, nonlinearity=relu)': new RNN(3, 5, { nonlinearity: 'relu' }),
      'LSTMCell(3, 5)': new LSTMCell(3, 5),
      'GRUCell(3, 5, bias=False)': new GRUCell(3, 5, { bias: false }),
      'RNNCell(3, 5)': new RNNCell(3, 5),
      'CrossEntropyLoss()': new CrossEntropyLoss(),
      'CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)': new CrossEntropyLoss({ ignoreIndex: 0, labelSmoothing: 0.1 }),
      'Module()': new Module(),
    };
    expect(Object.keys(ours)).toEqual(Object.keys(fx.modules));
    for (const [k, m] of Object.entries(ours)) expect(m.toString(), k).toBe(fx.modules[k]);
  });
});

describe('Module: assignment semantics (torch __setattr__)', () => {
  it('a plain Tensor field is not a parameter; a Parameter field is', () => {
    class M extends Module {
      w = new Parameter(zeros([2]));
      notParam = zeros([3]);
    }
    const m = new M();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['w']);
    expect(m.w.requiresGrad).toBe(true);
    expect(m.w).toBeInstanceOf(Tensor);
  });
  it('reassigning a sub-module replaces it in place (same key position); null keeps the key', () => {
    const m = new CharLM();
    m.lstm = new LSTM(32, 64);
    expect(Object.keys(m.stateDict())[1]).toBe('lstm.weight_ih_l0');
    expect(m.stateDict()['lstm.weight_ih_l0'].shape).toEqual([256, 32]);
    (m as { drop: Dropout | null }).drop = null;
    expect(m.toString()).toContain('(drop): None');
    delete (m as { fc?: Linear }).fc;
    expect([...m.namedChildren()].map(([n]) => n)).toEqual(['embed', 'lstm']);
  });
  it("rejects a non-Module on a sub-module's name and a plain Tensor on a parameter's name (torch's TypeErrors)", () => {
    const m = new CharLM();
    expect(() => { (m as unknown as { lstm: number }).lstm = 3; }).toThrow(
      new TypeError("cannot assign 'int' as child module 'lstm' (torch.nn.Module or None expected)"),
    );
    expect(() => { (m.fc as { weight: Tensor }).weight = zeros([76, 128]); }).toThrow(
      new TypeError("cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or None expected)"),
    );
  });
  it('registerModule / registerParameter still work, mixed with fields, in call order', () => {
    class M extends Module {
      first = new Linear(1, 1);
      constructor() {
        super();
        this.registerParameter('p', zeros([1]));
        this.registerModule('second', new Linear(1, 2));
      }
    }
    expect(Object.keys(new M().stateDict())).toEqual(['p', 'first.weight', 'first.bias', 'second.weight', 'second.bias']);
  });
  it('a tied weight (word_language_model style) is one parameter and two state-dict keys', () => {
    class Tied extends Module {
      enc = new Embedding(5, 3);
      dec = new Linear(3, 5);
      constructor() {
        super();
        this.dec.weight = this.enc.weight;
      }
    }
    const t = new Tied();
    expect(Object.keys(t.stateDict())).toEqual(['enc.weight', 'dec.weight', 'dec.bias']);
    expect(t.namedParameters().map(([n]) => n)).toEqual(['enc.weight', 'dec.bias']);
    expect(t.dec.weight).toBe(t.enc.weight);
  });
});

describe('Module: modes, grads, loading', () => {
  it('train()/eval() set training on every sub-module; a non-boolean mode is an error', () => {
    const m = new Seq2Seq();
    m.eval();
    expect([...m.modules()].every((x) => !x.training)).toBe(true);
    m.train();
    expect([...m.modules()].every((x) => x.training)).toBe(true);
    expect(() => m.train(1 as unknown as boolean)).toThrow('training mode is expected to be boolean');
  });
  it('requiresGrad(flag) freezes and unfreezes every parameter', () => {
    const m = new CharLM();
    m.requiresGrad(false);
    expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
    m.requiresGrad_(true);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
  });
  it('zeroGrad() sets grads to null; { setToNone: false } zero-fills them', () => {
    const m = new Linear(2, 1, { generator: new Generator(0) });
    const run = () => m.forward(tensor([[1.5, -2]])).sum().backward();
    run();
    const g = m.weight.grad!;
    m.zeroGrad({ setToNone: false });
    expect(m.weight.grad).toBe(g);
    expect(Array.from(g.data)).toEqual([0, 0]);
    m.zeroGrad();
    expect(m.weight.grad).toBeNull();
    expect(() => m.zeroGrad({ set_to_none: false } as never)).toThrow("recur spells PyTorch's 'set_to_none' as 'setToNone'");
  });
  it("loadStateDict: PyTorch's strict and non-strict errors, word for word", () => {
    const m = new CharLM();
    const sd: Record<string, Tensor> = { ...m.stateDict() };
    delete sd['fc.bias'];
    sd['fc.extra'] = zeros([2]);
    const keysOnly = { ...sd };
    sd['lstm.weight_ih_l0'] = zeros([512, 16]);
    expect(() => m.loadStateDict(sd)).toThrow(fx.load_errors.strict_True);
    expect(() => m.loadStateDict(sd, { strict: false })).toThrow(fx.load_errors.strict_False);
    expect(() => m.loadStateDict(keysOnly)).toThrow(fx.load_errors.keys_only);
    const r = m.loadStateDict(keysOnly, false);
    expect(r).toEqual({ missingKeys: fx.load_errors.non_strict_result.missing_keys, unexpectedKeys: fx.load_errors.non_strict_result.unexpected_keys });
    expect(() => m.loadStateDict(keysOnly, { strcit: false } as never)).toThrow("did you mean 'strict'?");
  });
  it('loadStateDict takes parseSafetensors(...).tensors directly (int64 as BigInt64Array too)', () => {
    class WithSteps extends Module {
      fc = new Linear(2, 2, { generator: new Generator(1) });
      steps: Tensor;
      constructor() {
        super();
        this.steps = this.registerBuffer('steps', tensor([0], { dtype: 'int64' }));
      }
    }
    const a = new WithSteps();
    a.steps.data[0] = 41;
    const bytes = serializeSafetensors({
      'fc.weight': { dtype: 'float32', shape: [2, 2], data: a.fc.weight.data as Float32Array },
      'fc.bias': { dtype: 'float32', shape: [2], data: a.fc.bias!.data as Float32Array },
      steps: { dtype: 'int64', shape: [1], data: BigInt64Array.from([41n]) },
    });
    const b = new WithSteps();
    b.loadStateDict(parseSafetensors(bytes).tensors);
    expect(Array.from(b.fc.weight.data)).toEqual(Array.from(a.fc.weight.data));
    expect(b.steps.data[0]).toBe(41);
  });
});
