// A self-contained HTML report of some runs: the runs table, their config differences and one
// SVG chart per metric with the runs overlaid. No script, no external resource: it can be
// mailed or attached to an issue. Browser-safe.
import { runColor } from './colors.js';
import { metricNames } from './metrics.js';
import { escapeXml, svgLineChart } from './svg-chart.js';
import {
  compareRows,
  formatDuration,
  formatNumber,
  keyConfig,
  orderMetrics,
  runColumns,
  varyingConfigKeys,
} from './summary.js';
import type { MetricRow, MetricStats, RunMeta, RunStatus } from './types.js';

export interface ReportRun {
  id: string;
  meta: RunMeta;
  status: RunStatus | 'corrupt';
  stats: Record<string, MetricStats>;
  rows: readonly MetricRow[];
  color?: string;
}

export interface ReportOptions {
  title?: string;
  smoothing?: number;
  metrics?: string[]; // default: every metric, article order first
  xMode?: 'step' | 'relative';
  now?: number;
  generator?: string; // e.g. "recur 0.1.0"
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;color:#1f2328;margin:24px auto;max-width:1240px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.muted{color:#6e7781}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
th{color:#6e7781;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}code,.mono{font-family:ui-monospace,monospace;font-size:12px}
.sw{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}.charts svg{border:1px solid #d8dee4;border-radius:6px;max-width:100%;height:auto}`;

function esc(v: unknown): string {
  return escapeXml(String(v ?? ''));
}

function n(v: number | undefined): string {
  return v === undefined ? '' : formatNumber(v);
}

export function reportHtml(runs: readonly ReportRun[], o: ReportOptions = {}): string {
  const now = o.now ?? Date.now();
  const colored = runs.map((r, i) => ({ ...r, color: r.color ?? runColor(i) }));
  const metas = colored.map((r) => r.meta);
  const varying = varyingConfigKeys(metas);
  const title = o.title ?? `recur report: ${colored.map((r) => r.id).join(', ')}`;
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>`);
  out.push(`<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head><body>`);
  out.push(`<h1>${esc(title)}</h1><div class="muted">${esc(new Date(now).toISOString())}${o.generator ? ` · ${esc(o.generator)}` : ''}${o.smoothing ? ` · smoothing ${o.smoothing}` : ''}</div>`);

  out.push('<h2>Runs</h2><table><tr><th>run</th><th>status</th><th>seed</th><th>key config</th><th>best acc</th><th>last acc</th><th>final loss</th><th>steps</th><th>duration</th><th>git</th></tr>');
  for (const r of colored) {
    const c = runColumns(r.meta, r.stats, r.status, now);
    const git = r.meta.git ? `${r.meta.git.commit.slice(0, 10)}${r.meta.git.dirty ? ' (dirty)' : ''}` : '';
    out.push(
      `<tr><td><span class="sw" style="background:${esc(r.color)}"></span>${esc(r.id)}</td><td>${esc(r.status)}</td>` +
        `<td class="num">${esc(r.meta.seed ?? '')}</td><td class="mono">${esc(keyConfig(r.meta, varying))}</td>` +
        `<td class="num">${n(c.bestAccuracy)}</td><td class="num">${n(c.lastAccuracy)}</td><td class="num">${n(c.finalLoss)}</td>` +
        `<td class="num">${c.steps ?? ''}</td><td class="num">${esc(formatDuration(c.durationMs))}</td><td class="mono">${esc(git)}</td></tr>`,
    );
  }
  out.push('</table>');

  if (colored.length > 1) {
    const diff = compareRows(metas, true);
    out.push('<h2>Config differences</h2>');
    if (diff.length === 0) out.push('<p class="muted">The runs have the same config.</p>');
    else {
      out.push(`<table><tr><th>key</th>${colored.map((r) => `<th>${esc(r.id)}</th>`).join('')}</tr>`);
      for (const d of diff) out.push(`<tr><td>${esc(d.key)}</td>${d.values.map((v) => `<td class="mono">${esc(v)}</td>`).join('')}</tr>`);
      out.push('</table>');
    }
  } else {
    out.push('<h2>Config</h2><table>');
    for (const d of compareRows(metas, false)) out.push(`<tr><td>${esc(d.key)}</td><td class="mono">${esc(d.values[0])}</td></tr>`);
    out.push('</table>');
  }

  const names = o.metrics ?? orderMetrics(colored.flatMap((r) => [...Object.keys(r.stats), ...metricNames(r.rows)]));
  out.push('<h2>Charts</h2><div class="charts">');
  for (const metric of names) {
    const series = colored
      .map((r) => {
        const start = Date.parse(r.meta.startedAt);
        const x: number[] = [];
        const y: number[] = [];
        for (const row of r.rows) {
          if (!(metric in row)) continue;
          x.push(o.xMode === 'relative' ? (row.t - start) / 1000 : row.step);
          y.push(row[metric]);
        }
        return { label: r.id, color: r.color, x, y };
      })
      .filter((s) => s.x.length > 0);
    out.push(svgLineChart(series, { title: metric, smoothing: o.smoothing, xLabel: o.xMode === 'relative' ? 'seconds' : 'step' }));
  }
  out.push('</div></body></html>\n');
  return out.join('\n');
}

// A report of many runs: one mean line and min–max band per group of runs.

export interface GroupedReportRun {
  id: string;
  meta: RunMeta;
  status: RunStatus | 'corrupt';
  stats: Record<string, MetricStats>;
}

export interface ReportGroup {
  label: string;
  ids: string[];
  // Per metric: x (step), mean, min, max across the group's runs (run-sketch.ts groupSketches).
  series: Record<string, { x: number[]; mean: number[]; min: number[]; max: number[] }>;
}

function spread(values: number[]): string {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return '';
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  if (v.length === 1) return n(mean);
  return `${n(mean)} <span class="muted">(${n(Math.min(...v))}–${n(Math.max(...v))})</span>`;
}

// The report's size grows with the number of groups and charts, not with runs × rows: each chart
// holds one line and band per group, each run one line of a collapsed table.
export function groupedReportHtml(runs: readonly GroupedReportRun[], groups: readonly ReportGroup[], o: ReportOptions = {}): string {
  const now = o.now ?? Date.now();
  const byId = new Map(runs.map((r) => [r.id, r]));
  const colored = groups.map((g, i) => ({ ...g, color: runColor(i) }));
  const firstMetas = colored.map((g) => byId.get(g.ids[0])!.meta);
  const varying = varyingConfigKeys(firstMetas);
  const title = o.title ?? `recur report: ${runs.length} runs in ${groups.length} groups`;
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>`);
  out.push(`<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head><body>`);
  out.push(`<h1>${esc(title)}</h1><div class="muted">${esc(new Date(now).toISOString())}${o.generator ? ` · ${esc(o.generator)}` : ''} · runs that differ only in their seed form a group, drawn as its mean with a min–max band</div>`);

  out.push('<h2>Groups</h2><table><tr><th>group</th><th>runs</th><th>status</th><th>best acc (mean, min–max)</th><th>final loss (mean, min–max)</th></tr>');
  for (const [i, g] of colored.entries()) {
    const members = g.ids.map((id) => byId.get(id)!);
    const cols = members.map((r) => runColumns(r.meta, r.stats, r.status, now));
    const statuses = new Map<string, number>();
    for (const r of members) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const label = keyConfig(firstMetas[i], varying) || g.label;
    out.push(
      `<tr><td><span class="sw" style="background:${esc(g.color)}"></span><span class="mono">${esc(label)}</span></td><td class="num">${g.ids.length}</td>` +
        `<td>${esc([...statuses].map(([s, c]) => `${c} ${s}`).join(', '))}</td>` +
        `<td class="num">${spread(cols.map((c) => c.bestAccuracy ?? NaN))}</td><td class="num">${spread(cols.map((c) => c.finalLoss ?? NaN))}</td></tr>`,
    );
  }
  out.push('</table>');

  const names = o.metrics ?? orderMetrics(runs.flatMap((r) => Object.keys(r.stats)));
  out.push('<h2>Charts</h2><div class="charts">');
  for (const metric of names) {
    const series = colored
      .filter((g) => g.series[metric] && g.series[metric].x.length > 0)
      .map((g, i) => ({ label: keyConfig(firstMetas[colored.indexOf(g)], varying) || g.label || String(i), color: g.color, x: g.series[metric].x, y: g.series[metric].mean, lo: g.series[metric].min, hi: g.series[metric].max }));
    out.push(svgLineChart(series, { title: metric, xLabel: 'step', legendMax: 12 }));
  }
  out.push('</div>');

  out.push(`<h2>Runs</h2><details><summary>${runs.length} runs</summary><table><tr><th>run</th><th>status</th><th>seed</th><th>best acc</th><th>final loss</th><th>steps</th></tr>`);
  for (const r of runs) {
    const c = runColumns(r.meta, r.stats, r.status, now);
    out.push(`<tr><td>${esc(r.id)}</td><td>${esc(r.status)}</td><td class="num">${esc(r.meta.seed ?? '')}</td><td class="num">${n(c.bestAccuracy)}</td><td class="num">${n(c.finalLoss)}</td><td class="num">${c.steps ?? ''}</td></tr>`);
  }
  out.push('</table></details></body></html>\n');
  return out.join('\n');
}
