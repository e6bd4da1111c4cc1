// The runs table (visibility toggles, colours, key columns) and the compare view.
import { compareRows, formatDuration, formatNumber, keyConfig, runColumns } from '../../src/track/summary.js';
import type { RunMeta } from '../../src/track/types.js';
import type { ApiRun } from './api.js';

export interface RunView {
  run: ApiRun;
  color: string;
  visible: boolean;
}

const COLUMNS = ['', 'name', 'status', 'seed', 'key config', 'best acc', 'last acc', 'final loss', 'steps', 'duration', 'started'];

function num(v: number | undefined, digits = 4): string {
  return v === undefined ? '' : formatNumber(v, digits);
}

function fmtStart(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export class RunsTable {
  private readonly tbody: HTMLTableSectionElement;
  private readonly rows = new Map<string, HTMLTableRowElement>();

  constructor(table: HTMLTableElement, private readonly onToggle: (id: string, visible: boolean) => void) {
    const thead = table.createTHead();
    const tr = thead.insertRow();
    for (const c of COLUMNS) {
      const th = document.createElement('th');
      th.textContent = c;
      tr.append(th);
    }
    this.tbody = table.createTBody();
  }

  // `views` in display order; `varying` = config keys that differ across runs; `filter` hides
  // rows whose name does not contain it.
  render(views: readonly RunView[], varying: readonly string[], filter: string, now: number): void {
    const ids = new Set(views.map((v) => v.run.id));
    for (const [id, tr] of this.rows) if (!ids.has(id)) (tr.remove(), this.rows.delete(id));
    const f = filter.trim().toLowerCase();
    for (const v of views) {
      let tr = this.rows.get(v.run.id);
      if (!tr) {
        tr = this.createRow(v.run.id);
        this.rows.set(v.run.id, tr);
      }
      this.tbody.append(tr);
      this.fill(tr, v, varying, now);
      const name = (v.run.meta?.name ?? v.run.id).toLowerCase();
      tr.hidden = f !== '' && !name.includes(f) && !v.run.id.toLowerCase().includes(f);
    }
  }

  // Ids of rows the filter lets through.
  shownIds(): string[] {
    return [...this.rows.entries()].filter(([, tr]) => !tr.hidden).map(([id]) => id);
  }

  private createRow(id: string): HTMLTableRowElement {
    const tr = document.createElement('tr');
    tr.dataset.run = id;
    for (let i = 0; i < COLUMNS.length; i++) tr.insertCell();
    const label = document.createElement('label');
    label.className = 'toggle';
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.className = 'vis-toggle';
    cb.dataset.run = id;
    cb.title = 'show/hide this run in the charts';
    cb.addEventListener('change', () => this.onToggle(id, cb.checked));
    const sw = document.createElement('i');
    sw.className = 'swatch';
    label.append(cb, sw);
    tr.cells[0].append(label);
    return tr;
  }

  private fill(tr: HTMLTableRowElement, v: RunView, varying: readonly string[], now: number): void {
    const { run } = v;
    const cb = tr.querySelector('input.vis-toggle') as HTMLInputElement;
    cb.checked = v.visible;
    (tr.querySelector('i.swatch') as HTMLElement).style.background = v.color;
    tr.classList.toggle('hidden-run', !v.visible);
    tr.classList.toggle('corrupt', run.status === 'corrupt');
    const cols = runColumns(run.meta, run.stats, run.status, now);
    const m = run.meta;
    const cells = tr.cells;
    // The id is the name made unique (name, name-2, ...); the given name is in the tooltip.
    set(cells[1], run.id, 'name');
    cells[1].title = m && m.name !== run.id ? `name: ${m.name}` : '';
    set(cells[2], run.status, `status status-${run.status}`);
    cells[2].title = run.error ?? (run.corruptLines ? `${run.corruptLines} unreadable line(s) in metrics.jsonl` : '');
    set(cells[3], m?.seed == null ? '' : String(m.seed), 'seed');
    set(cells[4], m ? keyConfig(m, varying) : (run.error ?? 'unreadable meta.json'), m ? 'config' : 'config error');
    set(cells[5], num(cols.bestAccuracy), 'num best-acc');
    set(cells[6], num(cols.lastAccuracy), 'num last-acc');
    set(cells[7], num(cols.finalLoss), 'num final-loss');
    set(cells[8], cols.steps === undefined ? '' : String(cols.steps), 'num steps');
    set(cells[9], formatDuration(cols.durationMs), 'num duration');
    set(cells[10], fmtStart(m?.startedAt), 'started');
  }
}

function set(td: HTMLTableCellElement, text: string, cls: string): void {
  if (td.textContent !== text) td.textContent = text;
  if (td.className !== cls) td.className = cls;
}

// Config (and recorded run facts) of the selected runs side by side, plus their final metrics.
export function renderCompare(el: HTMLElement, views: readonly RunView[], differencesOnly: boolean, now: number): void {
  el.textContent = '';
  const withMeta = views.filter((v): v is RunView & { run: ApiRun & { meta: RunMeta } } => v.run.meta !== null);
  if (withMeta.length === 0) {
    el.append(paragraph('Select runs (the checkboxes in the runs table) to compare them.'));
    return;
  }
  const table = document.createElement('table');
  table.className = 'compare-table';
  const head = table.createTHead().insertRow();
  head.append(th('key'));
  for (const v of withMeta) {
    const h = th(v.run.id);
    h.style.borderBottom = `3px solid ${v.color}`;
    head.append(h);
  }
  const body = table.createTBody();
  const rows = compareRows(withMeta.map((v) => v.run.meta), differencesOnly);
  for (const r of rows) {
    const tr = body.insertRow();
    tr.className = `compare-row section-${r.section}${r.differs ? ' differs' : ''}`;
    tr.dataset.key = r.key;
    tr.insertCell().textContent = r.key;
    for (const val of r.values) tr.insertCell().textContent = val;
  }
  if (rows.length === 0) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = withMeta.length + 1;
    td.className = 'empty';
    td.textContent = 'no differences';
  }
  // Final metrics, always shown: they are what the comparison is for.
  const metricsHead = body.insertRow();
  metricsHead.className = 'compare-subhead';
  const mh = metricsHead.insertCell();
  mh.colSpan = withMeta.length + 1;
  mh.textContent = 'results';
  const cols = withMeta.map((v) => runColumns(v.run.meta, v.run.stats, v.run.status, now));
  const resultRows: Array<[string, (i: number) => string]> = [
    ['status', (i) => withMeta[i].run.status],
    ['best accuracy', (i) => num(cols[i].bestAccuracy)],
    ['last accuracy', (i) => num(cols[i].lastAccuracy)],
    ['final loss', (i) => num(cols[i].finalLoss)],
    ['steps', (i) => (cols[i].steps === undefined ? '' : String(cols[i].steps))],
    ['duration', (i) => formatDuration(cols[i].durationMs)],
  ];
  for (const [k, get] of resultRows) {
    const tr = body.insertRow();
    tr.className = 'result-row';
    tr.dataset.key = k;
    tr.insertCell().textContent = k;
    withMeta.forEach((_, i) => (tr.insertCell().textContent = get(i)));
  }
  const wrap = document.createElement('div');
  wrap.className = 'compare-wrap';
  wrap.append(table);
  el.append(wrap);
}

function th(text: string): HTMLTableCellElement {
  const h = document.createElement('th');
  h.textContent = text;
  return h;
}

function paragraph(text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.className = 'hint';
  p.textContent = text;
  return p;
}
