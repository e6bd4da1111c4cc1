// Curve processing and tables shared by the dashboard, `recur runs` and `recur report`:
// EMA smoothing with bias correction, downsampling, seed groups, config differences, CSV.
import { describe, expect, it } from 'vitest';
import { metricsToCsv } from '../src/track/csv.js';
import { aggregateGroup, groupRuns } from '../src/track/group.js';
import { reportHtml } from '../src/track/report-html.js';
import { findOneRun, matchRuns } from '../src/track/select.js';
import { downsampleIndices, emaSmooth } from '../src/track/smoothing.js';
import { compareRows, formatDuration, runColumns, varyingConfigKeys } from '../src/track/summary.js';
import { niceTicks, svgLineChart } from '../src/track/svg-chart.js';
import type { MetricRow, RunEntry, RunMeta } from '../src/track/types.js';

function meta(id: string, config: Record<string, unknown>, over: Partial<RunMeta> = {}): RunMeta {
  return {
    id, name: id, project: 'recur', status: 'finished', config, seed: (config.seed as number) ?? null, recurVersion: '0.1.0', git: null,
    argv: ['train'], node: 'v20', host: 'h', pid: 1, startedAt: '2024-01-01T00:00:00.000Z', endedAt: '2024-01-01T00:02:05.000Z',
    heartbeatAt: '2024-01-01T00:02:05.000Z', summary: {}, ...over,
  };
}

describe('emaSmooth', () => {
  it('matches the bias-corrected EMA computed by hand', () => {
    // w = 0.5: m1 = 0.5*1 = 0.5, /(1-0.5) = 1; m2 = 0.25 + 0.5*3 = 1.75, /(1-0.25) = 2.3333;
    // m3 = 0.875 + 0.5*2 = 1.875, /(1-0.125) = 2.142857
    const s = emaSmooth([1, 3, 2], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(7 / 3, 12);
    expect(s[2]).toBeCloseTo(1.875 / 0.875, 12);
  });

  it('leaves a constant series constant (no pull towards 0 at the start) and 0 is identity', () => {
    for (const v of emaSmooth([5, 5, 5, 5], 0.9)) expect(v).toBeCloseTo(5, 12);
    expect(emaSmooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
  });

  it('turns non-finite values into gaps without advancing the correction', () => {
    const s = emaSmooth([2, NaN, null, 2], 0.6);
    expect(s[1]).toBeNull();
    expect(s[2]).toBeNull();
    expect(s[3]).toBeCloseTo(2, 12);
  });
});

describe('downsampleIndices', () => {
  it('keeps first, last and every bucket extreme (spikes survive)', () => {
    const ys = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 100));
    ys[5000] = 50; // a spike
    ys[7777] = -50;
    const idx = downsampleIndices(ys, 500);
    expect(idx.length).toBeLessThanOrEqual(500);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(9999);
    expect(idx).toContain(5000);
    expect(idx).toContain(7777);
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
  });

  it('returns everything when small enough', () => {
    expect(downsampleIndices([1, 2, 3], 10)).toEqual([0, 1, 2]);
  });
});

describe('seed groups', () => {
  const a = meta('sota_warmup', { lr: 0.005, seed: 0, run_name: 'sota_warmup' });
  const b = meta('sota_warmup-2', { lr: 0.005, seed: 1, run_name: 'sota_warmup', save_dir: '/x' });
  const c = meta('sota', { lr: 0.001, seed: 0, run_name: 'sota' });
  it('groups runs differing only in seed (and name/place)', () => {
    const g = groupRuns([a, b, c]);
    expect(g.map((x) => x.ids)).toEqual([['sota_warmup', 'sota_warmup-2'], ['sota']]);
    expect(g[0].label).toBe('sota_warmup (2 runs)');
    expect(g[1].label).toBe('sota');
  });

  it('aggregates mean, min and max per step', () => {
    const r1: MetricRow[] = [{ step: 1, t: 100, loss: 2 }, { step: 2, t: 200, loss: 1 }];
    const r2: MetricRow[] = [{ step: 1, t: 1100, loss: 4 }, { step: 2, t: 1300, loss: 3 }, { step: 3, t: 1400, loss: 2 }];
    const g = aggregateGroup([{ startMs: 0, rows: r1 }, { startMs: 1000, rows: r2 }], 'loss');
    expect(g.step).toEqual([1, 2, 3]);
    expect(g.mean).toEqual([3, 2, 2]);
    expect(g.min).toEqual([2, 1, 2]);
    expect(g.max).toEqual([4, 3, 2]);
    expect(g.n).toEqual([2, 2, 1]);
    expect(g.t).toEqual([100, 250, 400]);
  });
});

describe('compare and summary columns', () => {
  const runs = [
    meta('baseline', { lr: 0.001, batch_size: 16, hidden_dim: 16, seed: 0, run_name: 'baseline' }),
    meta('large_batch', { lr: 0.001, batch_size: 64, hidden_dim: 16, seed: 0, run_name: 'large_batch' }, { git: { commit: 'abcdef1234567890', dirty: true } }),
  ];
  it('differences only keeps exactly the differing keys', () => {
    const diff = compareRows(runs, true);
    expect(diff.map((r) => r.key)).toEqual(['batch_size', 'run_name', 'git commit']);
    expect(diff[0].values).toEqual(['16', '64']);
    expect(diff[2].values).toEqual(['none', 'abcdef123456 (dirty)']);
    const all = compareRows(runs, false).map((r) => r.key);
    expect(all).toEqual(expect.arrayContaining(['lr', 'hidden_dim', 'seed', 'batch_size', 'recur version', 'command']));
    expect(varyingConfigKeys(runs)).toEqual(['batch_size']);
  });

  it('computes best/last accuracy, final loss, steps and duration', () => {
    const cols = runColumns(runs[0], {
      loss: { count: 3, last: 0.4, lastStep: 300, lastT: 0, min: 0.3, max: 2, first: 2 },
      accuracy: { count: 2, last: 0.7, lastStep: 200, lastT: 0, min: 0.1, max: 0.8, first: 0.1 },
    }, 'finished');
    expect(cols).toEqual({ bestAccuracy: 0.8, lastAccuracy: 0.7, finalLoss: 0.4, steps: 300, durationMs: 125_000 });
    // Killed without an end time: up to the later of the heartbeat and the last logged row.
    const killed = { ...runs[0], status: 'running' as const, endedAt: null, heartbeatAt: '2024-01-01T00:00:10.000Z' };
    const t = Date.parse('2024-01-01T00:00:42.000Z');
    expect(runColumns(killed, { loss: { count: 1, last: 1, lastStep: 5, lastT: t, min: 1, max: 1, first: 1 } }, 'interrupted').durationMs).toBe(42_000);
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_725_000)).toBe('1h 02m');
  });
});

describe('metricsToCsv', () => {
  it('writes every row of every run, union of columns, empty cells for missing values', () => {
    const csv = metricsToCsv([
      { id: 'a', rows: [{ step: 0, t: 0, 'Model Params': 746 }, { step: 100, t: 1000, loss: 2.5, current_lr: 0.001 }] },
      { id: 'b,"x"', rows: [{ step: 500, t: 2000, accuracy: 0.5, loss: NaN }] },
    ]);
    expect(csv.trim().split('\n')).toEqual([
      'run,step,t,Model Params,loss,current_lr,accuracy',
      'a,0,1970-01-01T00:00:00.000Z,746,,,',
      'a,100,1970-01-01T00:00:01.000Z,,2.5,0.001,',
      '"b,""x""",500,1970-01-01T00:00:02.000Z,,NaN,,0.5',
    ]);
  });
});

describe('run selection', () => {
  const e = (id: string, name = id): RunEntry => ({ id, meta: meta(id, {}, { name }), status: 'finished' });
  const entries = [e('baseline'), e('baseline-2', 'baseline'), e('sota_warmup'), e('sota_warmup-2', 'sota_warmup')];
  it('matches ids first, then names, then globs', () => {
    expect(matchRuns(entries, 'baseline-2').map((x) => x.id)).toEqual(['baseline-2']);
    expect(matchRuns(entries, 'baseline').map((x) => x.id)).toEqual(['baseline']);
    expect(matchRuns(entries, 'sota*').map((x) => x.id)).toEqual(['sota_warmup', 'sota_warmup-2']);
    expect(findOneRun(entries, 'nothing')).toMatch(/no run 'nothing'/);
  });
});

describe('static charts and report', () => {
  it('draws one path per series (two when smoothed) and nice ticks', () => {
    const s = [
      { label: 'a', color: '#ff0000', x: [0, 1, 2, 3], y: [3, 2, 1, 0.5] },
      { label: 'b<&>', color: '#00ff00', x: [0, 1, 2, 3], y: [2, 2, 1, 1] },
    ];
    const svg = svgLineChart(s, { title: 'loss' });
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('b&lt;&amp;&gt;');
    expect(svgLineChart(s, { title: 'loss', smoothing: 0.6 }).match(/<path /g)).toHaveLength(4);
    expect(niceTicks(0, 20000, 5)).toEqual([0, 5000, 10000, 15000, 20000]);
    expect(niceTicks(0.0001, 0.001, 4)).toEqual([0.0002, 0.0004, 0.0006, 0.0008, 0.001]);
  });

  it('builds a self-contained report with table, differences and one chart per metric', () => {
    const rows: MetricRow[] = [{ step: 0, t: 0, 'Model Params': 746 }, { step: 100, t: 1, loss: 2 }, { step: 200, t: 2, loss: 1, accuracy: 0.5 }];
    const stats = {
      loss: { count: 2, last: 1, lastStep: 200, lastT: 2, min: 1, max: 2, first: 2 },
      accuracy: { count: 1, last: 0.5, lastStep: 200, lastT: 2, min: 0.5, max: 0.5, first: 0.5 },
    };
    const html = reportHtml([
      { id: 'baseline', meta: meta('baseline', { lr: 0.001 }), status: 'finished', stats, rows },
      { id: 'fast', meta: meta('fast', { lr: 0.005 }), status: 'interrupted', stats, rows },
    ], { title: 'two runs' });
    expect(html).toContain('<title>two runs</title>');
    expect(html.match(/<svg /g)).toHaveLength(3); // loss, accuracy, Model Params
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('<td>lr</td>');
    expect(html).toContain('interrupted');
  });
});
