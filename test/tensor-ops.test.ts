import { describe, it, expect } from 'vitest';
import * as R from '../src/tensor/index.js';
import { Generator } from '../src/tensor/index.js';

const gen = new Generator(123);
const rnd = (shape: number[]) => R.randn(shape, { dtype: 'float64', generator: gen }).requiresGrad_();

describe('tensor ops: values', () => {
  it('matmul of known matrices', () => {
    const a = R.tensor([[1, 2], [3, 4]], { dtype: 'float32' });
    const b = R.tensor([[5, 6], [7, 8]], { dtype: 'float32' });
    expect(a.matmul(b).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(R.matmul(R.tensor([1, 2], { dtype: 'float32' }), R.tensor([3, 4], { dtype: 'float32' })).item()).toBe(11);
  });
  it('broadcasting add and its error', () => {
    const a = R.tensor([[1], [2]]);
    const b = R.tensor([10, 20, 30]);
    expect(a.add(b).toArray()).toEqual([[11, 21, 31], [12, 22, 32]]);
    expect(() => R.tensor([1, 2]).add(R.tensor([1, 2, 3]))).toThrow(
      'The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0',
    );
  });
  it('softmax rows sum to one; logSoftmax = log(softmax)', () => {
    const x = R.tensor([[1, 2, 3], [0, 0, 1000]], { dtype: 'float64' });
    const s = x.softmax(1).toArray();
    expect(s[0][0] + s[0][1] + s[0][2]).toBeCloseTo(1, 12);
    expect(s[1][2]).toBe(1);
    expect(x.logSoftmax(1).toArray()[0][0]).toBeCloseTo(Math.log(s[0][0]), 12);
  });
  it('transpose, permute, cat, stack, select, narrow, indexSelect', () => {
    const x = R.arange(6, undefined, 1, { dtype: 'float32' }).reshape(2, 3);
    expect(x.T.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(R.cat([x, x], 1).shape).toEqual([2, 6]);
    expect(R.stack([x, x], 1).shape).toEqual([2, 2, 3]);
    expect(x.index(-1).toArray()).toEqual([3, 4, 5]);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([[1, 2], [4, 5]]);
    expect(x.indexSelect(1, [2, 0]).toArray()).toEqual([[2, 0], [5, 3]]);
    const y = R.arange(24, undefined, 1, { dtype: 'float32' }).reshape(2, 3, 4).permute(2, 0, 1);
    expect(y.shape).toEqual([4, 2, 3]);
    expect(y.toArray()[3][1][2]).toBe(1 * 12 + 2 * 4 + 3);
  });
  it('argmax picks the first maximum', () => {
    expect(R.tensor([[1, 5, 5], [7, 0, 7]]).argmax(1).toArray()).toEqual([1, 0]);
  });
  it('shape errors name expected and actual', () => {
    expect(() => R.tensor([[1.5, 2]]).matmul(R.tensor([[1.5, 2]]))).toThrow('mat1 and mat2 shapes cannot be multiplied (1x2 and 1x2)');
    expect(() => R.tensor([1, 2, 3]).reshape(2, 2)).toThrow("shape '[2, 2]' is invalid for input of size 3");
  });
  it('int64 storage rejects non-integers', () => {
    expect(() => R.tensor([1.5], { dtype: 'int64' })).toThrow('not an integer');
  });
});

describe('tensor ops: gradients against finite differences', () => {
  const cases: Array<[string, (...t: R.Tensor[]) => R.Tensor, number[][]]> = [
    ['add/mul broadcast', (a, b) => a.mul(b).add(b), [[3, 4], [4]]],
    ['div', (a, b) => a.div(b.abs().add(1)), [[2, 3], [2, 3]]],
    ['matmul 2d', (a, b) => a.matmul(b), [[3, 4], [4, 2]]],
    ['matmul batched', (a, b) => a.matmul(b), [[2, 3, 4], [4, 5]]],
    ['tanh sigmoid exp', (a) => a.tanh().add(a.sigmoid()).add(a.mul(0.3).exp()), [[5]]],
    ['relu', (a) => a.relu(), [[7]]],
    ['sum dim', (a) => a.sum(1), [[3, 4, 2]]],
    ['mean keepdim', (a) => a.mean([0, 2], true), [[3, 4, 2]]],
    ['softmax', (a) => a.softmax(-1), [[3, 4]]],
    ['logSoftmax dim0', (a) => a.logSoftmax(0), [[3, 4]]],
    ['permute', (a) => a.permute(2, 0, 1).mul(a.permute(2, 0, 1)), [[2, 3, 4]]],
    ['cat/stack', (a, b) => R.stack([R.cat([a, b], 0), R.cat([b, a], 0)], 1), [[2, 3], [2, 3]]],
    ['select/narrow/indexSelect', (a) => a.select(1, -1).add(a.narrow(1, 0, 1).squeeze(1)).mul(a.indexSelect(1, [2, 2, 0]).sum(1)), [[3, 3]]],
    ['pow/sqrt', (a) => a.pow(3).add(a.abs().add(1).sqrt()), [[6]]],
  ];
  for (const [name, fn, shapes] of cases) {
    it(name, () => {
      expect(R.gradcheck(fn, shapes.map(rnd))).toBe(true);
    });
  }
  it('gradcheck catches a wrong gradient', () => {
    const bad = (a: R.Tensor) =>
      R.makeResult(a.data.map((x) => x * x) as Float64Array, [...a.shape], 'float64', [a], (g) => {
        const ga = R.gradOf(a)!;
        for (let k = 0; k < g.length; k++) ga[k] += g[k] * a.data[k]; // should be 2x
      });
    expect(() => R.gradcheck(bad, [rnd([3])])).toThrow('Jacobian mismatch');
  });
  it('gradients accumulate across backward calls; noGrad records nothing', () => {
    const x = R.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
    const y = R.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
  });
});
