// The golden-data checks: every PyTorch 1.13 output and gradient in golden.json, with its
// tolerances (golden.meta.tolerances: float64 atol = rtol = 1e-9; float32 atol 1e-5, rtol 1e-4).
// Written against the public API ('recur'), so the same code runs on the browser bundle (the golden
// page, test/web-golden) and, through vitest's alias, on the TypeScript sources (test/golden —
// the Node suite's RNN and packing checks). A check throws on the first mismatch, naming it.
import {
  Adam, CosineAnnealingLR, CrossEntropyLoss, Embedding, GRU, LSTM, LinearLR, PackedSequence, RNN, SequentialLR, Tensor,
  add, crossEntropy, gradOf, indexSelect, makeResult, mul, packPaddedSequence, packSequence, padPackedSequence,
  padSequence, reshape, sum, tensor, unpackSequence, unpadSequence,
} from 'recur';
import type { DType, FloatArray, LRScheduler, RNNBase, Reduction } from 'recur';

type GT = { dtype: DType; shape: number[]; data: Array<number | string> };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Golden = any;

export interface CheckResult {
  suite: string;
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface Check {
  suite: string;
  name: string;
  run: () => void;
}

let TOL: Record<'float32' | 'float64', { atol: number; rtol: number }>;

function fail(msg: string): never {
  throw new Error(msg);
}

function toTensor(g: GT, requiresGrad = false): Tensor {
  let vals = g.data.map((v) => (v === 'nan' ? NaN : (v as number)));
  if (g.dtype === 'float32') vals = vals.map(Math.fround);
  return tensor(vals, { shape: [...g.shape], dtype: g.dtype, requiresGrad });
}

function sameShape(what: string, a: readonly number[], e: readonly number[]): void {
  if (a.length !== e.length || a.some((v, i) => v !== e[i])) fail(`${what}: shape [${a}] expected [${e}]`);
}

/** |a − e| ≤ atol + rtol·|e| everywhere (NaN only where NaN is expected). */
function closeArr(what: string, a: ArrayLike<number>, e: ArrayLike<number>, atol: number, rtol: number): void {
  if (a.length !== e.length) fail(`${what}: length ${a.length}, expected ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    const ok = Number.isNaN(e[i]) ? Number.isNaN(a[i]) : Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok) fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${Math.abs(a[i] - e[i])})`);
  }
}

/** A tensor against a golden tensor: shape, then exact ints or floats within the dtype's tolerance. */
function close(what: string, actual: Tensor | null | undefined, expected: GT | null): void {
  if (expected === null) {
    if (actual !== null && actual !== undefined) fail(`${what}: expected None`);
    return;
  }
  if (!actual) fail(`${what}: missing`);
  sameShape(what, actual.shape, expected.shape);
  if (expected.dtype === 'int64' || expected.dtype === 'bool') {
    if (actual.dtype !== expected.dtype) fail(`${what}: dtype ${actual.dtype}, expected ${expected.dtype}`);
    equal(what, Array.from(actual.data), expected.data as number[]);
    return;
  }
  const { atol, rtol } = TOL[expected.dtype];
  closeArr(what, actual.data, toTensor(expected).data, atol, rtol);
}

function equal(what: string, a: unknown, e: unknown): void {
  if (JSON.stringify(a) !== JSON.stringify(e)) fail(`${what}: got ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`);
}

// ---------------------------------------------------------------- RNN / LSTM / GRU (80 cases)

function makeModule(c: Golden): RNNBase {
  const cfg = c.config;
  const common = {
    numLayers: cfg.num_layers, bias: cfg.bias, batchFirst: cfg.batch_first, dropout: cfg.dropout,
    bidirectional: cfg.bidirectional, dtype: c.dtype,
  };
  const quiet = console.warn;
  console.warn = () => {}; // dropout with one layer warns, as in PyTorch
  try {
    if (c.mode === 'LSTM') return new LSTM(cfg.input_size, cfg.hidden_size, { ...common, projSize: cfg.proj_size });
    if (c.mode === 'GRU') return new GRU(cfg.input_size, cfg.hidden_size, common);
    return new RNN(cfg.input_size, cfg.hidden_size, { ...common, nonlinearity: cfg.nonlinearity });
  } finally {
    console.warn = quiet;
  }
}

/** Packed rows of a padded x (differentiable gather, so grad x is checked through packing too). */
export function packFromPadded(x: Tensor, lengths: number[], batchFirst: boolean, sorted: number[] | null): PackedSequence {
  const T = batchFirst ? x.shape[1] : x.shape[0];
  const B = lengths.length;
  const order = sorted ?? [...Array(B).keys()];
  const idx: number[] = [];
  const batchSizes: number[] = [];
  for (let t = 0; t < Math.max(...lengths); t++) {
    let n = 0;
    for (const b of order) if (lengths[b] > t) { idx.push(batchFirst ? b * T + t : t * B + b); n++; }
    batchSizes.push(n);
  }
  const data = indexSelect(reshape(x, [x.shape[0] * x.shape[1], x.shape[2]]), 0, idx);
  const bs = tensor(batchSizes, { dtype: 'int64' });
  if (sorted === null) return new PackedSequence(data, bs, null, null);
  const unsorted = new Array<number>(B);
  sorted.forEach((b, i) => { unsorted[b] = i; });
  return new PackedSequence(data, bs, tensor(sorted, { dtype: 'int64' }), tensor(unsorted, { dtype: 'int64' }));
}

/** Identity node that records the gradient flowing through it (retain_grad on a non-leaf). */
function tap(x: Tensor, sink: { grad: FloatArray | null }): Tensor {
  return makeResult(x.data, [...x.shape], x.dtype, [x], (g) => {
    sink.grad = g.slice() as FloatArray;
    const gx = gradOf(x);
    if (gx) for (let k = 0; k < g.length; k++) gx[k] += g[k];
  });
}

/** pad_packed_sequence's padded output in the original batch order, by hand (an independent reading). */
export function padPacked(p: PackedSequence, batchFirst: boolean): { data: Float64Array; shape: number[]; lengths: number[] } {
  const bs = Array.from(p.batchSizes.data);
  const T = bs.length;
  const B = bs[0];
  const F = p.data.shape[1];
  const sorted = p.sortedIndices ? Array.from(p.sortedIndices.data) : [...Array(B).keys()];
  const out = new Float64Array(T * B * F);
  const lengths = new Array<number>(B).fill(0);
  let r = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < bs[t]; i++, r++) {
      const b = sorted[i];
      lengths[b] = t + 1;
      const o = (batchFirst ? b * T + t : t * B + b) * F;
      for (let k = 0; k < F; k++) out[o + k] = p.data.data[r * F + k];
    }
  }
  return { data: out, shape: batchFirst ? [B, T, F] : [T, B, F], lengths };
}

function rnnCase(c: Golden): void {
  const [atol, rtol] = c.dtype === 'float64' ? [TOL.float64.atol, TOL.float64.rtol] : [TOL.float32.atol, TOL.float32.rtol];
  const near = (what: string, a: ArrayLike<number>, e: ArrayLike<number>) => closeArr(what, a, e, atol, rtol);
  const m = makeModule(c);
  m.train(c.training);
  equal('param order', m.namedParameters().map(([n]) => n), c.param_order);
  for (const name of c.param_order) sameShape(name, m.getParameter(name).shape, c.params[name].shape);
  m.loadStateDict(Object.fromEntries(c.param_order.map((n: string) => [n, toTensor(c.params[n])])));

  const x = toTensor(c.inputs.x, true);
  const h0 = c.inputs.h0 ? toTensor(c.inputs.h0, true) : null;
  const c0 = c.inputs.c0 ? toTensor(c.inputs.c0, true) : null;
  const sink = { grad: null as FloatArray | null };
  let input: Tensor | PackedSequence = x;
  if (c.input_kind === 'packed') {
    const pk = c.inputs.packed;
    const p = packFromPadded(x, c.inputs.lengths, c.config.batch_first, pk.sorted_indices ? pk.sorted_indices.data : null);
    near('packed input data', p.data.data, toTensor(pk.data).data);
    equal('packed batch_sizes', Array.from(p.batchSizes.data), pk.batch_sizes.data);
    input = new PackedSequence(tap(p.data, sink), p.batchSizes, p.sortedIndices, p.unsortedIndices);
  }
  const [out, hidden] = c.mode === 'LSTM'
    ? (m as LSTM).forward(input, h0 ? [h0, c0!] : null)
    : (m as RNN).forward(input, h0);
  const [hN, cN] = Array.isArray(hidden) ? hidden : [hidden, null];

  let outT: Tensor;
  if (c.input_kind === 'packed') {
    const po = out as PackedSequence;
    const ex = c.outputs.output_packed;
    sameShape('output_packed.data', po.data.shape, ex.data.shape);
    near('output_packed.data', po.data.data, toTensor(ex.data).data);
    equal('output batch_sizes', Array.from(po.batchSizes.data), ex.batch_sizes.data);
    equal('output sorted_indices', po.sortedIndices ? Array.from(po.sortedIndices.data) : null, ex.sorted_indices?.data ?? null);
    equal('output unsorted_indices', po.unsortedIndices ? Array.from(po.unsortedIndices.data) : null, ex.unsorted_indices?.data ?? null);
    const padded = padPacked(po, c.config.batch_first);
    sameShape('output_padded', padded.shape, c.outputs.output_padded.shape);
    near('output_padded', padded.data, toTensor(c.outputs.output_padded).data);
    equal('output_lengths', padded.lengths, c.outputs.output_lengths.data ?? c.outputs.output_lengths);
    outT = po.data;
  } else {
    outT = out as Tensor;
    sameShape('output', outT.shape, c.outputs.output.shape);
    near('output', outT.data, toTensor(c.outputs.output).data);
  }
  sameShape('h_n', hN.shape, c.outputs.h_n.shape);
  near('h_n', hN.data, toTensor(c.outputs.h_n).data);
  if (c.mode === 'LSTM') {
    sameShape('c_n', cN!.shape, c.outputs.c_n.shape);
    near('c_n', cN!.data, toTensor(c.outputs.c_n).data);
  }

  // loss = Σ OUT·w_out + Σ h_n·w_h (+ Σ c_n·w_c)
  let loss = add(sum(mul(outT, toTensor(c.loss.w_out))), sum(mul(hN, toTensor(c.loss.w_h))));
  if (c.mode === 'LSTM') loss = add(loss, sum(mul(cN!, toTensor(c.loss.w_c))));
  near('loss', [loss.item()], [c.loss.value]);
  loss.backward();
  for (const name of c.param_order) {
    const g = m.getParameter(name).grad;
    if (!g) fail(`grad of ${name} is missing`);
    near(`grad ${name}`, g.data, toTensor(c.grads[name]).data);
  }
  near('grad x', x.grad!.data, toTensor(c.grads.x).data);
  if (c.grads.h0) near('grad h0', h0!.grad!.data, toTensor(c.grads.h0).data);
  if (c.grads.c0) near('grad c0', c0!.grad!.data, toTensor(c.grads.c0).data);
  if (c.input_kind === 'packed') near('grad packed_data', sink.grad!, toTensor(c.grads.packed_data).data);
}

// ---------------------------------------------------------------- packing utilities (21 cases)

const inverse = (p: number[]) => {
  const out = new Array<number>(p.length);
  p.forEach((v, i) => { out[v] = i; });
  return out;
};

function packPaddedCase(c: Golden): void {
  const a = c.args;
  const x = toTensor(c.input, true);
  const packed = packPaddedSequence(x, a.lengths, { batchFirst: a.batch_first, enforceSorted: a.enforce_sorted });
  close('batch_sizes', packed.batchSizes, c.packed.batch_sizes);
  let w = toTensor(c.grad_check.w);
  if (c.name === 'ppc_ties_B20_unstable_sort') {
    // torch.sort is unstable above 16 elements: its order among tied lengths is its own, ours is
    // stable. Compare what does not depend on it: each sequence's packed rows, and the gradient
    // with w moved from torch's packed order into ours.
    const ours = Array.from(packed.sortedIndices!.data);
    const theirs = c.packed.sorted_indices.data as number[];
    equal('sorted_indices as a set', [...ours].sort((p, q) => p - q), [...theirs].sort((p, q) => p - q));
    equal('lengths in sorted order', ours.map((b) => a.lengths[b]), theirs.map((b) => a.lengths[b]));
    for (let i = 0; i + 1 < ours.length; i++) {
      if (a.lengths[ours[i]] === a.lengths[ours[i + 1]] && ours[i] > ours[i + 1]) fail('ties not in index order');
    }
    equal('unsorted = inverse(sorted)', Array.from(packed.unsortedIndices!.data), inverse(ours));
    const F = packed.data.shape.slice(1).reduce((p, q) => p * q, 1);
    const gData = toTensor(c.packed.data).data;
    const wT = w.data;
    const wOurs = new Float64Array(wT.length);
    const posOurs = inverse(ours);
    const posTheirs = inverse(theirs);
    let off = 0;
    for (const n of packed.batchSizes.data) {
      for (let b = 0; b < ours.length; b++) {
        if (posOurs[b] >= n) continue;
        for (let j = 0; j < F; j++) {
          const ro = (off + posOurs[b]) * F + j;
          const rt = (off + posTheirs[b]) * F + j;
          if (packed.data.data[ro] !== gData[rt]) fail(`packed row of sequence ${b} differs`);
          wOurs[ro] = wT[rt];
        }
      }
      off += n;
    }
    w = tensor(wOurs, { shape: [...w.shape], dtype: 'float64' });
  } else {
    close('packed.data', packed.data, c.packed.data);
    close('sorted_indices', packed.sortedIndices, c.packed.sorted_indices);
    close('unsorted_indices', packed.unsortedIndices, c.packed.unsorted_indices);
  }
  const [padded, lengths] = padPackedSequence(packed, { batchFirst: a.batch_first, paddingValue: a.padding_value, totalLength: a.total_length });
  close('padded', padded, c.padded);
  close('lengths_out', lengths, c.lengths_out);
  packed.data.backward(w);
  close('grad_input', x.grad, c.grad_check.grad_input);
}

function padSequenceCase(c: Golden): void {
  const seqs = (c.sequences as GT[]).map((s) => toTensor(s, true));
  const out = padSequence(seqs, { batchFirst: c.args.batch_first, paddingValue: c.args.padding_value });
  close('output', out, c.output);
  // The gradient of Σ out·r is r at each sequence's own slots.
  const r = new Float64Array(out.data.length).map((_, i) => i + 1);
  out.backward(r);
  const T = c.output.shape[c.args.batch_first ? 1 : 0];
  const B = seqs.length;
  const F = out.shape.slice(2).reduce((p: number, q: number) => p * q, 1);
  seqs.forEach((s, i) => {
    for (let t = 0; t < s.shape[0]; t++) {
      for (let j = 0; j < F; j++) {
        const o = (c.args.batch_first ? i * T + t : t * B + i) * F + j;
        if (s.grad!.data[t * F + j] !== r[o]) fail(`grad of sequence ${i} at t=${t}`);
      }
    }
  });
}

function packSequenceCase(c: Golden): void {
  const seqs = (c.sequences as GT[]).map((s) => toTensor(s));
  const packed = packSequence(seqs, { enforceSorted: c.args.enforce_sorted });
  if (!(packed instanceof PackedSequence)) fail('not a PackedSequence');
  close('packed.data', packed.data, c.packed.data);
  close('batch_sizes', packed.batchSizes, c.packed.batch_sizes);
  close('sorted_indices', packed.sortedIndices, c.packed.sorted_indices);
  close('unsorted_indices', packed.unsortedIndices, c.packed.unsorted_indices);
  const unpacked = unpackSequence(packed);
  equal('unpacked count', unpacked.length, c.unpacked.length);
  unpacked.forEach((u, i) => close(`unpacked[${i}]`, u, c.unpacked[i]));
}

function unpadSequenceCase(c: Golden): void {
  const padded = toTensor(c.padded, true);
  const before = Array.from(padded.data);
  const shapeBefore = [...padded.shape];
  const out = unpadSequence(padded, c.lengths, { batchFirst: c.args.batch_first });
  equal('output count', out.length, c.output.length);
  out.forEach((u, i) => close(`output[${i}]`, u, c.output[i]));
  equal('input shape untouched', padded.shape, shapeBefore);
  equal('input data untouched', Array.from(padded.data), before);
}

// ---------------------------------------------------------------- Embedding, CrossEntropy

function embeddingCase(c: Golden): void {
  const emb = new Embedding(c.num_embeddings, c.embedding_dim, { paddingIdx: c.padding_idx_arg, maxNorm: c.max_norm, weight: toTensor(c.weight_before) });
  equal('padding_idx', emb.paddingIdx, c.padding_idx_resolved);
  const out = emb.forward(toTensor(c.indices));
  close('output', out, c.output);
  close('weight_after_forward', emb.weight, c.weight_after_forward);
  out.backward(toTensor(c.loss.w_out));
  close('grad_weight', emb.weight.grad, c.grad_weight);
}

function crossEntropyCase(c: Golden): void {
  const x = toTensor(c.input, true);
  const y = toTensor(c.target);
  const a = c.args;
  const opts = { reduction: a.reduction as Reduction, labelSmoothing: a.label_smoothing, ignoreIndex: a.ignore_index, weight: a.weight ? toTensor(a.weight) : null };
  const out = new CrossEntropyLoss(opts).forward(x, y);
  close('output', out, c.output);
  close('functional output', crossEntropy(x, y, opts), c.output);
  if (c.grad?.grad_input) {
    out.backward(toTensor(c.grad.g_out));
    close('grad_input', x.grad, c.grad.grad_input);
  } else if (!Number.isNaN(out.item())) {
    fail('expected NaN');
  }
}

// ---------------------------------------------------------------- schedulers, Adam

const dummyAdam = (lr: number) => new Adam([tensor([0], { requiresGrad: true })], { lr });

function parseSched(desc: string): { type: string; args: Record<string, number> } {
  const m = /^(\w+)\((.*)\)$/.exec(desc)!;
  const args: Record<string, number> = {};
  for (const kv of m[2].split(',')) {
    const [k, v] = kv.split('=');
    args[k] = Number(v);
  }
  return { type: m[1], args };
}

function makeSched(opt: Adam, type: string, a: Golden): LRScheduler {
  if (type === 'LinearLR') return new LinearLR(opt, { startFactor: a.start_factor, endFactor: a.end_factor, totalIters: a.total_iters });
  if (type === 'CosineAnnealingLR') return new CosineAnnealingLR(opt, { TMax: a.T_max, etaMin: a.eta_min });
  return fail(`unknown scheduler ${type}`);
}

/** The scheduler a golden `scheduler_cases` entry describes, on `opt` (also used by test/optim-scheduler). */
export function goldenScheduler(opt: Adam, c: Golden): LRScheduler {
  return c.name.startsWith('sequential')
    ? new SequentialLR(opt, { schedulers: (c.args.schedulers as string[]).map(parseSched).map((s) => makeSched(opt, s.type, s.args)), milestones: c.args.milestones })
    : makeSched(opt, c.name.startsWith('linear') ? 'LinearLR' : 'CosineAnnealingLR', c.args);
}

function schedulerCase(c: Golden): void {
  const { atol, rtol } = TOL.float64;
  const opt = dummyAdam(c.base_lr);
  const sched = goldenScheduler(opt, c);
  closeArr('lr after construction', [opt.paramGroups[0].lr], [c.lr_after_construction], atol, rtol);
  const used: number[] = [];
  const last: number[] = [];
  for (let k = 0; k < c.steps; k++) {
    used.push(opt.paramGroups[0].lr);
    opt.step();
    sched.step();
    last.push(sched.getLastLr()[0]);
  }
  closeArr('lr_used_by_step', used, c.lr_used_by_step, atol, rtol);
  closeArr('get_last_lr_after_step', last, c.get_last_lr_after_step, atol, rtol);
  if (c.closed_form_after_step) closeArr('closed form', last, c.closed_form_after_step, atol, rtol);
}

function adamCase(c: Golden): void {
  const { atol, rtol } = TOL.float64;
  const leaf = (t: GT) => tensor(Float64Array.from(t.data as number[]), { shape: t.shape, dtype: 'float64', requiresGrad: true });
  const X = tensor(Float64Array.from(c.problem.X.data), { shape: c.problem.X.shape, dtype: 'float64' });
  const y = c.problem.y.data as number[];
  const W = leaf(c.problem.W0);
  const b = leaf(c.problem.b0);
  const a = c.adam;
  const opt = new Adam([W, b], { lr: a.lr, betas: a.betas, eps: a.eps, weightDecay: a.weight_decay, amsgrad: a.amsgrad });
  let sched: LRScheduler | null = null;
  if (c.schedule) {
    const [lin, cos] = c.schedule.schedulers;
    sched = new SequentialLR(opt, {
      schedulers: [
        new LinearLR(opt, { startFactor: lin.start_factor, endFactor: lin.end_factor, totalIters: lin.total_iters }),
        new CosineAnnealingLR(opt, { TMax: cos.T_max, etaMin: cos.eta_min }),
      ],
      milestones: c.schedule.milestones,
    });
  }
  for (const tr of c.trace) {
    const k = `step ${tr.step}`;
    closeArr(`${k} lr_used`, [opt.paramGroups[0].lr], [tr.lr_used], atol, rtol);
    opt.zeroGrad();
    // mean cross-entropy of X Wᵀ + b, from plain ops
    const logits = X.matmul(W.T).add(b);
    const [n, cls] = logits.shape;
    const loss = logits.logSoftmax(1).reshape([n * cls]).indexSelect(0, y.map((yi, i) => i * cls + yi)).mean().neg();
    closeArr(`${k} loss`, [loss.item()], [tr.loss_before_step], atol, rtol);
    loss.backward();
    closeArr(`${k} grad W`, W.grad!.data, tr.grad.W.data, atol, rtol);
    closeArr(`${k} grad b`, b.grad!.data, tr.grad.b.data, atol, rtol);
    opt.step();
    sched?.step();
    closeArr(`${k} W`, W.data, tr.params_after.W.data, atol, rtol);
    closeArr(`${k} b`, b.data, tr.params_after.b.data, atol, rtol);
    const st = opt.state.get(W)!;
    closeArr(`${k} exp_avg W`, st.exp_avg, tr.exp_avg_W_after.data, atol, rtol);
    closeArr(`${k} exp_avg_sq W`, st.exp_avg_sq, tr.exp_avg_sq_W_after.data, atol, rtol);
    closeArr(`${k} lr after scheduler`, [opt.paramGroups[0].lr], [tr.lr_after_scheduler_step], atol, rtol);
  }
}

// ---------------------------------------------------------------- the list

/** How many cases each suite must have (a truncated golden.json fails instead of passing quietly). */
export const EXPECTED_COUNTS: Record<string, number> = {
  rnn: 80, pack: 21, embedding: 5, cross_entropy: 28, scheduler: 7, adam: 3,
};

export function goldenChecks(golden: Golden): Check[] {
  TOL = golden.meta.tolerances;
  const checks: Check[] = [];
  for (const c of golden.rnn_cases) checks.push({ suite: 'rnn', name: c.name, run: () => rnnCase(c) });
  const packFns: Record<string, (c: Golden) => void> = {
    'pack_padded_sequence+pad_packed_sequence': packPaddedCase,
    pad_sequence: padSequenceCase,
    'pack_sequence+unpack_sequence': packSequenceCase,
    unpad_sequence: unpadSequenceCase,
  };
  for (const c of golden.pack_cases) {
    const fn = packFns[c.fn];
    checks.push({ suite: 'pack', name: c.name, run: () => (fn ? fn(c) : fail(`unknown pack fn ${c.fn}`)) });
  }
  for (const c of golden.embedding_cases) checks.push({ suite: 'embedding', name: c.name, run: () => embeddingCase(c) });
  for (const c of golden.cross_entropy_cases) checks.push({ suite: 'cross_entropy', name: c.name, run: () => crossEntropyCase(c) });
  for (const c of golden.scheduler_cases) checks.push({ suite: 'scheduler', name: c.name, run: () => schedulerCase(c) });
  for (const c of golden.adam_cases) checks.push({ suite: 'adam', name: c.name, run: () => adamCase(c) });
  for (const [suite, n] of Object.entries(EXPECTED_COUNTS)) {
    checks.push({
      suite,
      name: `has ${n} cases`,
      run: () => equal(`${suite} cases`, checks.filter((k) => k.suite === suite && !k.name.startsWith('has ')).length, n),
    });
  }
  return checks;
}

export function runCheck(k: Check): CheckResult {
  const t0 = performance.now();
  try {
    k.run();
    return { suite: k.suite, name: k.name, ok: true, ms: performance.now() - t0 };
  } catch (e) {
    return { suite: k.suite, name: k.name, ok: false, error: (e as Error)?.message ?? String(e), ms: performance.now() - t0 };
  }
}
