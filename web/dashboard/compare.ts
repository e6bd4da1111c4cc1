// The compare view: config (and what the tracker recorded about each run: seed, git, versions,
// command) of the selected runs side by side, plus their results. "Differences only" keeps the
// rows whose values are not all equal.
import { compareRows, formatDuration, formatNumber } from '../../src/track/summary.js';
import type { RunMeta } from '../../src/track/types.js';
import type { RunSummary } from './api.js';
import { bestAccuracy, durationMs, finalLoss, lastAccuracy, paramCount } from './table.js';

export const COMPARE_MAX = 20;

export interface CompareColumn {
  run: RunSummary;
  meta: RunMeta | null; // null: only the summary is known (config, seed)
  color: string | null;
}

// A stand-in record from the summary when the run's full record cannot be read.
function metaOf(c: CompareColumn): RunMeta {
  if (c.meta) return c.meta;
  const r = c.run;
  return {
    id: r.id, name: r.name, project: r.project ?? '', status: r.status === 'corrupt' ? 'failed' : r.status, config: r.config ?? {},
    seed: r.seed ?? null, recurVersion: '', git: null, argv: [], node: '', host: '', pid: 0,
    startedAt: r.startedAt ?? '', endedAt: r.endedAt ?? null, heartbeatAt: r.updatedAt, summary: {},
  };
}

function num(v: number | undefined): string {
  return v === undefined ? '' : formatNumber(v, 4);
}

export function renderCompare(el: HTMLElement, cols: readonly CompareColumn[], differencesOnly: boolean, now: number, more: number): void {
  el.textContent = '';
  if (cols.length === 0) {
    el.append(paragraph('Select runs (the checkboxes in the runs table) to compare them.'));
    return;
  }
  if (more > 0) el.append(paragraph(`The first ${cols.length} selected runs; ${more} more are selected (narrow the selection to compare others).`));
  const table = document.createElement('table');
  table.className = 'compare-table';
  const head = table.createTHead().insertRow();
  head.append(th('key'));
  for (const c of cols) {
    const h = th(c.run.id);
    if (c.color) h.style.borderBottom = `3px solid ${c.color}`;
    head.append(h);
  }
  const body = table.createTBody();
  const rows = compareRows(cols.map(metaOf), differencesOnly).filter((r) => r.section === 'config' || cols.every((c) => c.meta));
  for (const r of rows) {
    const tr = body.insertRow();
    tr.className = `compare-row section-${r.section}${r.differs ? ' differs' : ''}`;
    tr.dataset.key = r.key;
    tr.insertCell().textContent = r.key;
    for (const val of r.values) tr.insertCell().textContent = val;
  }
  if (rows.length === 0) {
    const td = body.insertRow().insertCell();
    td.colSpan = cols.length + 1;
    td.className = 'empty';
    td.textContent = 'no differences';
  }
  // Results, always shown: they are what the comparison is for.
  const sub = body.insertRow();
  sub.className = 'compare-subhead';
  const sh = sub.insertCell();
  sh.colSpan = cols.length + 1;
  sh.textContent = 'results';
  const results: Array<[string, (r: RunSummary) => string]> = [
    ['status', (r) => (r.reason ? `${r.status}: ${r.reason}` : r.status)],
    ['params', (r) => paramCount(r)?.toLocaleString('en-US') ?? ''],
    ['best accuracy', (r) => num(bestAccuracy(r))],
    ['last accuracy', (r) => num(lastAccuracy(r))],
    ['final loss', (r) => num(finalLoss(r))],
    ['steps', (r) => (r.lastStep === undefined ? '' : String(r.lastStep))],
    ['duration', (r) => formatDuration(durationMs(r, now))],
  ];
  for (const [k, get] of results) {
    const tr = body.insertRow();
    tr.className = 'result-row';
    tr.dataset.key = k;
    tr.insertCell().textContent = k;
    for (const c of cols) tr.insertCell().textContent = get(c.run);
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
