// The Redis path: `recur sweep --queue` enqueues trials in BullMQ, two `recur worker` processes run
// them, one is SIGKILLed mid-trial and its trial is retried by the other. Redis comes from
// RECUR_TEST_REDIS (.ci/run starts one); without it the test starts its own redis-server on a free
// loopback port, and skips only when the binary is absent.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, tmpDir } from './helpers/cli.js';

const REDIS_BIN = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => fs.existsSync(p)) ??
  (spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim() || null);
const haveRedis = Boolean(process.env.RECUR_TEST_REDIS) || REDIS_BIN !== null;
if (!haveRedis) console.warn('sweep-queue.test.ts: skipped — no RECUR_TEST_REDIS and no redis-server binary (apt-get install redis-server)');

const TINY = ['--hidden_dim', '8', '--embed_dim', '4', '--log_every', '50', '--eval_every', '50', '--save_every', '100'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), res(true)));
      c.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() - t0 > ms) throw new Error(`redis did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A CLI process; `waitForLine` resolves on the first stdout line matching. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const raw = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(raw);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const m = raw.match(waiters[i].re);
        if (m) waiters.splice(i, 1)[0].resolve(m);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const waitForLine = (re: RegExp, ms = 45_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      for (const l of lines) {
        const m = l.match(re);
        if (m) return resolve(m);
      }
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${lines.join('\n')}\n${err}`)), ms);
      waiters.push({ re, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  return { child, lines, exit, waitForLine, stderr: () => err };
}

describe.skipIf(!haveRedis)('recur sweep --queue with recur worker', () => {
  let url = process.env.RECUR_TEST_REDIS ?? '';
  let redis: ChildProcess | null = null;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    if (url) return;
    const port = await freePort();
    redis = spawn(REDIS_BIN!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPort(port);
    url = `redis://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    if (redis) {
      const r = redis;
      await new Promise((res) => (r.once('exit', res), r.kill('SIGTERM')));
    }
  });

  it('runs trials on two workers; a worker killed mid-trial has its trial retried by the other', async () => {
    const root = tmpDir('recur-queue-');
    const queueName = `recur-test-${process.pid}-${Date.now()}`;
    // Locks of 2 s: a dead worker's job is back in the queue within ~3 s.
    const worker = (name: string) =>
      start(['worker', '--queue', url, '--queue_name', queueName, '--concurrency', '1', '--save_dir', path.join(root, name), '--lock_ms', '2000', '--stalled_ms', '1000']);
    const a = worker('machineA');
    const b = worker('machineB');
    procs.push(a.child, b.child);
    await Promise.all([a.waitForLine(/^worker /), b.waitForLine(/^worker /)]);

    // Three trials of ~1-3 s each; the enqueuing process has its own save_dir (a third machine).
    const s = start(['sweep', '--grid', 'lr=0.001,0.002,0.003', '--seeds', '0', ...TINY, '--total_steps', '3000', '--test_samples', '200', '--test_per_length', '20', '--save_dir', path.join(root, 'head'), '--name', 'q', '--queue', url, '--queue_name', queueName, '--json']);
    procs.push(s.child);
    const [, victim] = await a.waitForLine(/^start q\/(\S+) → /);
    a.child.kill('SIGKILL');

    expect(await s.exit, s.stderr()).toBe(0);
    const ev = s.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const ends = ev.filter((e) => e.event === 'trial_end');
    expect(ends.map((e) => e.trial).sort()).toEqual(['lr-0.001_seed-0', 'lr-0.002_seed-0', 'lr-0.003_seed-0']);
    for (const e of ends) expect(e.status).toBe('finished');

    // Every trial (the victim included) was finished by worker B, in B's save_dir; the enqueuer
    // collected the results (accuracy, run dir, host) into its own sweep state.
    const st = JSON.parse(fs.readFileSync(path.join(root, 'head', 'q', 'sweep.json'), 'utf8'));
    for (const id of Object.keys(st.trials)) {
      const t = st.trials[id];
      expect(t.status).toBe('finished');
      expect(t.result.worker).toBe(`${os.hostname()}:${b.child.pid}`);
      expect(t.result.host).toBe(os.hostname());
      expect(t.runDir).toBe(path.join(root, 'machineB', 'q', id));
      expect(typeof t.result.test.accuracy).toBe('number');
      const meta = JSON.parse(fs.readFileSync(path.join(t.runDir, 'meta.json'), 'utf8'));
      expect(meta.status).toBe('finished');
      expect(meta.summary.test_accuracy).toBe(t.result.test.accuracy);
    }
    expect(st.trials[victim].attempts).toBeGreaterThanOrEqual(1);
    // The victim's first attempt on A stopped when its worker died (its process noticed the lost
    // parent, checkpointed and marked the run interrupted) instead of running on as an orphan.
    const aMeta = path.join(root, 'machineA', 'q', victim, 'meta.json');
    const t0 = Date.now();
    while (JSON.parse(fs.readFileSync(aMeta, 'utf8')).status === 'running' && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(fs.readFileSync(aMeta, 'utf8')).status).toBe('interrupted');
    // Nothing of the trials ran on the enqueuing machine.
    expect(fs.readdirSync(path.join(root, 'head', 'q')).filter((d) => d.startsWith('lr-'))).toEqual([]);
    expect(ev.at(-1)).toMatchObject({ event: 'summary', complete: true });

    b.child.kill('SIGINT');
    expect(await b.exit).toBe(0);
  });
});
