// Behaviours PyTorch's own test suite (test/test_nn.py) checks for RNN/LSTM/GRU, re-stated
// as properties of our implementation (no fixtures needed: each compares two computations
// that must agree, or checks a closed-form value).
import { describe, it, expect } from 'vitest';
import { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from '../src/nn/rnn.js';
import type { RNNBase } from '../src/nn/rnn.js';
import { PackedSequence } from '../src/nn/utils/packed-sequence.js';
import { packPaddedSequence, padPackedSequence } from '../src/nn/utils/rnn.js';
import { Tensor } from '../src/tensor/tensor.js';
import { ones, randn, tensor, zeros } from '../src/tensor/create.js';
import { add, mul, narrow, sum, transpose, unsqueeze, squeeze, select } from '../src/tensor/ops.js';
import { Generator } from '../src/tensor/random.js';
import { expectClose, packFromPadded, padPacked, sortedOrder } from './rnn-helpers.js';

const F64 = { dtype: 'float64' as const };
type Kind = 'RNN' | 'LSTM' | 'LSTMP' | 'GRU';

function build(kind: Kind, In: number, H: number, opts: Record<string, unknown>, seed: number): RNNBase {
  const o = { ...opts, dtype: 'float64' as const, generator: new Generator(seed) };
  if (kind === 'RNN') return new RNN(In, H, o);
  if (kind === 'GRU') return new GRU(In, H, o);
  return new LSTM(In, H, { ...o, projSize: kind === 'LSTMP' ? H - 1 : 0 });
}

/** forward returning [output, hN, cN|null] whatever the module kind. */
function run(m: RNNBase, input: Tensor | PackedSequence, h0: Tensor | null = null, c0: Tensor | null = null) {
  if (m instanceof LSTM) {
    const [o, [h, c]] = m.forward(input, h0 ? [h0, c0!] : null);
    return { out: o, hN: h, cN: c as Tensor | null };
  }
  const [o, h] = (m as RNN).forward(input, h0);
  return { out: o, hN: h, cN: null as Tensor | null };
}

const gradsOf = (m: RNNBase) => m.namedParameters().map(([n, p]) => [n, Float64Array.from(p.grad!.data)] as const);
const close = (what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => expectClose(what, a, b, tol, tol);

describe('packed batch ≡ each sequence run alone (test_variable_sequence)', () => {
  for (const kind of ['RNN', 'LSTM', 'LSTMP', 'GRU'] as Kind[]) {
    for (const [layers, bi] of [[1, false], [3, true], [2, false], [1, true]] as const) {
      it(`${kind} layers=${layers} bidirectional=${bi}`, () => {
        const In = 3, H = 4, lengths = [2, 5, 1, 5, 3], B = lengths.length, T = 5;
        const m = build(kind, In, H, { numLayers: layers, bidirectional: bi }, 1);
        const D = bi ? 2 : 1, Hout = kind === 'LSTMP' ? H - 1 : H;
        const gen = new Generator(2);
        const x = randn([T, B, In], { ...F64, generator: gen }).requiresGrad_();
        const h0 = randn([D * layers, B, Hout], { ...F64, generator: gen }).requiresGrad_();
        const c0 = randn([D * layers, B, H], { ...F64, generator: gen }).requiresGrad_();
        const wOut = randn([T, B, D * Hout], { ...F64, generator: gen });
        const wH = randn([D * layers, B, Hout], { ...F64, generator: gen });
        const wC = randn([D * layers, B, H], { ...F64, generator: gen });
        const lstm = kind.startsWith('LSTM');

        // Packed run.
        const p = packFromPadded(x, lengths, false, sortedOrder(lengths));
        const r = run(m, p, h0, lstm ? c0 : null);
        const padded = padPacked(r.out as PackedSequence, false); // [T, B, D*Hout]
        const padT = tensor(padded.data, { shape: padded.shape, ...F64 });
        expect(padded.lengths).toEqual(lengths);
        // loss through the packed output rows (padded positions carry no output)
        const wRows = packFromPadded(wOut, lengths, false, sortedOrder(lengths)).data;
        let loss = add(sum(mul((r.out as PackedSequence).data, wRows)), sum(mul(r.hN, wH)));
        if (lstm) loss = add(loss, sum(mul(r.cN!, wC)));
        loss.backward();
        const packedGrads = gradsOf(m);
        const gx = Float64Array.from(x.grad!.data), gh = Float64Array.from(h0.grad!.data);
        const gc = lstm ? Float64Array.from(c0.grad!.data) : null;

        // Each sequence alone (batch of 1, its own length), summed losses.
        m.zeroGrad();
        x.grad = null; h0.grad = null; c0.grad = null;
        for (let b = 0; b < B; b++) {
          const L = lengths[b];
          const xb = narrow(narrow(x, 1, b, 1), 0, 0, L);
          const hb = narrow(h0, 1, b, 1), cb = narrow(c0, 1, b, 1);
          const rb = run(m, xb, hb, lstm ? cb : null);
          const ob = rb.out as Tensor; // [L, 1, D*Hout]
          close(`${kind} seq ${b} output`, ob.data, narrow(narrow(padT, 1, b, 1), 0, 0, L).data);
          close(`${kind} seq ${b} h_n`, rb.hN.data, narrow(r.hN, 1, b, 1).data);
          if (lstm) close(`${kind} seq ${b} c_n`, rb.cN!.data, narrow(r.cN!, 1, b, 1).data);
          let lb = add(sum(mul(ob, narrow(narrow(wOut, 1, b, 1), 0, 0, L))), sum(mul(rb.hN, narrow(wH, 1, b, 1))));
          if (lstm) lb = add(lb, sum(mul(rb.cN!, narrow(wC, 1, b, 1))));
          lb.backward();
        }
        for (const [name, g] of gradsOf(m)) close(`${kind} grad ${name}`, g, packedGrads.find(([n]) => n === name)![1], 1e-11);
        close(`${kind} grad x`, x.grad!.data, gx, 1e-11);
        close(`${kind} grad h0`, h0.grad!.data, gh, 1e-11);
        if (gc) close(`${kind} grad c0`, c0.grad!.data, gc, 1e-11);
        // gradient at padding positions is exactly zero
        for (let b = 0; b < B; b++) for (let t = lengths[b]; t < T; t++) for (let k = 0; k < In; k++) {
          expect(gx[(t * B + b) * In + k]).toBe(0);
        }
      });
    }
  }

  it('with packPaddedSequence / padPackedSequence (the article flow), batch_first, enforceSorted=false', () => {
    const m = new GRU(3, 4, { numLayers: 2, batchFirst: true, bidirectional: true, dtype: 'float64', generator: new Generator(9) });
    const lengths = [2, 4, 1];
    const x = randn([3, 4, 3], { ...F64, generator: new Generator(10) }).requiresGrad_();
    const [out, hN] = m.forward(packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false }));
    const [padded, lens] = padPackedSequence(out as PackedSequence, { batchFirst: true });
    expect(Array.from(lens.data)).toEqual(lengths);
    const mine = m.forward(packFromPadded(x, lengths, true, sortedOrder(lengths)))[0] as PackedSequence;
    close('padded output', padded.data, padPacked(mine, true).data);
    for (let b = 0; b < 3; b++) {
      const [ob, hb] = m.forward(narrow(narrow(x, 0, b, 1), 1, 0, lengths[b])) as [Tensor, Tensor];
      close(`seq ${b} output`, ob.data, narrow(narrow(padded, 0, b, 1), 1, 0, lengths[b]).data);
      close(`seq ${b} h_n`, hb.data, narrow(hN, 1, b, 1).data);
    }
    add(padded.sum(), hN.sum()).backward();
    for (let b = 0; b < 3; b++) for (let t = lengths[b]; t < 4; t++) {
      expect(Array.from(narrow(narrow(x.grad!, 0, b, 1), 1, t, 1).data).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('initial state', () => {
  for (const kind of ['RNN', 'LSTM', 'LSTMP', 'GRU'] as Kind[]) {
    for (const bi of [false, true]) {
      it(`${kind} bidirectional=${bi}: explicit zero hx ≡ no hx (test_rnn_initial_hidden_state)`, () => {
        const m = build(kind, 3, 4, { numLayers: 2, bidirectional: bi }, 3);
        const D = bi ? 2 : 1, Hout = kind === 'LSTMP' ? 3 : 4;
        const x = randn([5, 2, 3], { ...F64, generator: new Generator(4) });
        const a = run(m, x);
        const b = run(m, x, zeros([2 * D, 2, Hout], F64), zeros([2 * D, 2, 4], F64));
        expect(Array.from((a.out as Tensor).data)).toEqual(Array.from((b.out as Tensor).data));
        expect(Array.from(a.hN.data)).toEqual(Array.from(b.hN.data));
        if (a.cN) expect(Array.from(a.cN.data)).toEqual(Array.from(b.cN!.data));
      });
    }
  }
});

describe('layouts', () => {
  it('h_n vs output for bidirectional padded input: fwd final = output[L-1, :, :H], rev final = output[0, :, H:]', () => {
    const m = build('GRU', 3, 4, { numLayers: 2, bidirectional: true }, 5);
    const { out, hN } = run(m, randn([6, 3, 3], { ...F64, generator: new Generator(6) }));
    const o = out as Tensor;
    close('fwd', select(hN, 0, 2).data, narrow(select(o, 0, 5), 1, 0, 4).data);
    close('rev', select(hN, 0, 3).data, narrow(select(o, 0, 0), 1, 4, 4).data);
    // output[-1] is NOT h_n[-1] for bidirectional models
    expect(Array.from(narrow(select(o, 0, 5), 1, 4, 4).data)).not.toEqual(Array.from(select(hN, 0, 3).data));
  });

  it('h_n of packed input is each sequence\'s own last step (reverse: its t = 0 output)', () => {
    const m = build('RNN', 3, 4, { bidirectional: true }, 7);
    const lengths = [3, 1, 2];
    const x = randn([3, 3, 3], { ...F64, generator: new Generator(8) });
    const { out, hN } = run(m, packFromPadded(x, lengths, false, sortedOrder(lengths)));
    const pad = padPacked(out as PackedSequence, false);
    const at = (t: number, b: number, k: number) => pad.data[(t * 3 + b) * 8 + k];
    for (let b = 0; b < 3; b++) for (let k = 0; k < 4; k++) {
      expect(hN.data[b * 4 + k]).toBe(at(lengths[b] - 1, b, k));
      expect(hN.data[12 + b * 4 + k]).toBe(at(0, b, 4 + k));
    }
  });

  for (const kind of ['RNN', 'LSTMP', 'GRU'] as Kind[]) {
    it(`${kind}: batchFirst ≡ time-major (outputs transposed, same h_n and gradients)`, () => {
      const tm = build(kind, 3, 4, { numLayers: 2, bidirectional: true }, 11);
      const bf = build(kind, 3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }, 11);
      const x = randn([4, 2, 3], { ...F64, generator: new Generator(12) });
      const a = run(tm, x);
      const b = run(bf, transpose(x, 0, 1));
      close('output', transpose(b.out as Tensor, 0, 1).data, (a.out as Tensor).data);
      close('h_n', b.hN.data, a.hN.data);
      add((a.out as Tensor).sum(), a.hN.sum()).backward();
      add((b.out as Tensor).sum(), b.hN.sum()).backward();
      const gb = gradsOf(bf);
      gradsOf(tm).forEach(([n, g], i) => close(`grad ${n}`, gb[i][1], g));
    });

    it(`${kind}: unbatched input ≡ batch of 1 (no_batch_dim_reference), batchFirst ignored`, () => {
      for (const batchFirst of [false, true]) {
        const m = build(kind, 2, 3, { numLayers: 2, bidirectional: true, batchFirst }, 13);
        const Hout = kind === 'LSTMP' ? 2 : 3;
        const x = randn([5, 2], { ...F64, generator: new Generator(14) });
        const h = randn([4, Hout], { ...F64, generator: new Generator(15) });
        const c = randn([4, 3], { ...F64, generator: new Generator(16) });
        const u = run(m, x, h, c);
        const bx = batchFirst ? unsqueeze(x, 0) : unsqueeze(x, 1);
        const b = run(m, bx, unsqueeze(h, 1), unsqueeze(c, 1));
        expect((u.out as Tensor).shape).toEqual([5, 2 * Hout]);
        expect(u.hN.shape).toEqual([4, Hout]);
        close('output', (u.out as Tensor).data, squeeze(b.out as Tensor, batchFirst ? 0 : 1).data);
        close('h_n', u.hN.data, b.hN.data);
        if (u.cN) close('c_n', u.cN.data, b.cN!.data);
      }
    });
  }
});

describe('dropout between layers (test_RNN_dropout)', () => {
  // RNN(10, 50, 2 layers, no bias, relu), all weights 1, input ones: layer 0 gives 10 per unit,
  // layer 1 gives 50·10 = 500 per unit — unless dropout zeroes/scales layer 1's input.
  const make = (p: number) => {
    const m = new RNN(10, 50, { numLayers: 2, bias: false, nonlinearity: 'relu', dropout: p, dtype: 'float64', generator: new Generator(1) });
    for (const q of m.parameters()) q.data.fill(1);
    return m;
  };
  const x = ones([1, 1, 10], F64);
  it('p=0 and eval mode: every output is 500', () => {
    for (const m of [make(0), make(0.5).eval(), make(1).eval()]) {
      const [o, h] = m.forward(x) as [Tensor, Tensor];
      expect(Array.from(o.data).every((v) => v === 500)).toBe(true);
      expect(Array.from(h.data.subarray(0, 50)).every((v) => v === 10)).toBe(true);
    }
  });
  it('p=1 in training: layer ≥1 sees zeros; h_n[0] is the pre-dropout layer-0 state', () => {
    const [o, h] = make(1).forward(x) as [Tensor, Tensor];
    expect(Array.from(o.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(h.data.subarray(0, 50)).every((v) => v === 10)).toBe(true);
    expect(Array.from(h.data.subarray(50))).toEqual(Array.from(o.data));
  });
  it('p=0.5 in training: inverted scaling (out·(1−p) is a multiple of 10), never on the output', () => {
    const m = make(0.5);
    const [o, h] = m.forward(x) as [Tensor, Tensor];
    const v = o.data[0];
    expect(Array.from(o.data).every((u) => u === v)).toBe(true);
    expect(v).toBeGreaterThan(100);
    expect(v).toBeLessThan(900);
    expect((v * 0.5) % 10).toBe(0);
    expect(Array.from(h.data.subarray(0, 50)).every((u) => u === 10)).toBe(true);
    // fresh masks on every training call: five calls do not all give the same output
    const outs = [0, 1, 2, 3, 4].map(() => (m.forward(x)[0] as Tensor).data[0]);
    expect(new Set(outs).size).toBeGreaterThan(1);
  });
  it('changing module.dropout takes effect on the next call (test_RNN_change_dropout)', () => {
    const m = make(0);
    expect((m.forward(x)[0] as Tensor).data[0]).toBe(500);
    m.dropout = 1;
    expect((m.forward(x)[0] as Tensor).data[0]).toBe(0);
    m.dropout = 0;
    expect((m.forward(x)[0] as Tensor).data[0]).toBe(500);
  });
});

describe('parameters, init, repr', () => {
  it('names, order, shapes (2-layer bidirectional LSTM with projection)', () => {
    const m = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2 });
    const got = m.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    const layer = (l: number, sfx: string, inF: number) => [
      `weight_ih_l${l}${sfx}:20x${inF}`, `weight_hh_l${l}${sfx}:20x2`, `bias_ih_l${l}${sfx}:20`, `bias_hh_l${l}${sfx}:20`, `weight_hr_l${l}${sfx}:2x5`,
    ];
    expect(got).toEqual([...layer(0, '', 3), ...layer(0, '_reverse', 3), ...layer(1, '', 4), ...layer(1, '_reverse', 4)]);
    expect(Object.keys(m.stateDict())).toEqual(m.namedParameters().map(([n]) => n));
    expect(m.dtype).toBe('float32');
  });
  it('bias=false: the bias parameters do not exist', () => {
    expect(new GRU(3, 4, { bias: false, numLayers: 2 }).namedParameters().map(([n]) => n)).toEqual(
      ['weight_ih_l0', 'weight_hh_l0', 'weight_ih_l1', 'weight_hh_l1'],
    );
  });
  it('init: every parameter ~ U(−1/√H, 1/√H) (H = hidden_size, not proj_size), seeded', () => {
    const m = new LSTM(3, 16, { projSize: 4, generator: new Generator(42) });
    const all = m.parameters().flatMap((p) => Array.from(p.data));
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.24);
    const again = new LSTM(3, 16, { projSize: 4, generator: new Generator(42) });
    expect(again.parameters().flatMap((p) => Array.from(p.data))).toEqual(all);
  });
  it('repr as PyTorch', () => {
    expect(new LSTM(3, 4, { projSize: 2, numLayers: 2, batchFirst: true, bidirectional: true }).toString()).toBe(
      'LSTM(3, 4, proj_size=2, num_layers=2, batch_first=True, bidirectional=True)',
    );
    expect(new GRU(3, 4, { bias: false }).toString()).toBe('GRU(3, 4, bias=False)');
    expect(new RNN(3, 4, { nonlinearity: 'relu' }).toString()).toBe('RNN(3, 4)');
  });
  it('gradients accumulate over two backward passes (test_rnn_retain_variables)', () => {
    const m = build('LSTM', 3, 4, { numLayers: 2 }, 17);
    const x = randn([3, 2, 3], { ...F64, generator: new Generator(18) });
    (run(m, x).out as Tensor).sum().backward();
    const g1 = gradsOf(m);
    (run(m, x).out as Tensor).sum().backward();
    gradsOf(m).forEach(([n, g], i) => close(n, g, g1[i][1].map((v) => 2 * v)));
  });
  it('float32 module runs float32 end to end', () => {
    const m = new GRU(3, 4, { numLayers: 2 });
    const [o, h] = m.forward(randn([3, 2, 3])) as [Tensor, Tensor];
    expect(o.data).toBeInstanceOf(Float32Array);
    expect(h.data).toBeInstanceOf(Float32Array);
  });
  it('inference with no tensor requiring grad builds no graph', () => {
    const m = build('RNN', 3, 4, {}, 19);
    for (const p of m.parameters()) p.requiresGrad_(false);
    const o = run(m, randn([3, 2, 3], F64)).out as Tensor;
    expect(o.requiresGrad).toBe(false);
  });
});

describe('cells ≡ a one-layer module stepped one time step at a time', () => {
  const cases = [
    ['RNNCell tanh', () => new RNNCell(3, 4, { dtype: 'float64', generator: new Generator(1) }), 'RNN'],
    ['RNNCell relu', () => new RNNCell(3, 4, { nonlinearity: 'relu', dtype: 'float64', generator: new Generator(1) }), 'RNN'],
    ['GRUCell', () => new GRUCell(3, 4, { dtype: 'float64', generator: new Generator(1) }), 'GRU'],
    ['LSTMCell', () => new LSTMCell(3, 4, { dtype: 'float64', generator: new Generator(1) }), 'LSTM'],
    ['LSTMCell no bias', () => new LSTMCell(3, 4, { bias: false, dtype: 'float64', generator: new Generator(1) }), 'LSTM'],
  ] as const;
  for (const [name, makeCell, kind] of cases) {
    it(name, () => {
      const cell = makeCell();
      const nl = (cell as RNNCell).nonlinearity;
      const bias = cell.bias;
      const mod = kind === 'RNN' ? new RNN(3, 4, { nonlinearity: nl, bias, dtype: 'float64' })
        : kind === 'GRU' ? new GRU(3, 4, { bias, dtype: 'float64' }) : new LSTM(3, 4, { bias, dtype: 'float64' });
      mod.loadStateDict(Object.fromEntries(cell.namedParameters().map(([n, p]) => [`${n}_l0`, p])));
      const gen = new Generator(2);
      const x = randn([4, 2, 3], { ...F64, generator: gen });
      const h0 = randn([2, 4], { ...F64, generator: gen });
      const c0 = randn([2, 4], { ...F64, generator: gen });
      const r = run(mod, x, unsqueeze(h0, 0), unsqueeze(c0, 0));
      let h = h0, c = c0;
      for (let t = 0; t < 4; t++) {
        const xt = select(x, 0, t);
        if (cell instanceof LSTMCell) [h, c] = cell.forward(xt, [h, c]);
        else h = (cell as RNNCell).forward(xt, h);
        close(`${name} step ${t}`, h.data, select(r.out as Tensor, 0, t).data);
      }
      if (cell instanceof LSTMCell) close('c', c.data, r.cN!.data);
      // unbatched cell input ≡ batch of 1; default hx is zeros
      const x1 = select(select(x, 0, 0), 0, 0);
      const a = cell instanceof LSTMCell ? cell.forward(x1)[0] : (cell as RNNCell).forward(x1);
      const b = cell instanceof LSTMCell ? cell.forward(unsqueeze(x1, 0), [zeros([1, 4], F64), zeros([1, 4], F64)])[0]
        : (cell as RNNCell).forward(unsqueeze(x1, 0), zeros([1, 4], F64));
      expect(a.shape).toEqual([4]);
      close('unbatched', a.data, b.data);
    });
  }
  it('hidden_size 0 cells return (N, 0) (test_RNN_cell_forward_zero_hidden_size)', () => {
    for (const cell of [new RNNCell(10, 0), new RNNCell(10, 0, { nonlinearity: 'relu' }), new GRUCell(10, 0)]) {
      expect(cell.forward(randn([3, 10]), zeros([3, 0])).shape).toEqual([3, 0]);
    }
  });
  it('cell gradients flow to input, hx and weights', () => {
    const cell = new LSTMCell(3, 4, { dtype: 'float64' });
    const x = randn([2, 3], F64).requiresGrad_();
    const h = randn([2, 4], F64).requiresGrad_();
    const c = randn([2, 4], F64).requiresGrad_();
    const [h1, c1] = cell.forward(x, [h, c]);
    add(h1.sum(), c1.sum()).backward();
    for (const t of [x, h, c, ...cell.parameters()]) expect(Array.from(t.grad!.data).some((v) => v !== 0)).toBe(true);
  });
});
