// What a library user's install pulls in. bullmq and ioredis (the job queue of `recur worker` and
// `--queue`) are optional peer dependencies; uplot is bundled into the dashboard page at build time.
// The CLI is run from a copy of the package whose node_modules holds only the runtime
// `dependencies`, as a plain `npm install recur` leaves it.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from './helpers/cli.js';

const REPO = path.resolve('.');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const QUEUE = ['bullmq', 'ioredis'];

// Bare package names imported (statically or dynamically) by the files under `dir`.
function importedPackages(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mts|js|mjs)$/.test(e.name)) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^'.][^']*)'/g)) {
          const spec = m[1];
          if (spec.startsWith('node:')) continue;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          const files = out.get(name) ?? [];
          if (!files.includes(path.relative(REPO, p))) files.push(path.relative(REPO, p));
          out.set(name, files);
        }
      }
    }
  };
  walk(dir);
  return out;
}

describe('package.json', () => {
  it('bullmq and ioredis are optional peer dependencies (and dev dependencies for the tests)', () => {
    for (const name of QUEUE) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.peerDependencies?.[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
      expect(pkg.devDependencies[name], name).toBe(pkg.peerDependencies?.[name]);
    }
  });

  it('every runtime dependency is imported by src/, and src/ imports nothing else but the optional queue packages', () => {
    const used = importedPackages(path.join(REPO, 'src'));
    for (const name of Object.keys(pkg.dependencies)) expect(used.has(name), `${name} is in dependencies but src/ never imports it`).toBe(true);
    for (const [name, files] of used) {
      if (QUEUE.includes(name)) {
        // only the queue module, itself imported only through src/cli/queue-deps.ts
        expect(files, name).toEqual(['src/sweep/queue-node.ts']);
        continue;
      }
      expect(pkg.dependencies[name], `${name} (imported by ${files.join(', ')}) is not a runtime dependency`).toBeDefined();
    }
    const queueImporters = [...fs.readdirSync(path.join(REPO, 'src'), { recursive: true, encoding: 'utf8' })]
      .filter((f) => f.endsWith('.ts') && fs.readFileSync(path.join(REPO, 'src', f), 'utf8').includes("'../sweep/queue-node.js'"));
    expect(queueImporters).toEqual([path.join('cli', 'queue-deps.ts')]);
  });

  it('uplot, bundled into the pages at build time, is a dev dependency', () => {
    expect(pkg.dependencies.uplot).toBeUndefined();
    expect(pkg.devDependencies.uplot).toBeDefined();
    expect(importedPackages(path.join(REPO, 'web', 'dashboard')).has('uplot')).toBe(true);
    expect(fs.readFileSync(path.join(REPO, 'dist', 'web', 'dashboard', 'app.js'), 'utf8')).toContain('uplot');
  });
});

describe('the CLI installed without the optional queue packages', () => {
  let app: string;
  let bin: string;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    app = tmpDir('recur-plain-install-');
    const root = path.join(app, 'node_modules', 'recur');
    fs.mkdirSync(root, { recursive: true });
    for (const f of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(REPO, f), path.join(root, f), { recursive: true });
    for (const dep of Object.keys(pkg.dependencies)) {
      fs.symlinkSync(path.join(REPO, 'node_modules', dep), path.join(app, 'node_modules', dep), 'dir');
    }
    bin = path.join(root, 'bin', 'recur.js');
  });

  it('recur worker says what to install and exits non-zero', () => {
    const r = run(['worker', '--queue', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("recur: recur worker needs the job-queue packages bullmq and ioredis ('bullmq' is not installed): npm install bullmq ioredis");
  });

  it('sweep/reproduce --queue say what to install and exit non-zero', () => {
    const r = run(['reproduce', '--seeds', '1', '--experiments', 'sota', '--queue', 'redis://127.0.0.1:1', '--save_dir', path.join(app, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("recur: --queue needs the job-queue packages bullmq and ioredis ('bullmq' is not installed): npm install bullmq ioredis");
  });

  it('train, predict and the library work', () => {
    const save = path.join(app, 'out');
    const t = run(['train', '--hidden_dim', '8', '--embed_dim', '4', '--total_steps', '5', '--seed', '1', '--save_dir', save, '--run_name', 'plain']);
    expect(t.code, t.stderr).toBe(0);
    const p = run(['predict', '--save_dir', save, '--json', '1', '2']);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).sequence).toEqual([1, 2]);
    const lib = spawnSync(process.execPath, ['--input-type=module', '-e', "import { LSTM } from 'recur'; import { track, runTraining } from 'recur/node'; console.log(typeof LSTM, typeof track.init, typeof runTraining)"], { cwd: app, encoding: 'utf8' });
    expect(lib.stderr).toBe('');
    expect(lib.stdout.trim()).toBe('function function function');
  });
});
