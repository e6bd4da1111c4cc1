// PyTorch's own packed-sequence tests (test/nn/test_packed_sequence.py) re-stated for recur,
// plus fast-check properties of the pack/pad round trips and finite-difference gradient checks.
// Expected values are built independently from the definitions (batch_sizes formula, layouts),
// never from the functions under test.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor, zeros, randn } from '../src/tensor/create.js';
import { Generator } from '../src/tensor/random.js';
import { gradcheck } from '../src/tensor/gradcheck.js';
import {
  packPaddedSequence,
  padPackedSequence,
  padSequence,
  packSequence,
  unpackSequence,
  unpadSequence,
  PackedSequence,
} from '../src/nn/utils/rnn.js';

const arr = (t: Tensor | null) => (t === null ? null : Array.from(t.data));
const F64 = { dtype: 'float64' as const };

/** Padded test batch (T, B, 5) time-major: sequence i at step n holds (i+1)*100 + 5n + (1..5). */
function numbered(lengths: number[], T: number, batchFirst: boolean): Tensor {
  const B = lengths.length;
  const x = zeros(batchFirst ? [B, T, 5] : [T, B, 5], F64);
  lengths.forEach((l, i) => {
    for (let n = 0; n < l; n++) {
      for (let j = 0; j < 5; j++) x.data[((batchFirst ? i * T + n : n * B + i) * 5) + j] = (i + 1) * 100 + 5 * n + j + 1;
    }
  });
  return x;
}

describe('enforceSorted false: longest first, ties in their order, small and large batches', () => {
  // Batches of up to 64 sort by insertion, larger ones by Array.sort: the same order either way.
  for (const B of [1, 2, 17, 64, 65, 200]) {
    it(`B = ${B}`, () => {
      let seed = B;
      const lengths = Array.from({ length: B }, () => { seed = (seed * 69069 + 1) >>> 0; return 1 + (seed >>> 16) % 6; });
      const T = Math.max(...lengths);
      const packed = packPaddedSequence(zeros([T, B, 2]), lengths, { enforceSorted: false });
      const want = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
      expect(arr(packed.sortedIndices)).toEqual(want);
    });
  }
});

describe('PackedSequenceTest.test_pack_padded_sequence (A1–A3)', () => {
  const sortedSets = [[10, 8, 4, 2, 2, 2, 1], [11, 10, 8, 6, 4, 3, 1]];
  for (const base of sortedSets) {
    for (const [enforceSorted, shuffle] of [[true, null], [false, [3, 0, 6, 1, 5, 2, 4]]] as const) {
      for (const batchFirst of [false, true]) {
        it(`lengths ${base} ${enforceSorted ? 'sorted' : 'shuffled'} batchFirst=${batchFirst}`, () => {
          const lengths = shuffle ? shuffle.map((k) => base[k]) : base;
          const T = base[0];
          const x = numbered(lengths, T, batchFirst).requiresGrad_();
          const packed = packPaddedSequence(x, lengths, { batchFirst, enforceSorted });
          // batch_sizes[t] = #{len > t}
          expect(arr(packed.batchSizes)).toEqual(Array.from({ length: T }, (_, t) => lengths.filter((l) => l > t).length));
          // order: identity when sorted, else lengths[sorted] non-increasing with ties kept in order
          const order = enforceSorted ? lengths.map((_, i) => i) : (arr(packed.sortedIndices) as number[]);
          if (enforceSorted) expect(packed.sortedIndices).toBeNull();
          else {
            const expectOrder = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
            expect(order).toEqual(expectOrder);
            const inv: number[] = [];
            order.forEach((b, i) => (inv[b] = i));
            expect(arr(packed.unsortedIndices)).toEqual(inv);
          }
          const expected: number[] = [];
          for (let n = 0; n < T; n++) {
            for (const i of order) if (lengths[i] > n) for (let j = 0; j < 5; j++) expected.push((i + 1) * 100 + 5 * n + j + 1);
          }
          expect(arr(packed.data)).toEqual(expected);
          // A2: pad(pack(x)) == x, lengths returned in the original order
          const [padded, lens] = padPackedSequence(packed, { batchFirst });
          expect(arr(padded)).toEqual(arr(x));
          expect(padded.shape).toEqual(x.shape);
          expect(arr(lens)).toEqual(lengths);
          // A3: gradient through pack→pad is grad_output on valid positions, 0 on padding
          const g = randn(padded.shape, { ...F64, generator: new Generator(1) });
          padded.backward(g);
          const B = lengths.length;
          for (let i = 0; i < B; i++) {
            for (let n = 0; n < T; n++) {
              for (let j = 0; j < 5; j++) {
                const k = (batchFirst ? i * T + n : n * B + i) * 5 + j;
                expect(x.grad!.data[k]).toBe(n < lengths[i] ? g.data[k] : 0);
              }
            }
          }
        });
      }
    }
  }
  it('test_wrong_order: pad_sequence([b(22), a(25)]) with lengths [22, 25], enforceSorted', () => {
    const p = padSequence([zeros([22, 3]), zeros([25, 3])]);
    expect(() => packPaddedSequence(p, [22, 25], { enforceSorted: true })).toThrow('must be sorted in decreasing order');
  });
});

describe('PackedSequenceTest.test_pack_sequence (A6–A7)', () => {
  const a = () => tensor([1, 2, 3]);
  const b = () => tensor([4, 5]);
  const c = () => tensor([6]);
  it('enforceSorted=false on sorted input gives identity permutations, not null', () => {
    const p = packSequence([a(), b(), c()], { enforceSorted: false });
    expect(arr(p.data)).toEqual([1, 4, 6, 2, 5, 3]);
    expect(arr(p.batchSizes)).toEqual([3, 2, 1]);
    expect(arr(p.sortedIndices)).toEqual([0, 1, 2]);
    expect(arr(p.unsortedIndices)).toEqual([0, 1, 2]);
  });
  it('enforceSorted=false on [b, c, a]', () => {
    const p = packSequence([b(), c(), a()], { enforceSorted: false });
    expect(arr(p.data)).toEqual([1, 4, 6, 2, 5, 3]);
    expect(arr(p.batchSizes)).toEqual([3, 2, 1]);
    expect(arr(p.sortedIndices)).toEqual([2, 0, 1]);
    expect(arr(p.unsortedIndices)).toEqual([1, 2, 0]);
  });
  it('enforceSorted=true: null indices; unsorted input raises', () => {
    const p = packSequence([a(), b(), c()]);
    expect(p.sortedIndices).toBeNull();
    expect(p.unsortedIndices).toBeNull();
    expect(() => packSequence([b(), c(), a()])).toThrow('You can pass `enforce_sorted=False`');
  });
  it('compatibility with pad_sequence / pack_padded_sequence for 0–3 trailing dims, lengths i*i', () => {
    const gen = new Generator(3);
    for (let nTrail = 0; nTrail <= 3; nTrail++) {
      const trailing = [2, 3, 2].slice(0, nTrail);
      for (const shuffled of [false, true]) {
        let lengths = [5, 4, 3, 2, 1].map((i) => i * i);
        if (shuffled) lengths = [lengths[2], lengths[0], lengths[4], lengths[1], lengths[3]];
        const seqs = lengths.map((l) => randn([l, ...trailing], { ...F64, generator: gen }));
        const es = !shuffled;
        for (const bf of [false, true]) {
          const viaPack = padPackedSequence(packSequence(seqs, { enforceSorted: es }), { batchFirst: bf })[0];
          const direct = padSequence(seqs, { batchFirst: bf });
          expect(viaPack.shape).toEqual(direct.shape);
          expect(arr(viaPack)).toEqual(arr(direct));
          const p1 = packSequence(seqs, { enforceSorted: es });
          const p2 = packPaddedSequence(padSequence(seqs, { batchFirst: bf }), lengths, { batchFirst: bf, enforceSorted: es });
          expect(arr(p1.data)).toEqual(arr(p2.data));
          expect(arr(p1.batchSizes)).toEqual(arr(p2.batchSizes));
          expect(arr(p1.sortedIndices)).toEqual(arr(p2.sortedIndices));
        }
      }
    }
  });
});

describe('unpack / pad / unpad (A8–A11, A13, A14)', () => {
  it('test_unpack_sequence: unpack(pack(seqs, enforceSorted=false)) returns the list in order', () => {
    const seqs = [tensor([1, 2, 3]), tensor([4, 5]), tensor([6])];
    for (const order of [[0, 1, 2], [1, 2, 0], [2, 0, 1]]) {
      const s = order.map((i) => seqs[i]);
      const out = unpackSequence(packSequence(s, { enforceSorted: false }));
      expect(out.map((t) => t.toArray())).toEqual(s.map((t) => t.toArray()));
    }
  });
  it('test_pad_sequence: values, transpose, paddingValue', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5]);
    const c = tensor([6]);
    expect(padSequence([b, a, c], { batchFirst: true }).toArray()).toEqual([[4, 5, 0], [1, 2, 3], [6, 0, 0]]);
    expect(padSequence([b, a, c]).toArray()).toEqual([[4, 1, 6], [5, 2, 0], [0, 3, 0]]);
    expect(padSequence([b, a, c], { batchFirst: true, paddingValue: 1 }).toArray()).toEqual([[4, 5, 1], [1, 2, 3], [6, 1, 1]]);
  });
  it('test_pad_sequence_with_tensor_sequences: a (2,1,2) tensor acts like its rows', () => {
    const t = tensor([[[7, 6]], [[-7, -1]]]);
    const out = padSequence(t);
    expect(out.shape).toEqual([1, 2, 2]);
    expect(out.toArray()).toEqual([[[7, 6], [-7, -1]]]);
  });
  it('test_unpad_sequence: unpad(pad(seqs)) == seqs, 1-D and multi-dim, both layouts', () => {
    const gen = new Generator(5);
    for (const trailing of [[], [3], [2, 2]]) {
      const seqs = [3, 1, 4, 2].map((l) => randn([l, ...trailing], { generator: gen }));
      for (const bf of [false, true]) {
        const out = unpadSequence(padSequence(seqs, { batchFirst: bf }), [3, 1, 4, 2], { batchFirst: bf });
        expect(out.map((t) => t.shape)).toEqual(seqs.map((t) => t.shape));
        expect(out.map((t) => arr(t))).toEqual(seqs.map((t) => arr(t)));
      }
    }
  });
  it('test_total_length: time dim is exactly totalLength, extra steps padding, lengths unchanged', () => {
    const lengths = [5, 3, 1];
    const maxLen = 5;
    for (const bf of [false, true]) {
      const x = numbered(lengths, maxLen, bf);
      const packed = packPaddedSequence(x, lengths, { batchFirst: bf });
      for (const extra of [0, 1, 8]) {
        const [p, lens] = padPackedSequence(packed, { batchFirst: bf, totalLength: maxLen + extra, paddingValue: extra === 8 ? -2 : 0 });
        expect(p.shape).toEqual(bf ? [3, maxLen + extra, 5] : [maxLen + extra, 3, 5]);
        expect(arr(lens)).toEqual(lengths);
        const A = p.toArray();
        for (let i = 0; i < 3; i++) {
          for (let t = 0; t < maxLen + extra; t++) {
            const row = bf ? A[i][t] : A[t][i];
            if (t < lengths[i]) expect(row[0]).toBe((i + 1) * 100 + 5 * t + 1);
            else expect(row).toEqual(new Array(5).fill(extra === 8 ? -2 : 0));
          }
        }
      }
    }
  });
  it('test_type_casts: packing keeps the dtype (int64 and float32/float64)', () => {
    for (const dtype of ['int64', 'float32', 'float64'] as const) {
      const x = tensor([[1, 4], [2, 5], [3, 0]], { dtype });
      const p = packPaddedSequence(x, [3, 2]);
      expect(p.data.dtype).toBe(dtype);
      const [padded] = padPackedSequence(p);
      expect(padded.dtype).toBe(dtype);
      expect(padded.toArray()).toEqual([[1, 4], [2, 5], [3, 0]]);
    }
  });
  it('pad(pack(x)) returns max(lengths) steps, not the original T', () => {
    const x = randn([6, 2, 3], { generator: new Generator(2) });
    const [p] = padPackedSequence(packPaddedSequence(x, [4, 2]));
    expect(p.shape).toEqual([4, 2, 3]);
  });
});

describe('finite-difference gradient checks (float64)', () => {
  const gen = new Generator(11);
  it('packPaddedSequence (unsorted, batchFirst) and padPackedSequence', () => {
    const x = randn([3, 4, 2], { ...F64, generator: gen }).requiresGrad_();
    expect(gradcheck((t) => packPaddedSequence(t, [2, 4, 1], { batchFirst: true, enforceSorted: false }).data, [x])).toBe(true);
    const d = randn([7, 2], { ...F64, generator: gen }).requiresGrad_();
    const bs = tensor([3, 2, 1, 1], { dtype: 'int64' });
    const si = tensor([1, 0, 2], { dtype: 'int64' });
    const ui = tensor([1, 0, 2], { dtype: 'int64' });
    expect(gradcheck((t) => padPackedSequence(new PackedSequence(t, bs, si, ui), { totalLength: 5 })[0], [d])).toBe(true);
  });
  it('padSequence and unpadSequence', () => {
    const a = randn([3, 2], { ...F64, generator: gen }).requiresGrad_();
    const b = randn([1, 2], { ...F64, generator: gen }).requiresGrad_();
    expect(gradcheck((s, t) => padSequence([s, t], { batchFirst: true }), [a, b])).toBe(true);
    const p = randn([4, 3, 2], { ...F64, generator: gen }).requiresGrad_();
    expect(gradcheck((t) => unpadSequence(t, [2, 4, 1]), [p])).toBe(true);
  });
});

// ---- fast-check properties ----------------------------------------------------------------------

/** Random batch description: lengths (1..T), trailing feature dims, layout flags, data seed. */
const batchArb = fc
  .record({
    T: fc.integer({ min: 1, max: 7 }),
    B: fc.integer({ min: 1, max: 7 }),
    trailing: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    batchFirst: fc.boolean(),
    enforceSorted: fc.boolean(),
    extraT: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .chain((r) =>
    fc.record({
      r: fc.constant(r),
      lengths: fc.array(fc.integer({ min: 1, max: r.T }), { minLength: r.B, maxLength: r.B }),
    }),
  );

describe('fast-check properties', () => {
  it('padPackedSequence(packPaddedSequence(x, lens)) == x on valid steps, padding elsewhere; gradient masked', () => {
    fc.assert(
      fc.property(batchArb, ({ r, lengths }) => {
        const lens = r.enforceSorted ? [...lengths].sort((a, b) => b - a) : lengths;
        const T = r.T + r.extraT;
        const B = lens.length;
        const F = r.trailing.reduce((a, b) => a * b, 1);
        const shape = r.batchFirst ? [B, T, ...r.trailing] : [T, B, ...r.trailing];
        const x = randn(shape, { ...F64, generator: new Generator(r.seed) }).requiresGrad_();
        const packed = packPaddedSequence(x, lens, { batchFirst: r.batchFirst, enforceSorted: r.enforceSorted });
        const maxLen = Math.max(...lens);
        expect(arr(packed.batchSizes)).toEqual(Array.from({ length: maxLen }, (_, t) => lens.filter((l) => l > t).length));
        expect(packed.data.shape).toEqual([lens.reduce((a, b) => a + b, 0), ...r.trailing]);
        const [padded, outLens] = padPackedSequence(packed, { batchFirst: r.batchFirst, paddingValue: -9 });
        expect(arr(outLens)).toEqual(lens);
        expect(padded.shape).toEqual(r.batchFirst ? [B, maxLen, ...r.trailing] : [maxLen, B, ...r.trailing]);
        const g = randn(padded.shape, { ...F64, generator: new Generator(r.seed + 1) });
        padded.backward(g);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            for (let j = 0; j < F; j++) {
              const kx = (r.batchFirst ? b * T + t : t * B + b) * F + j;
              const gx = x.grad!.data[kx];
              if (t >= maxLen) {
                expect(gx).toBe(0);
                continue;
              }
              const kp = (r.batchFirst ? b * maxLen + t : t * B + b) * F + j;
              if (t < lens[b]) {
                expect(padded.data[kp]).toBe(x.data[kx]);
                expect(gx).toBe(g.data[kp]);
              } else {
                expect(padded.data[kp]).toBe(-9);
                expect(gx).toBe(0);
              }
            }
          }
        }
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('unpackSequence(packSequence(seqs)) == seqs (enforceSorted=false); sorted input with enforceSorted=true', () => {
    fc.assert(
      fc.property(batchArb, ({ r, lengths }) => {
        const gen = new Generator(r.seed);
        const seqs = lengths.map((l) => randn([l, ...r.trailing], { ...F64, generator: gen }));
        const out = unpackSequence(packSequence(seqs, { enforceSorted: false }));
        expect(out.map((t) => t.shape)).toEqual(seqs.map((t) => t.shape));
        expect(out.map((t) => arr(t))).toEqual(seqs.map((t) => arr(t)));
        const sorted = [...seqs].sort((a, b) => b.shape[0] - a.shape[0]);
        const out2 = unpackSequence(packSequence(sorted));
        expect(out2.map((t) => arr(t))).toEqual(sorted.map((t) => arr(t)));
      }),
      { numRuns: 150, seed: 43 },
    );
  });

  it('unpadSequence(padSequence(seqs), lengths) == seqs, and padding holds paddingValue', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 0, max: 3 }), ({ r, lengths }, zeroLen) => {
        const gen = new Generator(r.seed);
        // zero-length members are allowed by padSequence
        const lens = lengths.map((l, i) => (i === zeroLen ? 0 : l));
        const seqs = lens.map((l) => randn([l, ...r.trailing], { ...F64, generator: gen }));
        const padded = padSequence(seqs, { batchFirst: r.batchFirst, paddingValue: 2.5 });
        const T = Math.max(...lens);
        expect(padded.shape).toEqual(r.batchFirst ? [seqs.length, T, ...r.trailing] : [T, seqs.length, ...r.trailing]);
        const nValid = lens.reduce((a, b) => a + b, 0) * r.trailing.reduce((a, b) => a * b, 1);
        expect(Array.from(padded.data).filter((v) => v === 2.5).length).toBe(padded.data.length - nValid);
        const out = unpadSequence(padded, lens, { batchFirst: r.batchFirst });
        expect(out.map((t) => arr(t))).toEqual(seqs.map((t) => arr(t)));
      }),
      { numRuns: 150, seed: 44 },
    );
  });
});
