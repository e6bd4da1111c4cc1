// An unusable runs folder (--save_dir) fails at once with one line naming the folder and the
// reason: under /proc or /sys, a file, read-only, no permission, no space left. The /proc case runs
// the CLI in a child process with a time bound (a recursive mkdir on procfs never returns, and a
// synchronous loop inside the test process could not be timed out).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, tmpDir } from './helpers/cli.js';
import { FileStore } from '../src/track/file-store.js';
import { ensureWritableDir, UnusableDirError, type DirIo } from '../src/track/writable-dir.js';

const TINY = ['--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '5', '--seed', '1'];

// Runs `recur train` into `saveDir`; fails the test if it takes longer than `ms`.
function trainInto(saveDir: string, ms = 20_000) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'train', ...TINY, '--save_dir', saveDir], { encoding: 'utf8', timeout: ms, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout, ms: Date.now() - t0 };
}

function errnoError(code: string, syscall: string, p: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${syscall} '${p}'`);
  e.code = code;
  e.syscall = syscall;
  e.path = p;
  return e;
}

// Node's fs, except that `op` fails with `code`.
function failing(op: 'mkdirSync' | 'writeFileSync', code: string): DirIo {
  return {
    statSync: (p) => fs.statSync(p),
    realpathSync: (p) => fs.realpathSync(p),
    mkdirSync: op === 'mkdirSync' ? (p) => { throw errnoError(code, 'mkdir', p); } : (p) => fs.mkdirSync(p),
    writeFileSync: op === 'writeFileSync' ? (p) => { throw errnoError(code, 'open', p); } : (p, d, o) => fs.writeFileSync(p, d, o),
    unlinkSync: (p) => fs.unlinkSync(p),
  };
}

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UnusableDirError);
    return (e as Error).message;
  }
  throw new Error('expected an UnusableDirError');
}

describe.runIf(process.platform === 'linux')('recur train --save_dir on a kernel file system', () => {
  for (const dir of ['/proc/forbidden', '/proc/forbidden/deeper/runs', '/sys/forbidden']) {
    it(`${dir}: exits at once with one line naming the folder`, () => {
      const r = trainInto(dir);
      expect(r.signal, `still running after ${r.ms} ms`).toBeNull();
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toBe(`recur: cannot save runs in ${dir}: /${dir.split('/')[1]} is a virtual file system of the kernel, not storage; choose a folder on a disk`);
      expect(r.stdout).toBe('');
    });
  }
});

describe.runIf(process.platform === 'linux')('recur sweep and recur worker --save_dir /proc/forbidden', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  const reason = '/proc is a virtual file system of the kernel, not storage; choose a folder on a disk';
  it('sweep: fails before the first trial', () => {
    const r = run(['sweep', '--grid', 'lr=0.001', '--seeds', '0', '--total_steps', '5', '--save_dir', '/proc/forbidden']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`recur: cannot save runs in /proc/forbidden/sweep-lr: ${reason}`);
  });
  it('worker: fails before connecting to the queue', () => {
    const r = run(['worker', '--queue', 'redis://127.0.0.1:1', '--save_dir', '/proc/forbidden']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`recur: cannot save runs in /proc/forbidden: ${reason}`);
  });
});

describe('recur train --save_dir that is not a folder', () => {
  it('a regular file, or a path through one', () => {
    const file = path.join(tmpDir(), 'notes.txt');
    fs.writeFileSync(file, 'x');
    for (const dir of [file, path.join(file, 'runs')]) {
      const r = trainInto(dir);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`recur: cannot save runs in ${dir}: ${file} is a file, not a folder`);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});

describe('ensureWritableDir', () => {
  it('creates missing parents and leaves no probe file behind', () => {
    const root = tmpDir();
    const dir = path.join(root, 'a', 'b', 'runs');
    expect(ensureWritableDir(dir)).toBe(dir);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(ensureWritableDir(dir)).toBe(dir); // existing folder: fine
  });

  it('names the reason for a full disk, a read-only file system, a missing permission', () => {
    const root = tmpDir();
    const cases: Array<[DirIo, string, string]> = [
      [failing('writeFileSync', 'ENOSPC'), root, 'no space left on the device'],
      [failing('writeFileSync', 'EROFS'), root, 'the file system is read-only'],
      [failing('writeFileSync', 'EACCES'), root, `permission denied (${root})`],
      [failing('mkdirSync', 'ENOSPC'), path.join(root, 'new'), 'no space left on the device'],
      [failing('mkdirSync', 'EROFS'), path.join(root, 'new', 'runs'), 'the file system is read-only'],
      [failing('mkdirSync', 'EACCES'), path.join(root, 'new'), `permission denied (${root})`],
    ];
    for (const [io, dir, reason] of cases) {
      expect(reasonOf(() => ensureWritableDir(dir, io))).toBe(`cannot save runs in ${dir}: ${reason}`);
    }
  });

  it('a file system that refuses mkdir with ENOENT (procfs-like) fails instead of looping', () => {
    const root = tmpDir();
    const dir = path.join(root, 'x', 'y');
    expect(reasonOf(() => ensureWritableDir(dir, failing('mkdirSync', 'ENOENT')))).toBe(`cannot save runs in ${dir}: folders cannot be created in ${root}`);
  });
});

describe('FileStore.createRun', () => {
  it('checks the runs root before creating a run', async () => {
    const file = path.join(tmpDir(), 'f');
    fs.writeFileSync(file, '');
    const store = new FileStore(path.join(file, 'runs'));
    const meta = { name: 'r', project: '', status: 'running' as const, config: {}, seed: 1, recurVersion: '0', git: null, argv: [], node: '', host: '', pid: 1, startedAt: '', endedAt: null, heartbeatAt: '', summary: {} };
    await expect(store.createRun(meta)).rejects.toThrow(`cannot save runs in ${path.join(file, 'runs')}: ${file} is a file, not a folder`);
  });
});
