// The dashboard page: polls the server for runs (live updates), keeps each visible run's rows,
// and redraws the runs table, the charts and the compare view.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { runColor } from '../../src/track/colors.js';
import { groupRuns } from '../../src/track/group.js';
import { orderMetrics, varyingConfigKeys } from '../../src/track/summary.js';
import type { RunMeta } from '../../src/track/types.js';
import { csvUrl, fetchMetrics, fetchRuns, type ApiRun, type RunRows } from './api.js';
import { ChartGrid, type ChartDebug, type ChartSettings, type LineSpec, type XMode } from './charts.js';
import { renderCompare, RunsTable, type RunView } from './table.js';

const POLL_MS = 2000;

interface Settings extends ChartSettings {
  group: boolean;
  view: 'charts' | 'compare';
  diffOnly: boolean;
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

class Dashboard {
  private runs: ApiRun[] = [];
  private readonly colors = new Map<string, string>();
  private readonly hidden: Set<string>;
  private readonly data = new Map<string, RunRows>();
  private readonly loading = new Set<string>();
  private settings: Settings;
  private readonly table: RunsTable;
  private readonly grid: ChartGrid;
  private filter = '';
  private now = Date.now();
  ready = false;
  lastPoll = 0;

  constructor() {
    const saved = loadSaved();
    this.hidden = new Set(saved.hidden);
    this.settings = { smoothing: 0, xMode: 'step', logY: false, group: false, view: 'charts', diffOnly: true, ...saved.settings };
    this.table = new RunsTable($('runs-table'), (id, visible) => this.setVisible([id], visible));
    this.grid = new ChartGrid($('charts'));
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
    group.checked = s.group;
    group.addEventListener('change', () => this.set({ group: group.checked }));
    const diff = $<HTMLInputElement>('diff-only');
    diff.checked = s.diffOnly;
    diff.addEventListener('change', () => this.set({ diffOnly: diff.checked }));
    for (const view of ['charts', 'compare'] as const) {
      $(`tab-${view}`).addEventListener('click', () => this.set({ view }));
    }
    $<HTMLInputElement>('filter').addEventListener('input', (e) => {
      this.filter = (e.target as HTMLInputElement).value;
      this.renderTable();
    });
    $('show-all').addEventListener('click', () => this.setVisible(this.table.shownIds(), true));
    $('hide-all').addEventListener('click', () => this.setVisible(this.table.shownIds(), false));
    $('export-csv').addEventListener('click', () => {
      const ids = this.visibleRuns().map((r) => r.id);
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

  private set(patch: Partial<Settings>): void {
    this.settings = { ...this.settings, ...patch };
    this.save();
    this.render();
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
    void this.loadMissing().then((changed) => changed && this.render());
  }

  private visibleRuns(): ApiRun[] {
    return this.runs.filter((r) => !this.hidden.has(r.id));
  }

  private signature = '';

  async poll(): Promise<void> {
    try {
      const list = await fetchRuns();
      this.now = list.now;
      $('root').textContent = list.root;
      this.runs = list.runs;
      // Colours follow start order, so a new run never recolours the others.
      for (const r of this.runs) if (!this.colors.has(r.id)) this.colors.set(r.id, runColor(this.colors.size));
      $('poll-status').textContent = `updated ${new Date().toLocaleTimeString()}`;
      $('poll-status').classList.remove('error');
      const sig = JSON.stringify(list.runs);
      const loaded = await this.loadMissing();
      // Redraw only when something changed (a redraw mid-hover would reset the hover legend);
      // the table's durations of running runs tick anyway.
      if (loaded || sig !== this.signature || !this.ready) this.render();
      else this.renderTable();
      this.signature = sig;
      this.lastPoll = Date.now();
    } catch (e) {
      $('poll-status').textContent = `cannot reach the server (${(e as Error).message})`;
      $('poll-status').classList.add('error');
    }
  }

  // Fetches rows of visible runs whose log grew since we last read it.
  private async loadMissing(): Promise<boolean> {
    const todo = this.visibleRuns().filter((r) => !this.loading.has(r.id) && (this.data.get(r.id)?.cursor ?? -1) !== r.cursor);
    let changed = false;
    const worker = async () => {
      for (let r = todo.shift(); r; r = todo.shift()) {
        this.loading.add(r.id);
        try {
          const had = this.data.get(r.id);
          const oldCursor = had?.cursor;
          const got = await fetchMetrics(r.id, had);
          this.data.set(r.id, got);
          if (got.cursor !== oldCursor || !had) changed = true;
        } catch {
          /* the run may have been deleted; the next poll sorts it out */
        } finally {
          this.loading.delete(r.id);
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return changed;
  }

  private views(): RunView[] {
    return this.runs.map((run) => ({ run, color: this.colors.get(run.id) ?? '#888', visible: !this.hidden.has(run.id) }));
  }

  private renderTable(): void {
    // Newest first, as experiment trackers list them.
    const views = this.views().reverse();
    const metas = this.runs.map((r) => r.meta).filter((m): m is RunMeta => m !== null);
    this.table.render(views, varyingConfigKeys(metas), this.filter, this.now);
    $('run-count').textContent = `${this.runs.length} run${this.runs.length === 1 ? '' : 's'}`;
  }

  private lines(): LineSpec[] {
    const vis = this.visibleRuns().filter((r) => r.meta && this.data.has(r.id));
    const member = (r: ApiRun) => ({ id: r.id, startMs: Date.parse(r.meta!.startedAt), rows: this.data.get(r.id)!.rows });
    if (!this.settings.group) {
      return vis.map((r) => ({ key: r.id, label: r.id, color: this.colors.get(r.id)!, runs: [member(r)] }));
    }
    const byId = new Map(vis.map((r) => [r.id, r]));
    return groupRuns(vis.map((r) => r.meta!)).map((g) => ({
      key: g.ids.length === 1 ? g.ids[0] : `group:${g.ids.join(',')}`,
      label: g.label,
      color: this.colors.get(g.ids[0])!,
      runs: g.ids.map((id) => member(byId.get(id)!)),
    }));
  }

  render(): void {
    this.renderTable();
    const s = this.settings;
    $('tab-charts').classList.toggle('active', s.view === 'charts');
    $('tab-compare').classList.toggle('active', s.view === 'compare');
    $('charts-view').hidden = s.view !== 'charts';
    $('compare-view').hidden = s.view !== 'compare';
    if (s.view === 'compare') {
      renderCompare($('compare'), this.views().filter((v) => v.visible), s.diffOnly, this.now);
    } else {
      const lines = this.lines();
      const names = new Set<string>();
      for (const l of lines) for (const r of l.runs) for (const row of r.rows) for (const k of Object.keys(row)) if (k !== 'step' && k !== 't') names.add(k);
      this.grid.update(orderMetrics(names), lines, s);
      $('no-charts').hidden = names.size > 0;
    }
    if (!this.ready && this.runs.every((r) => this.hidden.has(r.id) || !r.meta || this.data.has(r.id))) {
      this.ready = true;
      document.body.dataset.ready = '1';
    }
  }

  debug(): ChartDebug[] {
    return this.grid.debug();
  }
}

const dash = new Dashboard();
// For tests and the screenshot tool: `window.recurDashboard.charts()` describes what is drawn.
(window as unknown as { recurDashboard: unknown }).recurDashboard = {
  charts: () => dash.debug(),
  poll: () => dash.poll(),
  get ready() {
    return dash.ready;
  },
  get lastPoll() {
    return dash.lastPoll;
  },
};
const loop = async () => {
  await dash.poll();
  setTimeout(loop, POLL_MS);
};
void loop();
