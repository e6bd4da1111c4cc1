// Issue 16's "Why" table and its relatives: every PyTorch habit either works as PyTorch's
// positional signature does or raises; an unknown option key is always an error with a hint.
import { describe, it, expect } from 'vitest';
import {
  LSTM, GRU, RNN, Linear, Dropout, Embedding, RNNCell, LSTMCell, GRUCell, CrossEntropyLoss, Adam, AdamW, SGD,
  StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, ConstantLR, LambdaLR, SequentialLR, clipGradNorm, DataLoader,
  packPaddedSequence, padPackedSequence, padSequence, packSequence, unpadSequence, crossEntropy, embedding,
  tensor, zeros, randn, full, Generator, Tensor, Module, arange, gradcheck, RnnClsNet, SeqSumModDataset, PyRandom, saveBytes,
} from '../src/index.js';

const any = (x: unknown) => x as never;
const param = () => tensor([1.5, -2], { requiresGrad: true });

describe("the issue's table: each case now works as in PyTorch", () => {
  it('new LSTM(32, 128, 2) has 2 layers (positional num_layers)', () => {
    const m = new LSTM(32, 128, 2);
    expect(m.numLayers).toBe(2);
    expect(Object.keys(m.stateDict())).toContain('weight_ih_l1');
    expect(new LSTM(32, 128, 2, { batchFirst: true }).toString()).toBe('LSTM(32, 128, num_layers=2, batch_first=True)');
    expect(new GRU(3, 4, 3).numLayers).toBe(3);
    expect(new RNN(3, 4, 2).numLayers).toBe(2);
  });
  it('JS callers: GRU/LSTM take torch 1.13 positional bias, batch_first, dropout, bidirectional', () => {
    const m = new (LSTM as unknown as new (...a: unknown[]) => LSTM)(3, 4, 2, false, true, 0, true);
    expect([m.numLayers, m.bias, m.batchFirst, m.bidirectional]).toEqual([2, false, true, true]);
    expect(() => new (RNN as unknown as new (...a: unknown[]) => RNN)(3, 4, 2, 'relu')).toThrow(
      'RNNBase.__init__() takes at most 1 positional option (numLayers) before the options object',
    );
  });
  it('new Adam(params, 2e-3) uses lr 2e-3 (positional lr), and the rest positionally too', () => {
    expect(new Adam([param()], 2e-3).paramGroups[0].lr).toBe(2e-3);
    const a = new Adam([param()], 2e-3, [0.8, 0.9], 1e-6, 0.1, true);
    expect(a.paramGroups[0]).toMatchObject({ lr: 2e-3, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1, amsgrad: true });
    expect(new AdamW([param()], 5e-3).paramGroups[0]).toMatchObject({ lr: 5e-3, weightDecay: 1e-2 });
    expect(new SGD([param()], 0.1, 0.9).paramGroups[0]).toMatchObject({ lr: 0.1, momentum: 0.9 });
  });
  it('new Linear(4, 2, false) has no bias (positional bias)', () => {
    const l = new Linear(4, 2, false);
    expect(l.bias).toBeNull();
    expect(Object.keys(l.stateDict())).toEqual(['weight']);
    expect(() => new Linear(4, 2, any(0))).toThrow('Linear(): bias must be a boolean, got number 0');
  });
  it('{ padding_idx: 0 } is an error naming paddingIdx; new Embedding(10, 4, 0) is padding_idx=0', () => {
    expect(() => new Embedding(10, 4, any({ padding_idx: 0 }))).toThrow(
      "Embedding() got an unexpected keyword argument 'padding_idx' (recur spells PyTorch's 'padding_idx' as 'paddingIdx')",
    );
    expect(new Embedding(10, 4, 0).paddingIdx).toBe(0);
    expect(() => embedding(tensor([1]), zeros([3, 2]), any({ padding_idx: 0 }))).toThrow("as 'paddingIdx'");
  });
  it('{ weight_decay: 0.1 } is an error naming weightDecay, in options and in param groups', () => {
    expect(() => new Adam([param()], any({ weight_decay: 0.1 }))).toThrow(
      "Adam() got an unexpected keyword argument 'weight_decay' (recur spells PyTorch's 'weight_decay' as 'weightDecay')",
    );
    expect(() => new AdamW([param()], any({ weight_decay: 0.1 }))).toThrow("AdamW() got an unexpected keyword argument 'weight_decay'");
    expect(() => new SGD([param()], any({ lr: 0.1, weight_decay: 0.1 }))).toThrow("SGD() got an unexpected keyword argument 'weight_decay'");
    expect(() => new Adam(any([{ params: [param()], weight_decay: 0.1 }]))).toThrow(
      "Adam param group got an unexpected keyword argument 'weight_decay' (recur spells PyTorch's 'weight_decay' as 'weightDecay')",
    );
  });
  it('new Dropout(0.5) is p = 0.5; the old (p, generator) form is an error, not ignored', () => {
    expect(new Dropout(0.3).p).toBe(0.3);
    const g = new Generator(0);
    expect(new Dropout({ p: 0.2, generator: g }).generator).toBe(g);
    expect(new Dropout(0.2, { generator: g }).generator).toBe(g);
    expect(() => new Dropout(any(0.2), any(g))).toThrow('Dropout() takes at most 1 positional option (p) before the options object, got a Generator in position 2');
  });
  it('num_layers as an option key is an error naming numLayers', () => {
    expect(() => new LSTM(3, 4, any({ num_layers: 2 }))).toThrow(
      "RNNBase.__init__() got an unexpected keyword argument 'num_layers' (recur spells PyTorch's 'num_layers' as 'numLayers')",
    );
    expect(() => new LSTM(3, 4, any({ batch_frist: true }))).toThrow("(did you mean 'batchFirst'?)");
    expect(() => new LSTM(3, 4, 2, any({ numLayers: 3 }))).toThrow("got multiple values for 'numLayers'");
  });
});

describe('every constructor and function with options rejects unknown keys', () => {
  const p = () => [param()];
  const opt = () => new SGD(p(), { lr: 1 });
  const cases: Array<[string, () => unknown, string]> = [
    ['RNNCell', () => new RNNCell(2, 3, any({ non_linearity: 'relu' })), "RNNCell.__init__() got an unexpected keyword argument 'non_linearity'"],
    ['LSTMCell', () => new LSTMCell(2, 3, any({ bais: false })), "(did you mean 'bias'?)"],
    ['GRUCell', () => new GRUCell(2, 3, any({ batchFirst: true })), "GRUCell.__init__() got an unexpected keyword argument 'batchFirst'"],
    ['CrossEntropyLoss', () => new CrossEntropyLoss(any({ ignore_index: 0 })), "as 'ignoreIndex'"],
    ['crossEntropy', () => crossEntropy(zeros([2, 3]), tensor([0, 1]), any({ label_smoothing: 0.1 })), "as 'labelSmoothing'"],
    ['StepLR', () => new StepLR(opt(), any({ step_size: 2 })), "StepLR() got an unexpected keyword argument 'step_size' (recur spells PyTorch's 'step_size' as 'stepSize')"],
    ['ExponentialLR', () => new ExponentialLR(opt(), any({ gamma: 0.5, last_epoch: 3 })), "as 'lastEpoch'"],
    ['CosineAnnealingLR', () => new CosineAnnealingLR(opt(), any({ T_max: 3 })), "as 'TMax'"],
    ['LinearLR', () => new LinearLR(opt(), any({ start_factor: 0.5 })), "as 'startFactor'"],
    ['ConstantLR', () => new ConstantLR(opt(), any({ total_iters: 2 })), "as 'totalIters'"],
    ['LambdaLR', () => new LambdaLR(opt(), any({ lr_lambda: () => 1 })), "as 'lrLambda'"],
    ['clipGradNorm', () => clipGradNorm(p(), 1, any({ error_if_nonfinite: true })), "as 'errorIfNonfinite'"],
    ['DataLoader', () => new DataLoader([1, 2], any({ batch_size: 2, collateFn: (x: number[]) => x })), "as 'batchSize'"],
    ['packPaddedSequence', () => packPaddedSequence(zeros([2, 1, 1]), [2], any({ enforce_sorted: false })), "as 'enforceSorted'"],
    ['padPackedSequence', () => padPackedSequence(packSequence([zeros([2, 1])]), any({ total_length: 3 })), "as 'totalLength'"],
    ['padSequence', () => padSequence([zeros([2])], any({ padding_value: 1 })), "as 'paddingValue'"],
    ['packSequence', () => packSequence([zeros([2])], any({ enforce_sorted: false })), "as 'enforceSorted'"],
    ['unpadSequence', () => unpadSequence(zeros([2, 1]), [2], any({ batch_first: true })), "as 'batchFirst'"],
    ['tensor', () => tensor([1], any({ requires_grad: true })), "as 'requiresGrad'"],
    ['zeros', () => zeros([1], any({ dtpye: 'int64' })), "(did you mean 'dtype'?)"],
    ['randn', () => randn([1], any({ seed: 1 })), "got an unexpected keyword argument 'seed'"],
    ['full', () => full([1], 2, any({ device: 'cpu' })), "got an unexpected keyword argument 'device'"],
    ['Module.loadStateDict', () => new Module().loadStateDict({}, any({ assign: true })), "loadStateDict() got an unexpected keyword argument 'assign'"],
    ['arange', () => arange(3, 5, 1, any({ dtype: 'int64', device: 'cpu' })), "arange() got an unexpected keyword argument 'device'"],
    ['gradcheck', () => gradcheck((t) => t, [], any({ atoll: 1 })), "(did you mean 'atol'?)"],
    ['RnnClsNet', () => new RnnClsNet(any({ vocabSize: 3, embedDim: 2, hiddenDim: 2, numLayers: 1, numClasses: 2, num_layers: 1 })), "as 'numLayers'"],
    ['SeqSumModDataset', () => new SeqSumModDataset(any(new PyRandom(0)), any({ max_seq_len: 3 })), "as 'maxSeqLen'"],
    ['saveBytes', () => saveBytes({}, any({ metdata: {} })), "(did you mean 'metadata'?)"],
  ];
  for (const [name, fn, msg] of cases) it(name, () => expect(fn).toThrow(msg));
});

describe('positional forms as in PyTorch', () => {
  it('schedulers: StepLR(opt, 2, 0.5), ExponentialLR(opt, 0.9), CosineAnnealingLR(opt, 10), LambdaLR(opt, f), SequentialLR(opt, [...], [m])', () => {
    const o = new SGD([param()], 1);
    const s = new StepLR(o, 2, 0.5);
    expect([s.stepSize, s.gamma]).toEqual([2, 0.5]);
    expect(new ExponentialLR(new SGD([param()], 1), 0.9).gamma).toBe(0.9);
    expect(new CosineAnnealingLR(new SGD([param()], 1), 10, 0.01).TMax).toBe(10);
    const o2 = new SGD([param()], 1);
    expect(new LambdaLR(o2, (e) => 0.5 ** e).getLastLr()).toEqual([1]);
    const o3 = new SGD([param()], 1);
    const seq = new SequentialLR(o3, [new ConstantLR(o3, 0.5, 2), new ExponentialLR(o3, 0.9)], [2]);
    expect(seq.milestones).toEqual([2]);
    expect(new LinearLR(new SGD([param()], 1), 0.5, 1, 4).totalIters).toBe(4);
  });
  it('clipGradNorm(params, maxNorm, normType, errorIfNonfinite)', () => {
    const w = tensor([3, 4], { requiresGrad: true });
    w.grad = tensor([3, 4], { dtype: 'float32' });
    expect(clipGradNorm([w], 1, Infinity)).toBe(4);
    w.grad = tensor([NaN, 1], { dtype: 'float32' });
    expect(() => clipGradNorm([w], 1, 2, true)).toThrow('is non-finite');
    expect(() => clipGradNorm([w], 1, any('2'))).toThrow('clipGradNorm(): normType must be a number');
  });
  it('packing: packPaddedSequence(x, lengths, true, false) is batch_first=True, enforce_sorted=False', () => {
    const x = tensor([[1, 2, 0], [3, 0, 0]], { dtype: 'float32' }).unsqueeze(2);
    const ps = packPaddedSequence(x, [2, 1], true);
    expect(Array.from(ps.batchSizes.data)).toEqual([2, 1]);
    const [padded, lens] = padPackedSequence(ps, true);
    expect(padded.shape).toEqual([2, 2, 1]);
    expect(Array.from(lens.data)).toEqual([2, 1]);
    expect(padSequence([zeros([2]), zeros([1])], true, 7).toArray()).toEqual([[0, 0], [0, 7]]);
  });
  it('DataLoader(dataset, batchSize, { collateFn })', () => {
    expect([...new DataLoader([1, 2, 3], 2, { collateFn: (b: number[]) => b })]).toEqual([[1, 2], [3]]);
    expect(() => new DataLoader([1], any({ batchSize: 1 }))).toThrow('DataLoader(): collateFn must be a function');
  });
  it('CrossEntropyLoss(weight) takes the class weights positionally', () => {
    const w = tensor([1, 2, 3], { dtype: 'float32' });
    expect(new CrossEntropyLoss(w).weight).toBe(w);
  });
  it('an options object that is not the last argument, or too many positionals, is an error', () => {
    expect(() => new Linear(2, 2, any({ bias: false }), any(true))).toThrow('takes at most 1 positional option (bias)');
    expect(() => new (Adam as unknown as new (...a: unknown[]) => Adam)([param()], 1e-3, [0.9, 0.99], 1e-8, 0, false, true)).toThrow(
      'Adam() takes at most 5 positional options (lr, betas, eps, weightDecay, amsgrad)',
    );
    expect(() => new CrossEntropyLoss(any('mean'))).toThrow(TypeError);
  });
});

describe('tensor() infers dtype as torch.tensor', () => {
  it('all-integer data → int64, booleans → bool, anything else → float32', () => {
    expect(tensor([[1, 2]]).dtype).toBe('int64');
    expect(tensor(3).dtype).toBe('int64');
    expect(tensor([1, 2.5]).dtype).toBe('float32');
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(Array.from(tensor([true, false]).data)).toEqual([1, 0]);
    expect(tensor([true, 2]).dtype).toBe('int64');
    expect(tensor([]).dtype).toBe('float32');
    expect(tensor([NaN, 1]).dtype).toBe('float32');
    expect(tensor(Int32Array.from([1])).dtype).toBe('int64');
    expect(tensor(Float64Array.from([1])).dtype).toBe('float64');
    expect(tensor([1, 2], { dtype: 'float32' }).dtype).toBe('float32');
  });
  it('requiresGrad: true makes whole-valued data float32 (JS has no 1.0 literal); int data errors as PyTorch with dtype int64', () => {
    expect(tensor([1, 2], { requiresGrad: true }).dtype).toBe('float32');
    expect(() => tensor([1, 2], { dtype: 'int64', requiresGrad: true })).toThrow('Only Tensors of floating point dtype can require gradients');
  });
  it('Embedding and crossEntropy accept the inferred int64 data directly', () => {
    const emb = new Embedding(5, 2, { generator: new Generator(0) });
    const out = emb.forward(tensor([[1, 2]]));
    expect(out.shape).toEqual([1, 2, 2]);
    const loss = crossEntropy(tensor([[0.5, 1.5, -1]]), tensor([2]));
    expect(loss.dtype).toBe('float32');
    expect(loss.item()).toBeCloseTo(Math.log(Math.exp(0.5) + Math.exp(1.5) + Math.exp(-1)) + 1, 5);
  });
  it('bool tensors are storage for masks: arithmetic on them is an error, not a wrapped value', () => {
    const m = tensor([true, true]);
    expect(() => m.add(m)).toThrow('add: arithmetic on bool tensors is not supported');
    expect(m).toBeInstanceOf(Tensor);
  });
});
