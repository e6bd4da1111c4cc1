// A trainer launched through npx stops when npx is killed (SIGKILL or SIGTERM), ending its run as
// `interrupted` with its metrics; one started on its own or detached (setsid) keeps running.
// npx is played by a small node script that, like `npm exec`, runs the command through `sh -c`
// with npm_command=exec in its environment.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, tmpDir } from './helpers/cli.js';

const LONG = ['--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '10000000', '--log_every', '50', '--eval_every', '1000000', '--save_every', '1000000'];

const WRAPPER = `
import { spawn } from 'node:child_process';
const [mode, ...args] = process.argv.slice(2);
const env = { ...process.env };
delete env.npm_command;
delete env.npm_lifecycle_event;
if (mode !== 'plain') env.npm_command = 'exec';
const c = spawn('sh', ['-c', '"$0" "$@"', process.execPath, ...args], { stdio: 'inherit', env, detached: mode === 'setsid' });
c.on('exit', (code) => process.exit(code ?? 1));
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const readJson = (f: string) => {
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch {
    return undefined;
  }
};

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/** Starts `wrapper mode → sh -c → recur train`; resolves once the trainer has logged a loss. */
async function launch(mode: 'npx' | 'plain' | 'setsid') {
  const dir = tmpDir('recur-launch-');
  const script = path.join(dir, 'npx-stand-in.mjs');
  fs.writeFileSync(script, WRAPPER);
  const runDir = path.join(dir, 'out', 'orphan');
  const wrapper: ChildProcess = spawn(process.execPath, [script, mode, BIN, 'train', ...LONG, '--save_dir', path.join(dir, 'out'), '--run_name', 'orphan'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  wrapper.stderr!.on('data', (d) => (err += d));
  wrapper.stdout!.resume();
  started.push(wrapper.pid!);
  const meta = await until(() => readJson(path.join(runDir, 'meta.json')), 60_000, 'meta.json');
  const trainer = meta.pid as number;
  started.push(trainer);
  await until(() => fs.existsSync(path.join(runDir, 'metrics.jsonl')) && fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').includes('"loss"'), 60_000, 'a logged loss');
  return { wrapper, trainer, runDir, stderr: () => err };
}

describe('a trainer launched through npx', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`stops within about a second when npx gets ${signal}, and its run ends interrupted with its metrics`, async () => {
      const { wrapper, trainer, runDir } = await launch('npx');
      process.kill(wrapper.pid!, signal);
      const t0 = Date.now();
      // ~1 s: a 200 ms poll, at most 64 short steps, a checkpoint; the bound allows for a loaded machine.
      await until(() => !alive(trainer), 5_000, 'the trainer to exit');
      const took = Date.now() - t0;
      expect(took).toBeLessThan(2_500);
      const meta = readJson(path.join(runDir, 'meta.json'));
      expect(meta.status).toBe('interrupted');
      expect(meta.endedAt).not.toBeNull();
      const rows = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const losses = rows.filter((r) => 'loss' in r);
      expect(losses.length).toBeGreaterThan(0);
      // the stop saved a checkpoint at the last step reached
      const last = meta.summary.steps as number;
      expect(last).toBeGreaterThanOrEqual(losses[losses.length - 1].step);
      expect(fs.existsSync(path.join(runDir, 'checkpoints', `step-${String(last).padStart(6, '0')}`, 'model.safetensors'))).toBe(true);
    }, 90_000);
  }
});

describe('any command launched through npx', () => {
  it('the dashboard closes when npx is killed', async () => {
    const dir = tmpDir('recur-launch-');
    const script = path.join(dir, 'npx-stand-in.mjs');
    fs.writeFileSync(script, WRAPPER);
    const wrapper = spawn(process.execPath, [script, 'npx', BIN, 'dashboard', '--port', '0', '--save_dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(wrapper.pid!);
    let out = '';
    let err = '';
    wrapper.stdout!.on('data', (d) => (out += d));
    wrapper.stderr!.on('data', (d) => (err += d));
    const url = await until(() => /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0], 60_000, 'the dashboard URL');
    const children = (pid: number) => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const [shell] = children(wrapper.pid!);
    const [server] = children(shell);
    started.push(server);
    expect((await fetch(new URL('api/runs', url))).ok).toBe(true);
    process.kill(wrapper.pid!, 'SIGKILL');
    await until(() => !alive(server), 5_000, 'the dashboard to exit');
    expect(err).toMatch(/recur: the npx process that started this command is gone; stopping/);
    await expect(fetch(new URL('api/runs', url))).rejects.toThrow();
  }, 90_000);
});

describe('a trainer started on its own keeps running when its parent goes', () => {
  for (const mode of ['plain', 'setsid'] as const) {
    it(mode === 'plain' ? 'not launched by npm (recur train & from a shell that exits, nohup)' : 'launched by npm, but detached with setsid', async () => {
      const { wrapper, trainer, runDir } = await launch(mode);
      // its parent shell and the wrapper both gone: orphaned
      const shell = Number(fs.readFileSync(`/proc/${trainer}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      process.kill(wrapper.pid!, 'SIGKILL');
      process.kill(shell, 'SIGKILL');
      await until(() => Number(fs.readFileSync(`/proc/${trainer}/stat`, 'utf8').split(') ')[1].split(' ')[1]) !== shell, 5_000, 'the trainer to be orphaned');
      await sleep(2_000);
      expect(alive(trainer)).toBe(true);
      expect(readJson(path.join(runDir, 'meta.json')).status).toBe('running');
      // ...until its user stops it.
      process.kill(trainer, 'SIGTERM');
      await until(() => !alive(trainer), 30_000, 'the trainer to exit');
      expect(readJson(path.join(runDir, 'meta.json')).status).toBe('interrupted');
    }, 90_000);
  }
});
