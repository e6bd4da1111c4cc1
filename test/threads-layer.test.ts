// The float32 recurrent layers on two threads (src/kernels/packed-layer32.ts sharing its phases
// with the task worker of src/runtime/threads/), and nn.Linear's products split by rows
// (src/kernels/gemm32-tasks.ts) and Adam's large updates (src/optim/adam-tasks.ts), give the bits
// of one thread: user-composed models
// (Embedding → 2-layer LSTM/GRU batchFirst → Linear; a packed unsorted batch; bidirectional;
// Elman relu) trained a few Adam steps agree in every loss, weight and gradient with 1 and 2
// threads, the worker's task counter shows it ran the layers' shares, and a worker that cannot
// start or fails leaves one thread and one warning, never a different result.
// The worker runs the built code, so the models come from dist/ (`npm test` builds first).
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import * as src from '../src/index.js';
import type * as poolSrc from '../src/runtime/threads/pool.js';
import type * as startSrc from '../src/runtime/threads/start-node.js';
import { rowsBefore, splitPoint } from '../src/kernels/packed-layer32.js';
import { WANT_BHH, WANT_BIH, WANT_WHH, WANT_WIH, WANT_X, backwardRows, forwardRows, gradRange, layout32, stepTable } from '../src/kernels/layer32-walk.js';
import { allocF32, release } from '../src/kernels/gemm-wasm.js';
import { abRows, atbRows } from '../src/kernels/gemm32-tasks.js';

const root = resolve(import.meta.dirname, '..');
const R = (await import('../dist/index-node.js')) as unknown as typeof src;
const pool = (await import('../dist/runtime/threads/pool.js')) as unknown as typeof poolSrc;
const starter = (await import('../dist/runtime/threads/start-node.js')) as unknown as typeof startSrc;

/** Exact bits of a float32 array. */
const u32 = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

interface Case {
  kind: 'LSTM' | 'GRU' | 'RELU';
  bidirectional?: boolean;
  packed?: boolean; // variable lengths, packPaddedSequence with enforceSorted false
  B?: number;
  T?: number;
  noise?: boolean; // state noise (rnn.stateNoise) in every layer
  /** A penalty on two of the layers' weights in the loss: other nodes add into their gradients too. */
  penalty?: boolean;
  /** Gradients never zeroed after the first step: each backward adds into the ones before. */
  accumulate?: boolean;
}

interface Run { losses: number[]; weights: number[][]; grads: number[][] }

/** Trains `steps` Adam steps of Embedding → 2-layer recurrent (batchFirst) → Linear; every loss, gradient and final weight. */
function train(c: Case, steps = 3): Run {
  const V = 11, E = 6, H = 12, B = c.B ?? 9, T = c.T ?? 10;
  const gen = new R.Generator(5);
  const opts = { numLayers: 2, batchFirst: true, bidirectional: c.bidirectional ?? false, generator: gen };
  const emb = new R.Embedding(V, E, { generator: gen });
  const rnn = c.kind === 'LSTM' ? new R.LSTM(E, H, opts) : c.kind === 'GRU' ? new R.GRU(E, H, opts) : new R.RNN(E, H, { ...opts, nonlinearity: 'relu' });
  const head = new R.Linear(H * (c.bidirectional ? 2 : 1), V, { generator: gen });
  const params = [...emb.parameters(), ...rnn.parameters(), ...head.parameters()];
  const opt = new R.Adam(params, { lr: 0.01 });
  const out: Run = { losses: [], weights: [], grads: [] };
  let seed = 17;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let s = 0; s < steps; s++) {
    const xs = Int32Array.from({ length: B * T }, () => next(V));
    const ys = Int32Array.from({ length: B * T }, () => next(V));
    const x = R.tensor(xs, { shape: [B, T], dtype: 'int64' });
    let logits: src.Tensor, target: src.Tensor;
    const lengths = c.packed ? Array.from({ length: B }, () => 1 + next(T)) : null;
    if (c.noise) {
      const rows = lengths ? lengths.reduce((a, b) => a + b, 0) : B * T;
      rnn.stateNoise = Float32Array.from({ length: 2 * (c.bidirectional ? 2 : 1) * rows * H }, () => (next(1000) - 500) / 1000);
    }
    if (lengths) {
      const packed = R.packPaddedSequence(emb.forward(x), lengths, { batchFirst: true, enforceSorted: false });
      const [o] = rnn.forward(packed) as [src.PackedSequence, src.Tensor];
      logits = head.forward(o.data);
      target = R.tensor(ys.subarray(0, o.data.shape[0]), { dtype: 'int64' });
    } else {
      const [o] = rnn.forward(emb.forward(x)) as [src.Tensor, src.Tensor];
      logits = head.forward(R.reshape(o, [B * T, o.shape[2]]));
      target = R.tensor(ys, { dtype: 'int64' });
    }
    rnn.stateNoise = null;
    let loss = R.crossEntropy(logits, target);
    if (c.penalty) {
      // The autograd walk reaches weight_hh_l1's penalty before the layers and weight_ih_l0's after
      // them: gradients the layers add into on either side of another node's.
      const pen = (name: string) => { const w = rnn.getParameter(name); return R.mul(R.sum(R.mul(w, w)), 0.01); };
      loss = R.add(pen('weight_ih_l0'), R.add(loss, pen('weight_hh_l1')));
    }
    if (!c.accumulate || s === 0) opt.zeroGrad();
    loss.backward();
    out.losses.push(loss.item());
    for (const p of params) out.grads.push(u32(p.grad!.data as Float32Array));
    opt.step();
  }
  for (const p of params) out.weights.push(u32(p.data as Float32Array));
  return out;
}

function expectSame(a: Run, b: Run): void {
  expect(b.losses).toEqual(a.losses);
  expect(b.grads.length).toBe(a.grads.length);
  for (let i = 0; i < a.grads.length; i++) expect(b.grads[i], `gradient ${i}`).toEqual(a.grads[i]);
  for (let i = 0; i < a.weights.length; i++) expect(b.weights[i], `weight ${i}`).toEqual(a.weights[i]);
}

describe('the layer walk split anywhere (one thread, layer32-walk.ts)', () => {
  // Every split of the sequences and of the products' outputs must give the bits of the whole:
  // what lets the second thread take any share (TaskThread.share moves it).
  const bs = Int32Array.from([7, 7, 6, 4, 4, 2, 1]);
  const B = 7, In = 5, H = 6;
  for (const mode of ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'] as const) {
    for (const [reverse, noise] of [[false, false], [true, false], [false, true]]) {
      it(`${mode}${reverse ? ' reverse' : ''}${noise ? ' with state noise' : ''}: forward, backward and gradients in pieces = whole`, () => {
        const T = bs.length, rows = bs.reduce((a, b) => a + b, 0);
        const L = layout32(mode, In, H, B, T, rows, true, noise);
        let seed = 3;
        const rnd = () => { seed = (seed * 69069 + 1) >>> 0; return seed / 2 ** 32 - 0.5; };
        const whole = allocF32(L.size);
        for (let k = 0; k < L.size; k++) whole[k] = rnd();
        const tab = stepTable(whole, L);
        tab.set(bs);
        for (let t = 0, r = 0; t < T; r += bs[t++]) tab[T + t] = r;
        const init = whole.slice();
        const pieces = allocF32(L.size);
        pieces.set(init);
        const want = WANT_WIH | WANT_WHH | WANT_BIH | WANT_BHH | WANT_X;
        forwardRows(whole, L, reverse, 0, B);
        backwardRows(whole, L, reverse, 0, B);
        gradRange(whole, L, want, 0, L.GH, 0, rows);
        forwardRows(pieces, L, reverse, 3, B);
        forwardRows(pieces, L, reverse, 1, 3);
        forwardRows(pieces, L, reverse, 0, 1);
        forwardRows(pieces, L, reverse, 3, B); // again: the same (a failed worker's share is redone)
        backwardRows(pieces, L, reverse, 0, 2);
        backwardRows(pieces, L, reverse, 2, B);
        gradRange(pieces, L, want, 0, 5, 0, 11);
        gradRange(pieces, L, want, 5, L.GH, 11, rows);
        expect(u32(pieces)).toEqual(u32(whole));
        release(whole);
        release(pieces);
      });
    }
  }
});

describe("nn.Linear's products split anywhere (one thread, gemm32-tasks.ts)", () => {
  // The rows of C in any pieces give the bits of the whole product: what lets the worker take any
  // share of a Linear's y = x·Wᵀ + b, dX = dY·W and dW += dYᵀ·X.
  it('A·B with a bias, and Aᵀ·B accumulated, in pieces = whole', () => {
    const M = 37, K = 19, N = 13, R = 41;
    let seed = 11;
    const rnd = () => { seed = (seed * 69069 + 1) >>> 0; return seed / 2 ** 32 - 0.5; };
    const oA = 0, oB = M * K + 3, oBias = oB + K * N + 1, oC = oBias + N + 2; // A [M, K], B [K, N], bias [N], C [M, N]
    const tA = oC + M * N + 1, tB = tA + R * K + 2, tC = tB + R * N + 3, size = tC + K * N + 5; // Aᵀ·B: A [R, K], B [R, N], C [K, N]
    const whole = allocF32(size);
    for (let k = 0; k < size; k++) whole[k] = rnd();
    const init = whole.slice();
    const pieces = allocF32(size);
    for (const mode of [0, 1, 2] as const) {
      whole.set(init);
      pieces.set(init);
      abRows(whole, oA, oB, oBias, oC, K, N, mode, 0, M);
      // modes 0 and 1 write C afresh: a share redone (a worker that failed) gives the same bits
      const parts = mode === 2 ? [[20, M], [0, 7], [7, 20]] : [[20, M], [0, 7], [7, 20], [20, M]];
      for (const [m0, m1] of parts) abRows(pieces, oA, oB, oBias, oC, K, N, mode, m0, m1);
      expect(u32(pieces), `mode ${mode}`).toEqual(u32(whole));
    }
    // C [K, N] += A [R, K]ᵀ·B [R, N], rows of C in pieces
    whole.set(init);
    pieces.set(init);
    atbRows(whole, tA, tB, tC, R, K, N, 0, K);
    for (const [m0, m1] of [[8, K], [0, 4], [4, 8]]) atbRows(pieces, tA, tB, tC, R, K, N, m0, m1);
    expect(u32(pieces)).toEqual(u32(whole));
    release(whole);
    release(pieces);
  });
});

const { minWork, minProductWork } = pool.threadTuning;
/** Thresholds of 0: even the tests' small layers and products go to the worker. */
function shareEverything(): void {
  pool.threadTuning.minWork = 0;
  pool.threadTuning.minProductWork = 0;
}
afterAll(() => {
  pool.threadTuning.minWork = minWork;
  pool.threadTuning.minProductWork = minProductWork;
  pool.threadTuning.takeBack = true;
  pool.setThreadStarter(starter.nodeThreadStarter);
  R.setNumThreads(1);
});

describe('float32 recurrent layers on two threads', () => {
  it("splits sequences at this thread's share of the packed rows", () => {
    expect(splitPoint(rowsBefore(Int32Array.from([4, 4, 4]), 4), 0.5)).toBe(2);
    const acc = rowsBefore(Int32Array.from([4, 3, 1, 1]), 4); // rows per sequence 4 2 2 1
    expect(Array.from(acc)).toEqual([0, 4, 6, 8, 9]);
    expect(splitPoint(acc, 0.5)).toBe(2); // 0–1 hold 6 of the 9
    expect(splitPoint(acc, 0.2)).toBe(1);
    expect(splitPoint(acc, 0.8)).toBe(3); // never all: the worker keeps a sequence
    expect(splitPoint(rowsBefore(Int32Array.from([1, 1]), 1), 0.5)).toBe(0);
  });

  const cases: Array<[string, Case]> = [
    ['Embedding → LSTM 2 layers batchFirst → Linear', { kind: 'LSTM' }],
    ['GRU', { kind: 'GRU' }],
    ['a packed variable-length batch (enforceSorted false)', { kind: 'LSTM', packed: true, B: 13 }],
    ['bidirectional GRU', { kind: 'GRU', bidirectional: true }],
    ['bidirectional LSTM, packed', { kind: 'LSTM', bidirectional: true, packed: true }],
    ['Elman relu, batch 2', { kind: 'RELU', B: 2 }],
    ['GRU with state noise, packed', { kind: 'GRU', packed: true, noise: true }],
    ['bidirectional LSTM with state noise', { kind: 'LSTM', bidirectional: true, noise: true }],
    ['LSTM with a penalty on its weights in the loss', { kind: 'LSTM', penalty: true }],
    ['GRU, the gradients accumulated over the steps', { kind: 'GRU', accumulate: true }],
  ];
  for (const [name, c] of cases) {
    it(`${name}: the same bits on 1 and 2 threads, and the worker ran the layers' shares`, () => {
      shareEverything();
      pool.threadTuning.takeBack = false; // the worker runs every share (else a share this thread finishes first is taken back)
      R.setNumThreads(1);
      const before = pool.threadCounts.workerRan;
      const back = pool.threadCounts.takenBack;
      const one = train(c);
      expect(pool.threadCounts.workerRan).toBe(before);
      R.setNumThreads(2);
      expect(R.getNumThreads()).toBe(2);
      expect(pool.startThreads(), 'the worker starts').toBe(true);
      const two = train(c);
      // 3 steps × (2 layers × directions × (forward walk, backward walk, gradient products) + the
      // Linear head's three products: y, dX, dW)
      expect(pool.threadCounts.workerRan - before).toBe(3 * (2 * (c.bidirectional ? 2 : 1) * 3 + 3));
      expect(pool.threadCounts.takenBack).toBe(back);
      expect(pool.threadCounts.failures).toBe(0);
      expectSame(one, two);
    });
  }

  it('shares the worker has not started when this thread is done are taken back: the same bits', () => {
    shareEverything();
    pool.threadTuning.takeBack = true;
    R.setNumThreads(1);
    const one = train({ kind: 'LSTM', packed: true }, 4);
    R.setNumThreads(2);
    expect(pool.startThreads()).toBe(true);
    const ran = pool.threadCounts.workerRan, back = pool.threadCounts.takenBack;
    const two = train({ kind: 'LSTM', packed: true }, 4);
    expect(pool.threadCounts.workerRan - ran + pool.threadCounts.takenBack - back).toBe(4 * (2 * 3 + 3));
    expectSame(one, two);
  });

  it("shares a large Adam update with the running worker: the same bits", () => {
    pool.threadTuning.takeBack = false; // the worker runs its share
    const run = (): number[][] => {
      const gen = new R.Generator(3);
      const big = R.randn([20000], { generator: gen }).requiresGrad_(); // over the 8,192 elements that share
      const small = R.randn([50], { generator: gen }).requiresGrad_();
      const opt = new R.Adam([big, small], { lr: 0.01, weightDecay: 0.1 });
      for (let s = 0; s < 3; s++) {
        big.grad = R.randn([20000], { generator: gen });
        small.grad = R.randn([50], { generator: gen });
        opt.step();
      }
      return [u32(big.data as Float32Array), u32(small.data as Float32Array)];
    };
    R.setNumThreads(1);
    const ran = pool.threadCounts.workerRan;
    const one = run();
    expect(pool.threadCounts.workerRan).toBe(ran);
    R.setNumThreads(2);
    expect(pool.startThreads()).toBe(true);
    const two = run();
    expect(pool.threadCounts.workerRan - ran, 'one share a step, of the large tensor only').toBe(3);
    expect(two).toEqual(one);
  });

  it('an Adam update never starts the worker itself: a model without big layers stays on one thread', () => {
    // A fresh process (no worker yet), two threads: a Linear of 1 M weights on one row (its products
    // never share), trained with Adam. 1 M elements would be over threadTuning.minWork were Adam
    // allowed to start the worker, which would then take a share of the steps after the pause.
    const code = `const R = await import(${JSON.stringify(resolve(root, 'dist/index-node.js'))});
      const p = await import(${JSON.stringify(resolve(root, 'dist/runtime/threads/pool.js'))});
      R.setNumThreads(2);
      const lin = new R.Linear(1024, 1024, { generator: new R.Generator(1) });
      const opt = new R.Adam(lin.parameters(), { lr: 0.01 });
      const step = () => { opt.zeroGrad(); R.sum(lin.forward(R.ones([1, 1024]))).backward(); opt.step(); };
      step();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500); // time for a worker, had one been started, to load
      step(); step();
      console.log(p.threadCounts.posted);`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(out.stdout.trim(), out.stderr).toBe('0');
  });

  it('keeps small layers and products on one thread (threadTuning.minWork, minProductWork)', () => {
    pool.threadTuning.minWork = minWork;
    pool.threadTuning.minProductWork = minProductWork;
    R.setNumThreads(2);
    const before = pool.threadCounts.posted;
    train({ kind: 'GRU' }, 1);
    expect(pool.threadCounts.posted).toBe(before);
  });

  it('setNumThreads validates; RECUR_THREADS sets the default; without the Node starter one thread', () => {
    expect(() => R.setNumThreads(0)).toThrow(/integer ≥ 1/);
    expect(() => R.setNumThreads(1.5)).toThrow(/integer ≥ 1/);
    const ask = (entry: string, env: Record<string, string>) => execFileSync(process.execPath, ['--input-type=module', '-e',
      `const r = await import(${JSON.stringify(resolve(root, entry))}); console.log(r.getNumThreads())`], { env: { ...process.env, ...env } }).toString().trim();
    expect(ask('dist/index-node.js', { RECUR_THREADS: '1' })).toBe('1');
    expect(ask('dist/index-node.js', { RECUR_THREADS: '2' })).toBe('2');
    expect(ask('dist/index.js', { RECUR_THREADS: '2' })).toBe('1'); // the core alone (a browser): no worker starter
  });

  it('the worker starts under node --input-type=module (a script in -e or on stdin), which a worker refuses as an option', () => {
    const code = `const r = await import(${JSON.stringify(resolve(root, 'dist/index-node.js'))});
      const p = await import(${JSON.stringify(resolve(root, 'dist/runtime/threads/pool.js'))});
      r.setNumThreads(2); console.log(p.startThreads(5000), r.getNumThreads());`;
    for (const args of [['--input-type=module', '-e', code], ['--input-type', 'module', '-e', code]]) {
      const out = spawnSync(process.execPath, args, { encoding: 'utf8' });
      expect(out.stderr, args.slice(0, 2).join(' ')).not.toMatch(/second thread failed/);
      expect(out.stdout.trim()).toBe('true 2');
    }
    const piped = spawnSync(process.execPath, ['--input-type=module'], { input: code, encoding: 'utf8' });
    expect(piped.stdout.trim() + piped.stderr).toBe('true 2');
    expect(starter.workerExecArgv(['--input-type=module', '-e', 'x', '--cpu-prof'])).toEqual(['--cpu-prof']);
    expect(starter.workerExecArgv(['--cpu-prof'])).toBeUndefined(); // inherited as they are
  });
});

describe('a worker that cannot serve', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  afterEach(() => {
    warn.mockClear();
    pool.setThreadStarter(starter.nodeThreadStarter);
  });
  afterAll(() => warn.mockRestore());

  function fallsBack(spawn: poolSrc.ThreadStarter['spawn'], expectPosted: boolean): void {
    shareEverything();
    pool.threadTuning.takeBack = false; // the failing worker must be the one to meet the first share
    R.setNumThreads(1);
    const one = train({ kind: 'LSTM', packed: true });
    pool.setThreadStarter({ defaultThreads: 2, spawn });
    R.setNumThreads(2);
    const failures = pool.threadCounts.failures;
    const posted = pool.threadCounts.posted;
    pool.startThreads(3000);
    const two = train({ kind: 'LSTM', packed: true });
    expectSame(one, two);
    expect(pool.threadCounts.posted > posted).toBe(expectPosted);
    expect(pool.threadCounts.failures - failures).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/second thread failed/);
    expect(R.getNumThreads()).toBe(1);
  }

  it('cannot start: one thread, one warning', () => {
    fallsBack(() => { throw new Error('no threads here'); }, false);
  });

  it("fails an Adam share after writing over part of it: redone here from the originals, the same bits", () => {
    const adamRun = (): number[] => {
      const gen = new R.Generator(8);
      const w = R.randn([20000], { generator: gen }).requiresGrad_();
      const opt = new R.Adam([w], { lr: 0.01 });
      for (let s = 0; s < 2; s++) {
        w.grad = R.randn([20000], { generator: gen });
        opt.step();
      }
      return u32(w.data as Float32Array);
    };
    pool.threadTuning.takeBack = false; // the failing worker must be the one to meet the share
    R.setNumThreads(1);
    const one = adamRun();
    // A worker whose Adam task fills its range of p, m and v with NaN, then throws.
    const dist = (f: string) => JSON.stringify(resolve(root, 'dist', f));
    pool.setThreadStarter({
      defaultThreads: 2,
      spawn: (init) => {
        const w = new Worker(`const { workerData } = require('node:worker_threads');
          Promise.all([import(${dist('runtime/threads/tasks.js')}), import(${dist('runtime/threads/serve.js')})]).then(([t, s]) => {
            t.registerTask(6, (a) => {
              for (const at of [a[0], a[2], a[3]]) new Float32Array(workerData.memory.buffer, at, a[4]).fill(NaN);
              throw new Error('scribbled, then failed');
            });
            s.serveTasks(workerData);
          });`, { eval: true, workerData: init });
        w.unref();
        return { terminate: () => void w.terminate() };
      },
    });
    R.setNumThreads(2);
    const failures = pool.threadCounts.failures;
    expect(pool.startThreads(3000)).toBe(true);
    const two = adamRun();
    expect(pool.threadCounts.failures - failures).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(two).toEqual(one);
  });

  it('fails its first task (it lacks the layer tasks): the share is redone here, one warning', () => {
    const serve = resolve(root, 'dist/runtime/threads/serve.js');
    fallsBack((init) => {
      const w = new Worker(`import(${JSON.stringify(serve)}).then((m) => m.serveTasks(require('node:worker_threads').workerData));`, { eval: true, workerData: init });
      w.unref();
      return { terminate: () => void w.terminate() };
    }, true);
  });
});
