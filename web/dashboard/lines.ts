// What the charts draw, independent of uPlot: the lines (a run, or a seed group drawn as its mean
// inside a min–max band), their points in display units for an x-axis mode, and the chart's
// aligned columns.
//
// The server sends each series downsampled to about the chart's pixel width as buckets, each with
// its y (mean or last) and its real minimum and maximum. Lines of different runs have different
// x, and uPlot wants one shared x per chart, so the columns are a pixel grid over the x range:
// two slots per pixel column, the first holding the lowest and the second the highest value that
// falls into the column. Drawn, a line thus passes through every bucket's real extremes (what
// min/max downsampling is for), and a chart costs O(lines × width), not O(lines × points).
import type { RunSummary, Series } from './api.js';
import { emaSmooth } from '../../src/track/smoothing.js';

export type XMode = 'step' | 'fraction' | 'relative' | 'wall';

export interface ChartSettings {
  smoothing: number; // EMA weight in [0, 1)
  xMode: XMode;
  logY: boolean;
}

export interface LineSpec {
  key: string; // run id, or 'group:' + group key
  label: string;
  color: string;
  runs: RunSummary[]; // one: a run; more: a seed group
  group?: string; // the group key (server's `group`) when drawn as a group
}

// One metric of one line, in server units (x: step, or seconds since the run's start).
export interface Pts {
  x: number[];
  y: Array<number | null>;
  lo: Array<number | null>;
  hi: Array<number | null>;
  band: boolean; // lo/hi are the min–max over a group's runs (drawn as a band)
}

export function fromSeries(s: Series): Pts {
  return { x: s.x, y: s.y, lo: s.ymin ?? s.y, hi: s.ymax ?? s.y, band: false };
}

export function xKindOf(mode: XMode): 'step' | 'time' {
  return mode === 'relative' || mode === 'wall' ? 'time' : 'step';
}

// Steps of a whole run, for the "fraction of the run" axis: the configured total_steps when the
// run has not gone past it (a live run is drawn where it is along its plan), else its last step.
export function runLength(run: RunSummary): number {
  const planned = Number((run.config ?? {}).total_steps);
  const last = run.lastStep ?? 0;
  return Number.isFinite(planned) && planned > 0 && planned >= last ? planned : Math.max(1, last);
}

export function lineLength(line: LineSpec): number {
  return Math.max(...line.runs.map(runLength));
}

export function startMs(line: LineSpec): number {
  const t = Math.min(...line.runs.map((r) => (r.startedAt ? Date.parse(r.startedAt) : NaN)).filter(Number.isFinite));
  return Number.isFinite(t) ? t : 0;
}

// Server x -> display x for a line (display: step, fraction, seconds since the start, or
// seconds since the epoch).
export function toDisplay(mode: XMode, line: LineSpec): (x: number) => number {
  switch (mode) {
    case 'step': return (x) => x;
    case 'fraction': { const n = lineLength(line); return (x) => x / n; }
    case 'relative': return (x) => x;
    case 'wall': { const s = startMs(line) / 1000; return (x) => s + x; }
  }
}

// Display x -> server x (for asking the server for a zoom window).
export function toServer(mode: XMode, line: LineSpec): (x: number) => number {
  switch (mode) {
    case 'step': return (x) => x;
    case 'fraction': { const n = lineLength(line); return (x) => x * n; }
    case 'relative': return (x) => x;
    case 'wall': { const s = startMs(line) / 1000; return (x) => x - s; }
  }
}

type Col = Array<number | null>;

// A line's points ready to draw: display x, the main y (smoothed when asked), and the extremes.
export interface Prepared {
  x: number[];
  y: Col; // what the main line shows (smoothed, or raw y)
  raw: Col | null; // raw y when smoothed
  lo: Col;
  hi: Col;
  band: boolean;
}

export function prepare(p: Pts, line: LineSpec, s: ChartSettings): Prepared {
  const f = toDisplay(s.xMode, line);
  const fix = (v: number | null | undefined): number | null =>
    v === null || v === undefined || !Number.isFinite(v) || (s.logY && v <= 0) ? null : v;
  const order = p.x.map((_, i) => i);
  const xs = p.x.map(f);
  if (xs.some((v, i) => i > 0 && v < xs[i - 1])) order.sort((a, b) => xs[a] - xs[b]);
  const x = order.map((i) => xs[i]);
  const y = order.map((i) => fix(p.y[i]));
  const lo = order.map((i) => fix(p.lo[i]));
  const hi = order.map((i) => fix(p.hi[i]));
  if (s.smoothing > 0) return { x, y: emaSmooth(y, s.smoothing), raw: y, lo, hi, band: p.band };
  return { x, y, raw: null, lo, hi, band: p.band };
}

export interface Grid {
  xs: number[];
  cols: number; // pixel columns
  x0: number;
  x1: number;
}

export function makeGrid(x0: number, x1: number, cols: number): Grid {
  if (!(x1 > x0)) x1 = x0 + 1;
  const w = (x1 - x0) / cols;
  const xs = new Array<number>(2 * cols);
  for (let c = 0; c < cols; c++) {
    xs[2 * c] = x0 + (c + 0.25) * w;
    xs[2 * c + 1] = x0 + (c + 0.75) * w;
  }
  return { xs, cols, x0, x1 };
}

function slotOf(g: Grid, x: number): number {
  const c = Math.floor(((x - g.x0) / (g.x1 - g.x0)) * g.cols);
  return c < 0 ? 0 : c >= g.cols ? g.cols - 1 : c;
}

// The extremes of `lo`/`hi` per pixel column: [low slot, high slot] pairs.
export function gridExtremes(g: Grid, x: readonly number[], lo: Col, hi: Col): Col {
  const out: Col = new Array(2 * g.cols).fill(null);
  for (let i = 0; i < x.length; i++) {
    const a = lo[i];
    const b = hi[i];
    if (a === null && b === null) continue;
    const c = slotOf(g, x[i]);
    const l = a ?? b!;
    const h = b ?? a!;
    const curL = out[2 * c];
    const curH = out[2 * c + 1];
    out[2 * c] = curL === null || l < curL ? l : curL;
    out[2 * c + 1] = curH === null || h > curH ? h : curH;
  }
  return out;
}

// The last value per pixel column, in both slots (a smoothed or mean line: one value per column).
export function gridLast(g: Grid, x: readonly number[], y: Col): Col {
  const out: Col = new Array(2 * g.cols).fill(null);
  for (let i = 0; i < x.length; i++) {
    const v = y[i];
    if (v === null) continue;
    const c = slotOf(g, x[i]);
    out[2 * c] = out[2 * c + 1] = v;
  }
  return out;
}

// Range of x over prepared lines (display units).
export function xExtent(lines: ReadonlyArray<Prepared | null>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of lines) {
    if (!p || p.x.length === 0) continue;
    if (p.x[0] < lo) lo = p.x[0];
    if (p.x[p.x.length - 1] > hi) hi = p.x[p.x.length - 1];
  }
  return Number.isFinite(lo) ? [lo, hi] : null;
}
