// Checkpoints are written atomically: a process killed while writing leaves every earlier
// checkpoint loadable and never a half-written "latest".
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { latestCheckpoint, listCheckpoints, readModelFile, readTrainerFile, saveCheckpoint } from '../src/train/checkpoint-node.js';
import { Trainer } from '../src/train/trainer.js';
import { resolveConfig } from '../src/train/config.js';
import { tmpDir } from './helpers/cli.js';

describe('checkpoints', () => {
  it('model and trainer state round-trip exactly through the files', () => {
    const dir = tmpDir();
    const t = new Trainer(resolveConfig({ seed: 1, hidden_dim: 8, embed_dim: 4, cell: 'lstm', num_layers: 2 }));
    for (let i = 0; i < 7; i++) t.trainStep();
    saveCheckpoint(dir, t.step, t.model, t.config, t.getState());
    const ck = latestCheckpoint(dir)!;
    expect(ck.step).toBe(7);
    const m = readModelFile(path.join(ck.dir, 'model.safetensors'));
    expect(m.step).toBe(7);
    expect(m.config?.cell).toBe('lstm');
    for (const [k, p] of t.model.namedParameters()) expect(Array.from(m.state[k].data)).toEqual(Array.from(p.data));
    const s = readTrainerFile(path.join(ck.dir, 'trainer.safetensors'));
    const t2 = new Trainer(t.config);
    t2.model.loadStateDict(m.state);
    t2.setState(s.state as never);
    for (let i = 0; i < 5; i++) expect(t2.trainStep()).toEqual(t.trainStep());
  });

  it('ignores a half-written temporary checkpoint', () => {
    const dir = tmpDir();
    const t = new Trainer(resolveConfig({ seed: 1, hidden_dim: 8, embed_dim: 4 }));
    t.trainStep();
    saveCheckpoint(dir, 1, t.model, t.config, t.getState());
    const stale = path.join(dir, 'checkpoints', '.tmp-step-000002-999-1');
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'model.safetensors'), Buffer.alloc(10));
    expect(latestCheckpoint(dir)!.step).toBe(1);
  });

  it('SIGKILL during repeated checkpoint writes leaves the latest complete checkpoint loadable', async () => {
    const dir = tmpDir();
    // A child that saves a larger model's checkpoints in a tight loop.
    const script = `
      import { saveCheckpoint } from ${JSON.stringify(path.resolve('dist/train/checkpoint-node.js'))};
      import { Trainer } from ${JSON.stringify(path.resolve('dist/train/trainer.js'))};
      import { resolveConfig } from ${JSON.stringify(path.resolve('dist/train/config.js'))};
      const t = new Trainer(resolveConfig({ seed: 1, hidden_dim: 256, num_layers: 2 }));
      for (let s = 1; ; s++) { saveCheckpoint(${JSON.stringify(dir)}, s, t.model, t.config, t.getState()); if (s === 1) process.stdout.write('ready\\n'); }
    `;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((res) => child.stdout!.once('data', () => res()));
      await new Promise((res) => setTimeout(res, 150 + 100 * round));
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      const all = listCheckpoints(dir);
      expect(all.length).toBeGreaterThan(0);
      for (const ck of all.slice(-3)) {
        const m = readModelFile(path.join(ck.dir, 'model.safetensors'));
        expect(m.step).toBe(ck.step);
        expect(readTrainerFile(path.join(ck.dir, 'trainer.safetensors')).step).toBe(ck.step);
      }
    }
  });
});
