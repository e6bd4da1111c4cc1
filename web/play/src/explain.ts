// What the explanation panel draws, computed with the library itself (no DOM here):
//   packLayout       — where each token of a small batch lands in a PackedSequence
//                      (packPaddedSequence with enforce_sorted=False on the real padded batch).
//   hiddenTrajectory — h_t of every layer (and direction) at every step for one sequence of a
//                      batch, by running the model's own layers one at a time on the packed
//                      batch, plus the model's h_n for the same batch as a check: the forward
//                      direction's last column and the reverse direction's first column must
//                      equal h_n.
import {
  GRU, LSTM, RNN, Generator, noGrad, packPaddedSequence, padPackedSequence, tensor,
} from 'recur';
import type { PackedSequence, RNNBase, RnnClsNet, Task, Tensor, TrainConfig } from 'recur';

export interface PackedCell {
  /** Row of packed.data. */
  row: number;
  /** Sequence index in the original (user's) batch order. */
  seq: number;
  t: number;
  token: number;
}

export interface PackLayout {
  sequences: number[][];
  lengths: number[];
  padValue: number;
  /** packed.batchSizes: how many sequences are still running at step t. */
  batchSizes: number[];
  /** packed.sortedIndices: the batch in decreasing length (enforce_sorted=False). */
  sortedIndices: number[];
  unsortedIndices: number[];
  /** packed.data in order, each row traced back to (sequence, step). */
  cells: PackedCell[];
}

/** The typed sequence plus two example sequences of other lengths (deterministic digits). */
export function exampleBatch(seq: number[], maxNumber: number): number[][] {
  const n = seq.length;
  const longer = n + 2;
  const shorter = n > 2 ? n - 2 : n + 1;
  const g = new Generator(7 + n);
  const draw = (len: number) => Array.from({ length: len }, () => g.randint(0, maxNumber));
  return [seq, draw(longer), draw(shorter)];
}

export function packLayout(sequences: number[][], padValue: number): PackLayout {
  const B = sequences.length;
  const lengths = sequences.map((s) => s.length);
  const T = Math.max(...lengths);
  // Each padded position carries its own (sequence, step) code, so the packed rows can be
  // traced back: code = b·T + t (exact in float64); padding is −1 and must never appear.
  const codes = new Float64Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) codes[b * T + t] = b * T + t;
  const x = tensor(codes, { shape: [B, T, 1], dtype: 'float64' });
  const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
  const cells: PackedCell[] = Array.from(packed.data.data, (code, row) => {
    if (code < 0) throw new Error('padding reached the packed data');
    const seq = Math.floor(code / T);
    const t = code - seq * T;
    return { row, seq, t, token: sequences[seq][t] };
  });
  return {
    sequences,
    lengths,
    padValue,
    batchSizes: Array.from(packed.batchSizes.data),
    sortedIndices: Array.from(packed.sortedIndices!.data),
    unsortedIndices: Array.from(packed.unsortedIndices!.data),
    cells,
  };
}

export interface LayerTrajectory {
  layer: number;
  hidden: number;
  steps: number;
  /** values[d][t·hidden + j]: direction d (0 forward, 1 reverse), step t, unit j. */
  values: Float64Array[];
  /** The model's h_n[layer·D + d] for this sequence. */
  hN: Float64Array[];
  /** max over directions of |h_n − the trajectory's column where h_n is taken|. */
  maxDiff: number;
}

export interface Trajectory {
  cell: string;
  layers: LayerTrajectory[];
  /** The largest maxDiff of all layers. */
  maxDiff: number;
}

/**
 * One single-layer module holding layer `l` of `rnn` (same cell, dtype and weights). Each
 * layer-direction of the stack is one recurrentLayer call on the previous layer's packed rows, so
 * the copy run on those rows (eval mode: no dropout, no state noise) computes the same values,
 * bit for bit.
 */
function layerModule(rnn: RNNBase, l: number): RNNBase {
  if (rnn.projSize > 0) throw new Error('LSTM projections are not drawn');
  const D = rnn.bidirectional ? 2 : 1;
  const inputSize = l === 0 ? rnn.inputSize : rnn.hiddenSize * D;
  const opts = { numLayers: 1, bias: rnn.bias, batchFirst: true, bidirectional: rnn.bidirectional, dtype: rnn.dtype };
  const m: RNNBase = rnn.mode === 'LSTM' ? new LSTM(inputSize, rnn.hiddenSize, opts)
    : rnn.mode === 'GRU' ? new GRU(inputSize, rnn.hiddenSize, opts)
    : new RNN(inputSize, rnn.hiddenSize, { ...opts, nonlinearity: rnn.mode === 'RNN_RELU' ? 'relu' : 'tanh' });
  const state: Record<string, Tensor> = {};
  for (const [name] of m.namedParameters()) state[name] = rnn.getParameter(name.replace('_l0', `_l${l}`));
  m.loadStateDict(state);
  return m;
}

function runLayer(m: RNNBase, x: PackedSequence): PackedSequence {
  const out = m.mode === 'LSTM' ? (m as LSTM).forward(x)[0] : (m as RNN).forward(x)[0];
  return out as PackedSequence;
}

/**
 * h_t for sequence `which` of `sequences`, every layer and direction, in eval mode (what
 * predict runs). The batch is packed exactly as RnnClsNet.forward packs it.
 */
export function hiddenTrajectory(model: RnnClsNet, task: Task, config: TrainConfig, sequences: number[][], which = 0): Trajectory {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const rnn = model.rnn as RNNBase;
      const D = rnn.bidirectional ? 2 : 1;
      const H = rnn.hiddenSize;
      const n = sequences[which].length;
      const { inputs, lengths } = task.collate(sequences.map((s) => [s, s.length, 0]), config);
      let x = packPaddedSequence(model.embedding.forward(inputs), lengths, { batchFirst: true, enforceSorted: false });
      // The model's own stacked forward on the same packed batch: h_n [L·D, B, H].
      const hidden = model.rnn.forward(x)[1];
      const hN = (Array.isArray(hidden) ? hidden[0] : hidden) as Tensor;
      const B = sequences.length;
      const layers: LayerTrajectory[] = [];
      for (let l = 0; l < rnn.numLayers; l++) {
        x = runLayer(layerModule(rnn, l), x);
        const [padded] = padPackedSequence(x, { batchFirst: true }); // [B, T, D·H]
        const T = padded.shape[1];
        const values: Float64Array[] = [];
        const hNs: Float64Array[] = [];
        let maxDiff = 0;
        for (let d = 0; d < D; d++) {
          const v = new Float64Array(n * H);
          for (let t = 0; t < n; t++) {
            for (let j = 0; j < H; j++) v[t * H + j] = padded.data[(which * T + t) * D * H + d * H + j];
          }
          const h = new Float64Array(H);
          for (let j = 0; j < H; j++) h[j] = hN.data[((l * D + d) * B + which) * H + j];
          // Forward: h_n is the state after the sequence's own last step; reverse: after step 0.
          const col = d === 0 ? n - 1 : 0;
          for (let j = 0; j < H; j++) maxDiff = Math.max(maxDiff, Math.abs(v[col * H + j] - h[j]));
          values.push(v);
          hNs.push(h);
        }
        layers.push({ layer: l, hidden: H, steps: n, values, hN: hNs, maxDiff });
      }
      return { cell: rnn.mode, layers, maxDiff: Math.max(0, ...layers.map((L) => L.maxDiff)) };
    });
  } finally {
    model.train(wasTraining);
  }
}
