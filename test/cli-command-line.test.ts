// meta.json, `recur runs show` and `recur report` record the command as its user typed it
// (`recur train ...`, `npx recur train ...`), not the npm shim's path in the npx cache.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../src/track/node-env.js';
import { BIN, recur, tmpDir } from './helpers/cli.js';

const TINY = ['--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '10', '--save_every', '10', '--eval_every', '10', '--log_every', '5', '--seed', '1'];

describe('commandLine', () => {
  const bin = '/pkg/bin/recur.js';
  it('recur (or npx recur) and the arguments for recur\'s own CLI', () => {
    expect(commandLine(['/usr/bin/node', bin, 'train', '--lr', '0.01'], {}, bin)).toEqual(['recur', 'train', '--lr', '0.01']);
    expect(commandLine(['/usr/bin/node', bin, 'train'], { npm_command: 'exec' }, bin)).toEqual(['npx', 'recur', 'train']);
  });
  it('the script and its arguments for anything else', () => {
    expect(commandLine(['/usr/bin/node', '/home/me/train.js', '--x', '1'], { npm_command: 'exec' }, bin)).toEqual(['/home/me/train.js', '--x', '1']);
    expect(commandLine(['/usr/bin/node'], {}, bin)).toEqual([]);
  });
});

describe('a run launched through the npx cache records `npx recur ...`', () => {
  it('in meta.json, recur runs show and recur report', () => {
    const dir = tmpDir('recur-cmd-');
    // npx runs the package's bin through a symlink in its cache: ~/.npm/_npx/<hash>/node_modules/.bin/recur
    const shimDir = path.join(dir, '_npx', '0123abcd', 'node_modules', '.bin');
    fs.mkdirSync(shimDir, { recursive: true });
    const shim = path.join(shimDir, 'recur');
    fs.symlinkSync(BIN, shim);
    const root = path.join(dir, 'out');
    const args = ['train', ...TINY, '--save_dir', root, '--run_name', 'typed'];
    const r = spawnSync(process.execPath, [shim, ...args], { encoding: 'utf8', env: { ...process.env, npm_command: 'exec' } });
    expect(r.status, r.stderr).toBe(0);
    const meta = JSON.parse(fs.readFileSync(path.join(root, 'typed', 'meta.json'), 'utf8'));
    expect(meta.argv).toEqual(['npx', 'recur', ...args]);
    const typed = `npx recur ${args.join(' ')}`;
    const show = recur(['runs', 'show', 'typed', '--save_dir', root]);
    expect(show.stdout).toContain(`command   ${typed}\n`);
    expect(show.stdout).not.toContain('_npx');
    const out = path.join(dir, 'report.html');
    expect(recur(['report', 'typed', '--save_dir', root, '--out', out]).code).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain(typed);
    expect(html).not.toContain('_npx');
    // Typed as plain `recur` (a global install's shim, no npm in the environment): `recur ...`.
    const env = { ...process.env };
    delete env.npm_command;
    const plain = spawnSync(process.execPath, [shim, ...args], { encoding: 'utf8', env });
    expect(plain.status, plain.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'typed-2', 'meta.json'), 'utf8')).argv).toEqual(['recur', ...args]);
  });
});
