// Bad input gets a clear error and loses nothing: a module used after dispose(), and a mismatched
// shape fed into a training step or the optimizers (a parameter replaced while a Trainer holds the
// old one, a wrong-shaped state dict, a malformed batch, gradients of the wrong shape). Each error names what is wrong; the weights (and optimizer state) are exactly
// what they were before the failed call, and training goes on from them with the same bits.
import { describe, expect, it } from 'vitest';
import { Module } from '../src/nn/module.js';
import { Linear } from '../src/nn/linear.js';
import { LSTM } from '../src/nn/rnn.js';
import { Embedding } from '../src/nn/embedding.js';
import { Parameter } from '../src/nn/parameter.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randn, tensor } from '../src/tensor/create.js';
import { sum } from '../src/tensor/ops.js';
import { Generator } from '../src/tensor/random.js';
import { Adam } from '../src/optim/adam.js';
import { SGD } from '../src/optim/sgd.js';
import { saveBytes, loadBytes } from '../src/io/state-dict.js';
import { workspaceSize } from '../src/runtime/wasm/workspace.js';
import { Trainer, accuracy } from '../src/train/trainer.js';
import { resolveConfig } from '../src/train/config.js';
import { getTask } from '../src/tasks/registry.js';
import { allocF32 } from '../src/kernels/gemm-wasm.js';

const bits = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? 0 : v));
const snapshot = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, bits(t.data)]));

class Net extends Module {
  emb = new Embedding(11, 6, { generator: new Generator(1) });
  rnn = new LSTM(6, 8, { numLayers: 2, batchFirst: true, generator: new Generator(2) });
  fc = new Linear(8, 11, { generator: new Generator(3) });
  forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(this.emb.forward(x));
    return this.fc.forward(out);
  }
}
const tokens = () => tensor(Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 11), { shape: [3, 4], dtype: 'int64' });

describe('a module used after dispose()', () => {
  it('Linear: forward throws, takes no new memory; weights, stateDict and saving still work', () => {
    const lin = new Linear(5, 3, { generator: new Generator(4) });
    const x = randn([2, 5], { generator: new Generator(5) });
    const y = Array.from(lin.forward(x).data);
    expect(workspaceSize(lin)).toBeGreaterThan(0);
    const before = snapshot(lin);
    lin.dispose();
    expect(lin.disposed).toBe(true);
    expect(workspaceSize(lin)).toBe(0);
    expect(() => lin.forward(x)).toThrow('Linear: used after dispose()');
    expect(workspaceSize(lin)).toBe(0);
    expect(snapshot(lin)).toEqual(before);
    // nothing is lost: the saved weights give a fresh Linear the same outputs
    const fresh = new Linear(5, 3);
    fresh.loadStateDict(loadBytes(saveBytes(lin.stateDict())));
    expect(Array.from(fresh.forward(x).data)).toEqual(y);
    lin.dispose(); // twice is fine
  });

  it('a user-composed model: forward on it or on any submodule throws, naming the module', () => {
    const net = new Net();
    const x = tokens();
    const y = bits(net.forward(x).data);
    const before = snapshot(net);
    net.dispose();
    expect(() => net.forward(x)).toThrow('Net: used after dispose()');
    expect(() => net.rnn.forward(randn([3, 4, 6]))).toThrow('LSTM: used after dispose()');
    expect(() => net.emb.forward(x)).toThrow('Embedding: used after dispose()');
    expect(() => net.fc.forward(randn([2, 8]))).toThrow('Linear: used after dispose()');
    expect([...net.modules()].every((m) => m.disposed)).toBe(true);
    expect(snapshot(net)).toEqual(before);
    expect(net.parameters().length).toBe(1 + 8 + 2);
    const fresh = new Net();
    fresh.loadStateDict(net.stateDict());
    expect(bits(fresh.forward(x).data)).toEqual(y);
  });

  it('a graph built before dispose() still runs its backward', () => {
    const net = new Net();
    const loss = sum(net.forward(tokens()));
    net.dispose();
    loss.backward();
    expect(net.fc.weight.grad).not.toBeNull();
  });

  it('the trainer and accuracy() refuse a disposed model', () => {
    const config = resolveConfig({ seed: 2, hidden_dim: 8, batch_size: 4 });
    const t = new Trainer(config);
    t.trainStep();
    const before = snapshot(t.model);
    t.model.dispose();
    expect(() => t.trainStep()).toThrow('RnnClsNet: used after dispose()');
    const task = getTask(config.task);
    const samples = Array.from({ length: 4 }, () => t.nextBatch()[0]);
    expect(() => accuracy(t.model, task, config, samples)).toThrow('RnnClsNet: used after dispose()');
    expect(snapshot(t.model)).toEqual(before);
  });
});

describe('a mismatched shape into a training step', () => {
  const config = resolveConfig({ seed: 6, cell: 'lstm', hidden_dim: 8, num_layers: 2, batch_size: 8 });
  /** A trainer after 3 steps, and an untouched twin at the same point. */
  const pair = () => {
    const a = new Trainer(config);
    const b = new Trainer(config);
    for (let s = 0; s < 3; s++) { a.trainStep(); b.trainStep(); }
    return { a, b };
  };
  /** `a` went through a failed call: same weights, same optimizer state, and the same next steps as `b`. */
  const expectIntact = (a: Trainer, b: Trainer) => {
    expect(snapshot(a.model)).toEqual(snapshot(b.model));
    const oa = a.optimizer.stateDict(), ob = b.optimizer.stateDict();
    for (const [i, st] of Object.entries(ob.state)) {
      expect(oa.state[Number(i)].step).toBe(st.step);
      expect(bits(oa.state[Number(i)].exp_avg as Float32Array)).toEqual(bits(st.exp_avg as Float32Array));
    }
  };
  const expectSameFuture = (a: Trainer, b: Trainer) => {
    for (let s = 0; s < 3; s++) expect(a.trainStep().loss).toBe(b.trainStep().loss);
    expect(snapshot(a.model)).toEqual(snapshot(b.model));
  };

  it('a parameter replaced by one of another shape: the error names it and both shapes; the data stream waits', () => {
    const { a, b } = pair();
    const old = a.model.fc.weight;
    a.model.fc.weight = new Parameter(randn([3, 8]));
    expect(() => a.trainStep()).toThrow(/Trainer: parameter 'fc\.weight' was replaced \(the new one has shape \[3, 8\], float32\).*holds the old one, shape \[10, 8\]/);
    a.model.fc.weight = old; // put back: training continues exactly as the twin's
    expectIntact(a, b);
    expectSameFuture(a, b);
  });

  it('a parameter replaced by one of the same shape is refused too: the optimizer would train the old one', () => {
    const { a } = pair();
    a.model.rnn.registerParameter('weight_hh_l1', new Parameter(randn([32, 8])));
    expect(() => a.trainStep()).toThrow(/parameter 'rnn\.weight_hh_l1' was replaced \(the new one has shape \[32, 8\], float32\)/);
  });

  it('a state dict with a wrong shape: error, nothing copied, the same future', () => {
    const { a, b } = pair();
    const sd = b.model.stateDict();
    const bad: Record<string, Tensor> = {};
    // every tensor different, one of the wrong shape: a partial copy would show
    for (const [k, t] of Object.entries(sd)) bad[k] = tensor(new Float32Array(t.data.length).fill(0.5), { shape: [...t.shape], dtype: 'float32' });
    bad['rnn.bias_hh_l0'] = tensor(new Float32Array(31), { dtype: 'float32' });
    expect(() => a.model.loadStateDict(bad)).toThrow(
      'size mismatch for rnn.bias_hh_l0: copying a param with shape torch.Size([31]) from checkpoint, the shape in current model is torch.Size([32]).',
    );
    expectIntact(a, b);
    expectSameFuture(a, b);
  });

  it("a malformed batch into the model: the PyTorch errors, no gradient left behind", () => {
    const { a, b } = pair();
    const m = a.model;
    const x = tensor(Int32Array.from({ length: 8 * 5 }, (_, i) => 1 + (i % 9)), { shape: [8, 5], dtype: 'int64' });
    const len = (n: number, v = 5) => tensor(new Int32Array(n).fill(v), { dtype: 'int64' });
    a.optimizer.zeroGrad();
    expect(() => m.forward(x, len(7))).toThrow('Expected `len(lengths)` to be equal to batch_size, but got 7 (batch_size=8)');
    expect(() => m.forward(x, len(8, 0))).toThrow("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
    const far = tensor(Int32Array.from(x.data).fill(40, 3, 4), { shape: [8, 5], dtype: 'int64' });
    expect(() => m.forward(far, len(8))).toThrow(`index out of range in self (index 40, num_embeddings ${m.embedding.numEmbeddings})`);
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    expectIntact(a, b);
    expectSameFuture(a, b);
  });
});

describe('gradients of the wrong shape into an optimizer', () => {
  it("assigning one is PyTorch's error, with both shapes", () => {
    const p = tensor(new Float32Array(6), { shape: [2, 3], dtype: 'float32', requiresGrad: true });
    expect(() => { p.grad = tensor(new Float32Array(6), { shape: [3, 2], dtype: 'float32' }); }).toThrow('assigned grad has data of a different size (grad [3, 2], tensor [2, 3])');
    expect(() => { p.grad = tensor(new Float64Array(6), { shape: [2, 3], dtype: 'float64' }); }).toThrow('assigned grad has data of a different type (grad float64, tensor float32)');
    expect(p.grad).toBeNull();
  });

  for (const [name, make] of [['Adam', (ps: Tensor[]) => new Adam(ps, { lr: 0.1 })], ['SGD', (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 })]] as const) {
    it(`${name}: a gradient whose storage has the wrong size stops the step before any parameter moves`, () => {
      const ps = [0, 1, 2].map((i) => tensor(Float32Array.from({ length: 4 * (i + 1) }, (_, k) => k - i), { shape: [i + 1, 4], dtype: 'float32', requiresGrad: true }));
      const opt = make(ps);
      const grads = () => ps.forEach((p) => { p.grad = tensor(new Float32Array(p.data.length).fill(0.25), { shape: [...p.shape], dtype: 'float32' }); });
      grads();
      opt.step();
      const before = ps.map((p) => bits(p.data));
      const state = JSON.stringify(opt.stateDict(), (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v));
      grads();
      ps[2].grad!.data = new Float32Array(5); // a gradient buffer swapped for one of another size
      expect(() => opt.step()).toThrow(`${name}: the gradient of parameter 2 has shape [3, 4] (float32, 5 values), the parameter has shape [3, 4] (float32, 12 values); no parameter was updated`);
      expect(ps.map((p) => bits(p.data))).toEqual(before);
      expect(JSON.stringify(opt.stateDict(), (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v))).toBe(state);
    });
  }

  it('the flat Adam span: a flat gradient buffer of the wrong size is refused, naming the sizes', () => {
    const flat = allocF32(10);
    const ps = [new Tensor(flat.subarray(0, 4), [4], 'float32', true), new Tensor(flat.subarray(4, 10), [2, 3], 'float32', true)];
    const opt = new Adam(ps);
    expect(() => opt.useFlatBuffers(flat, allocF32(9))).toThrow('useFlatBuffers: the parameters hold 10 values, the flat parameter buffer 10, the flat gradient buffer 9');
    const other = new Adam([ps[1], ps[0]]);
    expect(() => other.useFlatBuffers(flat, allocF32(10))).toThrow('useFlatBuffers: parameter 0 (shape [2, 3], float32) is not the float32 view of the flat buffer at element 0');
  });

  it('an optimizer state dict with a wrong-sized buffer is refused and the state kept', () => {
    const p = tensor(Float32Array.from([1, 2, 3]), { dtype: 'float32', requiresGrad: true });
    const opt = new Adam([p]);
    p.grad = tensor(Float32Array.from([1, 1, 1]), { dtype: 'float32' });
    opt.step();
    const sd = opt.stateDict();
    const bad = opt.stateDict();
    bad.state[0].exp_avg = new Float32Array(4);
    expect(() => opt.loadStateDict(bad)).toThrow("loaded state 'exp_avg' of parameter 0 has 4 elements, the parameter has 3");
    expect(bits(opt.state.get(p)!.exp_avg)).toEqual(bits(sd.state[0].exp_avg as Float32Array));
  });
});
