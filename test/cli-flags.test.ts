// Flag conventions shared by every command, driven through the built CLI: one name per concept
// (old names still accepted, with a note), strict numbers, one default text per flag in --help,
// and `recur eval`'s bound and progress on long work.
import { describe, it, expect, beforeAll } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { recur, tmpDir, isOneLineError, BIN, type CliResult } from './helpers/cli.js';
import { parseNumberText } from '../src/train/number-text.js';
import { parseLengths } from '../src/train/evaluate.js';
import { writeArticleFixture } from './track-fixtures.js';

const TINY = ['--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '20', '--save_every', '20', '--eval_every', '20', '--log_every', '10'];

/** The CLI without blocking the test worker (long runs). */
function recurLong(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

function expectError(args: string[], msg: RegExp) {
  const r = recur(args);
  expect(r.code, r.stdout).toBe(2);
  expect(r.stderr).toMatch(msg);
  expect(isOneLineError(r.stderr)).toBe(true);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

describe('strict number parsing', () => {
  it('accepts plain decimal text only', () => {
    expect(parseNumberText('--lr', '5e-3')).toBe(0.005);
    expect(parseNumberText('--lr', '.5')).toBe(0.5);
    expect(parseNumberText('--lr', '-2.5E+1')).toBe(-25);
    expect(parseNumberText('--n', '+12', { integer: true })).toBe(12);
    for (const bad of ['0x10', '0b1', '0o7', 'Infinity', '-Infinity', 'NaN', '', ' ', ' 1', '1 ', '1e', '1.2.3', '5abc', '1_000', '١٢']) {
      expect(() => parseNumberText('--lr', bad), bad).toThrow(`--lr expects a number, got '${bad}'`);
    }
    for (const bad of ['1e3', '2.0', '0x10', '', '3.5']) {
      expect(() => parseNumberText('--n', bad, { integer: true }), bad).toThrow(`--n expects an integer, got '${bad}'`);
    }
    expect(() => parseNumberText('--lr', '1e999')).toThrow('--lr is out of range: 1e999');
    expect(() => parseNumberText('--n', '99999999999999999999', { integer: true })).toThrow('--n is out of range');
    expect(() => parseNumberText('--port', '70000', { integer: true, max: 65535 })).toThrow('--port must be ≤ 65535, got 70000');
  });

  const cases: Array<[string[], RegExp]> = [
    [['train', '--lr', '0x10'], /^recur: --lr expects a number, got '0x10'$/m],
    [['train', '--lr', 'Infinity'], /--lr expects a number, got 'Infinity'/],
    [['train', '--lr', ''], /--lr expects a number, got ''/],
    [['train', '--lr=1e-3x'], /--lr expects a number, got '1e-3x'/],
    [['train', '--hidden_dim', '1e3'], /--hidden_dim expects an integer, got '1e3'/],
    [['train', '--batch-size', '0x10'], /--batch_size expects an integer, got '0x10'/],
    [['eval', '--per_length', '0x10'], /--per_length expects an integer, got '0x10'/],
    [['eval', '--samples', ''], /--samples expects an integer, got ''/],
    [['eval', '--seed', '1.5'], /--seed expects an integer, got '1.5'/],
    [['dashboard', '--port', '0x50'], /--port expects an integer, got '0x50'/],
    [['dashboard', '--port', '65536'], /--port must be ≤ 65535, got 65536/],
    [['report', 'x', '--smoothing', ''], /--smoothing expects a number, got ''/],
    [['sweep', '--workers', '0x2'], /--workers expects an integer, got '0x2'/],
    [['sweep', '--threshold', '0x1'], /--threshold expects a number, got '0x1'/],
    [['sweep', '--grid', 'lr=0x10'], /--lr expects a number, got '0x10'/],
    [['reproduce', '--steps', 'Infinity'], /--steps expects an integer, got 'Infinity'/],
    [['worker', '--queue', 'redis://127.0.0.1:1', '--concurrency', '2x'], /--concurrency expects an integer, got '2x'/],
  ];
  for (const [args, msg] of cases) {
    it(`recur ${args.join(' ')}`, () => expectError(args, msg));
  }
});

describe('--help shows one default per flag', () => {
  const line = (help: string, flag: string) => help.replace(/\n {10,}/g, ' ').split('\n').find((l) => l.trimStart().startsWith(`--${flag} `)) ?? '';
  it('train', () => {
    const help = recur(['train', '--help']).stdout;
    const options = help.replace(/\n {10,}/g, ' ').split('\n').filter((l) => /^\s+--/.test(l));
    expect(options.length).toBeGreaterThan(30);
    for (const l of options) expect((l.match(/\(default/g) ?? []).length, l).toBeLessThanOrEqual(1);
    expect(line(help, 'seed')).toMatch(/random seed \(default: drawn and recorded\)$/);
    expect(line(help, 'eval_seed')).toMatch(/\(default: none: fresh samples at each evaluation\)$/);
    expect(line(help, 'init_from')).toMatch(/\(default: none\)$/);
  });
  it('with --preset: the preset\'s values, saying which preset', () => {
    const help = recur(['train', '--preset', 'sota_warmup', '--help']).stdout;
    expect(line(help, 'num_layers')).toMatch(/\(default: 3, from --preset sota_warmup\)$/);
    expect(line(help, 'warmup_step')).toMatch(/\(default: 2000, from --preset sota_warmup\)$/);
    expect(line(help, 'run_name')).toMatch(/\(default: sota_warmup\)$/);
    expect(line(help, 'seed')).toMatch(/\(default: drawn and recorded\)$/);
  });
});

describe('one flag name per concept: --save_dir everywhere, old names with a note', () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(tmpDir(), 'output');
    await writeArticleFixture(root, 200);
  });

  it('runs, runs show and report take --save_dir', () => {
    const r = recur(['runs', '--save_dir', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME/);
    expect(r.stderr).toBe('');
    const show = recur(['runs', 'show', 'baseline', '--save-dir', root]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^run\s+baseline/);
    const out = path.join(root, '..', 'r.html');
    const rep = recur(['report', 'baseline', '--save_dir', root, '--out', out]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
  });

  it('every command that takes a runs root names it --save_dir in --help', async () => {
    for (const cmd of ['runs', 'report', 'dashboard', 'train', 'predict', 'eval', 'sweep', 'reproduce', 'worker']) {
      const help = (await recurLong([cmd, '--help'])).stdout;
      expect(help, cmd).toMatch(/--save_dir </);
      expect(help, cmd).not.toMatch(/--root/);
    }
  });

  it('--root still works for runs, runs show, report and dashboard, with a one-line note', () => {
    const r = recur(['runs', '--root', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME/);
    expect(r.stderr).toBe('recur: --root is deprecated; use --save_dir\n');
    const show = recur(['runs', 'show', 'baseline', '--root', root]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stderr).toBe('recur: --root is deprecated; use --save_dir\n');
    const out = path.join(root, '..', 'r2.html');
    const rep = recur(['report', 'baseline', `--root=${root}`, '--out', out]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stderr).toBe('recur: --root is deprecated; use --save_dir\n');
  });

  it('dashboard --root serves that root, with the note', async () => {
    const dash = spawn(process.execPath, [BIN, 'dashboard', '--root', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    dash.stdout.on('data', (d) => (out += d));
    dash.stderr.on('data', (d) => (err += d));
    try {
      await new Promise<void>((resolve, reject) => {
        dash.stdout.on('data', () => out.includes('runs root') && resolve());
        dash.on('exit', () => reject(new Error(`exited: ${err}`)));
      });
      expect(out).toContain(`(runs root ${root}; Ctrl-C to stop)`);
      expect(err).toBe('recur: --root is deprecated; use --save_dir\n');
    } finally {
      dash.kill('SIGINT');
    }
  }, 60_000);

  it('giving the old and the new name together is an error', () => {
    expectError(['runs', '--root', root, '--save_dir', root], /--root is the old name of --save_dir: give one of them/);
    expectError(['report', 'baseline', '--save_dir', root, '--root', root], /--root is the old name of --save_dir: give one of them/);
  });
});

describe('recur eval on long work', () => {
  let root: string;
  beforeAll(() => {
    root = tmpDir();
    const r = recur(['train', ...TINY, '--seed', '1', '--save_dir', root, '--run_name', 'e']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses an absurd range at once, with the numbers and what to do', () => {
    const t0 = Date.now();
    expectError(['eval', '--save_dir', root, '--lengths', '2..100000'], /--lengths 2\.\.100000 with --per_length 200 is 1,000,010,009,800 sequence steps × \d+ parameters ≈ [\d.]+e1[34] multiply-adds, above the limit of 1e12 .*test fewer lengths/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expectError(['eval', '--save_dir', root, '--lengths', '10,200001'], /--lengths: length 200,001 in '200001' is too long \(at most 100,000\)/);
    expectError(['eval', '--save_dir', root, '--lengths', '2..99999999999999999999'], /is too long \(at most 100,000\)/);
    expect(recur(['eval', '--help']).stdout).toMatch(/Above 1e12 multiply-adds/);
  });

  it('shows progress on stderr, a line per 10% when stderr is not a terminal', async () => {
    // ~50 × Σ(2..800) ≈ 16M sequence steps × 246 parameters: a few seconds, above the quiet bound
    const args = ['eval', '--save_dir', root, '--lengths', '2..800', '--per_length', '50', '--samples', '100', '--json'];
    const r = await recurLong(args);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.length).toBeLessThanOrEqual(11);
    for (const l of lines) expect(l).toMatch(/^eval: \d+% (training lengths|length \d+ \(\d+\/799\)), [\d.]+s elapsed, ETA [\d.]+s$/);
    expect(lines[lines.length - 1]).toMatch(/^eval: 100% length 800 \(799\/799\)/);
    const j = JSON.parse(r.stdout);
    expect(j.byLength).toHaveLength(799);
    // a small evaluation stays quiet
    const small = recur(['eval', '--save_dir', root, '--lengths', '2..10', '--json']);
    expect(small.code).toBe(0);
    expect(small.stderr).toBe('');
  });

  it('parseLengths bounds each length and the count', () => {
    expect(parseLengths('2..4,100000')).toEqual([2, 3, 4, 100000]);
    expect(() => parseLengths('100001')).toThrow(/too long/);
  });
});
