// One uPlot chart per metric, every drawn line (run or seed group) overlaid, sharing the cursor
// and the zoom. A chart draws only while on screen (IntersectionObserver) and asks the series
// cache for what it lacks; zooming asks the server for the window at full resolution. Legends
// show at most LEGEND_CAP lines, with a search box for the rest; hovering a legend entry or
// nearing a line highlights it.
import uPlot from 'uplot';
import { formatNumber } from '../../src/track/summary.js';
import type { SeriesCache, Zoom } from './data.js';
import { chartPng, downloadBlob } from './export.js';
import {
  gridExtremes, gridLast, makeGrid, prepare, xExtent, type ChartSettings, type LineSpec, type Prepared, type XMode,
} from './lines.js';

export const LEGEND_CAP = 8;
// Above this many lines a chart draws groups as their mean only: 50 overlapping bands hide every
// line; filtering down to fewer lines brings the bands back.
export const BAND_MAX_LINES = 12;

type Col = Array<number | null>;

export interface ChartDebug {
  metric: string;
  drawn: boolean;
  xRange: [number, number] | null;
  legend: string[];
  lines: Array<{ key: string; label: string; color: string; points: number; rows: number | null; drawn: number[]; raw: number[] | null; x: [number, number] | null }>;
}

export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${alpha})`;
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

function formatX(mode: XMode, v: number): string {
  switch (mode) {
    case 'step': return `step ${Math.round(v)}`;
    case 'fraction': return `${formatNumber(v * 100, 3)}% of the run`;
    case 'relative': return formatSeconds(v);
    case 'wall': return new Date(v * 1000).toLocaleString();
  }
}

interface Built {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands: uPlot.Band[];
  main: number[]; // series index of each line's main series
  prepared: Array<Prepared | null>;
  range: [number, number] | null;
}

export class MetricChart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private readonly legendEl: HTMLElement;
  private readonly searchEl: HTMLInputElement;
  private readonly moreEl: HTMLElement;
  private u: uPlot | null = null;
  private structure = '';
  lines: LineSpec[] = [];
  private built: Built | null = null;
  private settings: ChartSettings | null = null;
  visible: boolean | null = null; // null: the IntersectionObserver has not reported yet
  dirty = true;
  drawn = false;
  private hoverIdx: number | null = null;
  private focused: number | null = null; // line index

  constructor(readonly metric: string, private readonly grid: ChartGrid) {
    this.el = document.createElement('section');
    this.el.className = 'chart-card';
    this.el.dataset.metric = metric;
    const head = document.createElement('div');
    head.className = 'chart-head';
    const title = document.createElement('h3');
    title.textContent = metric;
    this.searchEl = document.createElement('input');
    this.searchEl.type = 'search';
    this.searchEl.className = 'legend-search';
    this.searchEl.placeholder = 'find a line';
    this.searchEl.setAttribute('aria-label', `find a line in the ${metric} legend`);
    this.searchEl.addEventListener('input', () => this.renderLegend());
    const png = document.createElement('button');
    png.type = 'button';
    png.className = 'png-export';
    png.textContent = 'PNG';
    png.title = `Download the ${metric} chart as PNG`;
    png.addEventListener('click', () => void this.exportPng());
    this.moreEl = document.createElement('span');
    this.moreEl.className = 'legend-more';
    head.append(title, this.moreEl, this.searchEl, png);
    this.legendEl = document.createElement('div');
    this.legendEl.className = 'chart-legend';
    this.plotEl = document.createElement('div');
    this.plotEl.className = 'chart-plot';
    this.el.append(head, this.legendEl, this.plotEl);
  }

  setLines(lines: LineSpec[], s: ChartSettings): void {
    this.lines = lines;
    this.settings = s;
    this.dirty = true;
    this.searchEl.hidden = lines.length <= LEGEND_CAP;
  }

  get width(): number {
    return Math.max(280, this.plotEl.clientWidth || 480);
  }

  // Rebuilds the columns from the cache and hands them to uPlot (a new instance only when the set
  // of series changed; otherwise setData, which keeps the zoom and the cursor).
  draw(cache: SeriesCache, zoom: Zoom | null): void {
    const s = this.settings;
    if (!s) return;
    const width = this.width;
    const prepared = this.lines.map((l) => {
      const p = cache.get(l, this.metric, zoom, s.xMode);
      return p ? prepare(p, l, s) : null;
    });
    const built = this.build(prepared, s, width, zoom);
    const structure = JSON.stringify([this.lines.map((l) => [l.key, l.color, !!l.group]), s.smoothing > 0, s.xMode, s.logY]);
    this.built = built;
    if (this.u && structure === this.structure) {
      this.u.batch(() => {
        this.u!.setData(built.data, false);
        this.u!.setScale('x', zoom ?? (built.range ? { min: built.range[0], max: built.range[1] } : { min: 0, max: 1 }));
      });
    } else {
      this.u?.destroy();
      this.structure = structure;
      this.u = new uPlot(this.options(built, s, width), built.data, this.plotEl);
      const r = zoom ?? (built.range ? { min: built.range[0], max: built.range[1] } : null);
      if (r) this.u.setScale('x', r);
    }
    // Lines whose data has not arrived yet keep the chart due for another pass.
    this.dirty = this.lines.some((l) => cache.get(l, this.metric, zoom, s.xMode) === undefined);
    this.drawn = true;
    this.renderLegend();
  }

  private build(prepared: Array<Prepared | null>, s: ChartSettings, width: number, zoom: Zoom | null): Built {
    const ext = xExtent(prepared);
    let range: [number, number] | null = ext;
    if (s.xMode === 'fraction' && ext) range = [Math.min(0, ext[0]), Math.max(1, ext[1])];
    // Zoomed: a grid over the window plus a margin, so lines run on to the edges.
    let g0 = zoom ? zoom.min : (range?.[0] ?? 0);
    let g1 = zoom ? zoom.max : (range?.[1] ?? 1);
    if (zoom) {
      const m = (g1 - g0) * 0.05;
      g0 -= m;
      g1 += m;
    }
    const cols = Math.max(50, Math.round(width));
    const grid = makeGrid(g0, g1, cols);
    const data: Col[] = [grid.xs];
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    const main: number[] = [];
    this.lines.forEach((line, i) => {
      const p = prepared[i];
      const empty = (): Col => new Array(grid.xs.length).fill(null);
      const few = p ? p.x.length <= 3 : false;
      if (line.group && this.lines.length <= BAND_MAX_LINES) {
        const ext2 = p ? gridExtremes(grid, p.x, p.lo, p.hi) : empty();
        const hi = ext2.map((_, k) => ext2[k | 1]);
        const lo = ext2.map((_, k) => ext2[k & ~1]);
        data.push(hi, lo);
        series.push(
          { label: `${line.label} max`, stroke: withAlpha(line.color, 0.3), width: 0.5, spanGaps: true, points: { show: false } },
          { label: `${line.label} min`, stroke: withAlpha(line.color, 0.3), width: 0.5, spanGaps: true, points: { show: false } },
        );
        bands.push({ series: [data.length - 2, data.length - 1], fill: withAlpha(line.color, 0.12) });
      }
      if (p && p.raw) {
        data.push(gridExtremes(grid, p.x, p.raw, p.raw));
        series.push({ label: `${line.label} (raw)`, stroke: withAlpha(line.color, 0.25), width: 1, spanGaps: true, points: { show: few } });
      }
      // The main line: a run's real extremes per pixel column; smoothed or a group's mean: one value.
      const col = !p ? empty() : p.raw || line.group ? gridLast(grid, p.x, p.y) : gridExtremes(grid, p.x, p.lo, p.hi);
      data.push(col);
      series.push({ label: line.label, stroke: line.color, width: 1.75, spanGaps: true, points: { show: few, size: 7, fill: line.color } });
      main.push(data.length - 1);
    });
    return { data: data as unknown as uPlot.AlignedData, series, bands, main, prepared, range };
  }

  resize(): void {
    if (!this.u) return;
    this.u.setSize({ width: this.width, height: this.u.height });
  }

  get plot(): uPlot | null {
    return this.u;
  }

  destroy(): void {
    this.u?.destroy();
    this.u = null;
    this.el.remove();
  }

  debug(cache: SeriesCache): ChartDebug {
    const b = this.built;
    const x = this.u?.scales.x;
    const nn = (c: Col | null | undefined): number[] => (c ?? []).filter((v): v is number => v !== null);
    return {
      metric: this.metric,
      drawn: this.drawn && !this.dirty,
      xRange: x && x.min != null && x.max != null ? [x.min, x.max] : null,
      legend: Array.from(this.legendEl.querySelectorAll<HTMLElement>('.legend-item')).map((e) => e.dataset.line!),
      lines: this.lines.map((l, i) => {
        const p = b?.prepared[i] ?? null;
        return {
          key: l.key,
          label: l.label,
          color: l.color,
          points: p ? nn(p.raw ?? p.y).length : 0,
          rows: cache.rowsOf(l) ?? null,
          drawn: nn(p?.y),
          raw: p?.raw ? nn(p.raw) : null,
          x: p && p.x.length ? [p.x[0], p.x[p.x.length - 1]] : null,
        };
      }),
    };
  }

  private options(b: Built, s: ChartSettings, width: number): uPlot.Options {
    return {
      width,
      height: 240,
      series: b.series,
      bands: b.bands,
      legend: { show: false },
      focus: { alpha: 0.25 },
      scales: { x: { time: s.xMode === 'wall', auto: false }, y: { distr: s.logY ? 3 : 1 } },
      axes: [
        {
          values: s.xMode === 'wall' ? undefined : (_u, splits) => splits.map((v) => (v == null ? '' : s.xMode === 'relative' ? formatSeconds(v) : s.xMode === 'fraction' ? `${formatNumber(v * 100, 3)}%` : formatTick(v))),
          stroke: '#666', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' },
        },
        {
          stroke: '#666',
          grid: { stroke: '#eee' },
          ticks: { stroke: '#ddd' },
          values: (_u, splits) => splits.map((v) => (v == null ? '' : formatTick(v))),
          size: (_u, values) => Math.max(44, 18 + 8 * Math.max(0, ...(values ?? []).map((v) => String(v ?? '').length))),
        },
      ],
      cursor: {
        sync: { key: 'recur-x', setSeries: false },
        drag: { x: true, y: false, setScale: false },
        focus: { prox: 12 },
      },
      hooks: {
        setCursor: [(u) => {
          this.hoverIdx = u.cursor.idx ?? null;
          this.renderLegend();
        }],
        setSeries: [(_u, idx) => {
          const line = idx === null ? -1 : (this.built?.main.indexOf(idx) ?? -1);
          this.focused = line >= 0 ? line : null;
          this.renderLegend();
        }],
        setSelect: [
          (u) => {
            if (u.select.width <= 2) return;
            const min = u.posToVal(u.select.left, 'x');
            const max = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            this.grid.setZoom({ min, max });
          },
        ],
        ready: [(u) => u.over.addEventListener('dblclick', () => this.grid.resetZoom())],
      },
    };
  }

  // Legend: the hovered x, then at most LEGEND_CAP lines (those matching the search; the
  // highlighted line always), each with its value at the cursor (or its last value). Entries are
  // updated in place while the same lines are listed, so hovering one does not replace it.
  private legendKeys = '';
  private readonly legendX = Object.assign(document.createElement('span'), { className: 'legend-x' });

  private renderLegend(): void {
    const b = this.built;
    if (!b) return;
    const s = this.settings!;
    const xs = b.data[0] as number[];
    const idx = this.hoverIdx;
    const q = this.searchEl.value.trim().toLowerCase();
    const match = this.lines.map((_, i) => i).filter((i) => q === '' || this.lines[i].label.toLowerCase().includes(q) || this.lines[i].key.toLowerCase().includes(q));
    let shown = match.slice(0, LEGEND_CAP);
    if (this.focused !== null && !shown.includes(this.focused)) shown = [this.focused, ...shown.slice(0, LEGEND_CAP - 1)];
    const keys = JSON.stringify([shown.map((i) => this.lines[i].key), b.main]);
    if (keys !== this.legendKeys) {
      this.legendKeys = keys;
      this.legendEl.textContent = '';
      this.legendEl.append(this.legendX);
      for (const i of shown) {
        const line = this.lines[i];
        const item = document.createElement('span');
        item.className = 'legend-item';
        item.dataset.line = line.key;
        item.dataset.index = String(i);
        const sw = document.createElement('i');
        sw.style.background = line.color;
        const name = document.createElement('span');
        name.textContent = line.label;
        name.title = line.label;
        const val = document.createElement('b');
        item.append(sw, name, val);
        item.addEventListener('mouseenter', () => this.u?.setSeries(b.main[i], { focus: true }));
        item.addEventListener('mouseleave', () => this.u?.setSeries(null, { focus: false }));
        this.legendEl.append(item);
      }
    }
    this.legendX.textContent = idx !== null && xs[idx] !== undefined ? formatX(s.xMode, xs[idx]) : '';
    for (const item of Array.from(this.legendEl.querySelectorAll<HTMLElement>('.legend-item'))) {
      const i = Number(item.dataset.index);
      item.classList.toggle('focused', this.focused === i);
      const col = b.data[b.main[i]] as Col;
      const v = idx === null ? lastValue(col) : nearestValue(col, idx);
      const text = v === null ? '' : formatNumber(v, 4);
      const val = item.querySelector('b')!;
      if (val.textContent !== text) val.textContent = text;
    }
    const rest = match.length - shown.filter((i) => match.includes(i)).length;
    this.moreEl.textContent = q !== '' && match.length === 0 ? `no line matches '${q}'` : rest > 0 ? `+${rest} more${q ? '' : ': find a line'}` : '';
  }

  private async exportPng(): Promise<void> {
    if (!this.u) return;
    const shown = Array.from(this.legendEl.querySelectorAll<HTMLElement>('.legend-item')).map((e) => e.dataset.line);
    const legend = this.lines.filter((l) => shown.includes(l.key)).map((l) => ({ label: l.label, color: l.color }));
    const blob = await chartPng(this.u, this.metric, legend);
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

// The charts of the page, keyed by metric, sharing cursor and zoom. Charts draw when on screen;
// `onDrawn` fires whenever every on-screen chart has drawn what it has been given.
export class ChartGrid {
  private readonly charts = new Map<string, MetricChart>();
  zoom: Zoom | null = null;
  private zoomMode: XMode | null = null;
  private lines: LineSpec[] = [];
  private settings: ChartSettings | null = null;
  private readonly observer: IntersectionObserver;
  private pending = 0;
  private scheduled = false;
  error: string | null = null;

  constructor(private readonly container: HTMLElement, private readonly cache: SeriesCache, private readonly onDrawn: (all: boolean) => void) {
    window.addEventListener('resize', () => this.charts.forEach((c) => c.resize()));
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const c = this.charts.get((e.target as HTMLElement).dataset.metric!);
          if (c) c.visible = e.isIntersecting;
        }
        this.schedule();
      },
      { rootMargin: '100px 0px' },
    );
  }

  update(metrics: readonly string[], lines: LineSpec[], s: ChartSettings): void {
    if (this.zoomMode !== s.xMode) this.zoom = null;
    this.zoomMode = s.xMode;
    this.lines = lines;
    this.settings = s;
    for (const [m, c] of this.charts) {
      if (!metrics.includes(m)) {
        this.observer.unobserve(c.el);
        c.destroy();
        this.charts.delete(m);
      }
    }
    metrics.forEach((m) => {
      let c = this.charts.get(m);
      if (!c) {
        c = new MetricChart(m, this);
        this.charts.set(m, c);
        this.observer.observe(c.el);
      }
      this.container.append(c.el); // (re)appending keeps DOM order = metric order
      c.setLines(lines.filter((l) => l.runs.some((r) => r.metrics.includes(m))), s);
    });
    this.schedule();
  }

  // Charts holding any of `keys` redraw (live rows arrived); off-screen ones when they scroll in.
  touched(keys: ReadonlySet<string>): void {
    for (const c of this.charts.values()) if (c.lines.some((l) => keys.has(l.key))) c.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    // Something on screen is due: not drawn until that pass has run.
    if ([...this.charts.values()].some((c) => c.visible === true && c.dirty)) this.onDrawn(false);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      void this.drawVisible();
    }, 0);
  }

  // Loads what the on-screen charts lack (one request per line for all their metrics), then draws
  // them. Charts off screen keep their `dirty` mark until they scroll in.
  private async drawVisible(): Promise<void> {
    const s = this.settings;
    if (!s) return;
    const todo = [...this.charts.values()].filter((c) => c.visible && c.dirty);
    if (todo.length === 0) return this.report();
    this.pending++;
    this.onDrawn(false);
    try {
      const width = Math.max(...todo.map((c) => c.width));
      this.cache.configure(s.xMode, width);
      const metrics = todo.map((c) => c.metric);
      const lines = new Map<string, LineSpec>();
      for (const c of todo) for (const l of c.lines) lines.set(l.key, l);
      const zoom = this.zoom;
      await this.cache.load([...lines.values()], metrics, zoom, s.xMode);
      this.error = null;
      if (zoom !== this.zoom) return; // superseded: the pass for the new zoom draws
      for (const c of todo) if (c.visible) c.draw(this.cache, zoom);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.pending--;
      this.report();
    }
  }

  private report(): void {
    if (this.pending > 0) return;
    const all = [...this.charts.values()].every((c) => c.visible === false || (c.visible === true && c.drawn && !c.dirty));
    this.onDrawn(all);
    // Charts on screen still missing data get another pass (a failed request is retried at the
    // next poll, retry(), not in a loop); charts not yet reported by the observer wait for it.
    if (this.error === null && [...this.charts.values()].some((c) => c.visible === true && c.dirty)) this.schedule();
  }

  retry(): void {
    if (this.error !== null) {
      this.error = null;
      this.schedule();
    }
  }

  setZoom(z: Zoom): void {
    this.zoom = z;
    for (const c of this.charts.values()) c.dirty = true;
    this.schedule();
  }

  resetZoom(): void {
    this.zoom = null;
    for (const c of this.charts.values()) c.dirty = true;
    this.schedule();
  }

  debug(): ChartDebug[] {
    return [...this.charts.values()].map((c) => c.debug(this.cache));
  }
}
