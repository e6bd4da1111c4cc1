// The tracking API in-process: what init() records, log/summary/finish, ids, explicit dirs and
// resume. (Process-level behaviour — signals, kills, crashes — is in track-process.test.ts.)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { build } from 'esbuild';
import { initBrowserRun } from '../src/track/browser.js';
import { FileStore, gitInfo, init, MemoryStore } from '../src/track/index.js';
import { VERSION } from '../src/version.js';
import { tmpRoot } from './track-fixtures.js';

const roots: string[] = [];
function root(): string {
  const r = tmpRoot();
  roots.push(r);
  return r;
}
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const hasGit = (() => {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function readJsonl(file: string): Array<Record<string, unknown>> {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

describe('init()', () => {
  it('records config, seed, versions, command line, host and status', async () => {
    const r = root();
    const config = { lr: 0.005, hidden_dim: 32, num_layers: 3, run_name: 'sota' };
    const run = await init({ project: 'recur', name: 'sota', config, seed: 1234, root: r, handleSignals: false, cwd: r });
    expect(run.dir).toBe(path.join(r, 'sota'));
    expect(path.isAbsolute(run.dir)).toBe(true);
    const meta = JSON.parse(fs.readFileSync(path.join(run.dir, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({
      id: 'sota', name: 'sota', project: 'recur', status: 'running', config, seed: 1234, recurVersion: VERSION,
      git: null, argv: process.argv.slice(1), node: process.version, host: os.hostname(), pid: process.pid,
      endedAt: null, summary: {},
    });
    expect(Date.parse(meta.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(meta.heartbeatAt).toBe(meta.startedAt);
    // The config is copied: later mutation by the caller does not leak in.
    config.lr = 1;
    run.setSummary({ x: 1 });
    expect(JSON.parse(fs.readFileSync(path.join(run.dir, 'meta.json'), 'utf8')).config.lr).toBe(0.005);
    await run.finish();
  });

  it('takes the seed from config.seed when not given', async () => {
    const run = await init({ name: 's', config: { seed: 7 }, root: root(), handleSignals: false });
    expect(run.getMeta().seed).toBe(7);
    await run.finish();
  });

  it('never overwrites a run: name, name-2, name-3', async () => {
    const r = root();
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await init({ name: 'baseline', root: r, handleSignals: false }));
    expect(runs.map((x) => path.basename(x.dir))).toEqual(['baseline', 'baseline-2', 'baseline-3']);
    for (const x of runs) await x.finish();
  });

  it('log() appends synchronously, auto-increments steps, keeps NaN', async () => {
    const run = await init({ name: 'log', root: root(), handleSignals: false });
    run.log({ 'Model Params': 746 }, 0);
    run.log({ loss: 2.3, current_lr: 0.001 }, 100);
    run.log({ loss: NaN });
    // Read before finish(): nothing is buffered.
    const rows = readJsonl(path.join(run.dir, 'metrics.jsonl'));
    expect(rows.map((r) => r.step)).toEqual([0, 100, 101]);
    expect(rows[1]).toMatchObject({ loss: 2.3, current_lr: 0.001 });
    expect(rows[2].loss).toBe('NaN');
    expect(typeof rows[0].t).toBe('number');
    expect(() => run.log({ loss: 'high' as unknown as number }, 5)).toThrow(/must be a number/);
    expect(() => run.log({ step: 1 }, 5)).toThrow(/reserved/);
    await run.finish();
  });

  it('setSummary merges; finish records status and end time once', async () => {
    const run = await init({ name: 'fin', root: root(), handleSignals: false });
    run.setSummary({ accuracy: 0.5 });
    run.setSummary({ best_accuracy: 0.6 });
    await run.finish('failed');
    await run.finish('finished'); // later calls do nothing
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    run.log({ loss: 1 }, 1); // ignored after finish, with a warning
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/log\(\) after finish\(\) is ignored/));
    warn.mockRestore();
    const meta = JSON.parse(fs.readFileSync(path.join(run.dir, 'meta.json'), 'utf8'));
    expect(meta.status).toBe('failed');
    expect(meta.summary).toEqual({ accuracy: 0.5, best_accuracy: 0.6 });
    expect(Date.parse(meta.endedAt)).toBeGreaterThanOrEqual(Date.parse(meta.startedAt));
    expect(fs.existsSync(path.join(run.dir, 'metrics.jsonl'))).toBe(false);
  });

  it('uses an explicit dir as the run directory and refuses to reuse one', async () => {
    const dir = path.join(root(), 'nested', 'my-run');
    const run = await init({ name: 'ignored', dir, handleSignals: false });
    expect(run.dir).toBe(dir);
    expect(run.id).toBe('my-run');
    await run.finish();
    await expect(init({ dir, handleSignals: false })).rejects.toThrow(/already exists/);
  });

  it('resume reopens the run: same log appended, status running again, resume recorded', async () => {
    const r = root();
    const run = await init({ name: 'res', config: { lr: 1 }, seed: 5, root: r, handleSignals: false });
    run.log({ loss: 1 }, 100);
    run.log({ loss: 0.9 }, 200);
    run.log({ loss: 0.85 }, 300);
    await run.finish('interrupted');
    // A torn line left by a kill must not swallow the first resumed row.
    fs.appendFileSync(path.join(run.dir, 'metrics.jsonl'), '{"step":400,"t":1,"lo');
    const again = await init({ resume: run.dir, handleSignals: false });
    expect(again.dir).toBe(run.dir);
    let meta = JSON.parse(fs.readFileSync(path.join(run.dir, 'meta.json'), 'utf8'));
    expect(meta.status).toBe('running');
    expect(meta.endedAt).toBeNull();
    expect(meta.seed).toBe(5);
    expect(meta.resumes).toHaveLength(1);
    // Resumed from a checkpoint at step 200: step 300 is logged again and replaces the old one.
    again.log({ loss: 0.8 }, 300);
    again.log({ loss: 0.7 }, 400);
    await again.finish();
    meta = JSON.parse(fs.readFileSync(path.join(run.dir, 'meta.json'), 'utf8'));
    expect(meta.status).toBe('finished');
    const { rows } = await new FileStore(r).readMetrics('res');
    expect(rows.map((x) => [x.step, x.loss])).toEqual([[100, 1], [200, 0.9], [300, 0.8], [400, 0.7]]);
    // Resume by id under the root works too.
    const third = await init({ resume: 'res', root: r, handleSignals: false });
    expect(third.dir).toBe(run.dir);
    await third.finish();
  });

  it('works with the memory store (browser) through the same API', async () => {
    const store = new MemoryStore();
    const run = await init({ name: 'mem', store, handleSignals: false });
    run.log({ loss: 1 }, 1);
    await run.finish();
    expect(run.dir).toBe('');
    expect((await store.readMetrics('mem')).rows).toHaveLength(1);
    expect((await store.readMeta('mem')).status).toBe('finished');
  });
});

describe('browser entry', () => {
  it('bundles for the browser without any Node module', async () => {
    const res = await build({
      entryPoints: [path.join(__dirname, '..', 'src', 'track', 'browser.ts')],
      bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent',
    });
    const code = res.outputFiles[0].text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](node:)?(fs|path|os|child_process)["']\)/);
  });

  it('records a run in a memory store', async () => {
    const store = new MemoryStore();
    const run = await initBrowserRun({ name: 'play', config: { seed: 3, lr: 0.01 }, store });
    run.log({ loss: 2 }, 10);
    await run.finish();
    const meta = await store.readMeta('play');
    expect(meta).toMatchObject({ seed: 3, status: 'finished', recurVersion: VERSION, git: null });
    expect((await store.readMetrics('play')).rows).toEqual([expect.objectContaining({ step: 10, loss: 2 })]);
  });
});

describe.skipIf(!hasGit)('git probe', () => {
  it('records commit and dirtiness, ignoring an untracked runs root inside the tree', async () => {
    const repo = root();
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, stdio: 'pipe' }).toString();
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'first');
    const head = git('rev-parse', 'HEAD').trim();
    fs.mkdirSync(path.join(repo, 'output', 'run1'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'output', 'run1', 'meta.json'), '{}');
    expect(await gitInfo(repo, path.join(repo, 'output'))).toEqual({ commit: head, dirty: false });
    fs.writeFileSync(path.join(repo, 'a.txt'), 'changed');
    expect(await gitInfo(repo, path.join(repo, 'output'))).toEqual({ commit: head, dirty: true });
    const run = await init({ name: 'g', root: path.join(repo, 'output'), cwd: repo, handleSignals: false });
    expect(run.getMeta().git).toEqual({ commit: head, dirty: true });
    await run.finish();
  });

  it('is null outside a repository', async () => {
    expect(await gitInfo(os.tmpdir())).toBeNull();
  });
});
