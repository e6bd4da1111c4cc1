// bench/run.mjs: how a case's recur/PyTorch pairs (--repeat) become the reported rates and ratio;
// --pin runs each pair on one CPU.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
// @ts-expect-error — a plain .mjs script without type declarations
import { summarisePairs } from '../bench/run.mjs';

const pair = (recurRate: number | null, torchRate: number | null, rss: [number, number]) => ({
  recur: { rates: [recurRate], maxRssKB: rss[0] }, torch: torchRate === null ? null : { rates: [torchRate], maxRssKB: rss[1] },
  recurRate, torchRate, ratio: recurRate !== null && torchRate !== null ? recurRate / torchRate : null,
});

describe('bench --repeat: summarisePairs', () => {
  it('medians of the rates and of the pair ratios, the ratio range, the peak RSS of each side', () => {
    const s = summarisePairs([pair(1000, 250, [60, 240]), pair(900, 300, [70, 230]), pair(1200, 200, [65, 250])]);
    expect(s.recurRate).toBe(1000);
    expect(s.torchRate).toBe(250);
    expect(s.ratio).toBe(4); // ratios 4, 3, 6: the median pair, not 1000 / 250 by chance
    expect(s.ratioRange).toEqual([3, 6]);
    expect(s.recur.maxRssKB).toBe(70);
    expect(s.torch.maxRssKB).toBe(250);
    expect(s.pairs).toHaveLength(3);
  });

  it('one pair: no range; no PyTorch: recur alone, no ratio', () => {
    const one = summarisePairs([pair(500, 100, [60, 240])]);
    expect(one.ratio).toBe(5);
    expect(one.ratioRange).toBeNull();
    expect(one.pairs).toBeUndefined();
    const alone = summarisePairs([pair(500, null, [60, 0]), pair(700, null, [61, 0])]);
    expect(alone.recurRate).toBe(600);
    expect(alone.torchRate).toBeNull();
    expect(alone.ratio).toBeNull();
    expect(alone.torch).toBeNull();
  });
});

describe('bench --pin', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [path.join('bench', 'run.mjs'), ...args], { encoding: 'utf8' });
  it('runs each pair on one CPU, pair i on CPU i mod cores, recur on one thread', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-pin-'));
    try {
      const json = path.join(dir, 'pin.json');
      const r = run(['--case', 'predict', '--pin', '--no-torch', '--quick', '--repeat', '2', '--json', json]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('pinned: each pair');
      const out = JSON.parse(fs.readFileSync(json, 'utf8'));
      expect(out.pin).toBe(true);
      const cores = os.availableParallelism();
      // The recur child reports the CPUs it was allowed: exactly the pair's one.
      expect(out.results[0].pairs.map((p: { cpu: number; recur: { cpus: string } }) => [p.cpu, p.recur.cpus]))
        .toEqual([[0, '0'], [1 % cores, String(1 % cores)]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
  it('refuses --threads 2 with --pin', () => {
    const r = run(['--pin', '--threads', '2', '--case', 'predict', '--no-torch']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--pin runs recur on one thread');
  });
});
