// A sweep's HTML report: the summary table, then one chart per metric with each setting drawn as
// the mean over its seeds inside a min–max band (the article's overlaid SwanLab charts, grouped).
// Self-contained (inline SVG, no script). Browser-safe.
import { runColor } from '../track/colors.js';
import { aggregateGroup } from '../track/group.js';
import { escapeXml, niceTicks, plotFrame } from '../track/svg-chart.js';
import { formatNumber, orderMetrics } from '../track/summary.js';
import type { MetricRow } from '../track/types.js';
import { summaryCells } from './results.js';
import type { SettingSummary } from './results.js';

export interface ReportGroup {
  label: string;
  members: Array<{ startMs: number; rows: readonly MetricRow[] }>;
}

interface Band {
  label: string;
  color: string;
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
}

/** SVG of bands (min–max, translucent) and mean lines against step. */
export function svgBandChart(bands: readonly Band[], title: string, W = 560, H = 300): string {
  const { top, left, pw, ph } = plotFrame(W, H, Math.ceil(bands.length / 3));
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const b of bands) {
    b.x.forEach((x, i) => {
      if (!Number.isFinite(b.min[i]) || !Number.isFinite(b.max[i])) return;
      xmin = Math.min(xmin, x);
      xmax = Math.max(xmax, x);
      ymin = Math.min(ymin, b.min[i]);
      ymax = Math.max(ymax, b.max[i]);
    });
  }
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="11">`);
  p.push(`<rect width="${W}" height="${H}" fill="#fff"/><text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(title)}</text>`);
  bands.forEach((b, i) => {
    const lx = 12 + (i % 3) * ((W - 24) / 3);
    const ly = 34 + Math.floor(i / 3) * 16;
    p.push(`<rect x="${lx}" y="${ly - 7}" width="14" height="6" fill="${escapeXml(b.color)}" fill-opacity="0.5"/><text x="${lx + 18}" y="${ly}" fill="#444">${escapeXml(b.label)}</text>`);
  });
  if (!Number.isFinite(xmin)) return p.join('') + `<text x="${W / 2}" y="${top + ph / 2}" text-anchor="middle" fill="#888">no data</text></svg>`;
  if (xmin === xmax) (xmin -= 1), (xmax += 1);
  if (ymin === ymax) (ymin -= Math.abs(ymin) * 0.1 || 1), (ymax += Math.abs(ymax) * 0.1 || 1);
  const pad = (ymax - ymin) * 0.04;
  ymin -= pad;
  ymax += pad;
  const px = (x: number) => (left + ((x - xmin) / (xmax - xmin)) * pw).toFixed(1);
  const py = (y: number) => (top + ph - ((y - ymin) / (ymax - ymin)) * ph).toFixed(1);
  for (const t of niceTicks(xmin, xmax, 6)) {
    p.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${top}" y2="${top + ph}" stroke="#eee"/><text x="${px(t)}" y="${top + ph + 14}" text-anchor="middle" fill="#666">${formatNumber(t, 3)}</text>`);
  }
  for (const t of niceTicks(ymin, ymax, 5)) {
    p.push(`<line x1="${left}" x2="${left + pw}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${left - 6}" y="${py(t)}" text-anchor="end" dominant-baseline="middle" fill="#666">${formatNumber(t, 3)}</text>`);
  }
  p.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/><text x="${left + pw}" y="${H - 4}" text-anchor="end" fill="#888">step</text>`);
  for (const b of bands) {
    const ok = b.x.map((_, i) => i).filter((i) => Number.isFinite(b.min[i]) && Number.isFinite(b.max[i]) && Number.isFinite(b.mean[i]));
    if (ok.length === 0) continue;
    const c = escapeXml(b.color);
    if (ok.length === 1) {
      p.push(`<circle cx="${px(b.x[ok[0]])}" cy="${py(b.mean[ok[0]])}" r="3.5" fill="${c}"/>`);
      continue;
    }
    const upper = ok.map((i) => `${px(b.x[i])},${py(b.max[i])}`);
    const lower = ok.reverse().map((i) => `${px(b.x[i])},${py(b.min[i])}`);
    ok.reverse();
    p.push(`<path d="M${upper.join('L')}L${lower.join('L')}Z" fill="${c}" fill-opacity="0.15" stroke="none"/>`);
    p.push(`<path d="M${ok.map((i) => `${px(b.x[i])},${py(b.mean[i])}`).join('L')}" fill="none" stroke="${c}" stroke-width="1.8"/>`);
  }
  p.push('</svg>');
  return p.join('');
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;color:#1f2328;margin:24px auto;max-width:1240px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.muted{color:#6e7781}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:right}th:first-child,td:first-child{text-align:left}
th{color:#6e7781;font-weight:600}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}.charts svg{border:1px solid #d8dee4;border-radius:6px;max-width:100%;height:auto}`;

export function sweepReportHtml(o: {
  title: string;
  summary: readonly SettingSummary[];
  lengths: readonly number[];
  groups: readonly ReportGroup[];
  note?: string;
  now?: number;
}): string {
  const esc = (s: unknown) => escapeXml(String(s ?? ''));
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(o.title)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>${esc(o.title)}</h1><div class="muted">${esc(new Date(o.now ?? Date.now()).toISOString())}${o.note ? ` · ${esc(o.note)}` : ''}</div>`);
  const { header, cells } = summaryCells(o.summary, { lengths: o.lengths });
  out.push(`<h2>Summary</h2><table><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`);
  for (const c of cells) out.push(`<tr>${c.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`);
  out.push('</table>');
  const names = orderMetrics(o.groups.flatMap((g) => g.members.flatMap((m) => m.rows.flatMap((r) => Object.keys(r))))).filter(
    (n) => n !== 'step' && n !== 't' && n !== 'Model Params',
  );
  out.push('<h2>Charts</h2><p class="muted">Each setting: mean over its seeds (line) and min–max (band).</p><div class="charts">');
  for (const metric of names) {
    const bands = o.groups
      .map((g, i) => {
        const a = aggregateGroup(g.members, metric);
        return { label: `${g.label} (${g.members.length})`, color: runColor(i), x: a.step, mean: a.mean, min: a.min, max: a.max };
      })
      .filter((b) => b.x.length > 0);
    out.push(svgBandChart(bands, metric));
  }
  out.push('</div></body></html>\n');
  return out.join('\n');
}
