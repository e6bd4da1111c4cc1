// nn.Embedding: every golden `embedding_cases` entry, every Embedding row of FEATURES §10, and
// PyTorch's own Embedding tests (PEERTESTS §C).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Tensor } from '../src/tensor/tensor.js';
import { storageFrom } from '../src/tensor/dtype.js';
import { tensor, zeros, ones, randn } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { gradcheck } from '../src/tensor/gradcheck.js';
import { Embedding, embedding } from '../src/nn/embedding.js';

type GT = { dtype: 'float32' | 'float64' | 'int64'; shape: number[]; data: number[] };
const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'));
const TOL = golden.meta.tolerances as Record<'float32' | 'float64', { atol: number; rtol: number }>;

function toTensor(g: GT, requiresGrad = false): Tensor {
  const vals = g.dtype === 'float32' ? g.data.map(Math.fround) : g.data;
  return new Tensor(storageFrom(g.dtype, vals), [...g.shape], g.dtype, requiresGrad);
}
function expectClose(actual: Tensor | null, expected: GT, what: string): void {
  expect(actual, what).not.toBeNull();
  expect(actual!.shape, `${what} shape`).toEqual(expected.shape);
  const { atol, rtol } = TOL[expected.dtype as 'float32' | 'float64'];
  const exp = toTensor(expected).data;
  for (let i = 0; i < exp.length; i++) {
    if (!(Math.abs(actual!.data[i] - exp[i]) <= atol + rtol * Math.abs(exp[i]))) {
      throw new Error(`${what}[${i}]: got ${actual!.data[i]}, expected ${exp[i]}`);
    }
  }
}
const long = (x: number[] | number[][]) => tensor(x, { dtype: 'int64' });
const F64 = { dtype: 'float64' as const };

describe('golden embedding_cases', () => {
  expect((golden.embedding_cases as unknown[]).length).toBe(5);
  for (const c of golden.embedding_cases as any[]) {
    it(c.name, () => {
      const w0 = toTensor(c.weight_before);
      const emb = new Embedding(c.num_embeddings, c.embedding_dim, {
        paddingIdx: c.padding_idx_arg,
        maxNorm: c.max_norm,
        weight: w0,
      });
      expect(emb.paddingIdx).toBe(c.padding_idx_resolved);
      expect(emb.weight.requiresGrad).toBe(true);
      const out = emb.forward(toTensor(c.indices));
      expectClose(out, c.output, 'output');
      expectClose(emb.weight, c.weight_after_forward, 'weight_after_forward');
      out.backward(toTensor(c.loss.w_out));
      expectClose(emb.weight.grad, c.grad_weight, 'grad_weight');
      if (emb.paddingIdx !== null) {
        const D = c.embedding_dim;
        const row = Array.from(emb.weight.grad!.data.subarray(emb.paddingIdx * D, emb.paddingIdx * D + D));
        expect(row).toEqual(new Array(D).fill(0));
      }
    });
  }
});

describe('Embedding errors (FEATURES §10)', () => {
  it('Embedding(10,3,paddingIdx=10)', () => {
    expect(() => new Embedding(10, 3, { paddingIdx: 10 })).toThrow('Padding_idx must be within num_embeddings');
  });
  it('Embedding(10,3,paddingIdx=-11)', () => {
    expect(() => new Embedding(10, 3, { paddingIdx: -11 })).toThrow('Padding_idx must be within num_embeddings');
  });
  it('Embedding(10,3,paddingIdx=-1).paddingIdx is 9', () => {
    expect(new Embedding(10, 3, { paddingIdx: -1 }).paddingIdx).toBe(9);
  });
  it('Embedding(10,3) index 10 out of range', () => {
    expect(() => new Embedding(10, 3).forward(long([10]))).toThrow('index out of range in self');
  });
  it('Embedding(10,3) index -1', () => {
    expect(() => new Embedding(10, 3).forward(long([-1]))).toThrow('index out of range in self');
  });
  it('Embedding(10,3) float indices', () => {
    expect(() => new Embedding(10, 3).forward(tensor([1], { dtype: 'float32' }))).toThrow(
      "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead (while checking arguments for embedding)",
    );
    expect(() => new Embedding(10, 3).forward(tensor([1], F64))).toThrow('but got torch.DoubleTensor instead');
  });
  it('Embedding(10,3) integer indices ok (int64, stored 32-bit)', () => {
    expect(new Embedding(10, 3).forward(tensor(Int32Array.from([4]), { shape: [1] })).shape).toEqual([1, 3]);
  });
  it('Embedding(10,3, weight of wrong shape)', () => {
    expect(() => new Embedding(10, 3, { weight: zeros([10, 4]) })).toThrow('Shape of weight does not match num_embeddings and embedding_dim');
  });
  it('Embedding(-1,3)', () => {
    expect(() => new Embedding(-1, 3)).toThrow('Trying to create tensor with negative dimension -1: [-1, 3]');
  });
  it('Embedding(0,3) forward idx 0', () => {
    expect(() => new Embedding(0, 3).forward(long([0]))).toThrow('index_select(): self indexing axis dim should be positive');
  });
  it('Embedding.fromPretrained 1-D', () => {
    expect(() => Embedding.fromPretrained(zeros([3]))).toThrow('Embeddings parameter is expected to be 2-dimensional');
  });
  it('maxNorm=-1.0: no error (1.13 does not validate); every referenced row is scaled by -1/(norm+1e-7)', () => {
    const w = tensor([[3, 4, 0], [1, 1, 1]], F64);
    const emb = new Embedding(2, 3, { maxNorm: -1, weight: w });
    const out = emb.forward(long([0]));
    expect(out.shape).toEqual([1, 3]);
    const s = -1 / (5 + 1e-7);
    expect(Array.from(out.data)).toEqual([3 * s, 4 * s, 0 * s]);
    expect(Array.from(emb.weight.data.subarray(3))).toEqual([1, 1, 1]);
  });
  it('paddingIdx=1.5: a clear error instead of an incidental IndexError', () => {
    expect(() => new Embedding(10, 3, { paddingIdx: 1.5 })).toThrow('Embedding: paddingIdx must be an integer, but got 1.5');
  });
  it("test_embedding_scalar_weight_error: 0-d or 3-d weight → 'weight' must be 2-D", () => {
    expect(() => embedding(long([0]), tensor(1))).toThrow("'weight' must be 2-D");
    expect(() => embedding(long([0]), zeros([2, 2, 2]))).toThrow("'weight' must be 2-D");
  });
});

describe('Embedding behaviour (PEERTESTS §C)', () => {
  it('init: N(0,1) from the generator, padding row zero, shape/dtype; same seed ⇒ same weights', () => {
    const e1 = new Embedding(200, 50, { paddingIdx: -1, generator: new Generator(3) });
    const e2 = new Embedding(200, 50, { paddingIdx: -1, generator: new Generator(3) });
    expect(e1.weight.shape).toEqual([200, 50]);
    expect(e1.weight.dtype).toBe('float32');
    expect(Array.from(e1.weight.data)).toEqual(Array.from(e2.weight.data));
    expect(Array.from(e1.weight.data.subarray(199 * 50))).toEqual(new Array(50).fill(0));
    const v = Array.from(e1.weight.data.subarray(0, 199 * 50));
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    expect(e1.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });
  it('forward shape is indices.shape + [dim] (0-d, 1-d, 3-d indices)', () => {
    const emb = new Embedding(5, 2, { dtype: 'float64' });
    expect(emb.forward(tensor(3, { dtype: 'int64' })).shape).toEqual([2]);
    expect(emb.forward(long([[1, 2], [3, 4]])).shape).toEqual([2, 2, 2]);
    const idx = tensor(Int32Array.from([0, 1, 2, 3, 4, 0]), { shape: [1, 2, 3] });
    const out = emb.forward(idx);
    expect(out.shape).toEqual([1, 2, 3, 2]);
    expect(Array.from(out.data.subarray(2 * 4, 2 * 4 + 2))).toEqual(Array.from(emb.weight.data.subarray(2 * 4, 2 * 4 + 2)));
  });
  it('test_embedding_padding_idx: padding rows are zero in output; -2 pads row 8; user-set row returned as is', () => {
    const emb = new Embedding(10, 20, { paddingIdx: 0 });
    const out = emb.forward(long([[0, 2, 4, 5], [4, 3, 0, 9]]));
    expect(Array.from(out.data.subarray(0, 20))).toEqual(new Array(20).fill(0));
    expect(Array.from(out.data.subarray(6 * 20, 7 * 20))).toEqual(new Array(20).fill(0));
    expect(new Embedding(10, 20, { paddingIdx: -2 }).paddingIdx).toBe(8);
    emb.weight.data.fill(1, 0, 20);
    expect(Array.from(emb.forward(long([0])).data)).toEqual(new Array(20).fill(1));
    expect(() => new Embedding(10, 20, { paddingIdx: 25 })).toThrow('Padding_idx must be within num_embeddings');
    expect(() => new Embedding(10, 20, { paddingIdx: -25 })).toThrow('Padding_idx must be within num_embeddings');
  });
  for (const n of [1, 2, 1000]) {
    it(`padding row gradient is exactly zero with ${n} repetitions of the padding index`, () => {
      const emb = new Embedding(10, 4, { paddingIdx: 3, dtype: 'float64' });
      const idx = [...new Array(n).fill(3), 1, 2, 1];
      const out = emb.forward(long(idx));
      out.backward(ones(out.shape, F64));
      const g = emb.weight.grad!.data;
      expect(Array.from(g.subarray(12, 16))).toEqual([0, 0, 0, 0]);
      expect(Array.from(g.subarray(4, 8))).toEqual([2, 2, 2, 2]); // repeated indices accumulate
      expect(Array.from(g.subarray(8, 12))).toEqual([1, 1, 1, 1]);
    });
  }
  it('test_embedding_max_norm: repeated index gives identical rows, all norms ≤ maxNorm, only referenced rows change', () => {
    const emb = new Embedding(22, 5, { maxNorm: 1.0, generator: new Generator(9) });
    const before = Array.from(emb.weight.data);
    const out = emb.forward(long([2, 8, 8, 6])).toArray() as number[][];
    expect(out[1]).toEqual(out[2]);
    for (const row of out) expect(Math.hypot(...row)).toBeLessThanOrEqual(1 + 1e-6);
    for (let r = 0; r < 22; r++) {
      if ([2, 8, 6].includes(r)) continue;
      expect(Array.from(emb.weight.data.subarray(r * 5, r * 5 + 5))).toEqual(before.slice(r * 5, r * 5 + 5));
    }
  });
  it('test_embedding_max_norm_backward: grad rows are counts [1,1,2,0] (renorm not differentiated)', () => {
    const w = randn([4, 3], { ...F64, generator: new Generator(1) });
    for (let i = 0; i < w.data.length; i++) w.data[i] *= 2;
    w.requiresGrad_();
    embedding(long([0, 1, 2, 2]), w, { maxNorm: 1.0 }).sum().backward();
    expect(w.grad!.toArray()).toEqual([[1, 1, 1], [1, 1, 1], [2, 2, 2], [0, 0, 0]]);
  });
  it('test_embedding_from_pretrained(+paddingIdx): weights verbatim, padding row not zeroed, freeze', () => {
    const w = tensor([[1, 2.3, 3], [4, 5.1, 6.3]]);
    const emb = Embedding.fromPretrained(w, { paddingIdx: 1 });
    expect(Array.from(emb.forward(long([1])).data)).toEqual(Array.from(w.data.subarray(3)));
    expect(emb.weight.requiresGrad).toBe(false);
    expect(Embedding.fromPretrained(w, { freeze: false }).weight.requiresGrad).toBe(true);
    expect(emb.weight.data).toBe(w.data); // storage shared, as Parameter(embeddings)
  });
  it('test_embedding_from_pretrained_options: maxNorm 2, normType 0.5 renormalises in place', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], F64);
    const emb = Embedding.fromPretrained(a, { maxNorm: 2.0, normType: 0.5 });
    const out = emb.forward(long([1, 2]));
    expect(Array.from(out.data)).toEqual(Array.from(a.data.subarray(3)));
    const pnorm = (r: number[]) => r.reduce((s, v) => s + Math.sqrt(Math.abs(v)), 0) ** 2;
    for (const r of out.toArray() as number[][]) expect(pnorm(r)).toBeLessThanOrEqual(2 + 1e-9);
    expect(Array.from(a.data.subarray(0, 3))).toEqual([1, 2, 3]); // row 0 not referenced
  });
  it('test_embedding_functional: module and functional agree, including paddingIdx=2', () => {
    const emb = new Embedding(6, 3, { paddingIdx: 2, dtype: 'float64' });
    const idx = long([[2, 4], [5, 2]]);
    const a = emb.forward(idx);
    const w2 = emb.weight.detach().clone().requiresGrad_();
    const b = embedding(idx, w2, { paddingIdx: 2 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    a.sum().backward();
    b.sum().backward();
    expect(Array.from(emb.weight.grad!.data)).toEqual(Array.from(w2.grad!.data));
    expect(() => embedding(idx, w2, { paddingIdx: 6 })).toThrow('Padding_idx must be within weight.size(0)');
  });
  it('test_embedding_dense_grad: gradcheck w.r.t. weight (float64), (paddingIdx and scaleGradByFreq deliberately change the gradient; tested below)', () => {
    const w = randn([5, 3], { ...F64, generator: new Generator(4) }).requiresGrad_();
    const idx = long([[0, 2, 2], [4, 1, 2]]);
    expect(gradcheck((t) => embedding(idx, t), [w])).toBe(true);
  });
  it('scaleGradByFreq divides each row gradient by the index count in the batch; padding still 0', () => {
    const emb = new Embedding(4, 2, { scaleGradByFreq: true, paddingIdx: 0, dtype: 'float64' });
    const out = emb.forward(long([1, 1, 1, 2, 0, 0]));
    out.backward(ones(out.shape, F64));
    expect(emb.weight.grad!.toArray()).toEqual([[0, 0], [1, 1], [1, 1], [0, 0]]);
  });
});
