// bench/ab.mjs: two builds timed in alternating windows of one process, and its refusal of
// arguments it cannot use. Runs the built code (dist/), here as both builds.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const script = resolve(root, 'bench', 'ab.mjs');
const run = (args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('bench/ab.mjs', () => {
  it('times each case for both builds and reports their ratio', () => {
    for (const [kase, label] of [['predict', 'predict'], ['generate', 'generate'], ['train', 'train, batch 2']]) {
      const r = run([root, root, '--case', kase, '--batch', '2', '--pairs', '2', '--window', '20']);
      expect(r.status, r.stderr).toBe(0);
      const m = new RegExp(`^${label}: A ([\\d.]+) µs, B ([\\d.]+) µs a call; A/B ([\\d.]+), B faster in [0-2] of 2 pairs`).exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      const [a, b, ratio] = m!.slice(1).map(Number);
      expect(a).toBeGreaterThan(0);
      expect(ratio).toBeCloseTo(a / b, 2);
    }
  }, 60_000);

  it('refuses an unknown case, a bad count and a directory without a build', () => {
    expect(run([root, root, '--case', 'sideways']).stderr).toMatch(/--case must be predict, generate or train, got sideways/);
    expect(run([root, root, '--pairs', 'many']).stderr).toMatch(/--pairs needs a positive integer, got many/);
    const r = run([root, resolve(root, 'docs')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no dist\/index\.js/);
    expect(run([]).status).toBe(1);
  }, 60_000);
});
