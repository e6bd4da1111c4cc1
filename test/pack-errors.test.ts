// Every row of FEATURES.md §10 for pack_padded_sequence, pad_packed_sequence, pad_sequence,
// pack_sequence, unpad_sequence, PackedSequence and the packing edge cases, with PyTorch 1.13's
// exact message — or, where 1.13 silently corrupts or fails incidentally, our clear message.
import { describe, it, expect } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor, zeros, randn, arange } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import {
  packPaddedSequence,
  padPackedSequence,
  padSequence,
  packSequence,
  unpadSequence,
  invertPermutation,
  PackedSequence,
} from '../src/nn/utils/rnn.js';

const gen = new Generator(7);
const x43 = (): Tensor => randn([4, 3, 2], { dtype: 'float64', generator: gen }); // (T=4, B=3, 2)
const SORT_MSG =
  '`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability.';
const LEN_MSG = "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0";
const bs = (p: PackedSequence): number[] => Array.from(p.batchSizes.data);

describe('pack_padded_sequence errors (FEATURES §10)', () => {
  it('lengths [2,4,1] unsorted with enforceSorted=true (default)', () => {
    expect(() => packPaddedSequence(x43(), [2, 4, 1])).toThrow(SORT_MSG);
  });
  it('lengths [4,2,2] sorted with ties ok', () => {
    expect(bs(packPaddedSequence(x43(), [4, 2, 2]))).toEqual([3, 3, 1, 1]);
  });
  it('lengths [4,2,0] (zero length), enforceSorted=true', () => {
    expect(() => packPaddedSequence(x43(), [4, 2, 0])).toThrow(LEN_MSG);
  });
  it('lengths [0,4,2] (zero length), enforceSorted=false', () => {
    expect(() => packPaddedSequence(x43(), [0, 4, 2], { enforceSorted: false })).toThrow(LEN_MSG);
  });
  it('lengths [5,2,1] > T=4, enforceSorted=true: error instead of a corrupt PackedSequence', () => {
    expect(() => packPaddedSequence(x43(), [5, 2, 1])).toThrow(
      'Expected every length to be at most the padded sequence length 4 (input.size(0)), but got lengths[0] = 5',
    );
  });
  it('lengths [1,5,2] > T=4, enforceSorted=false: error', () => {
    expect(() => packPaddedSequence(x43(), [1, 5, 2], { enforceSorted: false })).toThrow(
      'Expected every length to be at most the padded sequence length 4 (input.size(0)), but got lengths[1] = 5',
    );
  });
  it('lengths [4,2,-1] negative', () => {
    expect(() => packPaddedSequence(x43(), [4, 2, -1])).toThrow(LEN_MSG);
  });
  it('lengths [4,2] (len(lengths) != batch 3)', () => {
    expect(() => packPaddedSequence(x43(), [4, 2])).toThrow('Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)');
  });
  it('lengths [4,3,2,1] (len(lengths) 4 > batch 3)', () => {
    expect(() => packPaddedSequence(x43(), [4, 3, 2, 1])).toThrow('Expected `len(lengths)` to be equal to batch_size, but got 4 (batch_size=3)');
  });
  it('lengths [4.0,2.0,1.0] integral floats are fine', () => {
    expect(bs(packPaddedSequence(x43(), [4.0, 2.0, 1.0]))).toEqual([3, 2, 1, 1]);
  });
  it('lengths [3.7,2.2,1.9] non-integral floats: error instead of truncation', () => {
    expect(() => packPaddedSequence(x43(), [3.7, 2.2, 1.9])).toThrow(
      'packPaddedSequence: expected integer lengths, but got lengths[0] = 3.7 (PyTorch 1.13 would silently truncate it to 3)',
    );
  });
  it('lengths float tensor [4.,2.,1.] is fine', () => {
    expect(bs(packPaddedSequence(x43(), tensor([4, 2, 1], { dtype: 'float64' })))).toEqual([3, 2, 1, 1]);
    expect(() => packPaddedSequence(x43(), tensor([4, 2.5, 1], { dtype: 'float64' }))).toThrow('expected integer lengths, but got lengths[1] = 2.5');
  });
  it('lengths 2-D tensor [[4,2,1]]', () => {
    const msg = "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor";
    expect(() => packPaddedSequence(x43(), tensor([[4, 2, 1]], { dtype: 'int64' }))).toThrow(msg);
    expect(() => packPaddedSequence(x43(), [[4, 2, 1]] as unknown as number[])).toThrow(msg);
  });
  it('lengths empty [] with input (0,0)', () => {
    expect(() => packPaddedSequence(zeros([0, 0]), [])).toThrow('Cannot pack empty tensors.');
    expect(() => packPaddedSequence(zeros([0, 1, 10]), [], { batchFirst: true })).toThrow('Cannot pack empty tensors.');
  });
  it('input 1-D (4,): a clear message instead of 1.13 incidental IndexError', () => {
    expect(() => packPaddedSequence(zeros([4]), [4])).toThrow(
      'Dimension out of range (expected to be in range of [-1, 0], but got 1): packPaddedSequence expects input of at least 2 dimensions',
    );
  });
  it('input 2-D (4,3) lengths [4,2,1] ok', () => {
    expect(packPaddedSequence(zeros([4, 3]), [4, 2, 1]).data.shape).toEqual([7]);
  });
  it('max length < T: lengths [3,2,1] with T=4 ok', () => {
    expect(bs(packPaddedSequence(x43(), [3, 2, 1]))).toEqual([3, 2, 1]);
  });
  it('batchFirst=true, lengths > T: error', () => {
    expect(() => packPaddedSequence(zeros([3, 4, 2]), [5, 2, 1], { batchFirst: true })).toThrow(
      'Expected every length to be at most the padded sequence length 4 (input.size(1)), but got lengths[0] = 5',
    );
  });
  it('lengths as an Int32Array (the tuple case)', () => {
    expect(bs(packPaddedSequence(x43(), Int32Array.from([4, 2, 1])))).toEqual([3, 2, 1, 1]);
  });
  it('NaN / non-number lengths are rejected', () => {
    expect(() => packPaddedSequence(x43(), [4, NaN, 1])).toThrow('expected integer lengths, but got lengths[1] = NaN');
  });
  it('unknown option (like an unexpected keyword argument)', () => {
    expect(() => packPaddedSequence(x43(), [4, 2, 1], { batch_first: true } as never)).toThrow(
      "packPaddedSequence() got an unexpected keyword argument 'batch_first' (recur spells PyTorch's 'batch_first' as 'batchFirst')",
    );
  });
});

describe('pack_padded_sequence edge cases (FEATURES §10 "edge cases")', () => {
  it('lengths [4,2] for B=3 with enforceSorted=false: error instead of silently dropping a sequence', () => {
    expect(() => packPaddedSequence(x43(), [4, 2], { enforceSorted: false })).toThrow(
      'Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)',
    );
  });
  it('lengths [4,3,2,1] for B=3 with enforceSorted=false: the len(lengths) message', () => {
    expect(() => packPaddedSequence(x43(), [4, 3, 2, 1], { enforceSorted: false })).toThrow(
      'Expected `len(lengths)` to be equal to batch_size, but got 4 (batch_size=3)',
    );
  });
  it('lengths [5,2,1] with T=4: error instead of a PackedSequence with 5 steps and 7 rows', () => {
    expect(() => packPaddedSequence(zeros([4, 3, 2]), [5, 2, 1])).toThrow('at most the padded sequence length 4');
  });
});

describe('pad_packed_sequence errors (FEATURES §10)', () => {
  const packed = (): PackedSequence => packPaddedSequence(x43(), [4, 2, 1]);
  const msg = (t: number) =>
    `Expected total_length to be at least the length of the longest sequence in input, but got total_length=${t} and max sequence length being 4`;
  it('totalLength=3 < max len 4', () => {
    expect(() => padPackedSequence(packed(), { totalLength: 3 })).toThrow(msg(3));
  });
  it('totalLength=-1', () => {
    expect(() => padPackedSequence(packed(), { totalLength: -1 })).toThrow(msg(-1));
  });
  it('totalLength=0', () => {
    expect(() => padPackedSequence(packed(), { totalLength: 0 })).toThrow(msg(0));
  });
  it('totalLength=4.5 float', () => {
    expect(() => padPackedSequence(packed(), { totalLength: 4.5 })).toThrow(
      "_pad_packed_sequence(): argument 'total_length' (position 5) must be int, not float",
    );
  });
  it('totalLength=6 ok', () => {
    expect(padPackedSequence(packed(), { totalLength: 6 })[0].shape).toEqual([6, 3, 2]);
  });
  it('paddingValue=-1.5 ok', () => {
    const [p] = padPackedSequence(packed(), { paddingValue: -1.5 });
    expect(p.toArray()[3][2]).toEqual([-1.5, -1.5]); // sequence 2 has length 1
  });
  it('not a PackedSequence (tensor)', () => {
    expect(() => padPackedSequence(x43() as unknown as PackedSequence)).toThrow("'Tensor' object has no attribute 'batch_sizes'");
  });
  it('inconsistent manual PackedSequence: sum(batch_sizes) != rows', () => {
    const p = new PackedSequence(zeros([5, 2]), tensor([3, 1], { dtype: 'int64' }));
    expect(() => padPackedSequence(p)).toThrow('sum(batch_sizes) = 4 does not match data.size(0) = 5');
    const q = new PackedSequence(zeros([4, 2]), tensor([1, 3], { dtype: 'int64' }));
    expect(() => padPackedSequence(q)).toThrow('batch_sizes must be positive and non-increasing, got [1, 3]');
  });
});

describe('pad_sequence errors (FEATURES §10)', () => {
  it('empty list []', () => {
    expect(() => padSequence([])).toThrow('received an empty list of sequences');
  });
  it('non-iterable 5', () => {
    expect(() => padSequence(5 as never)).toThrow(
      "pad_sequence: Expected iterable for input sequences, but got arg of type: <class 'int'>",
    );
    expect(() => padSequence(1.5 as never)).toThrow("but got arg of type: <class 'float'>");
  });
  it('trailing dims mismatch (3,2) & (2,3)', () => {
    expect(() => padSequence([zeros([3, 2]), zeros([2, 3])])).toThrow(
      'The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1',
    );
  });
  it('ndim mismatch (3,2) & (2,): no error, the (2,) item is broadcast like copy_', () => {
    const out = padSequence([zeros([3, 2]), tensor([5, 6], { dtype: 'float32' })]);
    expect(out.shape).toEqual([3, 2, 2]);
    expect(out.toArray().map((row: number[][]) => row[1])).toEqual([[5, 6], [5, 6], [0, 0]]);
  });
  it('0-d tensors', () => {
    expect(() => padSequence([tensor(1), tensor(2)])).toThrow('Dimension specified as 0 but tensor has no dimensions');
  });
  it('dtype mismatch float/long: no error, cast to the first sequence dtype', () => {
    const out = padSequence([tensor([1.5, 2.5], { dtype: 'float64' }), tensor([3], { dtype: 'int64' })]);
    expect(out.dtype).toBe('float64');
    expect(out.toArray()).toEqual([[1.5, 3], [2.5, 0]]);
    const outI = padSequence([tensor([1], { dtype: 'int64' }), tensor([2.7, -1.5], { dtype: 'float64' })]);
    expect(outI.toArray()).toEqual([[1, 2], [0, -1]]); // copy_ into int64 truncates
  });
  it('tensor (2,3,4) input (unbind dim 0)', () => {
    const t = randn([2, 3, 4], { dtype: 'float64', generator: gen }).requiresGrad_();
    const out = padSequence(t);
    expect(out.shape).toEqual([3, 2, 4]);
    expect(out.toArray()[1][0]).toEqual(t.toArray()[0][1]);
    out.backward(1);
    expect(Array.from(t.grad!.data).every((v) => v === 1)).toBe(true);
  });
  it('paddingSide option does not exist in 1.13', () => {
    expect(() => padSequence([zeros([2])], { paddingSide: 'left' } as never)).toThrow(
      "padSequence() got an unexpected keyword argument 'paddingSide'",
    );
  });
  it('zero-length sequence allowed', () => {
    expect(padSequence([zeros([0, 2]), zeros([2, 2])]).shape).toEqual([2, 2, 2]);
  });
  it('a slot with a singleton feature dim cannot take a wider item', () => {
    expect(() => padSequence([zeros([2, 1]), zeros([2, 3])])).toThrow("output with shape [2, 1] doesn't match the broadcast shape [2, 3]");
  });
});

describe('pack_sequence errors (FEATURES §10)', () => {
  const a = () => arange(1, 4, 1, { dtype: 'float64' });
  const b = () => arange(4, 6, 1, { dtype: 'float64' });
  const c = () => arange(6, 7, 1, { dtype: 'float64' });
  it('empty list []', () => {
    expect(() => packSequence([])).toThrow('received an empty list of sequences');
  });
  it('unsorted, enforceSorted=true', () => {
    expect(() => packSequence([b(), c(), a()])).toThrow(SORT_MSG);
  });
  it('zero-length element', () => {
    expect(() => packSequence([a(), zeros([0], { dtype: 'float64' })])).toThrow(LEN_MSG);
  });
  it('zero-length element enforceSorted=false', () => {
    expect(() => packSequence([zeros([0], { dtype: 'float64' }), a()], { enforceSorted: false })).toThrow(LEN_MSG);
  });
});

describe('unpad_sequence (FEATURES §10)', () => {
  it('lengths longer than padded (len 5 > T 4): full T rows, as PyTorch', () => {
    const out = unpadSequence(zeros([4, 2, 3]), [5, 2]);
    expect(out.map((o) => o.shape)).toEqual([[4, 3], [2, 3]]);
  });
  it('does not mutate its input when batchFirst=false (1.13 transposes it in place)', () => {
    const p = randn([4, 2, 3], { generator: gen });
    const before = Array.from(p.data);
    unpadSequence(p, [4, 2]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(Array.from(p.data)).toEqual(before);
  });
  it('len(lengths) != batch: error (PyTorch zips and silently drops)', () => {
    expect(() => unpadSequence(zeros([4, 2, 3]), [4])).toThrow('Expected `len(lengths)` to be equal to batch_size, but got 1 (batch_size=2)');
  });
  it('negative or non-integral lengths', () => {
    expect(() => unpadSequence(zeros([4, 2]), [4, -1])).toThrow('expected non-negative lengths, but got lengths[1] = -1');
    expect(() => unpadSequence(zeros([4, 2]), [4, 1.5])).toThrow('unpadSequence: expected integer lengths, but got lengths[1] = 1.5');
  });
  it('1-D padded input', () => {
    expect(() => unpadSequence(zeros([4]), [4])).toThrow('unpadSequence: expected a padded tensor of at least 2 dimensions');
  });
});

describe('PackedSequence (FEATURES §10)', () => {
  it('PackedSequence(data) with no batchSizes', () => {
    expect(() => new (PackedSequence as any)(zeros([3, 2]))).toThrow('PackedSequence(data, batchSizes): both must be Tensors');
  });
  it('PackedSequence(data, batchSizes) manual, sortedIndices null: no error and pads', () => {
    const p = new PackedSequence(tensor([1, 4, 6, 2, 5, 3]), tensor([3, 2, 1], { dtype: 'int64' }));
    expect(p.sortedIndices).toBeNull();
    expect(padPackedSequence(p, { batchFirst: true })[0].toArray()).toEqual([[1, 2, 3], [4, 5, 0], [6, 0, 0]]);
  });
});

describe('invertPermutation', () => {
  it('inverts, keeps null, rejects non-permutations', () => {
    expect(Array.from(invertPermutation(tensor([2, 0, 1], { dtype: 'int64' }))!.data)).toEqual([1, 2, 0]);
    expect(invertPermutation(null)).toBeNull();
    expect(() => invertPermutation(tensor([0, 0, 1], { dtype: 'int64' }))).toThrow('expected a permutation of 0..2');
  });
});
