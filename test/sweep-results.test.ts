// Summary statistics of a sweep, computed from synthetic trial results and metrics whose answers
// are known by hand: accuracy mean/min/max, convergence count, median step to 90%, per length.
import { describe, it, expect } from 'vitest';
import { firstStepReaching, medianOrNever, summarize, summaryMarkdown, summaryText } from '../src/sweep/results.js';
import type { TrialOutcome, TrialResult } from '../src/sweep/results.js';
import { SweepProgress } from '../src/sweep/progress.js';
import type { MetricRow } from '../src/track/types.js';

function rows(acc: Array<[number, number]>): MetricRow[] {
  // loss rows in between, as a real log has
  return acc.flatMap(([step, a]) => [{ step, t: step, loss: 1 } as MetricRow, { step, t: step, accuracy: a } as MetricRow]);
}

function result(seed: number, accuracy: number, reachStep: number | null, len: Record<number, number>, sps = 100): TrialResult {
  return {
    trial: `t${seed}`,
    status: 'finished',
    runDir: `/runs/t${seed}`,
    host: 'h',
    worker: 'h:1',
    seed,
    step: 1000,
    seconds: 10,
    stepsPerSecond: sps,
    finalLoss: 0.1,
    trainAccuracy: accuracy,
    test: { accuracy, samples: 2000, seed: 1234, byLength: Object.entries(len).map(([l, a]) => ({ length: Number(l), accuracy: a, samples: 100 })) },
    reachStep,
    endedAt: '2024-01-01T00:00:00Z',
  };
}

const TEST = { threshold: 0.95, reach: 0.9, lengths: [10, 20, 50] };

describe('firstStepReaching', () => {
  it('is the first logged step at or above the threshold, ignoring other metrics and NaN', () => {
    const r = rows([[500, 0.3], [1000, 0.89], [1500, 0.9], [2000, 0.5], [2500, 0.99]]);
    r.splice(2, 0, { step: 700, t: 0, accuracy: NaN } as MetricRow);
    expect(firstStepReaching(r, 0.9)).toBe(1500);
    expect(firstStepReaching(r, 0.95)).toBe(2500);
    expect(firstStepReaching(r, 0.999)).toBeNull();
    expect(firstStepReaching([], 0.9)).toBeNull();
  });
});

describe('medianOrNever', () => {
  it('counts "never" as +∞', () => {
    expect(medianOrNever([3000, 1000, 2000])).toBe(2000);
    expect(medianOrNever([1000, 2000, 3000, 4000])).toBe(2500);
    expect(medianOrNever([1000, null, null])).toBeNull(); // most never got there
    expect(medianOrNever([1000, 2000, null])).toBe(2000);
    expect(medianOrNever([1000, null])).toBeNull(); // the middle pair includes a never
    expect(medianOrNever([])).toBeNull();
  });
});

describe('summarize', () => {
  // Setting A: seeds 0..3, accuracies 1.0, 0.96, 0.5, 0.2 → mean 0.665, 2 converged (≥ 0.95);
  // first step at 90%: 4000, 6000, never, never → median of [4000, 6000, ∞, ∞] = ∞ → never.
  // Setting B: seeds 0..2 finished (0.99, 0.97, 0.95 → mean 0.97, 3 converged; reach 1000, 3000,
  // 2000 → median 2000) and one failed (counts as never: [1000, 2000, 3000, ∞] → 2500).
  const outcomes: TrialOutcome[] = [
    { setting: 'A', seed: 0, status: 'finished', result: result(0, 1.0, 4000, { 10: 0.9, 20: 0.8, 50: 0.5 }, 100) },
    { setting: 'A', seed: 1, status: 'finished', result: result(1, 0.96, 6000, { 10: 0.7, 20: 0.6, 50: 0.3 }, 300) },
    { setting: 'A', seed: 2, status: 'finished', result: result(2, 0.5, null, { 10: 0.2, 20: 0.1, 50: 0.1 }, 200) },
    { setting: 'A', seed: 3, status: 'finished', result: result(3, 0.2, null, { 10: 0.1, 20: 0.1, 50: 0.1 }, 200) },
    { setting: 'B', seed: 0, status: 'finished', result: result(0, 0.99, 1000, { 10: 1, 20: 1, 50: 1 }) },
    { setting: 'B', seed: 1, status: 'finished', result: result(1, 0.97, 3000, { 10: 1, 20: 1, 50: 1 }) },
    { setting: 'B', seed: 2, status: 'finished', result: result(2, 0.95, 2000, { 10: 1, 20: 1, 50: 0.9 }) },
    { setting: 'B', seed: 3, status: 'failed' },
  ];

  it('gives accuracy mean/min/max, convergence and the median step per setting', () => {
    const [a, b] = summarize(outcomes, TEST);
    expect(a.setting).toBe('A');
    expect(a.n).toBe(4);
    expect(a.finished).toBe(4);
    expect(a.accuracy!.mean).toBeCloseTo(0.665, 12);
    expect(a.accuracy!.min).toBe(0.2);
    expect(a.accuracy!.max).toBe(1.0);
    expect(a.converged).toBe(2);
    expect(a.reachMedian).toBeNull();
    expect(a.reached).toBe(2);
    expect(a.byLength).toEqual([
      { length: 10, mean: expect.closeTo(0.475, 12), min: 0.1, max: 0.9 },
      { length: 20, mean: expect.closeTo(0.4, 12), min: 0.1, max: 0.8 },
      { length: 50, mean: expect.closeTo(0.25, 12), min: 0.1, max: 0.5 },
    ]);
    expect(a.stepsPerSecond).toBe(200);

    expect(b.n).toBe(4);
    expect(b.finished).toBe(3);
    expect(b.failed).toBe(1);
    expect(b.pending).toBe(0);
    expect(b.accuracy!.mean).toBeCloseTo(0.97, 12);
    expect(b.converged).toBe(3); // 0.95 counts: ≥ threshold
    expect(b.reachMedian).toBe(2500);
    expect(b.byLength.find((x) => x.length === 50)).toEqual({ length: 50, mean: expect.closeTo(2.9 / 3, 12), min: 0.9, max: 1 });
  });

  it('while seeds are still running, the median is over the finished ones', () => {
    const partial: TrialOutcome[] = [
      { setting: 'C', seed: 0, status: 'finished', result: result(0, 0.99, 1000, {}) },
      { setting: 'C', seed: 1, status: 'finished', result: result(1, 0.99, 3000, {}) },
      { setting: 'C', seed: 2, status: 'interrupted' },
      { setting: 'C', seed: 3, status: 'pending' },
    ];
    const [c] = summarize(partial, TEST);
    expect(c.pending).toBe(2);
    expect(c.reachMedian).toBe(2000);
    expect(c.byLength).toEqual([]);
  });

  it('tables show the numbers, the convergence count and missing data as —', () => {
    const rowsOut = summarize([...outcomes, { setting: 'D', seed: 0, status: 'failed' }], TEST);
    const md = summaryMarkdown(rowsOut, { lengths: [10, 20, 50] });
    const lines = md.trim().split('\n');
    expect(lines[0]).toBe('| setting | seeds | acc mean | min | max | ≥95% | step→90% (median) | len 10 | len 20 | len 50 | steps/s |');
    expect(lines[2]).toBe('| A | 4/4 | 0.665 | 0.200 | 1.000 | 2/4 | never (2/4 reached) | 0.475 (0.10–0.90) | 0.400 (0.10–0.80) | 0.250 (0.10–0.50) | 200 |');
    expect(lines[3]).toBe('| B | 3/4 (1 failed) | 0.970 | 0.950 | 0.990 | 3/4 | 2500 (3/4 reached) | 1.000 | 1.000 | 0.967 (0.90–1.00) | 100 |');
    expect(lines[4]).toBe('| D | 0/1 (1 failed) | — | — | — | 0/1 | never (0/1 reached) | — | — | — | — |');
    const text = summaryText(rowsOut, { lengths: [10, 20, 50] }).split('\n');
    expect(text[1]).toMatch(/^A\s+4\/4\s+0\.665\s+0\.200\s+1\.000\s+2\/4/);
  });
});

describe('SweepProgress', () => {
  it('estimates the time left from the steps trained so far', () => {
    // 3 trials of 1000 steps to run, 1 finished earlier. At t=10 s: trial a finished (1000 steps),
    // trial b resumed at step 200 and is at 600 (400 trained): 1400 steps in 10 s = 140/s.
    // Left: b 400 + c 1000 = 1400 steps → 10 s.
    const p = new SweepProgress(4, 1, [1000, 1000, 1000], 0);
    p.start('a', 0, 1000);
    p.start('b', 200, 1000);
    p.progress('a', 1000);
    p.end('a', 'finished', 1000);
    p.progress('b', 600);
    expect(p.work()).toEqual({ done: 1400, left: 1400 });
    expect(p.eta(10_000)).toBeCloseTo(10, 9);
    expect(p.line(10_000)).toBe('2/4 trials done, 1 running · 50% of steps · 10s elapsed · ETA 10s');
    p.end('c', 'failed', 1000); // failed before it started: its steps are no longer to do
    expect(p.work()).toEqual({ done: 1400, left: 400 });
    expect(p.failed).toBe(1);
  });
});
