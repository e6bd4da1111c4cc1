// One uPlot chart per metric, every visible run (or seed group) overlaid. Smoothing is an EMA
// with bias correction (src/track/smoothing.ts) drawn over the faint raw line; groups are drawn
// as their mean inside a min–max band. Series longer than the chart is wide are downsampled for
// drawing only (min/max per bucket); the CSV export reads the server, never these arrays.
import uPlot from 'uplot';
import { aggregateGroup } from '../../src/track/group.js';
import { downsampleIndices, emaSmooth, pick } from '../../src/track/smoothing.js';
import { formatNumber } from '../../src/track/summary.js';
import type { MetricRow } from '../../src/track/types.js';
import { chartPng, downloadBlob } from './export.js';

export type XMode = 'step' | 'relative' | 'wall';

export interface ChartSettings {
  smoothing: number; // EMA weight in [0, 1)
  xMode: XMode;
  logY: boolean;
}

export interface LineSpec {
  key: string; // run id, or 'group:' + group key
  label: string;
  color: string;
  runs: Array<{ id: string; startMs: number; rows: readonly MetricRow[] }>; // >1: a seed group
}

type Col = Array<number | null>;

export interface ChartDebug {
  metric: string;
  xRange: [number, number] | null;
  lines: Array<{ key: string; label: string; color: string; points: number; drawn: Col; raw: Col | null }>;
}

export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${alpha})`;
}

interface Built {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands: uPlot.Band[];
  main: number[]; // series index of each line's main (hover/legend) series
  raw: number[]; // series index of each line's faint raw series, or -1
  points: number[];
}

// Series of one line for one metric: x, raw y, and (groups) min and max, all sorted by x.
function lineColumns(line: LineSpec, metric: string, s: ChartSettings): { x: number[]; y: Col; lo?: Col; hi?: Col } {
  const fixY = (v: number | undefined): number | null =>
    v === undefined || !Number.isFinite(v) || (s.logY && v <= 0) ? null : v;
  if (line.runs.length === 1) {
    const r = line.runs[0];
    const x: number[] = [];
    const y: Col = [];
    for (const row of r.rows) {
      if (!(metric in row)) continue;
      x.push(s.xMode === 'step' ? row.step : s.xMode === 'relative' ? (row.t - r.startMs) / 1000 : row.t / 1000);
      y.push(fixY(row[metric]));
    }
    return { x, y };
  }
  const g = aggregateGroup(line.runs, metric);
  const start = Math.min(...line.runs.map((r) => r.startMs));
  const x = s.xMode === 'step' ? g.step : s.xMode === 'relative' ? g.t.map((t) => t / 1000) : g.t.map((t) => (start + t) / 1000);
  return { x, y: g.mean.map(fixY), lo: g.min.map(fixY), hi: g.max.map(fixY) };
}

function sortedByX(c: { x: number[]; y: Col; lo?: Col; hi?: Col }): typeof c {
  let sorted = true;
  for (let i = 1; i < c.x.length && sorted; i++) if (c.x[i] < c.x[i - 1]) sorted = false;
  if (sorted) return c;
  const order = c.x.map((_, i) => i).sort((a, b) => c.x[a] - c.x[b]);
  return { x: pick(c.x, order), y: pick(c.y, order), lo: c.lo && pick(c.lo, order), hi: c.hi && pick(c.hi, order) };
}

export function buildChartData(lines: readonly LineSpec[], metric: string, s: ChartSettings, maxPoints: number): Built {
  const tables: uPlot.AlignedData[] = [];
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  const main: number[] = [];
  const raw: number[] = [];
  const points: number[] = [];
  let idx = 1;
  for (const line of lines) {
    const c = sortedByX(lineColumns(line, metric, s));
    const smooth = s.smoothing > 0 ? emaSmooth(c.y, s.smoothing) : null;
    const keep = downsampleIndices(c.y, maxPoints);
    const x = pick(c.x, keep);
    const cols: Col[] = [];
    points.push(c.y.filter((v) => v !== null).length);
    const few = c.x.length <= 3;
    if (c.hi && c.lo) {
      cols.push(pick(c.hi, keep), pick(c.lo, keep));
      series.push(
        { label: `${line.label} max`, stroke: withAlpha(line.color, 0.35), width: 0.5, spanGaps: true, points: { show: false } },
        { label: `${line.label} min`, stroke: withAlpha(line.color, 0.35), width: 0.5, spanGaps: true, points: { show: false } },
      );
      bands.push({ series: [idx, idx + 1], fill: withAlpha(line.color, 0.14) });
      idx += 2;
    }
    if (smooth) {
      cols.push(pick(c.y, keep));
      series.push({ label: `${line.label} (raw)`, stroke: withAlpha(line.color, 0.25), width: 1, spanGaps: true, points: { show: few } });
      raw.push(idx++);
      cols.push(pick(smooth, keep));
    } else {
      raw.push(-1);
      cols.push(pick(c.y, keep));
    }
    series.push({ label: line.label, stroke: line.color, width: 2, spanGaps: true, points: { show: few, size: 7, fill: line.color } });
    main.push(idx++);
    tables.push([x, ...cols] as uPlot.AlignedData);
  }
  const data = tables.length ? uPlot.join(tables) : ([[]] as unknown as uPlot.AlignedData);
  return { data, series, bands, main, raw, points };
}

function axisValue(s: ChartSettings) {
  return (_u: uPlot, splits: number[]) =>
    splits.map((v) => (v == null ? '' : s.xMode === 'relative' ? formatSeconds(v) : formatTick(v)));
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1000 && Number.isInteger(v)) return a >= 1e6 ? `${formatNumber(v / 1e6, 3)}M` : `${formatNumber(v / 1000, 3)}k`;
  return formatNumber(v, 3);
}

function formatSeconds(v: number): string {
  if (Math.abs(v) < 60) return `${formatNumber(v, 3)}s`;
  if (Math.abs(v) < 3600) return `${formatNumber(v / 60, 3)}m`;
  return `${formatNumber(v / 3600, 3)}h`;
}

export class MetricChart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private readonly legendEl: HTMLElement;
  private u: uPlot | null = null;
  private structure = '';
  private lines: LineSpec[] = [];
  private built: Built | null = null;
  private settings: ChartSettings | null = null;

  constructor(readonly metric: string, private readonly grid: ChartGrid) {
    this.el = document.createElement('section');
    this.el.className = 'chart-card';
    this.el.dataset.metric = metric;
    const head = document.createElement('div');
    head.className = 'chart-head';
    const title = document.createElement('h3');
    title.textContent = metric;
    const png = document.createElement('button');
    png.type = 'button';
    png.className = 'png-export';
    png.textContent = 'PNG';
    png.title = `Download the ${metric} chart as PNG`;
    png.addEventListener('click', () => void this.exportPng());
    head.append(title, png);
    this.legendEl = document.createElement('div');
    this.legendEl.className = 'chart-legend';
    this.plotEl = document.createElement('div');
    this.plotEl.className = 'chart-plot';
    this.el.append(head, this.legendEl, this.plotEl);
  }

  update(lines: LineSpec[], s: ChartSettings): void {
    const width = Math.max(280, this.plotEl.clientWidth || 480);
    const built = buildChartData(lines, this.metric, s, Math.max(200, width * 2));
    const structure = JSON.stringify([lines.map((l) => [l.key, l.label, l.color, l.runs.length > 1]), s.smoothing > 0, s.xMode, s.logY]);
    this.lines = lines;
    this.built = built;
    this.settings = s;
    if (this.u && structure === this.structure) {
      const zoom = this.grid.zoom;
      this.u.setData(built.data, zoom === null);
      if (zoom) this.grid.applyZoom(this.u, zoom);
    } else {
      this.u?.destroy();
      this.structure = structure;
      this.u = new uPlot(this.options(built, s, width), built.data, this.plotEl);
      if (this.grid.zoom) this.grid.applyZoom(this.u, this.grid.zoom);
    }
    this.renderLegend(null);
  }

  resize(): void {
    if (!this.u) return;
    this.u.setSize({ width: Math.max(280, this.plotEl.clientWidth), height: this.u.height });
  }

  resetZoom(): void {
    if (this.u) this.u.setData(this.u.data, true);
  }

  get plot(): uPlot | null {
    return this.u;
  }

  destroy(): void {
    this.u?.destroy();
    this.u = null;
    this.el.remove();
  }

  debug(): ChartDebug {
    const b = this.built;
    const x = this.u?.scales.x;
    return {
      metric: this.metric,
      xRange: x && x.min != null && x.max != null ? [x.min, x.max] : null,
      lines: this.lines.map((l, i) => ({
        key: l.key,
        label: l.label,
        color: l.color,
        points: b ? b.points[i] : 0,
        drawn: b ? (b.data[b.main[i]] as Col).filter((v) => v != null) : [],
        raw: b && b.raw[i] >= 0 ? (b.data[b.raw[i]] as Col).filter((v) => v != null) : null,
      })),
    };
  }

  private options(b: Built, s: ChartSettings, width: number): uPlot.Options {
    return {
      width,
      height: 240,
      series: b.series,
      bands: b.bands,
      legend: { show: false },
      scales: { x: { time: s.xMode === 'wall' }, y: { distr: s.logY ? 3 : 1 } },
      axes: [
        { values: s.xMode === 'wall' ? undefined : axisValue(s), stroke: '#666', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' } },
        {
          stroke: '#666',
          grid: { stroke: '#eee' },
          ticks: { stroke: '#ddd' },
          values: (_u, splits) => splits.map((v) => (v == null ? '' : formatTick(v))),
          size: (_u, values) => Math.max(44, 18 + 8 * Math.max(0, ...(values ?? []).map((v) => String(v ?? '').length))),
        },
      ],
      cursor: { sync: { key: 'recur-x', setSeries: false }, drag: { x: true, y: false, setScale: true } },
      hooks: {
        setCursor: [(u) => this.renderLegend(u.cursor.idx ?? null)],
        setSelect: [
          (u) => {
            if (u.select.width <= 0) return;
            const min = u.posToVal(u.select.left, 'x');
            const max = u.posToVal(u.select.left + u.select.width, 'x');
            this.grid.setZoom({ min, max }, this);
          },
        ],
        ready: [
          (u) => {
            u.over.addEventListener('dblclick', () => this.grid.resetZoom());
          },
        ],
      },
    };
  }

  // Legend with hover values: the value of each line at the hovered x (or its nearest point).
  private renderLegend(idx: number | null): void {
    const b = this.built;
    if (!b) return;
    this.legendEl.textContent = '';
    const xs = b.data[0] as number[];
    if (idx !== null && xs[idx] !== undefined) {
      const x = document.createElement('span');
      x.className = 'legend-x';
      const s = this.settings!;
      x.textContent =
        s.xMode === 'step' ? `step ${xs[idx]}` : s.xMode === 'relative' ? formatSeconds(xs[idx]) : new Date(xs[idx] * 1000).toLocaleString();
      this.legendEl.append(x);
    }
    this.lines.forEach((line, i) => {
      const item = document.createElement('span');
      item.className = 'legend-item';
      item.dataset.line = line.key;
      const sw = document.createElement('i');
      sw.style.background = line.color;
      const name = document.createElement('span');
      name.textContent = line.label;
      item.append(sw, name);
      const col = b.data[b.main[i]] as Col;
      const v = idx === null ? lastValue(col) : nearestValue(col, idx);
      if (v !== null) {
        const val = document.createElement('b');
        val.textContent = formatNumber(v, 4);
        item.append(val);
        if (b.raw[i] >= 0) {
          const rawCol = b.data[b.raw[i]] as Col;
          const rv = idx === null ? lastValue(rawCol) : nearestValue(rawCol, idx);
          item.title = `smoothed ${formatNumber(v, 6)}, raw ${rv === null ? '—' : formatNumber(rv, 6)}`;
        }
      }
      this.legendEl.append(item);
    });
  }

  private async exportPng(): Promise<void> {
    if (!this.u) return;
    const blob = await chartPng(this.u, this.metric, this.lines.map((l) => ({ label: l.label, color: l.color })));
    downloadBlob(blob, `${this.metric.replace(/[^\w.-]+/g, '_')}.png`);
  }
}

function lastValue(col: Col): number | null {
  for (let i = col.length - 1; i >= 0; i--) if (col[i] != null) return col[i];
  return null;
}

function nearestValue(col: Col, idx: number): number | null {
  for (let d = 0; d < col.length; d++) {
    if (col[idx - d] != null) return col[idx - d] as number;
    if (col[idx + d] != null) return col[idx + d] as number;
    if (idx - d < 0 && idx + d >= col.length) break;
  }
  return null;
}

// The charts of the page, keyed by metric, sharing cursor and zoom.
export class ChartGrid {
  private readonly charts = new Map<string, MetricChart>();
  zoom: { min: number; max: number } | null = null;
  private zoomMode: XMode | null = null;

  constructor(private readonly container: HTMLElement) {
    window.addEventListener('resize', () => this.charts.forEach((c) => c.resize()));
  }

  update(metrics: readonly string[], lines: LineSpec[], s: ChartSettings): void {
    if (this.zoomMode !== s.xMode) this.zoom = null;
    this.zoomMode = s.xMode;
    for (const [m, c] of this.charts) {
      if (!metrics.includes(m)) {
        c.destroy();
        this.charts.delete(m);
      }
    }
    metrics.forEach((m) => {
      let c = this.charts.get(m);
      if (!c) {
        c = new MetricChart(m, this);
        this.charts.set(m, c);
      }
      this.container.append(c.el); // (re)appending keeps DOM order = metric order
      c.update(lines.filter((l) => l.runs.some((r) => r.rows.some((row) => m in row))), s);
    });
  }

  setZoom(z: { min: number; max: number }, from: MetricChart): void {
    this.zoom = z;
    for (const c of this.charts.values()) if (c !== from && c.plot) this.applyZoom(c.plot, z);
  }

  applyZoom(u: uPlot, z: { min: number; max: number }): void {
    u.setScale('x', z);
  }

  resetZoom(): void {
    this.zoom = null;
    for (const c of this.charts.values()) c.resetZoom();
  }

  debug(): ChartDebug[] {
    return [...this.charts.values()].map((c) => c.debug());
  }
}
