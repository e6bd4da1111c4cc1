// Tracking across real processes: concurrent writers, a writer killed with SIGKILL, Ctrl-C with
// and without the trainer's own handler, uncaught exceptions, exiting without finish().
// The child script is bundled with esbuild from src/track and run with plain node.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { register as registerRuns } from '../src/cli/runs.js';
import { FileStore } from '../src/track/file-store.js';
import { startDashboard } from '../src/track/server.js';
import { tmpRoot } from './track-fixtures.js';

const REPO = path.resolve(__dirname, '..');
let dir: string;
let script: string;

const CHILD = `
import { init, finishAllRunsSync } from './src/track/index.ts';
const [mode, root, name, arg] = process.argv.slice(2);
const say = (s) => process.stdout.write(s + '\\n');

if (mode === 'concurrent') {
  // Several runs with the same name, rows tagged with this worker's id.
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await init({ name, root, config: { worker: arg } }));
  for (let s = 1; s <= 200; s++) {
    for (const r of runs) r.log({ worker: Number(arg), seq: s }, s);
    if (s % 50 === 0) await new Promise((res) => setTimeout(res, 1));
  }
  for (const r of runs) await r.finish();
  say('done ' + runs.map((r) => r.id).join(','));
} else {
  const run = await init({ name, root, config: { mode }, seed: 42 });
  if (mode === 'kill') {
    // Log as fast as possible, reporting each step after log() returned, until killed.
    let s = 0;
    const burst = () => {
      for (let i = 0; i < 50; i++) { run.log({ loss: 1 / (s + 1) }, s); say('logged ' + s); s++; }
      setImmediate(burst);
    };
    burst();
  } else if (mode === 'sigint-default') {
    for (let s = 0; s < 10; s++) run.log({ loss: 1 }, s);
    say('ready');
    setInterval(() => {}, 1000);
  } else if (mode === 'sigint-trainer') {
    let stop = false;
    process.prependListener('SIGINT', () => { stop = true; });
    say('ready');
    let s = 0;
    while (!stop) { run.log({ loss: 1 }, s++); await new Promise((r) => setTimeout(r, 5)); }
    run.setSummary({ stopped_at: s });
    await run.finish();   // no explicit status: the SIGINT makes it 'interrupted'
    say('stopped');
  } else if (mode === 'trainer-calls-finish-all') {
    process.on('SIGTERM', () => { finishAllRunsSync('interrupted'); say('cleaned'); process.exit(143); });
    say('ready');
    setInterval(() => {}, 1000);
  } else if (mode === 'crash') {
    run.log({ loss: 1 }, 0);
    setTimeout(() => { throw new Error('boom in training'); }, 10);
  } else if (mode === 'no-finish') {
    run.log({ loss: 1 }, 0);
  } else if (mode === 'no-finish-exit2') {
    run.log({ loss: 1 }, 0);
    process.exitCode = 2;
  }
}
`;

beforeAll(async () => {
  dir = tmpRoot('recur-track-proc-');
  script = path.join(dir, 'child.mjs');
  await build({
    stdin: { contents: CHILD, resolveDir: REPO, loader: 'ts', sourcefile: 'child.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: script,
    logLevel: 'error',
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Child {
  proc: ChildProcess;
  lines: string[];
  waitFor(re: RegExp): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function child(...args: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<[RegExp, (l: string) => void]> = [];
  let buf = '';
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  proc.stdout!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w[0].test(line)) (waiters.splice(waiters.indexOf(w), 1), w[1](line));
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  return {
    proc,
    lines,
    exit: exit.then((r) => (r.code && r.code !== 1 && r.code !== 2 && r.code !== 143 ? Promise.reject(new Error(stderr)) : r)),
    waitFor: (re) =>
      new Promise((res, rej) => {
        const hit = lines.find((l) => re.test(l));
        if (hit) return res(hit);
        waiters.push([re, res]);
        exit.then(() => setTimeout(() => rej(new Error(`child exited before ${re}; stderr: ${stderr}`)), 50));
      }),
  };
}

async function meta(root: string, id: string) {
  return JSON.parse(fs.readFileSync(path.join(root, id, 'meta.json'), 'utf8'));
}

describe('tracking across processes', () => {
  it('concurrent writers get distinct runs and none of their rows mix', async () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    const kids = Array.from({ length: 4 }, (_, w) => child('concurrent', root, 'shared', String(w)));
    const done = await Promise.all(kids.map((k) => k.waitFor(/^done /)));
    await Promise.all(kids.map((k) => k.exit));
    const ids = done.flatMap((l) => l.slice(5).split(','));
    expect(new Set(ids).size).toBe(12);
    const store = new FileStore(root);
    const list = await store.listRuns();
    expect(list.map((e) => e.id).sort()).toEqual(['shared', ...Array.from({ length: 11 }, (_, i) => `shared-${i + 2}`)].sort());
    for (const e of list) {
      expect(e.status).toBe('finished');
      const { rows, corruptLines } = await store.readMetrics(e.id);
      expect(corruptLines).toBe(0);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(new Set(rows.map((r) => r.worker))).toEqual(new Set([Number(e.meta!.config.worker)]));
    }
  });

  it('a SIGKILLed writer leaves an interrupted run with every row logged before the kill', async () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    const k = child('kill', root, 'killed');
    await k.waitFor(/^logged 3000$/);
    k.proc.kill('SIGKILL');
    const { signal } = await k.exit;
    expect(signal).toBe('SIGKILL');
    // The last step the child reported after log() returned, before it died.
    const reported = Math.max(...k.lines.filter((l) => l.startsWith('logged ')).map((l) => Number(l.slice(7))));
    const store = new FileStore(root);
    const [entry] = await store.listRuns();
    expect(entry.id).toBe('killed');
    expect(entry.meta!.status).toBe('running'); // nothing could record the kill...
    expect(entry.status).toBe('interrupted'); // ...readers see the dead pid
    const { rows, corruptLines } = await store.readMetrics('killed');
    expect(corruptLines).toBe(0);
    expect(rows.length).toBeGreaterThanOrEqual(reported + 1);
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: rows.length }, (_, i) => i));

    // The dashboard's API says so...
    const srv = await startDashboard({ root, playDir: null });
    try {
      const api = await (await fetch(new URL('api/runs', srv.url))).json();
      expect(api.runs.map((r: { id: string; status: string; rows: number }) => [r.id, r.status, r.rows])).toEqual([['killed', 'interrupted', rows.length]]);
    } finally {
      await srv.close();
    }
    // ...and `recur runs` too.
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(String(s)));
    try {
      const program = new Command('recur').exitOverride();
      registerRuns(program);
      await program.parseAsync(['runs', '--root', root], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    const line = out.join('\n').split('\n').find((l) => l.startsWith('killed'));
    expect(line).toMatch(/^killed\s+interrupted\s+42\s+\d+/);
    expect(line).toContain(String(rows.length - 1));
  });

  it('Ctrl-C without a handler of the trainer: interrupted, and the process dies by SIGINT', async () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    const k = child('sigint-default', root, 'ctrlc');
    await k.waitFor(/^ready$/);
    k.proc.kill('SIGINT');
    expect((await k.exit).signal).toBe('SIGINT');
    const m = await meta(root, 'ctrlc');
    expect(m.status).toBe('interrupted');
    expect(m.endedAt).not.toBeNull();
    expect((await new FileStore(root).readMetrics('ctrlc')).rows).toHaveLength(10);
  });

  it("Ctrl-C handled by the trainer: the library leaves the process alone, finish() records 'interrupted'", async () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    const k = child('sigint-trainer', root, 'graceful');
    await k.waitFor(/^ready$/);
    await new Promise((r) => setTimeout(r, 100));
    k.proc.kill('SIGINT');
    await k.waitFor(/^stopped$/);
    const { code, signal } = await k.exit;
    expect([code, signal]).toEqual([0, null]);
    const m = await meta(root, 'graceful');
    expect(m.status).toBe('interrupted');
    expect(m.summary.stopped_at).toBeGreaterThan(0);
  });

  it('a trainer handler can close every run with finishAllRunsSync', async () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    const k = child('trainer-calls-finish-all', root, 'term');
    await k.waitFor(/^ready$/);
    k.proc.kill('SIGTERM');
    expect((await k.exit).code).toBe(143);
    expect(k.lines).toContain('cleaned');
    expect((await meta(root, 'term')).status).toBe('interrupted');
  });

  it('an uncaught exception marks the run failed, with the message, and still crashes', async () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    const k = child('crash', root, 'crashy');
    expect((await k.exit).code).toBe(1);
    const m = await meta(root, 'crashy');
    expect(m.status).toBe('failed');
    expect(m.error).toMatch(/boom in training/);
  });

  it('exiting without finish(): finished on exit code 0, failed otherwise', async () => {
    const root = fs.mkdtempSync(path.join(dir, 'root-'));
    expect((await child('no-finish', root, 'ok').exit).code).toBe(0);
    expect((await meta(root, 'ok')).status).toBe('finished');
    expect((await child('no-finish-exit2', root, 'bad').exit).code).toBe(2);
    expect((await meta(root, 'bad')).status).toBe('failed');
  });
});
