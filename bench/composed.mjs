// The `*-user` cases of `npm run bench` (bench/run.mjs): the article's model written by a user with
// recur's public API only (the package entry `recur`), instead of the `RnnClsNet` the Trainer
// drives. PyTorch's side is the same composition (RnnClsNet in bench/torch_bench.py), so the two
// sides do the same work per step:
//
//   Embedding(max_number + 2, embed_dim, paddingIdx -1) → RNN/LSTM/GRU(embed_dim → hidden_dim,
//   num_layers, batchFirst) on packPaddedSequence(enforceSorted: false) → Linear on h_n[-1]
//
// A step: batch_size fresh sequences (length ~ U{min_seq_len..max_seq_len}, digits ~ U{0..max_number},
// padded with max_number + 1, class = sum mod (max_number + 1)), cross-entropy, backward, Adam,
// CosineAnnealingLR step.
import * as recur from 'recur';

/** A training step closure for a bench case's configuration `c` (see CASES in run.mjs). */
export function composedStep(c, seed = 0) {
  const gen = new recur.Generator(seed);
  const V = c.max_number + 2, C = c.max_number + 1, B = c.batch_size;
  const embedding = new recur.Embedding(V, c.embed_dim, { paddingIdx: -1, generator: gen });
  const Rnn = c.cell === 'gru' ? recur.GRU : c.cell === 'lstm' ? recur.LSTM : recur.RNN;
  const rnn = new Rnn(c.embed_dim, c.hidden_dim, { numLayers: c.num_layers, batchFirst: true, generator: gen });
  const fc = new recur.Linear(c.hidden_dim, C, { generator: gen });
  const opt = new recur.Adam([...embedding.parameters(), ...rnn.parameters(), ...fc.parameters()], { lr: c.lr });
  const sched = new recur.CosineAnnealingLR(opt, { TMax: c.total_steps, etaMin: c.min_lr });
  const lengths = new Array(B);
  const ys = new Int32Array(B);

  return function step() {
    let T = 0;
    for (let b = 0; b < B; b++) {
      lengths[b] = c.min_seq_len + Math.floor(gen.random() * (c.max_seq_len - c.min_seq_len + 1));
      T = Math.max(T, lengths[b]);
    }
    const xs = new Int32Array(B * T).fill(V - 1);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let t = 0; t < lengths[b]; t++) {
        const d = Math.floor(gen.random() * (c.max_number + 1));
        xs[b * T + t] = d;
        s += d;
      }
      ys[b] = s % C;
    }
    const x = recur.tensor(xs, { shape: [B, T], dtype: 'int64' });
    const packed = recur.packPaddedSequence(embedding.forward(x), lengths, { batchFirst: true, enforceSorted: false });
    const [, hx] = rnn.forward(packed);
    const hN = c.cell === 'lstm' ? hx[0] : hx; // [num_layers, B, H]
    const logits = fc.forward(hN.select(0, c.num_layers - 1));
    const loss = recur.crossEntropy(logits, recur.tensor(ys, { dtype: 'int64' }));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    sched.step();
    return loss.item();
  };
}
