// The dashboard's pure parts, without a browser: the config column's keys, the pixel grid that
// keeps each column's real extremes, the "fraction of the run" length, and colours that stay
// distinct however many lines are drawn. (The filter language is src/track/run-filter.ts's,
// tested with `recur runs`.)
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../web/dashboard/api.js';
import { distinctColors } from '../web/dashboard/colors.js';
import { gridExtremes, gridLast, makeGrid, runLength } from '../web/dashboard/lines.js';
import { differingConfigKeys } from '../web/dashboard/table.js';

function run(id: string, config: Record<string, unknown>, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    id, name: id, status: 'finished', config, group: 'g', groupLabel: '', rows: 10, updatedAt: '2024-01-01T00:00:00Z',
    metrics: ['loss'], last: {}, best: {}, ...extra,
  };
}

describe('config column', () => {
  it('lists keys whose values differ among the runs that have them', () => {
    // 'extra' exists in one run only: not a difference by itself.
    const rs = [run('a', { lr: 1, cell: 'gru', seed: 1, run_name: 'a' }), run('b', { lr: 2, cell: 'gru', seed: 2, run_name: 'b', extra: 3 })];
    expect(differingConfigKeys(rs)).toEqual(['lr']);
    expect(differingConfigKeys(rs.slice(0, 1))).toEqual([]);
  });
});

describe('chart columns', () => {
  it('keep the real extremes of every pixel column', () => {
    const g = makeGrid(0, 10, 5); // columns of width 2
    const x = [0, 0.5, 1, 1.5, 2.5, 9.9];
    const lo = [3, 1, 4, 1, 5, 9];
    const hi = [3, 2, 6, 1, 5, 9];
    const col = gridExtremes(g, x, lo, hi);
    expect(col).toEqual([1, 6, 5, 5, null, null, null, null, 9, 9]);
    expect(gridLast(g, x, lo)).toEqual([1, 1, 5, 5, null, null, null, null, 9, 9]);
    expect(g.xs).toHaveLength(10);
    expect(g.xs[0]).toBeCloseTo(0.5, 12);
    expect(g.xs[9]).toBeCloseTo(9.5, 12);
  });

  it('measure a run by its planned steps unless it went past them', () => {
    expect(runLength(run('a', { total_steps: 2000 }, { lastStep: 500 }))).toBe(2000);
    expect(runLength(run('a', { total_steps: 2000 }, { lastStep: 5000 }))).toBe(5000);
    expect(runLength(run('a', {}, { lastStep: 700 }))).toBe(700);
  });
});

describe('colours', () => {
  it('are distinct for any number of lines', () => {
    for (const n of [1, 12, 13, 50, 501]) {
      const c = distinctColors(n);
      expect(c).toHaveLength(n);
      expect(new Set(c).size).toBe(n);
      for (const x of c) expect(x).toMatch(/^#[0-9a-f]{6}$/);
    }
  });
});
