// bench/profile.mjs turns a V8 .cpuprofile into self time per function: each sample's time delta
// belongs to the leaf node it hit, keyed by function and dist-relative location.
import { describe, it, expect } from 'vitest';
// @ts-expect-error plain .mjs tooling script without types
import { selfTimes } from '../bench/profile.mjs';

describe('bench profile: self times', () => {
  it('charges each sample delta to its leaf, merges nodes of the same function, sorts heaviest first', () => {
    const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '1' });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '', -1) },
        { id: 2, callFrame: frame('trainStep', 'file:///x/dist/kernels/rnn-cls-net.js', 303) },
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
      ['trainStep  dist/kernels/rnn-cls-net.js:304', 100],
      ['rnnCellForward  dist/kernels/cells/rnn.js:6', 100],
      ['tanhAdd  WebAssembly', 30],
    ]);
  });
});
