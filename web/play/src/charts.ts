// Live charts of loss, accuracy and current_lr (uPlot). The current run is drawn in the accent
// colour; earlier runs of this session stay, fainter, for comparison (the article's overlaid
// SwanLab charts). Each chart's container carries data-points (points of the current run) so
// tests can watch it grow.
import uPlot from 'uplot';
import type { MetricPoint } from './protocol.js';

export type Metric = 'loss' | 'accuracy' | 'current_lr';

export interface ChartRun {
  label: string;
  color: string;
  x: Record<Metric, number[]>;
  y: Record<Metric, number[]>;
}

const lrTick = (v: number) => (v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e'));
const METRICS: Array<{ key: Metric; title: string; fmt: (v: number) => string; tick?: (v: number) => string; range?: [number, number] }> = [
  { key: 'loss', title: 'loss', fmt: (v) => v.toFixed(3) },
  { key: 'accuracy', title: 'accuracy', fmt: (v) => `${(v * 100).toFixed(1)}%`, tick: (v) => `${Math.round(v * 100)}%`, range: [0, 1] },
  { key: 'current_lr', title: 'current_lr', fmt: (v) => v.toExponential(2), tick: lrTick },
];

export const PALETTE = ['#6a4fc8', '#e8590c', '#1c7ed6', '#2f9e44', '#c2255c', '#0c8599', '#868e96'];
const MAX_RUNS = 6;
const REDRAW_MS = 250;

function alpha(color: string, a: number): string {
  const n = parseInt(color.slice(1), 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

export class LiveCharts {
  readonly runs: ChartRun[] = [];
  private charts = new Map<Metric, uPlot>();
  private boxes = new Map<Metric, HTMLElement>();
  private legend: HTMLElement;
  private dirty = false;
  private lastDraw = -Infinity;
  private colorIndex = 0;

  constructor(private readonly host: HTMLElement, legend: HTMLElement) {
    this.legend = legend;
    for (const m of METRICS) {
      const box = document.createElement('div');
      box.className = 'chart';
      box.dataset.metric = m.key;
      box.dataset.points = '0';
      const h = document.createElement('h3');
      h.textContent = m.title;
      const plot = document.createElement('div');
      plot.className = 'chart-plot';
      box.append(h, plot);
      host.append(box);
      this.boxes.set(m.key, box);
    }
    new ResizeObserver(() => this.resize()).observe(host);
    this.rebuild();
  }

  /** Starts a new run (the previous ones stay, faded). */
  startRun(label: string): ChartRun {
    const color = PALETTE[this.colorIndex++ % PALETTE.length];
    const empty = () => ({ loss: [], accuracy: [], current_lr: [] });
    const run: ChartRun = { label, color, x: empty(), y: empty() };
    this.runs.push(run);
    while (this.runs.length > MAX_RUNS) this.runs.shift();
    this.rebuild();
    return run;
  }

  /** Forgets every run but `keep` (the one training, if any). */
  clear(keep?: ChartRun): void {
    this.runs.splice(0, this.runs.length, ...(keep ? [keep] : []));
    this.rebuild();
  }

  add(run: ChartRun, points: MetricPoint[]): void {
    for (const p of points) {
      for (const m of METRICS) {
        const v = p[m.key];
        if (v === undefined || !Number.isFinite(v)) continue;
        run.x[m.key].push(p.step);
        run.y[m.key].push(v);
      }
    }
    if (run === this.current()) {
      for (const m of METRICS) this.boxes.get(m.key)!.dataset.points = String(run.x[m.key].length);
    }
    // Redrawing three canvases costs a few ms; at most every REDRAW_MS keeps the charts live
    // while leaving the page thread mostly idle.
    if (points.length && !this.dirty) {
      this.dirty = true;
      const wait = Math.max(0, this.lastDraw + REDRAW_MS - performance.now());
      setTimeout(() => requestAnimationFrame(() => this.redraw()), wait);
    }
  }

  /** Draws pending points now (a run's last points should not wait for the throttle). */
  flush(): void {
    if (this.dirty) this.redraw();
  }

  private current(): ChartRun | undefined {
    return this.runs[this.runs.length - 1];
  }

  private data(m: Metric): uPlot.AlignedData {
    if (this.runs.length === 0) return [[]];
    const tables = this.runs.map((r) => [r.x[m], r.y[m]] as uPlot.AlignedData);
    return tables.length === 1 ? tables[0] : uPlot.join(tables);
  }

  private redraw(): void {
    this.dirty = false;
    this.lastDraw = performance.now();
    for (const m of METRICS) {
      this.charts.get(m.key)?.setData(this.data(m.key));
      this.boxes.get(m.key)!.dataset.points = String(this.current()?.x[m.key].length ?? 0);
    }
  }

  private size(): { width: number; height: number } {
    const box = this.boxes.get('loss')!;
    return { width: Math.max(200, box.clientWidth - 16), height: 190 };
  }

  private resize(): void {
    const s = this.size();
    for (const c of this.charts.values()) c.setSize(s);
  }

  private rebuild(): void {
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
    const last = this.runs.length - 1;
    for (const m of METRICS) {
      const series: uPlot.Series[] = [
        { label: 'step' },
        ...this.runs.map((r, i) => ({
          label: r.label,
          stroke: i === last ? r.color : alpha(r.color, 0.45),
          width: i === last ? 2 : 1.25,
          spanGaps: true,
          points: { show: m.key === 'accuracy', size: i === last ? 5 : 3, fill: i === last ? r.color : alpha(r.color, 0.45) },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : m.fmt(v)),
        })),
      ];
      const opts: uPlot.Options = {
        ...this.size(),
        series,
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false }, y: m.range ? { range: m.range } : { auto: true } },
        axes: [
          { stroke: '#6e7781', grid: { stroke: '#eef1f4' }, ticks: { stroke: '#d8dee4' }, size: 28 },
          {
            stroke: '#6e7781', grid: { stroke: '#eef1f4' }, ticks: { stroke: '#d8dee4' }, size: 50,
            ...(m.tick ? { values: (_u: uPlot, vals: number[]) => vals.map((v) => (v === null ? '' : m.tick!(v))) } : {}),
          },
        ],
      };
      const plot = this.boxes.get(m.key)!.querySelector('.chart-plot') as HTMLElement;
      plot.replaceChildren();
      this.charts.set(m.key, new uPlot(opts, this.data(m.key), plot));
    }
    this.legend.replaceChildren(
      ...this.runs.map((r, i) => {
        const item = document.createElement('span');
        item.className = `legend-item${i === last ? ' current' : ''}`;
        const sw = document.createElement('i');
        sw.style.background = r.color;
        item.append(sw, r.label);
        return item;
      }),
    );
    this.redraw();
  }
}
