// What a run records about where it ran (Node only): git commit and dirtiness, command line,
// Node version, host, pid. Nothing here may fail a run: every probe degrades to null / ''.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GitInfo } from './types.js';

function run(cmd: string, args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile(cmd, args, { cwd, timeout: 10_000, maxBuffer: 16 << 20, windowsHide: true }, (err, stdout) => {
        resolve(err ? null : String(stdout));
      });
    } catch {
      resolve(null);
    }
  });
}

// `git rev-parse HEAD` and `git status --porcelain` in `cwd`; null when git is absent or `cwd` is
// not in a repository. The runs root is excluded from the dirtiness check when it lies inside the
// working tree, so an untracked ./output/ does not make every run "dirty".
export async function gitInfo(cwd: string = process.cwd(), runsRoot?: string): Promise<GitInfo | null> {
  const head = await run('git', ['rev-parse', 'HEAD'], cwd);
  if (head === null) return null;
  const commit = head.trim();
  if (!/^[0-9a-f]{7,64}$/.test(commit)) return null;
  const args = ['status', '--porcelain'];
  if (runsRoot) {
    const rel = path.relative(cwd, path.resolve(runsRoot));
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) args.push('--', '.', `:(exclude)${rel}`);
  }
  let status = await run('git', args, cwd);
  if (status === null && args.length > 2) status = await run('git', ['status', '--porcelain'], cwd);
  return { commit, dirty: status === null ? true : status.trim() !== '' };
}

export interface ProcessInfo {
  argv: string[];
  node: string;
  host: string;
  pid: number;
}

export function processInfo(): ProcessInfo {
  let host = '';
  try {
    host = os.hostname();
  } catch {
    /* keep '' */
  }
  return { argv: commandLine(), node: process.version, host, pid: process.pid };
}

// This package's CLI entry (dist/track/ or src/track/ → bin/recur.js).
const RECUR_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'recur.js');

/**
 * The command line as its user typed it. argv[0] is the node binary and argv[1] the script's
 * full path; for recur's own CLI that path is an npm shim (node_modules/.bin/recur, or
 * ~/.npm/_npx/<hash>/node_modules/.bin/recur under npx), so the command is recorded as
 * `recur <args>`, or `npx recur <args>` when npm exec (npx) launched it. Other scripts keep
 * their path: `node train.js` records `/abs/train.js ...`.
 */
export function commandLine(argv: readonly string[] = process.argv, env: Readonly<Record<string, string | undefined>> = process.env, bin: string = RECUR_BIN): string[] {
  const script = argv[1];
  if (script === undefined) return [];
  let real = script;
  try {
    real = fs.realpathSync(script);
  } catch {
    /* a vanished script: compare the path as given */
  }
  if (real !== bin) return argv.slice(1);
  return [...(env.npm_command === 'exec' ? ['npx'] : []), 'recur', ...argv.slice(2)];
}
