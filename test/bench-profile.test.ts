// bench/profile.mjs turns a V8 .cpuprofile into self time per function: each sample's time delta
// belongs to the leaf node it hit, keyed by function and dist-relative location.
import { describe, it, expect } from 'vitest';
// @ts-expect-error plain .mjs tooling script without types
import { phaseTable, selfTimes } from '../bench/profile.mjs';

describe('bench profile: self times', () => {
  it('charges each sample delta to its leaf, merges nodes of the same function, sorts heaviest first', () => {
    const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '1' });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '', -1) },
        { id: 2, callFrame: frame('trainStep', 'file:///x/dist/train/trainer.js', 303) },
        { id: 3, callFrame: frame('rnnCellForward', 'file:///x/dist/kernels/cells/rnn.js', 5) },
        { id: 4, callFrame: frame('rnnCellForward', 'file:///x/dist/kernels/cells/rnn.js', 5) }, // same function, other call path
        { id: 5, callFrame: frame('tiles', 'wasm://wasm/138643b2', 0) },
        { id: 6, callFrame: frame('tanhAdd', 'wasm://wasm/0a4c11d7', 0) },
      ],
      samples: [2, 3, 4, 5, 3, 6],
      timeDeltas: [100, 50, 25, 400, 25, 30],
    };
    const { total, rows } = selfTimes(profile);
    expect(total).toBe(630);
    expect(rows).toEqual([
      ['tiles  WebAssembly: matrix products', 400],
      ['trainStep  dist/train/trainer.js:304', 100],
      ['rnnCellForward  dist/kernels/cells/rnn.js:6', 100],
      ['tanhAdd  WebAssembly', 30],
    ]);
  });

  it('--phases: µs a step and the share of the step per phase, for each thread that ran', () => {
    const out = { steps: 1000, wallMs: 500, threads: 2, main: { data: 50, rows: 400 }, worker: { rows: 380, idle: 100 } };
    expect(phaseTable(out).split('\n')).toEqual([
      '1000 steps in 0.50 s: 2000 steps/s on 2 thread(s), 500.0 µs a step',
      "main thread (µs a step, share of the step's wall time):",
      '    50.0   10.0 %  data',
      '   400.0   80.0 %  rows',
      '   450.0   90.0 %  (sum; the rest is the step loop and the clock)',
      "worker thread (µs a step, share of the step's wall time):",
      '   380.0   76.0 %  rows',
      '   100.0   20.0 %  idle',
      '   480.0   96.0 %  (sum; the rest is the step loop and the clock)',
    ]);
    expect(phaseTable({ ...out, threads: 1, worker: null }).split('\n')).toHaveLength(5);
  });
});
