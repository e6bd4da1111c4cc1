// Runs the built CLI (bin/recur.js → dist/) as a user would, capturing output and exit code.
import { spawnSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const BIN = path.resolve('bin/recur.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function recur(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function recurAsync(args: string[], opts: { cwd?: string } = {}) {
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function tmpDir(prefix = 'recur-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** True when the output is one line of message and no stack trace. */
export function isOneLineError(stderr: string): boolean {
  const lines = stderr.trim().split('\n').filter((l) => l.trim().length > 0);
  return lines.length >= 1 && !/^\s+at /m.test(stderr) && lines[0].length > 0;
}
