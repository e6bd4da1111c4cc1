// The dashboard page: polls the server for run summaries (only what changed since its cursor),
// keeps the runs table, and draws the selected runs — or, in a root with many runs, their seed
// groups — on one chart per metric. Live runs' new rows are appended to the lines they feed.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { FilterSyntaxError, matchesFilter, parseFilter, unknownKeys } from '../../src/track/run-filter.js';
import { orderMetrics } from '../../src/track/summary.js';
import { csvUrl, fetchMeta, fetchRuns, pooled, type RunSummary } from './api.js';
import { ChartGrid, type ChartDebug } from './charts.js';
import { distinctColors } from './colors.js';
import { COMPARE_MAX, renderCompare } from './compare.js';
import { SeriesCache } from './data.js';
import type { ChartSettings, LineSpec, XMode } from './lines.js';
import { configText, differingConfigKeys, RunsTable, type RunView, type Sort } from './table.js';
import type { RunMeta } from '../../src/track/types.js';

const POLL_MS = 2000;
// Above this many runs in the root, runs that differ only in their seed are drawn as groups
// unless the user turned grouping off.
export const AUTO_GROUP_RUNS = 40;
// Metrics that describe the model rather than training: shown in the table, not as charts.
const TABLE_ONLY_METRICS = new Set(['Model Params']);

interface Settings extends ChartSettings {
  group: boolean | null; // null: automatic
  view: 'charts' | 'compare';
  diffOnly: boolean;
  sort: Sort | null;
}

const STORAGE_KEY = 'recur-dashboard';

function loadSaved(): { settings: Partial<Settings>; hidden: string[] } {
  try {
    const o = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
    return { settings: o.settings ?? {}, hidden: Array.isArray(o.hidden) ? o.hidden : [] };
  } catch {
    return { settings: {}, hidden: [] };
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// A short stable hash (FNV-1a) naming a set of group members in a cache key.
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

class Dashboard {
  private readonly runs = new Map<string, RunSummary>();
  private order: RunSummary[] = []; // start order
  private cursor: string | undefined;
  private readonly hidden: Set<string>;
  private settings: Settings;
  private readonly table: RunsTable;
  private readonly cache = new SeriesCache();
  private readonly grid: ChartGrid;
  private match: (r: RunSummary) => boolean = () => true;
  private lineOf = new Map<string, LineSpec>(); // run id -> the line drawing it
  private colors = new Map<string, string>(); // line key -> colour, while drawn
  private chartsSig = '';
  private now = Date.now();
  ready = false;
  lastPoll = 0;
  drawnAll = false;
  private compareToken = 0;

  constructor() {
    const saved = loadSaved();
    this.hidden = new Set(saved.hidden);
    this.settings = { smoothing: 0, xMode: 'step', logY: false, group: null, view: 'charts', diffOnly: true, sort: null, ...saved.settings };
    this.table = new RunsTable($('table-wrap'), $('runs-table'), (id, visible) => this.setVisible([id], visible), this.settings.sort, (sort) => this.set({ sort }, false));
    this.grid = new ChartGrid($('charts'), this.cache, (all) => this.onDrawn(all));
    this.wireControls();
  }

  private wireControls(): void {
    const s = this.settings;
    const smooth = $<HTMLInputElement>('smoothing');
    const smoothVal = $<HTMLInputElement>('smoothing-value');
    smooth.value = smoothVal.value = String(s.smoothing);
    const onSmooth = (v: string) => {
      const w = Math.min(0.99, Math.max(0, Number(v) || 0));
      smooth.value = smoothVal.value = String(w);
      this.set({ smoothing: w });
    };
    smooth.addEventListener('input', () => onSmooth(smooth.value));
    smoothVal.addEventListener('change', () => onSmooth(smoothVal.value));
    const xmode = $<HTMLSelectElement>('x-mode');
    xmode.value = s.xMode;
    xmode.addEventListener('change', () => this.set({ xMode: xmode.value as XMode }));
    const logY = $<HTMLInputElement>('log-y');
    logY.checked = s.logY;
    logY.addEventListener('change', () => this.set({ logY: logY.checked }));
    const group = $<HTMLInputElement>('group-seeds');
    group.addEventListener('change', () => this.set({ group: group.checked }));
    const diff = $<HTMLInputElement>('diff-only');
    diff.checked = s.diffOnly;
    diff.addEventListener('change', () => this.set({ diffOnly: diff.checked }));
    for (const view of ['charts', 'compare'] as const) {
      $(`tab-${view}`).addEventListener('click', () => this.set({ view }));
    }
    const filter = $<HTMLInputElement>('filter');
    filter.addEventListener('input', () => {
      // The language of `recur runs --filter` (src/track/run-filter.ts).
      try {
        const terms = parseFilter(filter.value);
        this.match = (r) => matchesFilter(r, terms);
        const unknown = unknownKeys(this.order, terms);
        $('filter-error').textContent = unknown.length ? `no run has ${unknown.map((k) => `'${k}'`).join(', ')}` : '';
        filter.classList.remove('invalid');
      } catch (e) {
        if (!(e instanceof FilterSyntaxError)) throw e;
        // Nothing is filtered while the expression does not parse; the message says why.
        this.match = () => true;
        $('filter-error').textContent = e.message;
        filter.classList.add('invalid');
      }
      this.render();
    });
    $('show-all').addEventListener('click', () => this.setVisible(this.table.shownIds(), true));
    $('hide-all').addEventListener('click', () => this.setVisible(this.table.shownIds(), false));
    $('export-csv').addEventListener('click', () => {
      const ids = this.selected().map((r) => r.id);
      if (ids.length === 0) return;
      const a = document.createElement('a');
      a.href = csvUrl(ids);
      a.download = 'recur-metrics.csv';
      document.body.append(a);
      a.click();
      a.remove();
    });
    $('reset-zoom').addEventListener('click', () => this.grid.resetZoom());
  }

  private set(patch: Partial<Settings>, rerender = true): void {
    this.settings = { ...this.settings, ...patch };
    this.save();
    if (rerender) this.render();
  }

  private save(): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ settings: this.settings, hidden: [...this.hidden] }));
    } catch {
      /* private mode: settings just do not persist */
    }
  }

  private setVisible(ids: readonly string[], visible: boolean): void {
    for (const id of ids) visible ? this.hidden.delete(id) : this.hidden.add(id);
    this.save();
    this.render();
  }

  // Runs the filter lets through, in start order.
  private filtered(): RunSummary[] {
    return this.order.filter(this.match);
  }

  // What the charts draw: the filtered runs that are checked.
  private selected(): RunSummary[] {
    return this.filtered().filter((r) => !this.hidden.has(r.id) && r.status !== 'corrupt');
  }

  private grouping(): boolean {
    return this.settings.group ?? this.runs.size > AUTO_GROUP_RUNS;
  }

  async poll(): Promise<void> {
    try {
      const list = await fetchRuns(this.cursor);
      const full = this.cursor === undefined;
      this.cursor = list.cursor;
      this.ready = true;
      this.now = list.now ?? Date.now();
      if (list.root) $('root').textContent = list.root;
      if (full || list.reset) this.runs.clear();
      const rebuilt = list.rebuilt ?? [];
      $('notice').textContent = rebuilt.length
        ? `Rebuilt the summary of ${rebuilt.length} run${rebuilt.length === 1 ? '' : 's'} from the log: ${rebuilt.slice(0, 3).map((r) => `${r.id} (${r.reason})`).join('; ')}${rebuilt.length > 3 ? '; …' : ''}`
        : '';
      const changed: RunSummary[] = [];
      let structural = full || !!list.reset;
      for (const r of list.runs) {
        const old = this.runs.get(r.id);
        if (!old || old.status !== r.status || old.metrics.length !== r.metrics.length) structural = true;
        this.runs.set(r.id, r);
        if (old) changed.push(r);
      }
      for (const id of list.removed ?? []) if (this.runs.delete(id)) structural = true;
      if (structural) {
        this.order = [...this.runs.values()].sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.id.localeCompare(b.id));
      } else {
        // Same runs, new objects: keep the order array pointing at the current summaries.
        this.order = this.order.map((r) => this.runs.get(r.id)!);
      }
      $('poll-status').textContent = `updated ${new Date().toLocaleTimeString()}`;
      $('poll-status').classList.remove('error');
      this.render();
      await this.appendLive(changed);
      this.grid.retry();
      this.lastPoll = Date.now();
      document.body.dataset.ready = '1';
    } catch (e) {
      $('poll-status').textContent = `cannot reach the server (${(e as Error).message})`;
      $('poll-status').classList.add('error');
    }
  }

  // New rows of changed runs go onto their lines; a group's aggregate is fetched again.
  private async appendLive(changed: readonly RunSummary[]): Promise<void> {
    const touched = new Set<string>();
    const jobs: Array<() => Promise<void>> = [];
    for (const r of changed) {
      const line = this.lineOf.get(r.id);
      if (!line || !this.cache.has(line)) continue;
      if (line.group) {
        this.cache.invalidate(line.key);
        touched.add(line.key);
      } else {
        jobs.push(async () => {
          if ((await this.cache.appendNew(line)).length) touched.add(line.key);
        });
      }
    }
    await pooled(jobs, 4);
    if (touched.size) this.grid.touched(touched);
  }

  private onDrawn(all: boolean): void {
    this.drawnAll = all && this.ready;
    (window as unknown as { __recurDrawn: boolean }).__recurDrawn = this.drawnAll;
    document.body.dataset.drawn = this.drawnAll ? '1' : '0';
    const err = this.grid.error;
    $('chart-error').textContent = err ? `some series could not be loaded (${err}); retrying at the next poll` : '';
  }

  private lines(sel: readonly RunSummary[]): LineSpec[] {
    const groups = this.grouping() && this.settings.xMode !== 'relative' && this.settings.xMode !== 'wall';
    // A group is named by the config keys that tell the drawn groups apart.
    const varying = groups ? differingConfigKeys(sel) : [];
    const specs: Array<Omit<LineSpec, 'color'>> = [];
    if (!groups) {
      for (const r of sel) specs.push({ key: r.id, label: r.id, runs: [r] });
    } else {
      const byGroup = new Map<string, RunSummary[]>();
      for (const r of sel) {
        const g = byGroup.get(r.group);
        g ? g.push(r) : byGroup.set(r.group, [r]);
      }
      for (const [group, runs] of byGroup) {
        if (runs.length === 1) specs.push({ key: runs[0].id, label: runs[0].id, runs });
        else {
          const ids = runs.map((r) => r.id);
          const name = configText(runs[0], varying) || runs[0].groupLabel || group;
          specs.push({ key: `group:${group}:${hash(ids.join(','))}`, label: `${name} (${runs.length} runs)`, runs, group });
        }
      }
    }
    // A line keeps its colour while it stays on the charts; a new one takes the first colour no
    // drawn line has, so colours are distinct among what is drawn and toggling one run does not
    // recolour the others.
    const candidates = distinctColors(Math.max(specs.length, 12));
    const keep = new Map<string, string>();
    const used = new Set<string>();
    for (const s of specs) {
      const c = this.colors.get(s.key);
      if (c && !used.has(c)) (keep.set(s.key, c), used.add(c));
    }
    let next = 0;
    const out = specs.map((s) => {
      let color = keep.get(s.key);
      if (!color) {
        while (used.has(candidates[next])) next++;
        color = candidates[next++] ?? '#888888';
        used.add(color);
      }
      return { ...s, color };
    });
    this.colors = new Map(out.map((l) => [l.key, l.color]));
    return out;
  }

  render(): void {
    const s = this.settings;
    const filtered = this.filtered();
    const sel = this.selected();
    const lines = this.lines(sel);
    this.lineOf = new Map();
    for (const l of lines) for (const r of l.runs) this.lineOf.set(r.id, l);
    // Table: config keys that differ among the selected runs (all filtered runs when fewer than
    // two are selected).
    const varying = differingConfigKeys(sel.length >= 2 ? sel : filtered);
    const views: RunView[] = filtered.map((run) => ({ run, visible: !this.hidden.has(run.id), color: this.lineOf.get(run.id)?.color ?? null }));
    this.table.setRows(views, varying, this.now);
    const n = this.runs.size;
    $('run-count').textContent = `${filtered.length === n ? '' : `${filtered.length} of `}${n} run${n === 1 ? '' : 's'} · ${sel.length} selected`;
    const grouped = lines.some((l) => l.group);
    const group = $<HTMLInputElement>('group-seeds');
    group.checked = this.grouping();
    $('group-note').textContent =
      this.grouping() && (s.xMode === 'relative' || s.xMode === 'wall') ? 'time axes draw runs, not groups' :
      s.group === null && grouped ? `automatic above ${AUTO_GROUP_RUNS} runs` : '';

    $('tab-charts').classList.toggle('active', s.view === 'charts');
    $('tab-compare').classList.toggle('active', s.view === 'compare');
    $('charts-view').hidden = s.view !== 'charts';
    $('compare-view').hidden = s.view !== 'compare';
    if (s.view === 'compare') {
      void this.renderCompare(sel);
      return;
    }
    const names = new Set<string>();
    for (const r of sel) for (const m of r.metrics) if (!TABLE_ONLY_METRICS.has(m)) names.add(m);
    const metrics = orderMetrics(names);
    // Charts are told about new lines or settings only when those change: a poll that brings
    // rows alone appends them (appendLive).
    const sig = JSON.stringify([metrics, lines.map((l) => [l.key, l.color, l.runs.length]), s.smoothing, s.xMode, s.logY]);
    if (sig !== this.chartsSig) {
      this.chartsSig = sig;
      this.grid.update(metrics, lines, { smoothing: s.smoothing, xMode: s.xMode, logY: s.logY });
    }
    $('no-charts').hidden = metrics.length > 0;
  }

  private async renderCompare(sel: readonly RunSummary[]): Promise<void> {
    const token = ++this.compareToken;
    const shown = sel.slice(0, COMPARE_MAX);
    const metas = await pooled(shown.map((r) => () => fetchMeta(r.id)), 6);
    if (token !== this.compareToken) return;
    const cols = shown.map((run, i) => ({ run, meta: metas[i] instanceof Error ? null : (metas[i] as RunMeta | null), color: this.lineOf.get(run.id)?.color ?? null }));
    renderCompare($('compare'), cols, this.settings.diffOnly, this.now, sel.length - shown.length);
  }

  debug(): ChartDebug[] {
    return this.grid.debug();
  }

  zoom(min: number, max: number): void {
    this.grid.setZoom({ min, max });
  }

  get seriesRequests(): number {
    return this.cache.requests;
  }
}

const dash = new Dashboard();
// For tests, the screenshot tool and the bench: `window.recurDashboard.charts()` describes what
// is drawn; `window.__recurDrawn` is true once every chart on screen has drawn its lines.
(window as unknown as { recurDashboard: unknown }).recurDashboard = {
  charts: () => dash.debug(),
  zoom: (min: number, max: number) => dash.zoom(min, max),
  poll: () => dash.poll(),
  get ready() {
    return dash.ready;
  },
  get drawn() {
    return dash.drawnAll;
  },
  get lastPoll() {
    return dash.lastPoll;
  },
  get seriesRequests() {
    return dash.seriesRequests;
  },
};
const loop = async () => {
  await dash.poll();
  setTimeout(loop, POLL_MS);
};
void loop();
