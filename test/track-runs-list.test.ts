// `recur runs` at sweep scale: 120 columns by default (names shortened in the middle), --wide,
// the dashboard's filter language, sorting, paging (page note on stderr), and clear errors.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliError } from '../src/cli/errors.js';
import { register as registerReport } from '../src/cli/report.js';
import { register as registerRuns, truncateMiddle } from '../src/cli/runs.js';
import { FilterSyntaxError, matchesFilter, parseFilter } from '../src/track/run-filter.js';
import { tmpRoot, writeFixtureRun } from './track-fixtures.js';

let base: string;
let root: string;

beforeAll(async () => {
  base = tmpRoot('recur-track-runs-');
  root = path.join(base, 'output');
  const start = Date.parse('2024-05-01T10:00:00Z');
  let i = 0;
  for (const cell of ['gru', 'lstm']) {
    for (const lr of [0.001, 0.005, 0.01]) {
      for (let seed = 0; seed < 4; seed++) {
        const name = `a_rather_long_experiment_name_for_${cell}_lr${lr}_seed-${seed}`;
        const config = { cell, lr, hidden_dim: 64, num_layers: 2, batch_size: 32, dropout: 0.1, optimizer: 'adam', note: 'x'.repeat(30) };
        await writeFixtureRun(root, { name, config, seed, steps: 200, logEvery: 10, evalEvery: 50, finalAccuracy: 0.5 + lr * 20 + seed * 0.01 }, start + i++ * 60_000);
      }
    }
  }
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const spyErr = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const program = new Command('recur').exitOverride();
    registerRuns(program);
    registerReport(program);
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
    spyErr.mockRestore();
  }
  return { out: out.join('\n').split('\n'), err };
}

describe('recur runs at scale', () => {
  it('fits 120 columns, shortening names in the middle; --wide shows everything', async () => {
    const { out } = await cli('runs', '--root', root, '--limit', '0', '--sort', 'started');
    expect(out).toHaveLength(1 + 24);
    for (const l of out) expect([...l].length).toBeLessThanOrEqual(120);
    expect(out[1]).toMatch(/^a_rather_long_.*….*gru_lr0\.001_seed-0 /);
    expect(out[1]).toMatch(/cell=gru lr=0\.001/);
    const wide = (await cli('runs', '--root', root, '--limit', '0', '--wide', '--sort', 'started')).out;
    expect(wide[1]).toContain('a_rather_long_experiment_name_for_gru_lr0.001_seed-0');
    expect(wide[1]).toContain('cell=gru lr=0.001');
    expect(Math.max(...wide.map((l) => l.length))).toBeGreaterThan(120);
    expect(truncateMiddle('abcdefghij', 6)).toBe('ab…hij');
    // The default order is newest first.
    const newest = (await cli('runs', '--root', root, '--limit', '1', '--wide')).out[1];
    expect(newest.split(' ')[0]).toBe(wide[24].split(' ')[0]);
  });

  it('filters like the dashboard, sorts and pages', async () => {
    const f = (await cli('runs', '--root', root, '--filter', 'lr>=0.005 cell=gru', '--limit', '0')).out.slice(1);
    expect(f).toHaveLength(8);
    for (const l of f) expect(l).toMatch(/_gru_lr0\.0(05|1)_/);
    const byName = (await cli('runs', '--root', root, '--filter', '*lstm*seed-3', '--limit', '0')).out.slice(1);
    expect(byName).toHaveLength(3);
    const sorted = (await cli('runs', '--root', root, '--sort', '-best.accuracy', '--limit', '3', '--wide')).out.slice(1);
    expect(sorted[0]).toMatch(/_lr0\.01_seed-3/);
    const p1 = await cli('runs', '--root', root, '--limit', '10', '--sort', 'started');
    expect(p1.out).toHaveLength(11);
    expect(p1.err.join('\n')).toMatch(/runs 1-10 of 24, sorted by started; --page 2 for more/);
    const p3 = await cli('runs', '--root', root, '--limit', '10', '--page', '3', '--sort', 'started');
    expect(p3.out).toHaveLength(5);
    expect(p3.out[1]).toMatch(/_lstm_lr0\.01_seed-0 /);
    const json = JSON.parse((await cli('runs', '--root', root, '--filter', 'seed=2 cell~ST', '--json', '--sort', 'started')).out.join('\n'));
    expect(json.map((r: { id: string }) => r.id)).toEqual([0.001, 0.005, 0.01].map((lr) => `a_rather_long_experiment_name_for_lstm_lr${lr}_seed-2`));
    // --json lists every matching run unless --limit is given.
    expect(JSON.parse((await cli('runs', '--root', root, '--json')).out.join('\n'))).toHaveLength(24);
  });

  it('says what is wrong with a bad filter, sort or page', async () => {
    await expect(cli('runs', '--root', root, '--filter', 'lr>>0.1')).rejects.toThrow(/filter 'lr>>0.1': .*unknown operator '>>'/);
    await expect(cli('runs', '--root', root, '--filter', 'lr>=fast')).rejects.toThrow(/>= needs a number/);
    await expect(cli('runs', '--root', root, '--filter', '=3')).rejects.toThrow(CliError);
    await expect(cli('runs', '--root', root, '--filter', 'lrr>=0.1')).rejects.toThrow(/no run has 'lrr'/);
    await expect(cli('runs', '--root', root, '--sort', 'nope')).rejects.toThrow(/--sort: no run has 'nope'/);
    await expect(cli('runs', '--root', root, '--page', '9')).rejects.toThrow(/past the last page/);
    await expect(cli('runs', '--root', root, '--limit', 'x')).rejects.toThrow(/--limit/);
    await expect(cli('runs', '--root', root, '--status', 'done')).rejects.toThrow(/--status must be one of/);
  });
});

describe('filter expressions', () => {
  const run = { id: 'r-2', name: 'r', status: 'finished', seed: 2, config: { lr: 0.005, cell: 'gru', optim: { beta: 0.9 }, tag: 'two words' }, best: { accuracy: { value: 0.93 } }, last: { loss: 0.2 } };
  it.each([
    ['lr>=0.005 cell=gru', true],
    ['lr>0.005', false],
    ['optim.beta<1', true],
    ['best.accuracy>0.9 last.loss<=0.2', true],
    ['status!=finished', false],
    ['missing!=3', true],
    ['missing=3', false],
    ['tag="two words"', true],
    ['r-*', true],
    ['seed=2', true],
    ['cell~GR', true],
  ])('%s -> %s', (expr, want) => {
    expect(matchesFilter(run, parseFilter(expr))).toBe(want);
  });
  it('rejects what it cannot read', () => {
    for (const bad of ['a<', '<3', 'a<=x', 'a="x', 'a=>3']) expect(() => parseFilter(bad)).toThrow(FilterSyntaxError);
  });
});

describe('recur report of many runs', () => {
  it('draws groups (mean line and min-max band), not one line per run', async () => {
    const out = path.join(base, 'grouped.html');
    const { out: msg } = await cli('report', '*', '--root', root, '--out', out);
    expect(msg.join('\n')).toMatch(/\(24 runs in 6 groups\), \d+ KiB/);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).not.toContain('<script');
    const charts = html.match(/<svg [\s\S]*?<\/svg>/g)!;
    expect(charts).toHaveLength(4); // loss, accuracy, current_lr, Model Params
    const loss = charts.find((c) => c.includes('>loss</text>'))!;
    expect(loss.match(/fill-opacity="0\.16"/g)).toHaveLength(6); // one band per group
    expect(loss.match(/stroke-width="1\.8"/g)).toHaveLength(6); // one mean line per group
    expect(html).toContain('cell=gru lr=0.005');
    expect(html).toMatch(/<details><summary>24 runs<\/summary>/);
    const flat = path.join(base, 'flat.html');
    await cli('report', '*', '--root', root, '--out', flat, '--group', 'off');
    const lossFlat = fs.readFileSync(flat, 'utf8').match(/<svg [\s\S]*?<\/svg>/g)!.find((c) => c.includes('>loss</text>'))!;
    expect(lossFlat.match(/stroke-width="1\.8"/g)).toHaveLength(24);
    await expect(cli('report', '*', '--root', root, '--out', out, '--group', 'maybe')).rejects.toThrow(/--group must be/);
  });
});
