// The examples and their tests type-check under the project's strict settings, with 'recur'
// resolved to the sources (examples/tsconfig.json).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, it, expect } from 'vitest';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('examples/', () => {
  it('type-checks (tsc -p examples/tsconfig.json)', () => {
    const r = spawnSync(process.execPath, [tsc, '-p', 'examples/tsconfig.json'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 240_000);
});
