#!/usr/bin/env node
// `node bench/ab.mjs A B`: two builds of recur side by side in one process — A and B are checkouts
// with a built dist/ (`npm run build`; `git worktree add /tmp/a COMMIT` gives one) — timed in
// alternating windows, so that both see the same phases of a shared machine. Separate processes
// are no way to compare two builds here: the same build varies by ±30 % between runs, and the two
// vCPUs run at different speeds. Each build has its own modules and WASM memory.
//
//   node bench/ab.mjs A B [--case predict|generate|train] [--batch N] [--pairs N] [--window MS]
//     predict   recur.predictOne on the `sota` preset's model (one sequence of 5 numbers)
//     generate  one character of the char-LM (Embedding 76→32, LSTM 32→128 ×2, Linear): no gradient
//     train     one Adam step of an LSTM 32→128 ×2 + Linear over N sequences of 64 steps (--batch, 1)
//   Prints each build's median µs a call over the pairs, A/B (> 1: B faster) and the pairs B won.
//   Run it pinned (`taskset -c 0 node bench/ab.mjs …`); the two orders of A and B differ by up to
//   3 % on this machine (A against A gives 0.97–1.03).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h') || argv.length < 2) {
  console.log('usage: node bench/ab.mjs A B [--case predict|generate|train] [--batch N] [--pairs N] [--window MS]');
  process.exit(argv.length < 2 && !argv.includes('--help') && !argv.includes('-h') ? 1 : 0);
}
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : argv[i + 1];
};
const kase = opt('--case', 'predict');
const batch = Number(opt('--batch', 1));
const pairs = Number(opt('--pairs', 20));
const windowMs = Number(opt('--window', 200));
const fail = (msg) => {
  console.error(`bench/ab.mjs: ${msg}`);
  process.exit(2);
};
if (!['predict', 'generate', 'train'].includes(kase)) fail(`--case must be predict, generate or train, got ${kase}`);
for (const [k, v] of [['--batch', batch], ['--pairs', pairs], ['--window', windowMs]]) {
  if (!Number.isInteger(v) || v <= 0) fail(`${k} needs a positive integer, got ${opt(k)}`);
}
for (const root of argv.slice(0, 2)) {
  if (!existsSync(resolve(root, 'dist', 'index.js'))) fail(`${root}: no dist/index.js (a checkout of recur after npm run build)`);
}

async function load(root) {
  const recur = await import(resolve(root, 'dist', 'index.js'));
  if (kase === 'predict') {
    const config = recur.resolveConfig({ cell: 'rnn', total_steps: 1000, seed: 1 }, 'sota');
    const t = new recur.Trainer(config);
    t.model.eval();
    const seq = [3, 1, 4, 1, 5];
    return () => recur.predictOne(t.model, t.task, config, seq);
  }
  const g = new recur.Generator(1);
  const lstm = new recur.LSTM(32, 128, { numLayers: 2, batchFirst: true, generator: g });
  const fc = new recur.Linear(128, 76, { generator: g });
  if (kase === 'generate') {
    const emb = new recur.Embedding(76, 32, { generator: g });
    const ids = recur.tensor([[5]], { dtype: 'int64' });
    let state = null;
    return () => recur.noGrad(() => {
      const [y, s] = lstm.forward(emb.forward(ids), state);
      state = s;
      return fc.forward(y.reshape([1, 128])).softmax(1);
    });
  }
  const opt = new recur.Adam([...lstm.parameters(), ...fc.parameters()], { lr: 1e-3 });
  const x = recur.randn([batch, 64, 32], { generator: g });
  const target = recur.tensor(Array.from({ length: batch * 64 }, (_, i) => i % 76), { dtype: 'int64' });
  return () => {
    opt.zeroGrad();
    const [y] = lstm.forward(x);
    recur.crossEntropy(fc.forward(y.reshape([batch * 64, 128])), target).backward();
    opt.step();
  };
}

const fa = await load(argv[0]);
const fb = await load(argv[1]);
const window = (f, ms) => {
  const s = performance.now();
  let n = 0;
  while (performance.now() - s < ms) { f(); n++; }
  return ((performance.now() - s) * 1e3) / n;
};
window(fa, 4 * windowMs);
window(fb, 4 * windowMs);
const A = [];
const B = [];
for (let i = 0; i < pairs; i++) {
  A.push(window(fa, windowMs));
  B.push(window(fb, windowMs));
}
const median = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
const won = B.filter((b, i) => b < A[i]).length;
const what = kase === 'train' ? `train, batch ${batch}` : kase;
console.log(`${what}: A ${median(A).toFixed(2)} µs, B ${median(B).toFixed(2)} µs a call; A/B ${(median(A) / median(B)).toFixed(3)}, B faster in ${won} of ${pairs} pairs`);
process.exit(0);
