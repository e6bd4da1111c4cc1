// A diverging run keeps only checkpoints that predict finite probabilities, meta.json says why the
// run failed, and predict/eval refuse weights that are not finite or overflow in the forward pass.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { recur, tmpDir } from './helpers/cli.js';
import { decodeModel, encodeModel } from '../src/train/checkpoint.js';
import { DEFAULT_CONFIG } from '../src/train/config.js';
import { makeModel, usableReason } from '../src/train/trainer.js';
import { getTask } from '../src/tasks/registry.js';
import { Generator } from '../src/tensor/random.js';

const ckptFile = (runDir: string, step: number) => path.join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`, 'model.safetensors');

describe('recur train --lr 1e19 (seed 2: the step-3 weights are finite but overflow in the forward pass)', () => {
  let root: string;
  let runDir: string;
  let stderr: string;
  beforeAll(() => {
    root = tmpDir();
    runDir = path.join(root, 'diverged');
    const r = recur(['train', '--lr', '1e19', '--save_every', '1', '--seed', '2', '--save_dir', root, '--run_name', 'diverged']);
    expect(r.code).toBe(3);
    stderr = r.stderr;
  });

  it('keeps as last checkpoint one whose weights give finite outputs, and says which', () => {
    const m = /\(the last good checkpoint \(step (\d+)\) is kept\)/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const kept = Number(m![1]);
    const steps = fs.readdirSync(path.join(runDir, 'checkpoints')).filter((n) => n.startsWith('step-')).map((n) => Number(n.slice(5)));
    expect(Math.max(...steps)).toBe(kept);
    const config = { ...DEFAULT_CONFIG, ...JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) };
    for (const step of steps) {
      const model = makeModel({ ...config, seed: 0 }, new Generator(0));
      model.loadStateDict(decodeModel(fs.readFileSync(ckptFile(runDir, step))).state);
      expect(usableReason(model, getTask(config.task), config), `step ${step}`).toBeNull();
    }
  });

  it('predict on the kept checkpoint answers with a finite probability', () => {
    const r = recur(['predict', '--save_dir', root, '--json', '1', '2', '3']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Number.isFinite(out.probability)).toBe(true);
    expect(out.probability).toBeGreaterThan(0);
  });

  it('meta.json records the failure and its reason', () => {
    const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'meta.json'), 'utf8'));
    expect(meta.status).toBe('failed');
    expect(meta.reason).toMatch(/^(loss became (NaN|Infinity|-Infinity)|the weights became unusable) at step \d+/);
    expect(stderr).toContain(meta.reason);
  });
});

describe('meta.json of a run whose loss became non-finite', () => {
  it('says so in reason, and the JSON end line carries the same reason', () => {
    const root = tmpDir();
    const r = recur(['train', '--lr', '1e19', '--seed', '1', '--save_dir', root, '--run_name', 'inf', '--json']);
    expect(r.code).toBe(3);
    const meta = JSON.parse(fs.readFileSync(path.join(root, 'inf', 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({ status: 'failed', reason: 'loss became NaN at step 4' });
    const end = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(end).toMatchObject({ event: 'end', status: 'failed', reason: 'loss became NaN at step 4' });
  });
});

describe('predict and eval refuse unusable weights', () => {
  let root: string;
  let file: string;
  const damage = (f: (name: string, data: Float32Array) => void) => {
    const d = decodeModel(fs.readFileSync(file));
    for (const [name, t] of Object.entries(d.state)) f(name, t.data as Float32Array);
    fs.writeFileSync(file, encodeModel({ stateDict: () => d.state } as never, { step: d.step ?? 0, config: d.config! }));
  };
  beforeAll(() => {
    root = tmpDir();
    const r = recur(['train', '--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '10', '--seed', '1', '--save_dir', root, '--run_name', 'r']);
    expect(r.code, r.stderr).toBe(0);
    file = ckptFile(path.join(root, 'r'), 10);
  });

  it('finite weights that overflow in the forward pass', () => {
    damage((name, data) => {
      if (name === 'fc.weight') data.fill(3e38);
    });
    for (const args of [['predict', '4', '4'], ['eval', '--samples', '10', '--lengths', '2..3', '--per_length', '5']]) {
      const r = recur([...args, '--save_dir', root]);
      expect(r.code, r.stdout).toBe(3);
      const line = r.stderr.trim();
      expect(line.startsWith(`recur: ${file} cannot be used: the model's output is `), line).toBe(true);
      expect(line).toMatch(/ is (NaN|Infinity|-Infinity) on a fixed probe batch \(the run diverged; train again with a lower --lr or --clip_grad_norm\)$/);
      expect(line.split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });

  it('NaN weights', () => {
    damage((name, data) => {
      if (name === 'rnn.weight_hh_l0') data[3] = NaN;
    });
    const r = recur(['predict', '--save_dir', root, '--checkpoint', file, '4', '4']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(`recur: ${file} cannot be used: rnn.weight_hh_l0 holds NaN (the run diverged; train again with a lower --lr or --clip_grad_norm)`);
  });
});
