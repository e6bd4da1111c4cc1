#!/usr/bin/env node
// `node bench/threads.mjs`: how a two-thread training step uses its worker — the figures
// bench/README.md quotes for the `sota` family. Reads dist/ (npm run build); trains the `sota`
// preset's RnnClsNet with the Trainer, as `npm run bench` does.
//
//   node bench/threads.mjs handoffs [rnn|lstm|gru] [--seconds S]
//     each kind of job handed to the worker (src/runtime/threads/pool.ts: TaskThread.post → join)
//     per step: how many, the time from post to join, this thread's wait at the join, its share,
//     and how many it took back because the worker had not started them; the step's time beside
//   node bench/threads.mjs threshold CELL A B [--pairs N]
//     one Trainer whose windows of 250 ms alternate between threadTuning.minWork = A and = B
//     (both settings see the same phases of a shared machine): steps/s of each and the median
//     ratio of the N window pairs (default 20)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = (p) => import(join(root, 'dist', p));
const R = await dist('index-node.js');
const pool = await dist('runtime/threads/pool.js');

const TASKS = { 1: 'layer forward walk', 2: 'layer backward walk', 3: 'layer products after the walk', 4: 'Linear product (rows)', 5: 'Linear weight gradient', 6: 'Adam update' };

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  argv.splice(i, 2);
  return v;
};
const seconds = flag('--seconds', 2);
const pairs = flag('--pairs', 20);
const [mode, cell = 'lstm', a, b] = argv;
if (mode !== 'handoffs' && mode !== 'threshold') {
  console.log('usage: node bench/threads.mjs handoffs [rnn|lstm|gru] [--seconds S]\n       node bench/threads.mjs threshold CELL A B [--pairs N]');
  process.exit(mode === '--help' || mode === '-h' ? 0 : 1);
}
if (!['rnn', 'lstm', 'gru'].includes(cell)) throw new Error(`cell must be rnn, lstm or gru, got ${cell}`);

R.setNumThreads(2);
const trainer = new R.Trainer(R.resolveConfig({ cell, total_steps: 1_000_000, seed: 1 }, 'sota'));
/** Steps for `ms` milliseconds: steps/s. */
const run = (ms) => {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { trainer.trainStep(); n++; }
  return n / ((performance.now() - t0) / 1000);
};
const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];

if (mode === 'handoffs') {
  const P = pool.TaskThread.prototype;
  const post = P.post, join = P.join;
  const stats = new Map();
  let task = 0, postedAt = 0;
  P.post = function (id, args) { task = id; postedAt = performance.now(); return post.call(this, id, args); };
  P.join = function () {
    const t0 = performance.now();
    const ran = join.call(this);
    const t1 = performance.now();
    const s = stats.get(task) ?? { n: 0, span: 0, wait: 0, share: 0, back: 0 };
    s.n++; s.span += t1 - postedAt; s.wait += t1 - t0; s.share += this.share; if (!ran) s.back++;
    stats.set(task, s);
    return ran;
  };
  run(1500); // warm-up: the worker starts and loads
  stats.clear();
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < 1000 * seconds) { trainer.trainStep(); steps++; }
  const stepUs = ((performance.now() - t0) * 1000) / steps;
  console.log(`sota --cell ${cell}: ${steps} steps, ${stepUs.toFixed(0)} µs a step on 2 threads`);
  let shared = 0;
  for (const [id, s] of [...stats].sort((x, y) => x[0] - y[0])) {
    shared += (s.span * 1000) / steps;
    console.log(`  ${(TASKS[id] ?? `task ${id}`).padEnd(30)} ${(s.n / steps).toFixed(1)} a step, post → join ${((s.span / s.n) * 1000).toFixed(1)} µs, wait at the join ${((s.wait / s.n) * 1000).toFixed(1)} µs, share ${(s.share / s.n).toFixed(2)}, taken back ${((100 * s.back) / s.n).toFixed(1)} %`);
  }
  console.log(`  shared jobs ${shared.toFixed(0)} µs a step (${((100 * shared) / stepUs).toFixed(0)} %); the rest on this thread alone`);
} else {
  const A = Number(a), B = Number(b);
  if (!(A >= 0) || !(B >= 0)) throw new Error('threshold needs two multiply-add counts, A and B');
  const window = (mw) => { pool.threadTuning.minWork = mw; return run(250); };
  window(A); window(B); run(1000);
  const ra = [], rb = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) { ra.push(window(A)); rb.push(window(B)); } else { rb.push(window(B)); ra.push(window(A)); }
  }
  const ratios = ra.map((r, i) => r / rb[i]);
  console.log(`sota --cell ${cell}: minWork ${A}: ${median(ra).toFixed(0)} steps/s; minWork ${B}: ${median(rb).toFixed(0)} steps/s; median pair ratio ${median(ratios).toFixed(3)} (A faster in ${ratios.filter((r) => r > 1).length} of ${pairs})`);
}
process.exit(0);
