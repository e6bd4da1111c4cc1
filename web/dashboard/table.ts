// The runs table, virtualised: rows have a fixed height and only those in (or near) the scrolled
// window are in the DOM, between two spacer rows that keep the scrollbar true, so 10,000 runs
// cost what 30 do. Sortable by any column (click a header; again to reverse), one line per run:
// the config shows the keys that differ among the selected runs, the full config is its tooltip.
import { accuracyMetric, flattenConfig, formatDuration, formatNumber, formatValue, isIdentityKey, lossMetric, SEED_KEYS } from '../../src/track/summary.js';
import type { RunSummary } from './api.js';

export const ROW_HEIGHT = 26;
const OVERSCAN = 8;

export interface RunView {
  run: RunSummary;
  color: string | null; // null: not drawn (hidden, or its group is drawn instead)
  visible: boolean;
}

type SortValue = number | string | undefined;

interface Column {
  key: string;
  title: string;
  cls: string;
  tip?: string;
  value?: (v: RunView, ctx: RowContext) => SortValue;
}

interface RowContext {
  now: number;
  varying: readonly string[];
}

// Flattened configs, once per summary object (a poll brings new objects for changed runs only).
const flatCache = new WeakMap<RunSummary, Record<string, unknown>>();
export function flatConfig(run: RunSummary): Record<string, unknown> {
  let f = flatCache.get(run);
  if (!f) flatCache.set(run, (f = flattenConfig(run.config ?? {})));
  return f;
}

export function durationMs(run: RunSummary, now: number): number | undefined {
  const start = run.startedAt ? Date.parse(run.startedAt) : NaN;
  if (!Number.isFinite(start)) return undefined;
  const endIso = run.endedAt ?? (run.status === 'running' ? undefined : run.updatedAt);
  const end = endIso ? Date.parse(endIso) : now;
  return Number.isFinite(end) ? Math.max(0, end - start) : undefined;
}

export function accuracyKey(run: RunSummary): string | undefined {
  return accuracyMetric(run.metrics);
}

function finite(v: number | null | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bestAccuracy(run: RunSummary): number | undefined {
  const k = accuracyKey(run);
  return k ? finite(run.best?.[k]?.value) : undefined;
}

export function lastAccuracy(run: RunSummary): number | undefined {
  const k = accuracyKey(run);
  return k ? finite(run.last?.[k]) : undefined;
}

export function finalLoss(run: RunSummary): number | undefined {
  const k = lossMetric(run.metrics);
  return k ? finite(run.last?.[k]) : undefined;
}

// The run's parameter count: the summary's, else a logged "Model Params" metric.
export function paramCount(run: RunSummary): number | undefined {
  return finite(run.params) ?? finite(run.last?.['Model Params']);
}

// Config keys (flattened) whose values differ among `runs`. A key some runs lack is judged by the
// runs that have it: a runs root that gained a key later does not flag every other key.
export function differingConfigKeys(runs: readonly RunSummary[]): string[] {
  if (runs.length < 2) return [];
  const values = new Map<string, Set<string>>();
  for (const r of runs) {
    for (const [k, v] of Object.entries(flatConfig(r))) {
      if (isIdentityKey(k) || SEED_KEYS.has(k)) continue;
      let s = values.get(k);
      if (!s) values.set(k, (s = new Set()));
      if (s.size < 2) s.add(JSON.stringify(v));
    }
  }
  return [...values.entries()].filter(([, s]) => s.size > 1).map(([k]) => k);
}

export function configText(run: RunSummary, keys: readonly string[]): string {
  const flat = flatConfig(run);
  return keys.filter((k) => k in flat).map((k) => `${k}=${formatValue(flat[k])}`).join(' ');
}

function fullConfig(run: RunSummary): string {
  return Object.entries(flatConfig(run)).map(([k, v]) => `${k}=${formatValue(v)}`).join('\n');
}

function fmtStart(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const COLUMNS: Column[] = [
  { key: 'show', title: '', cls: 'show', value: (v) => (v.visible ? 0 : 1) },
  { key: 'name', title: 'name', cls: 'name', value: (v) => v.run.id },
  { key: 'status', title: 'status', cls: 'status-cell', value: (v) => v.run.status },
  { key: 'seed', title: 'seed', cls: 'seed num', value: (v) => v.run.seed },
  { key: 'config', title: 'config', cls: 'config', tip: 'the config keys that differ among the selected runs; hover a cell for the whole config', value: (v, c) => configText(v.run, c.varying) },
  { key: 'params', title: 'params', cls: 'params num', tip: 'model parameters', value: (v) => paramCount(v.run) },
  { key: 'best-acc', title: 'best acc', cls: 'best-acc num', value: (v) => bestAccuracy(v.run) },
  { key: 'last-acc', title: 'last acc', cls: 'last-acc num', value: (v) => lastAccuracy(v.run) },
  { key: 'final-loss', title: 'final loss', cls: 'final-loss num', value: (v) => finalLoss(v.run) },
  { key: 'steps', title: 'steps', cls: 'steps num', value: (v) => v.run.lastStep },
  { key: 'duration', title: 'duration', cls: 'duration num', value: (v, c) => durationMs(v.run, c.now) },
  { key: 'started', title: 'started', cls: 'started', value: (v) => v.run.startedAt },
];

export interface Sort {
  key: string;
  dir: 1 | -1;
}

function cmp(a: SortValue, b: SortValue): number {
  // Missing values last in both directions is handled by the caller.
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export class RunsTable {
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private views: RunView[] = [];
  private ctx: RowContext = { now: Date.now(), varying: [] };
  private sort: Sort;
  private frame = 0;

  constructor(
    private readonly wrap: HTMLElement,
    table: HTMLTableElement,
    private readonly onToggle: (id: string, visible: boolean) => void,
    sort: Sort | null,
    private readonly onSort: (s: Sort) => void,
  ) {
    this.sort = sort ?? { key: 'started', dir: -1 };
    this.thead = table.createTHead();
    this.tbody = table.createTBody();
    const tr = this.thead.insertRow();
    for (const c of COLUMNS) {
      const th = document.createElement('th');
      th.className = c.cls;
      th.dataset.col = c.key;
      th.textContent = c.title;
      th.title = `${c.tip ? `${c.tip}. ` : ''}Click to sort`;
      th.addEventListener('click', () => this.sortBy(c.key));
      tr.append(th);
    }
    this.markSort();
    wrap.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(wrap);
    this.tbody.addEventListener('change', (e) => {
      const cb = e.target as HTMLInputElement;
      if (cb.classList.contains('vis-toggle') && cb.dataset.run) this.onToggle(cb.dataset.run, cb.checked);
    });
  }

  get sorting(): Sort {
    return this.sort;
  }

  sortBy(key: string, dir?: 1 | -1): void {
    const d = dir ?? (this.sort.key === key ? (-this.sort.dir as 1 | -1) : key === 'name' || key === 'config' || key === 'status' ? 1 : -1);
    this.sort = { key, dir: d };
    this.markSort();
    this.onSort(this.sort);
    this.setRows(this.views, this.ctx.varying, this.ctx.now);
  }

  private markSort(): void {
    for (const th of Array.from(this.thead.querySelectorAll('th'))) {
      const on = th.dataset.col === this.sort.key;
      th.classList.toggle('sorted', on);
      th.dataset.dir = on ? (this.sort.dir > 0 ? 'asc' : 'desc') : '';
      th.setAttribute('aria-sort', on ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }

  // The runs the filter lets through, in any order; `varying` = config keys shown per row.
  setRows(views: readonly RunView[], varying: readonly string[], now: number): void {
    this.ctx = { now, varying };
    const col = COLUMNS.find((c) => c.key === this.sort.key) ?? COLUMNS[1];
    const keyed = views.map((v) => ({ v, k: col.value ? col.value(v, this.ctx) : undefined }));
    const dir = this.sort.dir;
    keyed.sort((a, b) => {
      const ma = a.k === undefined || a.k === '';
      const mb = b.k === undefined || b.k === '';
      if (ma || mb) return ma === mb ? 0 : ma ? 1 : -1;
      return dir * cmp(a.k, b.k) || cmp(a.v.run.id, b.v.run.id);
    });
    this.views = keyed.map((x) => x.v);
    this.draw();
  }

  // Ids in display order (the filter applied).
  shownIds(): string[] {
    return this.views.map((v) => v.run.id);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const n = this.views.length;
    // The header is one row high (CSS); reading its box here would force a layout per scroll.
    const viewH = Math.max(ROW_HEIGHT, this.wrap.clientHeight - ROW_HEIGHT);
    const top = Math.max(0, this.wrap.scrollTop);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(n, Math.ceil((top + viewH) / ROW_HEIGHT) + OVERSCAN);
    const rows: HTMLTableRowElement[] = [];
    rows.push(spacer(first * ROW_HEIGHT));
    for (let i = first; i < last; i++) rows.push(this.row(this.views[i]));
    rows.push(spacer((n - last) * ROW_HEIGHT));
    if (n === 0) rows.push(emptyRow());
    this.tbody.replaceChildren(...rows);
  }

  private row(v: RunView): HTMLTableRowElement {
    const { run } = v;
    const tr = document.createElement('tr');
    tr.dataset.run = run.id;
    tr.className = `run-row${v.visible ? '' : ' hidden-run'}${run.status === 'corrupt' ? ' corrupt' : ''}`;
    const cells = COLUMNS.map((c) => {
      const td = document.createElement('td');
      td.className = c.cls;
      return td;
    });
    const [show, name, status, seed, config, params, bestAcc, lastAcc, loss, steps, dur, started] = cells;
    const label = document.createElement('label');
    label.className = 'toggle';
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.className = 'vis-toggle';
    cb.dataset.run = run.id;
    cb.checked = v.visible;
    cb.title = 'show/hide this run in the charts';
    const sw = document.createElement('i');
    sw.className = 'swatch';
    if (v.color) sw.style.background = v.color;
    else sw.classList.add('off');
    label.append(cb, sw);
    show.append(label);
    name.textContent = run.id;
    name.title = run.name !== run.id ? `name: ${run.name}` : run.id;
    const st = document.createElement('span');
    st.className = `status status-${run.status}`;
    st.textContent = run.status;
    status.append(st);
    if (run.reason) {
      const why = document.createElement('span');
      why.className = 'reason';
      why.textContent = run.reason;
      status.append(why);
      status.title = `${run.status}: ${run.reason}`;
    }
    seed.textContent = run.seed == null ? '' : String(run.seed);
    config.textContent = run.status === 'corrupt' ? (run.reason ?? 'unreadable meta.json') : configText(run, this.ctx.varying);
    config.title = fullConfig(run);
    const p = paramCount(run);
    params.textContent = p === undefined ? '' : p.toLocaleString('en-US');
    bestAcc.textContent = num(bestAccuracy(run));
    lastAcc.textContent = num(lastAccuracy(run));
    loss.textContent = num(finalLoss(run));
    steps.textContent = run.lastStep === undefined ? '' : String(run.lastStep);
    dur.textContent = formatDuration(durationMs(run, this.ctx.now));
    started.textContent = fmtStart(run.startedAt);
    tr.append(...cells);
    return tr;
  }
}

function num(v: number | undefined): string {
  return v === undefined ? '' : formatNumber(v, 4);
}

function spacer(h: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = 'spacer';
  tr.setAttribute('aria-hidden', 'true');
  const td = document.createElement('td');
  td.colSpan = COLUMNS.length;
  td.style.height = `${h}px`;
  tr.append(td);
  return tr;
}

function emptyRow(): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const td = document.createElement('td');
  td.colSpan = COLUMNS.length;
  td.className = 'empty';
  td.textContent = 'no run matches the filter';
  tr.append(td);
  return tr;
}
