// The fast paths under a float32 training step, each against the plain formula it replaces:
// permute walks the input in blocks (no index array) — values and gradients equal the element-wise
// definition for every permutation of small shapes, size-1 and empty dims included; reshape hands its
// gradient on without a copy and a gradient that arrives twice still adds up; crossEntropy over
// [N, C] without weights or smoothing gives the same bits as the general path (class weights of
// ones); Linear's float32 input gradient is the same whether it is the first or a later one to arrive;
// the recycled gradient buffers give the same gradients as fresh ones, small and large, and never
// become a leaf's .grad.
import { describe, expect, it } from 'vitest';
import { Tensor, splitResult } from '../src/tensor/tensor.js';
import { permute, reshape, mul, sum, add } from '../src/tensor/ops.js';
import { randn, tensor, ones } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { crossEntropy } from '../src/nn/loss.js';
import { Linear } from '../src/nn/linear.js';
import { gradPoolCounts, isPoolBuffer } from '../src/tensor/grad-pool.js';

const gen = new Generator(11);

function perms(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const p of perms(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Input offset of output element k of permute(shape, p), from the definition. */
function srcOffset(shape: number[], p: number[], k: number): number {
  const outShape = p.map((d) => shape[d]);
  const inStr: number[] = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) inStr[i] = inStr[i + 1] * shape[i + 1];
  let off = 0;
  for (let d = outShape.length - 1; d >= 0; d--) {
    const i = k % outShape[d];
    k = Math.floor(k / outShape[d]);
    off += i * inStr[p[d]];
  }
  return off;
}

describe('permute: block walk = element-wise definition', () => {
  const shapes = [[5], [2, 3], [3, 1, 4], [2, 3, 4], [1, 3, 1, 2], [2, 3, 2, 5], [2, 0, 3], [4, 2, 1, 3]];
  for (const shape of shapes) {
    it(`every permutation of [${shape}]: values and gradients`, () => {
      for (const p of perms(shape.length)) {
        const x = randn(shape, { dtype: 'float64', generator: gen }).requiresGrad_();
        const y = permute(x, p);
        expect(y.shape).toEqual(p.map((d) => shape[d]));
        const n = numel(shape);
        for (let k = 0; k < n; k++) expect(y.data[k]).toBe(x.data[srcOffset(shape, p, k)]);
        // Gradient: weights w on the output, plus x itself once more (the buffer already exists).
        const w = randn(y.shape, { dtype: 'float64', generator: gen });
        sum(add(sum(mul(y, w)), sum(x))).backward();
        const want = new Float64Array(n).fill(1);
        for (let k = 0; k < n; k++) want[srcOffset(shape, p, k)] += w.data[k];
        expect(Array.from(x.grad!.data)).toEqual(Array.from(want));
      }
    });
  }
});

describe('reshape hands its gradient on', () => {
  it('a chain of reshapes to a leaf, used twice, over two backward calls', () => {
    const x = randn([2, 3, 4], { dtype: 'float32', generator: gen }).requiresGrad_();
    const w = randn([6, 4], { dtype: 'float32', generator: gen });
    const y = reshape(reshape(x, [6, 4]), [24]);
    const loss = add(sum(mul(reshape(y, [6, 4]), w)), sum(mul(x, 2)));
    loss.backward();
    const want = Float32Array.from(w.data, (v) => v + 2);
    expect(Array.from(x.grad!.data)).toEqual(Array.from(want));
    // The leaf's gradient is its own buffer: a second backward adds into it, nothing else aliases it.
    const loss2 = sum(reshape(x, [24]));
    loss2.backward();
    expect(Array.from(x.grad!.data)).toEqual(Array.from(want, (v) => Math.fround(v + 1)));
  });
  it('the seed given to backward is not taken over', () => {
    const x = randn([3, 2], { dtype: 'float32', generator: gen }).requiresGrad_();
    const seed = tensor([1, 2, 3, 4, 5, 6], { dtype: 'float32' });
    reshape(x, [6]).backward(seed);
    x.grad!.data[0] = 99;
    expect(Array.from(seed.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('crossEntropy rows fast path', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${dtype}, reduction ${reduction}, ignored rows: the same bits as the weighted general path`, () => {
        const N = 37, C = 11;
        const xs = randn([N, C], { dtype, generator: gen });
        const y = tensor(Array.from({ length: N }, (_, i) => (i % 7 === 3 ? -100 : (i * 5) % C)), { dtype: 'int64' });
        const run = (weight: Tensor | null) => {
          const x = new Tensor(xs.data.slice(), [N, C], dtype, true);
          const l = crossEntropy(x, y, { weight, reduction });
          const gOut = reduction === 'none' ? randn([N], { dtype, generator: new Generator(3) }) : undefined;
          l.backward(gOut);
          return { l: Array.from(l.data), g: Array.from(x.grad!.data) };
        };
        const fast = run(null);
        const general = run(ones([C], { dtype }));
        expect(fast.l).toEqual(general.l);
        expect(fast.g).toEqual(general.g);
      });
    }
  }
});

describe('Linear float32: input gradient first or later', () => {
  it('the same bits whether the product gives x its gradient buffer or adds into one', () => {
    const lin = new Linear(8, 5, { generator: gen });
    const x0 = randn([6, 8], { dtype: 'float32', generator: gen });
    const w = randn([6, 5], { dtype: 'float32', generator: gen });
    const a = new Tensor(x0.data.slice(), [6, 8], 'float32', true);
    sum(mul(lin.forward(a), w)).backward();
    const b = new Tensor(x0.data.slice(), [6, 8], 'float32', true);
    // x·0 reaches b's gradient first (topological order: the later op's backward runs first).
    add(sum(mul(lin.forward(b), w)), sum(mul(b, 0))).backward();
    expect(Array.from(b.grad!.data)).toEqual(Array.from(a.grad!.data));
  });
});

describe('gradient buffer pool', () => {
  const model = () => {
    const g = new Generator(5);
    return { lin: new Linear(64, 300, { generator: g }), x: randn([128, 64], { dtype: 'float32', generator: g }) };
  };
  it('a warm pool gives the same gradients as fresh memory, and leaves own their .grad', () => {
    const { lin, x } = model();
    const grads: number[][][] = [];
    for (let run = 0; run < 3; run++) {
      const xl = new Tensor(x.data.slice(), [128, 64], 'float32', true);
      // Intermediates of 128·300 floats (150 KiB) come from the pool from the second run on.
      const h = reshape(lin.forward(xl), [128 * 300]);
      sum(mul(h, h)).backward();
      grads.push([Array.from(xl.grad!.data), Array.from(lin.weight.grad!.data)]);
      for (const t of [xl, lin.weight, lin.bias!]) expect(isPoolBuffer(t.grad!.data as Float32Array)).toBe(false);
      lin.zeroGrad();
    }
    expect(grads[1]).toEqual(grads[0]);
    expect(grads[2]).toEqual(grads[0]);
  });
  it('a leaf reached through reshape from a pooled intermediate keeps a copy of its own', () => {
    const x = randn([200, 100], { dtype: 'float32', generator: gen }).requiresGrad_();
    const y = mul(x, 3); // intermediate [200, 100]: 80 KB, a pool buffer
    const leafy = reshape(x, [20000]);
    sum(add(reshape(y, [20000]), leafy)).backward();
    expect(x.grad!.data.byteLength).toBe(x.grad!.data.buffer.byteLength);
    expect(Array.from(new Set(x.grad!.data))).toEqual([4]);
  });
  it('small gradients come from the pool too: a repeated backward makes no new buffer, and .grad stays its own', () => {
    // Every intermediate here is 24 floats (96 bytes): below a slab's size, above V8's on-heap size.
    const g = new Generator(9);
    const lin = new Linear(6, 24, { generator: g });
    const x = randn([4, 6], { dtype: 'float32', generator: g });
    const want = (w: Float32Array) => Array.from(w, (v) => Math.fround(v));
    const run = () => sum(mul(reshape(lin.forward(x), [96]), 2)).backward();
    run();
    const first = want(lin.weight.grad!.data as Float32Array);
    expect(isPoolBuffer(lin.weight.grad!.data as Float32Array)).toBe(false);
    run(); // the leaves add into the .grad they have, through pool buffers of their own
    const before = { ...gradPoolCounts };
    run(); // the same buffers again
    expect(gradPoolCounts.made).toBe(before.made);
    expect(gradPoolCounts.reused).toBeGreaterThanOrEqual(before.reused + 4);
    // Three backward passes of the same graph: three times the first one's gradient, exactly
    // (×2 and ×3 of a float32 are exact in float32 unless they overflow).
    expect(Array.from(lin.weight.grad!.data)).toEqual(first.map((v) => Math.fround(3 * v)));
    expect(isPoolBuffer(lin.weight.grad!.data as Float32Array)).toBe(false);
  });
  it('a leaf\'s .grad made in one backward is not overwritten by the next, which reuses the pool', () => {
    const x = randn([5, 7], { dtype: 'float32', generator: gen }).requiresGrad_();
    sum(mul(mul(x, 3), 1)).backward();
    const g1 = x.grad!;
    x.grad = null;
    const y = randn([5, 7], { dtype: 'float32', generator: gen }).requiresGrad_();
    sum(mul(mul(y, 5), 1)).backward();
    expect(Array.from(new Set(g1.data))).toEqual([3]);
    expect(Array.from(new Set(y.grad!.data))).toEqual([5]);
  });
});

describe('splitResult parts accumulate in the whole\'s slice', () => {
  it('a part reached through reshape after the whole\'s own consumer added into that slice', () => {
    const x = randn([10], { dtype: 'float64', generator: gen }).requiresGrad_();
    const whole = mul(x, 1);
    const [p0, p1] = splitResult(whole, [{ offset: 0, shape: [4] }, { offset: 4, shape: [6] }]);
    const w = randn([10], { dtype: 'float64', generator: gen });
    // The whole's direct consumer runs first in backward, then the parts' consumers.
    add(add(sum(reshape(p0, [2, 2])), sum(mul(p1, 3))), sum(mul(whole, w))).backward();
    const want = Array.from(w.data, (v, i) => v + (i < 4 ? 1 : 3));
    expect(Array.from(x.grad!.data)).toEqual(want);
  });
});
