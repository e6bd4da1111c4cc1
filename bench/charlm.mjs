// The char-LM cases of `npm run bench` (bench/run.mjs): a user's own model written with recur's
// public API only (the package entry `recur`, nothing internal), the twin of `charlm_step` in
// bench/torch_bench.py.
//
//   Embedding(76, 32) → LSTM/GRU(32 → 128, 2 layers, batchFirst) → Linear(128, 76)
//
// A step: 32 windows of 64 characters of the project's README (characters outside the 75 most
// frequent map to one extra class), next-character cross-entropy, backward, clipGradNorm 1.0, Adam.
// `charlm-var`: each window has a random length in 10–64, padded, packed with enforceSorted: false;
// the loss is over the packed rows.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as recur from 'recur';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

export const CHARLM = { vocab: 76, embed: 32, hidden: 128, layers: 2, batch: 32, window: 64, minLen: 10, lr: 2e-3, clip: 1.0 };

/**
 * The corpus as class indices: the README's characters, the 75 most frequent (ties: lower code
 * point first) as classes 0–74 in that order, every other character as class 75. The Python side
 * builds the same mapping.
 */
export function corpus(vocab = CHARLM.vocab) {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const chars = Array.from(text);
  const count = new Map();
  for (const ch of chars) count.set(ch, (count.get(ch) ?? 0) + 1);
  const order = [...count.keys()].sort((a, b) => count.get(b) - count.get(a) || a.codePointAt(0) - b.codePointAt(0));
  const index = new Map(order.slice(0, vocab - 1).map((ch, i) => [ch, i]));
  return Int32Array.from(chars, (ch) => index.get(ch) ?? vocab - 1);
}

/** A training step closure for `cell` ('lstm' | 'gru'), `variable` lengths or full windows. */
export function charlmStep(cell, variable, seed = 0) {
  const c = CHARLM;
  const gen = new recur.Generator(seed);
  const data = corpus();
  const embedding = new recur.Embedding(c.vocab, c.embed, { generator: gen });
  const Rnn = cell === 'gru' ? recur.GRU : recur.LSTM;
  const rnn = new Rnn(c.embed, c.hidden, { numLayers: c.layers, batchFirst: true, generator: gen });
  const head = new recur.Linear(c.hidden, c.vocab, { generator: gen });
  const params = [...embedding.parameters(), ...rnn.parameters(), ...head.parameters()];
  const opt = new recur.Adam(params, { lr: c.lr });
  const B = c.batch, T = c.window;
  const xs = new Int32Array(B * T);
  const ys = new Int32Array(B * T);
  const lengths = new Int32Array(B);

  return function step() {
    for (let b = 0; b < B; b++) {
      const start = Math.floor(gen.random() * (data.length - T - 1));
      lengths[b] = variable ? c.minLen + Math.floor(gen.random() * (T - c.minLen + 1)) : T;
      for (let t = 0; t < T; t++) {
        xs[b * T + t] = data[start + t];
        ys[b * T + t] = data[start + t + 1];
      }
    }
    const x = recur.tensor(xs, { shape: [B, T], dtype: 'int64' });
    const emb = embedding.forward(x); // [B, T, E]
    let logits, target;
    if (variable) {
      const packed = recur.packPaddedSequence(emb, Array.from(lengths), { batchFirst: true, enforceSorted: false });
      const [out] = rnn.forward(packed);
      logits = head.forward(out.data); // [rows, V]
      // The targets in the packed rows' order: time step by time step, the sorted sequences.
      const bs = out.batchSizes.data;
      const sorted = out.sortedIndices.data;
      const yt = new Int32Array(out.data.shape[0]);
      let r = 0;
      for (let t = 0; t < bs.length; t++) for (let i = 0; i < bs[t]; i++) yt[r++] = ys[sorted[i] * T + t];
      target = recur.tensor(yt, { dtype: 'int64' });
    } else {
      const [out] = rnn.forward(emb); // [B, T, H]
      logits = head.forward(recur.reshape(out, [B * T, c.hidden]));
      target = recur.tensor(ys, { dtype: 'int64' });
    }
    const loss = recur.crossEntropy(logits, target);
    opt.zeroGrad();
    loss.backward();
    recur.clipGradNorm(params, c.clip);
    opt.step();
    return loss.item();
  };
}

/**
 * One character of greedy generation (`charlm-generate`) from the char-LM with `cell` ('lstm' |
 * 'gru'): the last character → Embedding → one step of the recurrent layers from the carried state
 * → Linear → softmax → the most probable class, the next input. Under noGrad, batch 1, one step a
 * call: what sampling text from a trained model costs. The twin of `charlm_generate` in
 * torch_bench.py.
 */
export function charlmGenerate(cell, seed = 0) {
  const c = CHARLM;
  const gen = new recur.Generator(seed);
  const embedding = new recur.Embedding(c.vocab, c.embed, { generator: gen });
  const Rnn = cell === 'gru' ? recur.GRU : recur.LSTM;
  const rnn = new Rnn(c.embed, c.hidden, { numLayers: c.layers, batchFirst: true, generator: gen });
  const head = new recur.Linear(c.hidden, c.vocab, { generator: gen });
  for (const m of [embedding, rnn, head]) m.eval();
  let prev = 0;
  let state;
  return function next() {
    return recur.noGrad(() => {
      const x = recur.tensor([[prev]], { dtype: 'int64' });
      const [out, h] = rnn.forward(embedding.forward(x), state); // [1, 1, H]
      state = h;
      const probs = recur.softmax(head.forward(recur.reshape(out, [1, c.hidden])), 1);
      prev = probs.argmax(1).item();
      return 1;
    });
  };
}

