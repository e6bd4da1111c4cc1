// `recur runs`, `recur runs show`, `recur runs compare`, `recur report` and `recur dashboard`
// against a fixture runs root.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { register as registerDashboard } from '../src/cli/dashboard.js';
import { CliError } from '../src/cli/errors.js';
import { register as registerReport } from '../src/cli/report.js';
import { register as registerRuns } from '../src/cli/runs.js';
import { tmpRoot, writeArticleFixture } from './track-fixtures.js';

const REPO = path.resolve(__dirname, '..');
let base: string;
let root: string;

beforeAll(async () => {
  base = tmpRoot('recur-track-cli-');
  root = path.join(base, 'output');
  await writeArticleFixture(root, 1000);
  fs.mkdirSync(path.join(root, 'broken'));
  fs.writeFileSync(path.join(root, 'broken', 'meta.json'), 'garbage');
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    const program = new Command('recur').exitOverride();
    registerRuns(program);
    registerReport(program);
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out.join('\n');
}

describe('recur runs', () => {
  it('lists every run with status, seed, accuracy, loss, duration and varying config', async () => {
    const out = (await cli('runs', '--root', root)).split('\n');
    expect(out[0]).toMatch(/^NAME\s+STATUS\s+SEED\s+STEPS\s+BEST ACC\s+FINAL LOSS\s+DURATION\s+CONFIG$/);
    expect(out).toHaveLength(1 + 9);
    const w2 = out.find((l) => l.startsWith('sota_warmup-2 '))!;
    expect(w2).toMatch(/^sota_warmup-2\s+finished\s+1\s+1000\s/);
    expect(w2).toContain('batch_size=64');
    const wide = (await cli('runs', '--root', root, '--wide')).split('\n');
    expect(wide[0]).toMatch(/^NAME\s+STATUS\s+SEED\s+STEPS\s+ROWS\s+BEST ACC\s+LAST ACC\s+FINAL LOSS\s+PARAMS\s+DURATION\s+STARTED\s+CONFIG$/);
    expect(wide.find((l) => l.startsWith('sota_warmup-2 '))).toContain('warmup_step=200');
    expect(out.find((l) => l.startsWith('broken '))).toMatch(/corrupt.*meta\.json/);
    const json = JSON.parse(await cli('runs', '--root', root, '--json'));
    expect(json).toHaveLength(9);
    expect(await cli('runs', '--root', root, '--status', 'corrupt')).toMatch(/^NAME.*\nbroken /);
  });

  it('shows one run: record, config, final metrics', async () => {
    const out = await cli('runs', 'show', 'sota_warmup-3', '--root', root);
    expect(out).toMatch(/^run\s+sota_warmup-3 \(name sota_warmup\)/m);
    expect(out).toMatch(/^seed\s+2$/m);
    expect(out).toMatch(/^git\s+0123456789abcdef/m);
    expect(out).toMatch(/^config\n/m);
    expect(out).toMatch(/^\s+warmup_step\s+200$/m);
    expect(out).toMatch(/^\s+loss\s+[\d.]+\s+1000\s/m);
    expect(out).toMatch(/^\s+accuracy\s+[\d.]+\s+1000\s/m);
    // A run directory path works too.
    expect(await cli('runs', 'show', path.join(root, 'baseline'))).toMatch(/^run\s+baseline$/m);
  });

  it('compares runs: config differences and final metrics side by side', async () => {
    const out = await cli('runs', 'compare', 'baseline', 'large_batch', '--root', root);
    const lines = out.split('\n');
    expect(lines[0]).toBe('config differences');
    expect(lines[1]).toMatch(/^\s+key\s+baseline\s+large_batch$/);
    const keys = lines.slice(2, lines.indexOf('')).map((l) => l.trim().split(/\s+/)[0]);
    expect(keys).toEqual(['batch_size', 'run_name', 'command']);
    expect(out).toMatch(/batch_size\s+16\s+64/);
    expect(out).toMatch(/final metrics\n/);
    expect(out).toMatch(/best accuracy\s+[\d.]+\s+[\d.]+/);
    expect(await cli('runs', 'compare', 'baseline', 'large_batch', '--all', '--root', root)).toMatch(/hidden_dim\s+16\s+16/);
  });

  it('gives one-line user errors for unknown and ambiguous runs and a missing root', async () => {
    await expect(cli('runs', 'show', 'nope', '--root', root)).rejects.toThrow(CliError);
    await expect(cli('runs', 'show', 'sota_warmup-9', '--root', root)).rejects.toThrow(/no run 'sota_warmup-9'/);
    await expect(cli('runs', 'show', 'sota_w*', '--root', root)).rejects.toThrow(/matches 3 runs/);
    await expect(cli('runs', '--root', path.join(base, 'missing'))).rejects.toThrow(/does not exist/);
  });
});

describe('recur report', () => {
  it('writes a self-contained HTML report of the chosen runs', async () => {
    const out = path.join(base, 'r', 'report.html');
    const msg = await cli('report', 'baseline', 'sota_warmup*', '--root', root, '--out', out, '--smoothing', '0.6');
    expect(msg).toMatch(/wrote .*report\.html \(4 runs\)/);
    const html = fs.readFileSync(out, 'utf8');
    for (const id of ['baseline', 'sota_warmup', 'sota_warmup-2', 'sota_warmup-3']) expect(html).toContain(`>${id}</th>`);
    expect(html.match(/<svg /g)).toHaveLength(4); // loss, accuracy, current_lr, Model Params
    expect(html).not.toContain('<script');
    await expect(cli('report', 'zzz', '--root', root, '--out', out)).rejects.toThrow(/no run 'zzz'/);
    await expect(cli('report', 'baseline', '--root', root, '--smoothing', '1.5')).rejects.toThrow(/smoothing/);
  });
});

describe('recur dashboard', () => {
  it('serves on a free loopback port, prints the URL, stops on Ctrl-C', async () => {
    const entry = path.join(base, 'dash.mjs');
    await build({
      stdin: {
        contents: `import { Command } from 'commander'; import { register } from './src/cli/dashboard.ts';
          const p = new Command('recur'); register(p); await p.parseAsync(process.argv.slice(2), { from: 'user' });`,
        resolveDir: REPO, loader: 'ts',
      },
      bundle: true, platform: 'node', format: 'esm', outfile: entry, logLevel: 'error', packages: 'external',
    });
    // Bundled from a temp dir, node_modules is not next to it: link it.
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(base, 'node_modules'));
    const proc = spawn(process.execPath, [entry, 'dashboard', '--port', '0', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const url = await new Promise<string>((res, rej) => {
      proc.stdout.on('data', () => {
        const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) res(m[0]);
      });
      proc.on('exit', () => rej(new Error('exited early: ' + out)));
    });
    const runs = (await (await fetch(new URL('api/runs', url))).json()).runs;
    expect(runs).toHaveLength(9);
    proc.kill('SIGINT');
    const code = await new Promise((res) => proc.on('exit', (c) => res(c)));
    expect(code).toBe(0);
    expect(out).toContain(`runs root ${root}`);
    // Registered options.
    const program = new Command('recur');
    registerDashboard(program);
    const dash = program.commands.find((c) => c.name() === 'dashboard')!;
    expect(dash.options.map((o) => o.long)).toEqual(['--save_dir', '--port', '--host', '--root']);
    expect(dash.options.find((o) => o.long === '--root')!.hidden).toBe(true);
  });
});
