// A training step split between two threads (src/kernels/rnn-cls-shard.ts) must give the bits of
// the one-thread step: losses, every gradient, and the weights after Adam steps. One suite, two
// ShardLink implementations: InThreadShardLink (the split's arithmetic on this thread, from src/)
// and ThreadShardLink (a real worker_threads worker on the shared WASM memory; from dist/, since
// the worker runs the built code — `npm test` builds first).
import { describe, it, expect, afterAll } from 'vitest';
import * as src from '../src/internal.js';
import type { TrainConfig } from '../src/train/config.js';

// dist/ is what the worker thread runs; the Trainer must come from the same build to share its memory.
const dist = (await import('../dist/internal.js')) as unknown as typeof src;
const distNode = (await import('../dist/node.js')) as unknown as { startShardThread(onError?: (e: Error) => void): src.ThreadShardLink | null };

/** Exact bits (distinguishes −0 and NaN payloads): the float32 arrays as integers. */
const u32 = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const CASES: Array<[string, Partial<TrainConfig>, string?]> = [
  ['sota preset (rnn 3×32, batch 64)', {}, 'sota'],
  ['lstm 2×8, lengths 1–9', { cell: 'lstm', hidden_dim: 8, num_layers: 2, batch_size: 16, lr: 0.01, min_seq_len: 1, max_seq_len: 9 }],
  ['gru 2×8, state noise', { cell: 'gru', hidden_dim: 8, num_layers: 2, batch_size: 12, lr: 0.01, state_noise: 0.1 }],
  ['rnn, batch 2, equal lengths', { hidden_dim: 6, batch_size: 2, min_seq_len: 4, max_seq_len: 4 }],
  ['rnn, batch 3, clipped', { hidden_dim: 5, num_layers: 2, batch_size: 3, clip_grad_norm: 0.5, max_seq_len: 8 }],
];

/** Trains `steps` steps with and without the link; every loss, gradient and weight must agree. */
function sameAsOneThread(mod: typeof src, link: src.ShardLink, config: TrainConfig, steps: number): void {
  const one = new mod.Trainer(config);
  const two = new mod.Trainer(config, { shardLink: link });
  expect(one.fused).not.toBeNull();
  for (let s = 0; s < steps; s++) {
    const a = one.trainStep();
    const b = two.trainStep();
    expect(b.loss, `step ${s} loss`).toBe(a.loss);
    expect(b.gradNorm, `step ${s} grad norm`).toBe(a.gradNorm);
    if (s === 0 || s === steps - 1) {
      expect(u32(two.fused!.flatGrads), `step ${s} gradients`).toEqual(u32(one.fused!.flatGrads));
    }
  }
  expect(u32(two.fused!.flatParams), 'weights').toEqual(u32(one.fused!.flatParams));
}

describe('InThreadShardLink: the split step = the one-thread step, bit for bit', () => {
  for (const [name, overrides, preset] of CASES) {
    for (const share of [0.5, 0.2, 0.8]) {
      it(`${name}, share ${share}`, () => {
        const config = src.resolveConfig({ seed: 11, ...overrides }, preset);
        sameAsOneThread(src, new src.InThreadShardLink(share), config, 25);
      });
    }
  }

  it('a batch of one sequence, and a link that is closed, run on this thread alone', () => {
    const link = new src.InThreadShardLink();
    const config = src.resolveConfig({ seed: 2, hidden_dim: 4, batch_size: 1 });
    sameAsOneThread(src, link, config, 5);
    link.close();
    expect(link.ready()).toBe(false);
    sameAsOneThread(src, link, src.resolveConfig({ seed: 2, hidden_dim: 4, batch_size: 8 }), 5);
  });
});

describe('SplitTuner: the share of the rows this thread takes', () => {
  it('moves towards the late side, stays within [0.2, 0.8], and rests a worker that cannot keep up', () => {
    const t = new src.SplitTuner();
    for (let i = 0; i < 20; i++) t.met(i % 2 === 0); // balanced: stays near even
    expect(Math.abs(t.share - 0.5)).toBeLessThan(0.01);
    for (let i = 0; i < 200; i++) t.met(false); // this side is always late: the worker takes more
    expect(t.share).toBeCloseTo(0.2, 10);
    expect(t.useWorker()).toBe(true); // a slow main thread is no reason to stop
    const early = (n: number) => { for (let i = 0; i < n; i++) t.met(true); };
    early(150); // 0.2 → 0.8 takes 150 steps; pinned there from now on
    expect(t.share).toBeCloseTo(0.8, 10);
    early(48);
    expect(t.useWorker()).toBe(true);
    early(1); // the 50th step in a row at the top
    let alone = 0;
    while (!t.useWorker()) alone++;
    expect(alone).toBe(1000);
    expect(t.share).toBe(0.5); // and it starts again from even
  });

  it('rests the worker when this thread waits over half of two windows in a row (cores taken), longer each time', () => {
    const t = new src.SplitTuner();
    const windows = (waitShare: number, n: number) => { for (let i = 0; i < 64 * n; i++) t.observe(waitShare, 1); };
    const restLength = () => { let k = 0; while (!t.useWorker()) k++; return k; };
    windows(0.9, 2); // the first two windows (the worker's code compiling) are not judged
    expect(t.useWorker()).toBe(true);
    windows(0.6, 1);
    windows(0.3, 1); // one bad window alone is jitter
    windows(0.6, 1);
    expect(t.useWorker()).toBe(true);
    expect(t.waitShare).toBeCloseTo(0.6, 10);
    windows(0.7, 1); // the second in a row
    expect(restLength()).toBe(1000);
    windows(0.8, 3); // back: one window to warm up, then two bad ones again — a longer rest
    expect(restLength()).toBe(2000);
    windows(0.1, 1); // warm-up
    windows(0.1, 1); // a good window: the next rest is short again
    windows(0.9, 2);
    expect(restLength()).toBe(1000);
  });
});

describe('ThreadShardLink: a worker thread on the shared WASM memory', () => {
  // One worker for the suite, as a training run has (each link reserves a quarter of the memory).
  let shared: src.ThreadShardLink | null = null;
  const errors: Error[] = [];
  afterAll(() => shared?.close());

  function started(): src.ThreadShardLink {
    if (shared !== null) return shared;
    const link = distNode.startShardThread((e) => errors.push(e));
    expect(link, 'the WASM memory is shareable in Node').not.toBeNull();
    expect(link!.ready(), 'the first call starts the worker').toBe(false);
    const t0 = Date.now();
    while (!link!.ready() && Date.now() - t0 < 10_000) { /* the worker loads in tens of ms */ }
    expect(errors).toEqual([]);
    expect(link!.ready()).toBe(true);
    link!.minWork = 0; // split even the small test models
    shared = link!;
    return link!;
  }

  it('starts, and serves only once it has loaded', () => {
    started();
  });

  it('a closed link gives its memory back: five start/close cycles do not fill the memory (each reserves a quarter)', () => {
    for (let i = 0; i < 5; i++) {
      const link = distNode.startShardThread((e) => errors.push(e))!;
      const t0 = Date.now();
      while (!link.ready() && Date.now() - t0 < 20_000) { /* loading */ }
      expect(link.ready(), `cycle ${i}: the worker did not start (is the memory full?)`).toBe(true);
      link.close();
      expect(link.ready()).toBe(false);
    }
    expect(errors).toEqual([]);
  }, 120_000);

  for (const [name, overrides, preset] of CASES) {
    it(`${name}: 30 steps on two threads = one thread`, () => {
      const link = started();
      const config = dist.resolveConfig({ seed: 5, ...overrides }, preset);
      sameAsOneThread(dist, link, config, 30);
      // The split really happened (share moves only when steps were split).
      expect(link.split).toBeGreaterThan(0);
    });
  }

  it('phase timing (bench:profile --phases) changes no bit, and the phases account for the step on each thread', () => {
    const link = started();
    const config = dist.resolveConfig({ seed: 7 }, 'sota');
    const one = new dist.Trainer(config);
    const two = new dist.Trainer(config, { shardLink: link });
    two.trainStep(); one.trainStep();
    const clock = new dist.PhaseClock();
    two.clock = clock;
    link.timePhases(true);
    const t0 = performance.now();
    for (let s = 0; s < 20; s++) {
      const a = one.trainStep();
      const b = two.trainStep();
      expect(b.loss, `step ${s} loss`).toBe(a.loss);
    }
    const wall = performance.now() - t0;
    link.timePhases(false);
    two.clock = null;
    expect(u32(two.fused!.flatParams), 'weights').toEqual(u32(one.fused!.flatParams));
    // main thread: every phase of the step, split and unsplit parts, each timed
    const main = [...clock.totals];
    expect(main.map(([k]) => k)).toEqual([
      'data: batch, collate, noise', 'kernel: pack, zero, post', 'kernel: sequences (forward, head, backward walk)',
      "kernel: wait for the other thread's sequences", 'kernel: weight-gradient products', "kernel: wait for the other thread's products",
      'kernel: loss, bias and embedding gradients', 'gradient norm', 'adam', 'schedule',
    ]);
    const mainSum = main.reduce((t, [, ms]) => t + ms, 0);
    expect(mainSum).toBeGreaterThan(0);
    expect(mainSum).toBeLessThan(wall); // the one-thread trainer's steps ran in between
    // worker: it ran sequences and products in these steps; its phases cannot exceed the wall time
    const worker = link.workerPhases()!;
    expect([...worker.keys()]).toEqual([...dist.WORKER_PHASES]);
    expect(worker.get('kernel: sequences (forward, head, backward walk)')).toBeGreaterThan(0);
    expect(worker.get('kernel: weight-gradient products')).toBeGreaterThan(0);
    expect([...worker.values()].reduce((t, ms) => t + ms, 0)).toBeLessThan(wall);
    // off: nothing more is added
    const before = [...worker.values()];
    two.trainStep();
    expect([...link.workerPhases()!.values()]).toEqual(before);
  });

  it('counts the steps it split (splitSteps: what a page running several trainings on one link reports)', () => {
    const link = distNode.startShardThread((e) => errors.push(e))!;
    link.ready();
    const t0 = Date.now();
    while (!link.ready() && Date.now() - t0 < 20_000) { /* loading */ }
    link.minWork = 0;
    expect(link.splitSteps).toBe(0);
    const trainer = new dist.Trainer(dist.resolveConfig({ seed: 3, hidden_dim: 8, batch_size: 8 }), { shardLink: link });
    for (let s = 0; s < 20; s++) trainer.trainStep();
    expect(link.splitSteps).toBe(20); // a fresh link cannot rest within 50 steps (SplitTuner)
    const one = new dist.Trainer(dist.resolveConfig({ seed: 3, hidden_dim: 8, batch_size: 1 }), { shardLink: link });
    for (let s = 0; s < 5; s++) one.trainStep();
    expect(link.splitSteps, 'a batch of one sequence is never split').toBe(20);
    link.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('one worker serves trainers of different shapes in turn', () => {
    const link = started();
    sameAsOneThread(dist, link, dist.resolveConfig({ seed: 1, hidden_dim: 8, batch_size: 10 }), 5);
    sameAsOneThread(dist, link, dist.resolveConfig({ seed: 1, cell: 'gru', hidden_dim: 6, num_layers: 3, batch_size: 9 }), 5);
    sameAsOneThread(dist, link, dist.resolveConfig({ seed: 1, hidden_dim: 8, batch_size: 10 }), 5);
  });

  it('is started only by a step big enough to split (minWork), not by small ones', () => {
    let spawned = 0;
    const link = dist.ThreadShardLink.start((init) => {
      spawned++;
      new Int32Array(init.memory.buffer, init.ctrl, 8)[5] = 1; // "ready", never serving
      return { terminate: () => {} };
    })!;
    const small = new dist.Trainer(dist.resolveConfig({ seed: 1 }, 'baseline'), { shardLink: link });
    for (let s = 0; s < 5; s++) small.trainStep();
    expect(spawned).toBe(0);
    expect(link.split).toBe(0);
    link.close();
  });

  it('a worker that stops answering fails the step with a clear error instead of hanging', () => {
    const link = dist.ThreadShardLink.start((init) => {
      void init; // a "worker" that never serves: say it is ready, then stay silent
      new Int32Array(init.memory.buffer, init.ctrl, 8)[5] = 1;
      return { terminate: () => {} };
    }, 1 << 20, 300)!;
    link.minWork = 0;
    expect(link.ready()).toBe(false); // the first call starts the worker
    expect(link.ready()).toBe(true);
    const trainer = new dist.Trainer(dist.resolveConfig({ seed: 1, hidden_dim: 8, batch_size: 10 }), { shardLink: link });
    expect(() => trainer.trainStep()).toThrow(/worker thread has not answered for 0.3 s/);
    expect(link.ready()).toBe(false); // later steps run on this thread
    link.close();
  });
});
