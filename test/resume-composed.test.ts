// Resume, bit-exact, on a user-composed model (test/helpers/resume-composed.mjs: Embedding →
// 2-layer batch-first LSTM → Linear, float32, Adam + warm-up/cosine SequentialLR + clipGradNorm,
// seeded batches): N steps, save model + optimizer + scheduler state (saveBytes, stateDict as
// JSON), restore into fresh objects, M more steps — every weight's bits, every loss and the
// learning rate equal an uninterrupted N+M-step run. Once in this process (src/), once with the
// restore in a fresh child process (dist/, as a user's resumed job would run).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as recur from '../src/index.js';
import { build, fingerprint, restore, save, train } from './helpers/resume-composed.mjs';
import type { Checkpoint, Fingerprint } from './helpers/resume-composed.mjs';

const N = 7, M = 6;

describe('resume of a user-composed model is bit-exact', () => {
  it(`in this process: ${N} steps, save, restore into fresh objects, ${M} steps = ${N + M} steps`, () => {
    const whole = build(recur);
    const lossesWhole = train(recur, whole, 0, N + M);

    const first = build(recur);
    const lossesFirst = train(recur, first, 0, N);
    const ckpt = save(recur, first);
    // the checkpoint is a snapshot: training the saved objects further does not change it
    train(recur, first, N, N + 2);
    const resumed = restore(recur, ckpt);
    expect(resumed.opt.state.size).toBe(resumed.net.parameters().length);
    const lossesRest = train(recur, resumed, N, N + M);

    expect([...lossesFirst, ...lossesRest]).toEqual(lossesWhole);
    const a = fingerprint(whole), b = fingerprint(resumed);
    expect(Object.keys(b.weights)).toEqual(Object.keys(a.weights));
    for (const k of Object.keys(a.weights)) expect(b.weights[k], k).toEqual(a.weights[k]);
    expect(b.lr).toBe(a.lr);
    // and the weights did move: a no-op run would also "match"
    expect(fingerprint(build(recur)).weights['fc.weight']).not.toEqual(a.weights['fc.weight']);
  });

  it('across processes: the first part and the resumed part in two fresh children (dist/)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-resume-'));
    try {
      const child = (body: string) => {
        const script = `
          const recur = await import('./dist/index.js');
          const h = await import('./test/helpers/resume-composed.mjs');
          const fs = await import('node:fs');
          const dir = ${JSON.stringify(dir)};
          ${body}`;
        const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        return r.stdout;
      };
      const whole = JSON.parse(child(`
        const p = h.build(recur);
        const losses = h.train(recur, p, 0, ${N + M});
        console.log(JSON.stringify({ losses, ...h.fingerprint(p) }));`)) as Fingerprint & { losses: number[] };
      const first = JSON.parse(child(`
        const p = h.build(recur);
        const losses = h.train(recur, p, 0, ${N});
        const c = h.save(recur, p);
        fs.writeFileSync(dir + '/model.safetensors', c.model);
        fs.writeFileSync(dir + '/optimizer.json', c.optimizer);
        fs.writeFileSync(dir + '/scheduler.json', c.scheduler);
        console.log(JSON.stringify({ losses }));`)) as { losses: number[] };
      const rest = JSON.parse(child(`
        const c = {
          model: new Uint8Array(fs.readFileSync(dir + '/model.safetensors')),
          optimizer: fs.readFileSync(dir + '/optimizer.json', 'utf8'),
          scheduler: fs.readFileSync(dir + '/scheduler.json', 'utf8'),
        };
        const p = h.restore(recur, c);
        const losses = h.train(recur, p, ${N}, ${N + M});
        console.log(JSON.stringify({ losses, ...h.fingerprint(p) }));`)) as Fingerprint & { losses: number[] };
      expect([...first.losses, ...rest.losses]).toEqual(whole.losses);
      for (const k of Object.keys(whole.weights)) expect(rest.weights[k], k).toEqual(whole.weights[k]);
      expect(rest.lr).toBe(whole.lr);
      // the child's uninterrupted run is this process's too (src/ and dist/ agree)
      const here = build(recur);
      expect(train(recur, here, 0, N + M)).toEqual(whole.losses);
      const ckpt: Checkpoint = {
        model: new Uint8Array(readFileSync(join(dir, 'model.safetensors'))),
        optimizer: readFileSync(join(dir, 'optimizer.json'), 'utf8'),
        scheduler: readFileSync(join(dir, 'scheduler.json'), 'utf8'),
      };
      // the child's checkpoint resumes in this process too, to the same bits
      const resumedHere = restore(recur, ckpt);
      expect(train(recur, resumedHere, N, N + M)).toEqual(rest.losses);
      const f = fingerprint(resumedHere);
      for (const k of Object.keys(whole.weights)) expect(f.weights[k], k).toEqual(whole.weights[k]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
