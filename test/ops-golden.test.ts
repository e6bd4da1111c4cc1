// The tensor ops and losses of PyTorch's RNN tutorials against PyTorch 1.13's own numbers
// (test/fixtures/ops_golden.json, written by tools/gen_ops_golden.py): every forward value, and the
// gradient of every input for the upstream gradients recorded with the case, at the fixture's
// tolerances (float32 atol 1e-5, rtol 1e-4; float64 atol 1e-12, rtol 1e-10; integers exact). Then
// every recorded PyTorch error message, made by the same call in recur.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Tensor, tensor, F, gather, topk, bmm, cat, stack, arange, full, zeros, ones, multinomial, matmul, add, min, init,
} from '../src/index.js';
import type { DType } from '../src/index.js';

// Float data written as integers (torch.tensor would make these int64).
const F32 = { dtype: 'float32' } as const;

interface Enc { dtype: DType; shape: number[]; data: number[]; requires_grad?: boolean }
interface Case {
  name: string;
  op: string;
  args: Record<string, any>;
  inputs: Enc[];
  outputs: Enc[];
  grad_outputs: Array<Enc | null>;
  grads: Array<Enc | null>;
}
interface ErrorCase { name: string; type: string; message: string }

const golden = JSON.parse(readFileSync(new URL('./fixtures/ops_golden.json', import.meta.url), 'utf8')) as {
  meta: { torch: string; tolerances: Record<'float32' | 'float64', { atol: number; rtol: number }> };
  cases: Case[];
  errors: ErrorCase[];
};

function dec(e: Enc): Tensor {
  return tensor(e.data, { shape: e.shape, dtype: e.dtype, requiresGrad: e.requires_grad ?? false });
}

function lossOpts(args: Record<string, any>, weight?: Tensor): Record<string, any> {
  const o: Record<string, any> = { reduction: args.reduction };
  if (args.ignore_index !== undefined) o.ignoreIndex = args.ignore_index;
  if (weight) o.weight = weight;
  return o;
}

type Op = (x: Tensor[], a: Record<string, any>) => Tensor | Tensor[];
const OPS: Record<string, Op> = {
  softmax: ([x], a) => F.softmax(x, a.dim),
  log_softmax: ([x], a) => F.logSoftmax(x, { dim: a.dim }),
  relu: ([x]) => F.relu(x),
  tanh: ([x]) => F.tanh(x),
  sigmoid: ([x]) => F.sigmoid(x),
  nll_loss: ([x, t, w], a) => F.nllLoss(x, t, lossOpts(a, w)),
  mse_loss: ([x, y], a) => F.mseLoss(x, y, { reduction: a.reduction }),
  gather: ([x, i], a) => gather(x, a.dim, i),
  masked_fill: ([x, m], a) => x.maskedFill(m, a.value),
  topk: ([x], a) => (a.dim === -1 && a.largest ? topk(x, a.k) : x.topk(a.k, { dim: a.dim, largest: a.largest })),
  max: ([x], a) => (a.dim === null ? x.max() : x.max(a.dim, a.keepdim)),
  min: ([x], a) => (a.dim === null ? min(x) : min(x, a.dim, a.keepdim)),
  bmm: ([a, b]) => bmm(a, b),
  attention: ([q, keys, va]) => {
    const scores = q.add(keys).tanh().matmul(va.unsqueeze(1));
    const weights = F.softmax(scores.squeeze(2).unsqueeze(1), -1);
    const context = weights.bmm(keys);
    return [cat([q, context], 2), weights];
  },
  cat: (xs, a) => cat(xs, a.dim),
  stack: (xs, a) => stack(xs, a.dim),
  chunk: ([x], a) => x.chunk(a.chunks, a.dim),
  split: ([x], a) => x.split(a.split, a.dim),
  reshape_chain: ([x]) => x.squeeze(1).view(2, 3, 2).transpose(0, 2).unsqueeze(-1).mul(2),
  detach: ([x, w]) => x.mul(w).tanh().detach().mul(w).add(x.mul(w)).tanh(),
  cat_linear_nll: ([i, h, w, b, t]) =>
    F.nllLoss(F.logSoftmax(add(matmul(cat([i, h], 1), w.transpose(0, 1)), b), 1), t),
  one_hot: ([i], a) => F.oneHot(i, a.num_classes),
  arange: (_, a) => (a.dtype ? arange(...(a.args as [number]), { dtype: a.dtype }) : arange(...(a.args as [number]))),
  full: (_, a) => full(a.size, a.value, a.dtype ? { dtype: a.dtype } : {}),
  zeros: (_, a) => (a.dtype ? zeros(a.size, { dtype: a.dtype }) : zeros(...(a.size as number[]))),
  ones: (_, a) => (a.dtype ? ones(...(a.size as number[]), { dtype: a.dtype }) : ones(a.size)),
};

function expectClose(what: string, got: Tensor, want: Enc): void {
  const wantDtype = want.dtype;
  expect(got.dtype, `${what} dtype`).toBe(wantDtype);
  expect(got.shape, `${what} shape`).toEqual(want.shape);
  if (wantDtype === 'int64' || wantDtype === 'bool') {
    expect(Array.from(got.data), `${what} values`).toEqual(want.data);
    return;
  }
  const { atol, rtol } = golden.meta.tolerances[wantDtype];
  for (let k = 0; k < want.data.length; k++) {
    const g = got.data[k];
    const w = want.data[k];
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      throw new Error(`${what}[${k}]: got ${g}, PyTorch ${w} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

function runCase(c: Case): void {
  const op = OPS[c.op];
  if (!op) throw new Error(`no recur op for '${c.op}'`);
  const inputs = c.inputs.map(dec);
  const res = op(inputs, c.args);
  const outs = Array.isArray(res) ? res : [res];
  expect(outs.length, 'number of outputs').toBe(c.outputs.length);
  outs.forEach((o, j) => expectClose(`output ${j}`, o, c.outputs[j]));
  let any = false;
  outs.forEach((o, j) => {
    const r = c.grad_outputs[j];
    if (r === null) {
      expect(o.requiresGrad, `output ${j} carries no gradient, as in PyTorch`).toBe(false);
      return;
    }
    any = true;
    o.backward(dec(r));
  });
  inputs.forEach((x, i) => {
    const want = c.grads[i];
    if (want === null) {
      if (any && c.inputs[i].requires_grad) expect(x.grad, `input ${i} gets no gradient`).toBeNull();
      return;
    }
    if (x.grad === null) throw new Error(`input ${i}: no gradient, PyTorch has one`);
    expectClose(`grad of input ${i}`, x.grad, want);
  });
}

describe(`ops golden cases (PyTorch ${golden.meta.torch})`, () => {
  it('covers every op of the tutorials, in both float dtypes', () => {
    const ops = new Set(golden.cases.map((c) => c.op));
    for (const op of Object.keys(OPS)) expect(ops.has(op), op).toBe(true);
    expect(golden.cases.length).toBeGreaterThan(120);
  });
  for (const c of golden.cases) it(c.name, () => runCase(c));
});

it('a wrong gradient fails the check, naming what differs', () => {
  const c = golden.cases.find((k) => k.op === 'softmax')!;
  const broken: Case = JSON.parse(JSON.stringify(c));
  broken.grads[0]!.data[3] += 1e-3;
  expect(() => runCase(broken)).toThrow(/grad of input 0\[3\]/);
});

// The call that raised each recorded PyTorch error, in recur.
const x = tensor(Array.from({ length: 12 }, (_, k) => k / 7 - 0.8), { shape: [3, 4] });
const p = tensor([0.2, 0.3, 0.5]);
const long = (v: Parameters<typeof tensor>[0], shape?: number[]) => tensor(v, { dtype: 'int64', ...(shape ? { shape } : {}) });
const CALLS: Record<string, () => unknown> = {
  'multinomial 3-D input': () => multinomial(ones(2, 2, 2), 1),
  'multinomial n > categories without replacement': () => multinomial(p, 4),
  'multinomial negative weight': () => multinomial(tensor([0.5, -0.1]), 1),
  'multinomial all-zero weights': () => multinomial(tensor([0, 0], F32), 1),
  'multinomial num_samples 0': () => p.multinomial(0),
  'multinomial int64 input': () => multinomial(long([1, 2]), 1),
  'multinomial bool input': () => multinomial(tensor([true, false]), 1),
  'topk bool input': () => tensor([true, false]).topk(1),
  'nll_loss bool target': () => F.nllLoss(zeros(2, 3), tensor([true, false])),
  'topk k too large': () => x.topk(5),
  'topk dim out of range': () => x.topk(1, 2),
  'max over an empty dim': () => zeros(2, 0).max(1),
  'min of an empty tensor': () => zeros(0).min(),
  'bmm 2-D batch1': () => bmm(x, zeros(2, 4, 5)),
  'bmm 2-D batch2': () => bmm(zeros(2, 3, 4), x),
  'bmm batch mismatch': () => bmm(zeros(2, 3, 4), zeros(3, 4, 5)),
  'bmm inner mismatch': () => bmm(zeros(2, 3, 4), zeros(2, 5, 5)),
  'gather index ndim': () => gather(x, 1, long([0, 1])),
  'gather float index': () => gather(x, 1, tensor([[0]], F32)),
  'gather index out of bounds': () => gather(x, 1, long([[0, 4]])),
  'gather negative index': () => gather(x, 1, long([[-1]])),
  'gather index larger than input': () => gather(x, 1, zeros([4, 1], { dtype: 'int64' })),
  'masked_fill mask not broadcastable': () => x.maskedFill(tensor([true, false]), 0),
  'one_hot float input': () => F.oneHot(tensor([1], F32)),
  'one_hot negative class': () => F.oneHot(long([-1, 0])),
  'one_hot class >= num_classes': () => F.oneHot(long([3]), 3),
  'one_hot empty with num_classes=-1': () => F.oneHot(zeros([0], { dtype: 'int64' })),
  'nll_loss target out of bounds': () => F.nllLoss(x, long([0, 1, 4])),
  'nll_loss batch mismatch': () => F.nllLoss(x, long([0, 1])),
  'nll_loss float target': () => F.nllLoss(x, tensor([0, 1, 2], F32)),
  'nll_loss weight wrong size': () => F.nllLoss(x, long([0, 1, 2]), { weight: ones(3) }),
  'nll_loss 2-D target for 2-D input': () => F.nllLoss(x, zeros([3, 1], { dtype: 'int64' })),
  'nll_loss bad reduction': () => F.nllLoss(x, long([0, 1, 2]), { reduction: 'avg' as 'mean' }),
  'mse_loss bad reduction': () => F.mseLoss(x, x, { reduction: 'avg' as 'mean' }),
  'mse_loss shapes not broadcastable': () => F.mseLoss(x, zeros(3, 5)),
  'chunk 0 chunks': () => x.chunk(0),
  'chunk of a 0-d tensor': () => tensor(5.5).chunk(2),
  'split of a 0-d tensor': () => tensor(5.5).split(1),
  'split sizes do not sum': () => x.split([1, 2], 1),
  'arange step 0': () => arange(0, 3, 0),
  'arange wrong sign': () => arange(0, 3, -1),
  'softmax dim out of range': () => F.softmax(x, 2),
  'size dim out of range': () => x.size(-3),
  'cat dim mismatch': () => cat([x, zeros(2, 5)], 0),
  't() of a 3-D tensor': () => zeros(2, 3, 4).t(),
  'fill_ on a leaf that requires grad': () => zeros([2], { requiresGrad: true }).fill_(1),
  'init.uniform_ a > b': () => init.uniform_(zeros(2), 1, 0),
  'init.normal_ std < 0': () => init.normal_(zeros(2), 0, -1),
  'stack shape mismatch': () => stack([x, zeros(3, 5)]),
};

describe('PyTorch error messages', () => {
  it('every recorded error has a recur call', () => {
    expect(golden.errors.map((e) => e.name).sort()).toEqual(Object.keys(CALLS).sort());
  });
  for (const e of golden.errors) {
    it(`${e.name}: ${e.message}`, () => {
      let msg: string | null = null;
      try {
        CALLS[e.name]();
      } catch (err) {
        msg = (err as Error).message;
      }
      expect(msg).toBe(e.message);
    });
  }
});
