// `recur sweep` and `recur reproduce` through the built CLI with the local pool: a spec-file sweep,
// Ctrl-C and resume (finished trials are not re-run), crashing trials, the article's study.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, isOneLineError, recur, tmpDir } from './helpers/cli.js';

const TINY = ['--hidden_dim', '8', '--embed_dim', '4', '--log_every', '50', '--eval_every', '50', '--save_every', '100'];
const TINY_TEST = ['--test_samples', '200', '--test_per_length', '20'];

type Line = Record<string, any>;

function jsonLines(stdout: string): Line[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

function readJson(file: string): Line {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Runs the CLI in the background; `waitFor` resolves on the first JSON line matching. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let buf = '';
  let err = '';
  const waiters: Array<{ pred: (l: Line) => boolean; resolve: (l: Line) => void }> = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const raw = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!raw.startsWith('{')) continue;
      const l = JSON.parse(raw) as Line;
      lines.push(l);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].pred(l)) waiters.splice(i, 1)[0].resolve(l);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const waitFor = (pred: (l: Line) => boolean, ms = 45_000) =>
    new Promise<Line>((resolve, reject) => {
      const hit = lines.find(pred);
      if (hit) return resolve(hit);
      const t = setTimeout(() => reject(new Error(`timed out; output:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${err}`)), ms);
      waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  return { child, lines, exit, waitFor, stderr: () => err };
}

async function waitForFile(file: string, ms = 30_000): Promise<Line> {
  const t0 = Date.now();
  for (;;) {
    try {
      return readJson(file);
    } catch {
      if (Date.now() - t0 > ms) throw new Error(`${file} did not appear`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }
}

describe('recur sweep', () => {
  it('runs a spec file (YAML) × seeds as tracked runs in parallel and summarises per setting', () => {
    const root = tmpDir('recur-sweep-');
    const spec = path.join(root, 'spec.yaml');
    fs.writeFileSync(spec, `name: tiny\nbase:\n  hidden_dim: 8\n  embed_dim: 4\n  total_steps: 100\n  log_every: 50\n  eval_every: 50\ngrid:\n  lr: [0.001, 0.02]\nseeds: 0-5\n`);
    // --seeds on the command line replaces the spec's.
    const r = recur(['sweep', '--spec', spec, '--seeds', '0,1', '--workers', '2', ...TINY_TEST, '--save_dir', root, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const ev = jsonLines(r.stdout);
    expect(ev[0]).toMatchObject({ event: 'plan', sweep: 'tiny', trials: 4, settings: 2, seeds: 2, todo: 4 });
    const ends = ev.filter((e) => e.event === 'trial_end');
    expect(ends.map((e) => e.trial).sort()).toEqual(['lr-0.001_seed-0', 'lr-0.001_seed-1', 'lr-0.02_seed-0', 'lr-0.02_seed-1']);
    for (const e of ends) expect(e.status).toBe('finished');

    const dir = path.join(root, 'tiny');
    // Every trial is a normal tracked run with its own seed and settings and the test scores.
    for (const e of ends) {
      const runDir = path.join(dir, e.trial);
      expect(e.run_dir).toBe(runDir);
      const meta = readJson(path.join(runDir, 'meta.json'));
      const cfg = readJson(path.join(runDir, 'config.json'));
      expect(meta.status).toBe('finished');
      expect(cfg.seed).toBe(Number(e.trial.slice(-1)));
      expect(cfg.lr).toBe(e.trial.startsWith('lr-0.001') ? 0.001 : 0.02);
      expect(cfg.hidden_dim).toBe(8);
      expect(meta.summary.test_accuracy).toBe(e.test_accuracy);
      expect(meta.summary.test_samples).toBe(200);
      expect(Object.keys(meta.summary)).toEqual(expect.arrayContaining(['test_accuracy_len10', 'test_accuracy_len20', 'test_accuracy_len50', 'converged']));
      expect(fs.existsSync(path.join(runDir, 'checkpoints', 'step-000100', 'model.safetensors'))).toBe(true);
    }
    // Different seeds are different runs (no shared RNG state): their weights differ.
    const w0 = fs.readFileSync(path.join(dir, 'lr-0.001_seed-0', 'checkpoints', 'step-000100', 'model.safetensors'));
    const w1 = fs.readFileSync(path.join(dir, 'lr-0.001_seed-1', 'checkpoints', 'step-000100', 'model.safetensors'));
    expect(w0.equals(w1)).toBe(false);

    // The summary: printed (JSON), and saved as JSON and Markdown next to the HTML report.
    const sum = ev.at(-1)!;
    expect(sum.event).toBe('summary');
    expect(sum.complete).toBe(true);
    expect(sum.rows.map((x: Line) => [x.setting, x.n, x.finished])).toEqual([['lr=0.001', 2, 2], ['lr=0.02', 2, 2]]);
    const accs = ends.filter((e) => e.trial.startsWith('lr-0.02')).map((e) => e.test_accuracy);
    expect(sum.rows[1].accuracy.mean).toBeCloseTo((accs[0] + accs[1]) / 2, 12);
    expect(sum.rows[1].accuracy.min).toBe(Math.min(...accs));
    const saved = readJson(path.join(dir, 'summary.json'));
    expect(saved.summary).toEqual(sum.rows);
    expect(saved.trials).toHaveLength(4);
    const md = fs.readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/\| lr=0\.02 \| 2\/2 \| /);
    // The command that repeats it (spec file and command line merged), and each trial's accuracy per test length.
    expect(md).toContain("Command: `recur sweep --hidden_dim 8 --embed_dim 4 --total_steps 100 --log_every 50 --eval_every 50 --grid 'lr=0.001,0.02' --seeds 0-1 --test_samples 200 --test_per_length 20 --name tiny`");
    expect(md).toContain('| trial | status | test acc | len 10 | len 20 | len 50 | step→90% | host | run |');
    const t0 = saved.trials.find((x: Line) => x.id === 'lr-0.02_seed-0');
    const len50 = t0.by_length.find((b: Line) => b.length === 50).accuracy as number;
    expect(md).toMatch(new RegExp(`^\\| lr-0\\.02_seed-0 \\| finished \\| ${t0.test_accuracy.toFixed(3)} \\| [0-9.]+ \\| [0-9.]+ \\| ${len50.toFixed(3)} \\| `, 'm'));
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('lr=0.001 (2)');
    // The sweep itself is a run in the tracker at <save_dir>, with the table as its summary.
    const runs = JSON.parse(recur(['runs', '--root', root, '--json']).stdout) as Line[];
    const sweepRun = runs.find((x) => x.id === 'tiny')!;
    expect(sweepRun.status).toBe('finished');
    expect(sweepRun.meta.summary['lr=0.02 | acc mean']).toBeCloseTo(sum.rows[1].accuracy.mean, 12);
    expect(sweepRun.meta.config.grid).toEqual({ lr: [0.001, 0.02] });

    // Re-run on one of the seeds: nothing to train, and the summary speaks of that seed only.
    const again = recur(['sweep', '--spec', spec, '--seeds', '0', ...TINY_TEST, '--save_dir', root, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ trials: 2, done: 2, todo: 0 });
    expect(readJson(path.join(dir, 'summary.json')).trials.map((x: Line) => x.id)).toEqual(['lr-0.001_seed-0', 'lr-0.02_seed-0']);
    const md1 = fs.readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md1).toContain('--seeds 0 ');
    expect(md1).not.toContain('seed-1');
  });

  it('stops cleanly on Ctrl-C and resumes on re-run: finished trials are not re-run, the interrupted one continues from its checkpoint', async () => {
    const root = tmpDir('recur-sweep-');
    const args = ['sweep', '--grid', 'lr=0.001,0.002,0.003', '--seeds', '0', '--workers', '1', ...TINY, '--total_steps', '2000', ...TINY_TEST, '--save_dir', root, '--name', 'r', '--json'];
    const p = start(args);
    await p.waitFor((l) => l.event === 'trial_end' && l.trial === 'lr-0.001_seed-0');
    await p.waitFor((l) => l.event === 'trial_start' && l.trial === 'lr-0.002_seed-0');
    p.child.kill('SIGINT');
    expect(await p.exit, p.stderr()).toBe(130);
    const dir = path.join(root, 'r');
    const st = readJson(path.join(dir, 'sweep.json'));
    expect(Object.values(st.trials).map((t: any) => [t.id, t.status])).toEqual([
      ['lr-0.001_seed-0', 'finished'],
      ['lr-0.002_seed-0', 'interrupted'],
      ['lr-0.003_seed-0', 'pending'],
    ]);
    const firstMeta = fs.readFileSync(path.join(dir, 'lr-0.001_seed-0', 'meta.json'), 'utf8');
    const stoppedAt = readJson(path.join(dir, 'lr-0.002_seed-0', 'meta.json'));
    expect(stoppedAt.status).toBe('interrupted');
    expect(readJson(path.join(dir, 'meta.json')).status).toBe('interrupted'); // the sweep's run

    const r = recur(args);
    expect(r.code, r.stderr).toBe(0);
    const ev = jsonLines(r.stdout);
    expect(ev[0]).toMatchObject({ event: 'plan', done: 1, todo: 2 });
    const starts = ev.filter((e) => e.event === 'trial_start');
    expect(starts.map((e) => e.trial)).toEqual(['lr-0.002_seed-0', 'lr-0.003_seed-0']);
    expect(starts[0].resumed).toBe(true);
    expect(starts[0].step).toBeGreaterThan(0);
    expect(starts[0].step).toBeLessThan(2000);
    expect(starts[1].resumed).toBe(false);
    // The finished trial was not touched; the interrupted run was continued in place.
    expect(fs.readFileSync(path.join(dir, 'lr-0.001_seed-0', 'meta.json'), 'utf8')).toBe(firstMeta);
    const resumed = readJson(path.join(dir, 'lr-0.002_seed-0', 'meta.json'));
    expect(resumed.status).toBe('finished');
    expect(resumed.startedAt).toBe(stoppedAt.startedAt);
    expect(resumed.resumes).toHaveLength(1);
    expect(fs.readdirSync(dir).filter((d) => /-2$/.test(d))).toEqual([]);
    expect(ev.at(-1)).toMatchObject({ event: 'summary', complete: true });
    // A third run has nothing to do.
    const again = jsonLines(recur(args).stdout);
    expect(again[0]).toMatchObject({ done: 3, todo: 0 });
    expect(again.filter((e) => e.event === 'trial_start')).toEqual([]);
  });

  it('a sweep grown by more seeds runs only the new ones and lists all in seed order', () => {
    const root = tmpDir('recur-sweep-');
    const args = (seeds: string) => ['sweep', '--seeds', seeds, ...TINY, '--total_steps', '20', ...TINY_TEST, '--save_dir', root, '--name', 'g', '--json'];
    expect(recur(args('3')).code).toBe(0);
    const r = recur(args('1-3'));
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ trials: 3, done: 1, todo: 2 });
    expect(readJson(path.join(root, 'g', 'summary.json')).trials.map((x: Line) => x.id)).toEqual(['seed-1', 'seed-2', 'seed-3']);
  });

  it('records crashing trials as failed and finishes the others', async () => {
    const root = tmpDir('recur-sweep-');
    // init_from=/missing throws inside training; the 40,000-step trial's process is SIGKILLed.
    const p = start(['sweep', '--grid', 'init_from=none,/missing.safetensors', '--grid', 'total_steps=100,40000', '--seeds', '0', '--workers', '2', ...TINY, ...TINY_TEST, '--save_dir', root, '--name', 'c', '--json']);
    const victim = path.join(root, 'c', 'init_from-none_total_steps-40000_seed-0', 'meta.json');
    const meta = await waitForFile(victim);
    process.kill(meta.pid, 'SIGKILL');
    expect(await p.exit, p.stderr()).toBe(0);
    const ends = Object.fromEntries(p.lines.filter((l) => l.event === 'trial_end').map((l) => [l.trial, l]));
    expect(ends['init_from-none_total_steps-100_seed-0'].status).toBe('finished');
    expect(ends['init_from-none_total_steps-40000_seed-0']).toMatchObject({ status: 'failed', message: expect.stringMatching(/killed by SIGKILL/) });
    expect(ends['init_from-_missing.safetensors_total_steps-100_seed-0']).toMatchObject({ status: 'failed', message: expect.stringMatching(/missing\.safetensors/) });
    expect(ends['init_from-_missing.safetensors_total_steps-40000_seed-0'].status).toBe('failed');
    const sum = p.lines.at(-1)!;
    expect(sum.complete).toBe(true);
    expect(sum.rows.map((x: Line) => [x.setting, x.finished, x.failed])).toEqual([
      ['init_from=none total_steps=100', 1, 0],
      ['init_from=none total_steps=40000', 0, 1],
      ['init_from=/missing.safetensors total_steps=100', 0, 1],
      ['init_from=/missing.safetensors total_steps=40000', 0, 1],
    ]);
    const st = readJson(path.join(root, 'c', 'sweep.json'));
    expect(st.trials['init_from-none_total_steps-40000_seed-0'].status).toBe('failed');
  });

  it('refuses bad input with one-line errors', () => {
    const root = tmpDir('recur-sweep-');
    for (const [args, msg] of [
      [['--grid', 'lr=fast'], /--lr expects a number, got 'fast'/],
      [['--seed', '3'], /use --seeds/],
      [['--grid', 'lr=0.1', '--grid', 'lr=0.2'], /given twice/],
      [['--name', '../x'], /sweep name/],
      [['--spec', path.join(root, 'nope.yaml')], /cannot read --spec/],
      [['--workers', '0'], /--workers must be ≥ 1, got 0/],
    ] as Array<[string[], RegExp]>) {
      const r = recur(['sweep', ...args, '--save_dir', root]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(isOneLineError(r.stderr)).toBe(true);
    }
    // Re-using a sweep name with other settings is refused, naming what changed.
    const a = ['sweep', '--seeds', '0', ...TINY, '--total_steps', '20', ...TINY_TEST, '--save_dir', root, '--name', 's'];
    expect(recur(a).code).toBe(0);
    const r = recur([...a.slice(0, -4), '--total_steps', '30', '--save_dir', root, '--name', 's']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already has trial seed-0 with other settings \(total_steps: 20 → 30\)/);
  });
});

describe('recur reproduce', () => {
  it("runs the article's experiments as a sweep and prints the table", () => {
    const root = tmpDir('recur-repro-');
    const r = recur(['reproduce', '--experiments', 'baseline,sota_warmup', '--seeds', '1', '--steps', '60', '--test_samples', '100', '--test_per_length', '10', '--workers', '2', '--save_dir', root]);
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(root, 'reproduce-60');
    expect(fs.readdirSync(dir).filter((d) => d.endsWith('_seed-0')).sort()).toEqual(['baseline_seed-0', 'sota_warmup_seed-0']);
    const cfg = readJson(path.join(dir, 'sota_warmup_seed-0', 'config.json'));
    expect(cfg).toMatchObject({ hidden_dim: 32, num_layers: 3, batch_size: 64, lr: 0.005, total_steps: 60, warmup_step: 6, seed: 0 });
    // The table: a row per experiment with the convergence count and the length columns.
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('setting'))!;
    expect(header).toMatch(/acc mean\s+min\s+max\s+≥95%\s+step→90% \(median\)\s+len 10\s+len 20\s+len 50/);
    expect(lines.some((l) => /^baseline\s+1\/1\s+\d\.\d{3}/.test(l))).toBe(true);
    expect(lines.some((l) => /^sota_warmup\s+1\/1\s+\d\.\d{3}/.test(l))).toBe(true);
    const saved = readJson(path.join(dir, 'summary.json'));
    expect(saved.test).toMatchObject({ samples: 100, seed: 1234, lengths: [10, 20, 50], threshold: 0.95 });
    expect(saved.summary.map((x: Line) => x.setting)).toEqual(['baseline', 'sota_warmup']);
    expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/^\| sota_warmup \| 1\/1 \|/m);
    // its command in summary.md names the test set as the sweep does
    expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/recur reproduce --experiments baseline,sota_warmup --seeds 0 --steps 60 --test_samples 100 --test_per_length 10 --name reproduce-60/);
    // The flags' older names still work (the same study: everything is already done), not both at once.
    const old = recur(['reproduce', '--experiments', 'baseline,sota_warmup', '--seeds', '1', '--steps', '60', '--eval_samples', '100', '--per_length', '10', '--save_dir', root]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toMatch(/2\/2 trials finished/);
    expect(old.stderr).toMatch(/^recur: --eval_samples is deprecated; use --test_samples$/m);
    expect(old.stderr).toMatch(/^recur: --per_length is deprecated; use --test_per_length$/m);
    const both = recur(['reproduce', '--eval_samples', '100', '--test_samples', '200', '--save_dir', root]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--eval_samples is the old name of --test_samples: give one of them/);
    expect(isOneLineError(both.stderr)).toBe(true);
    const help = recur(['reproduce', '--help']).stdout;
    expect(help).toMatch(/--test_samples <n>/);
    expect(help).not.toMatch(/--eval_samples/);
  });
});
