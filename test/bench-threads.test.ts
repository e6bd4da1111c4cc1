// bench/threads.mjs: the hand-offs of a two-thread `sota --cell lstm` step, timed per kind of job
// (its LSTM layers are over threadTuning.minWork, so each shares its three phases every step), and
// its refusal of arguments it cannot use. Runs the built code (dist/).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const script = resolve(import.meta.dirname, '..', 'bench', 'threads.mjs');
const run = (args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('bench/threads.mjs', () => {
  it('times the layers’ shared phases of a step and what stays on this thread', () => {
    const r = run(['handoffs', 'lstm', '--seconds', '0.4']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sota --cell lstm: \d+ steps, \d+ µs a step on 2 threads/);
    for (const job of ['layer forward walk', 'layer backward walk', 'layer products after the walk']) {
      expect(r.stdout).toMatch(new RegExp(`${job} +\\d+\\.\\d a step, post → join [\\d.]+ µs`));
    }
    expect(r.stdout).toMatch(/shared jobs \d+ µs a step \(\d+ %\); the rest on this thread alone/);
  }, 60_000);

  it('refuses an unknown mode, cell or number', () => {
    expect(run(['sideways']).status).toBe(1);
    expect(run(['handoffs', 'tcn']).stderr).toMatch(/cell must be rnn, lstm or gru, got tcn/);
    expect(run(['handoffs', 'lstm', '--seconds', 'soon']).stderr).toMatch(/--seconds needs a positive number/);
    expect(run(['threshold', 'gru', 'many', '5']).stderr).toMatch(/threshold needs two multiply-add counts/);
  }, 60_000);
});
