// The one-command runner: node examples/run.mjs <example> [flags] bundles the TypeScript example
// and runs it; unknown examples and bad flags are clear errors.
import { spawnSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';

function run(args: string[]) {
  const r = spawnSync(process.execPath, ['examples/run.mjs', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('examples/run.mjs', () => {
  it('lists the six examples', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const n of ['char-rnn-classification', 'char-rnn-generation', 'pos-tagger', 'seq2seq-translation', 'word-language-model', 'time-sequence-prediction']) {
      expect(r.out).toContain(n);
    }
  });

  it('runs an example with its flags', () => {
    const r = run(['pos-tagger', '--epochs', '2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/predicted tags: (DET|NN|V)( (DET|NN|V)){4}\n/);
    expect(r.out).toMatch(/final loss \d+\.\d{6}\n/);
  });

  it('rejects an unknown example and a bad flag value', () => {
    const a = run(['no-such-example']);
    expect(a.code).toBe(2);
    expect(a.err).toContain("unknown example 'no-such-example'");
    const b = run(['pos-tagger', '--epochs', 'many']);
    expect(b.code).not.toBe(0);
    expect(b.err).toContain("--epochs expects a number, got 'many'");
    const c = run(['pos-tagger', '--epoch', '3']);
    expect(c.code).not.toBe(0);
    expect(c.err).toContain("Unknown option '--epoch'");
  });
});
