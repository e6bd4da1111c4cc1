// Static line charts as SVG text, for `recur report` (a self-contained HTML file that needs no
// script to show its charts). Browser-safe.
import { downsampleIndices, emaSmooth, pick } from './smoothing.js';
import { formatNumber } from './summary.js';

export interface SvgSeries {
  label: string;
  color: string;
  x: number[];
  y: number[];
  // A band drawn under the line (a group's min–max), same length as x.
  lo?: number[];
  hi?: number[];
}

export interface SvgChartOptions {
  title: string;
  width?: number;
  height?: number;
  xLabel?: string;
  smoothing?: number; // EMA weight; raw line drawn faint underneath when > 0
  logY?: boolean;
  // Legend entries shown (the rest summarised as "+N more"); default all.
  legendMax?: number;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// "Nice" tick values (1, 2, 5 x 10^k steps) covering [lo, hi] with about `count` ticks.
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  // Heckbert's rounding of the raw step to 1, 2, 5 or 10 times a power of ten.
  const f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1000 && Number.isInteger(v)) return a >= 1e6 ? `${formatNumber(v / 1e6, 3)}M` : `${formatNumber(v / 1000, 3)}k`;
  return formatNumber(v, 3);
}

/**
 * The plot area of a W × H chart whose legend takes `legendRows` rows above it: its top-left corner
 * and its width and height in pixels (the line and band charts share the layout).
 */
export function plotFrame(W: number, H: number, legendRows: number): { top: number; left: number; pw: number; ph: number } {
  const top = 30 + legendRows * 16;
  const left = 58;
  const right = 14;
  const bottom = 34;
  return { top, left, pw: W - left - right, ph: H - top - bottom };
}

export function svgLineChart(series: readonly SvgSeries[], o: SvgChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 300;
  const legendMax = Math.min(series.length, o.legendMax ?? series.length);
  const legendEntries = legendMax + (legendMax < series.length ? 1 : 0);
  const { top, left, pw, ph } = plotFrame(W, H, Math.ceil(legendEntries / 4));
  const ty = (v: number) => (o.logY ? Math.log10(v) : v);
  const ok = (v: number) => Number.isFinite(v) && (!o.logY || v > 0);

  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const s of series) {
    s.x.forEach((x, i) => {
      for (const v of [s.y[i], s.lo?.[i], s.hi?.[i]]) {
        if (v === undefined || !ok(v)) continue;
        xmin = Math.min(xmin, x);
        xmax = Math.max(xmax, x);
        ymin = Math.min(ymin, ty(v));
        ymax = Math.max(ymax, ty(v));
      }
    });
  }
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(o.title)}</text>`);
  const legendX = (i: number) => 12 + (i % 4) * ((W - 24) / 4);
  const legendY = (i: number) => 34 + Math.floor(i / 4) * 16;
  const maxChars = Math.floor((W - 24) / 4 / 6.2) - 3;
  series.slice(0, legendMax).forEach((s, i) => {
    const lx = legendX(i);
    const ly = legendY(i);
    const label = s.label.length > maxChars ? s.label.slice(0, maxChars - 1) + '…' : s.label;
    parts.push(`<rect x="${lx}" y="${ly - 6}" width="14" height="3" fill="${escapeXml(s.color)}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly}" fill="#444"><title>${escapeXml(s.label)}</title>${escapeXml(label)}</text>`);
  });
  if (legendMax < series.length) {
    parts.push(`<text x="${legendX(legendMax) + 18}" y="${legendY(legendMax)}" fill="#888">+${series.length - legendMax} more</text>`);
  }
  if (!Number.isFinite(xmin)) {
    parts.push(`<text x="${W / 2}" y="${top + ph / 2}" text-anchor="middle" fill="#888">no data</text></svg>`);
    return parts.join('');
  }
  if (xmin === xmax) (xmin -= 1), (xmax += 1);
  if (ymin === ymax) (ymin -= Math.abs(ymin) * 0.1 || 1), (ymax += Math.abs(ymax) * 0.1 || 1);
  const pad = (ymax - ymin) * 0.04;
  ymin -= pad;
  ymax += pad;
  const px = (x: number) => left + ((x - xmin) / (xmax - xmin)) * pw;
  const py = (y: number) => top + ph - ((ty(y) - ymin) / (ymax - ymin)) * ph;

  // Grid and axes.
  for (const t of niceTicks(xmin, xmax, 6)) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${top + ph + 14}" text-anchor="middle" fill="#666">${tickLabel(t)}</text>`);
  }
  const yTicks = o.logY
    ? niceTicks(Math.ceil(ymin), Math.floor(ymax), 5).filter(Number.isInteger).map((e) => Math.pow(10, e))
    : niceTicks(ymin, ymax, 5);
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#666">${tickLabel(t)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`);
  if (o.xLabel) parts.push(`<text x="${left + pw}" y="${H - 4}" text-anchor="end" fill="#888">${escapeXml(o.xLabel)}</text>`);

  const path = (x: number[], y: Array<number | null>): string => {
    let d = '';
    let pen = false;
    for (let i = 0; i < x.length; i++) {
      const v = y[i];
      if (v === null || !ok(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${px(x[i]).toFixed(1)},${py(v).toFixed(1)}`;
      pen = true;
    }
    return d;
  };
  const w = o.smoothing ?? 0;
  for (const s of series) {
    if (s.lo && s.hi) {
      // Band: along the upper edge, back along the lower one; gaps (non-finite) are skipped.
      const idx = s.x.map((_, i) => i).filter((i) => ok(s.lo![i]) && ok(s.hi![i]));
      if (idx.length > 1) {
        const up = idx.map((i) => `${px(s.x[i]).toFixed(1)},${py(s.hi![i]).toFixed(1)}`);
        const down = idx.reverse().map((i) => `${px(s.x[i]).toFixed(1)},${py(s.lo![i]).toFixed(1)}`);
        parts.push(`<path d="M${up.join('L')}L${down.join('L')}Z" fill="${escapeXml(s.color)}" fill-opacity="0.16" stroke="none"/>`);
      }
    }
  }
  for (const s of series) {
    const keep = downsampleIndices(s.y, pw * 2);
    const x = pick(s.x, keep);
    const color = escapeXml(s.color);
    if (x.length === 1) {
      parts.push(`<circle cx="${px(x[0]).toFixed(1)}" cy="${py(s.y[keep[0]]).toFixed(1)}" r="3.5" fill="${color}"/>`);
      continue;
    }
    if (w > 0) {
      parts.push(`<path d="${path(x, pick(s.y, keep))}" fill="none" stroke="${color}" stroke-opacity="0.25" stroke-width="1"/>`);
      parts.push(`<path d="${path(x, pick(emaSmooth(s.y, w), keep))}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    } else {
      parts.push(`<path d="${path(x, pick(s.y, keep))}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}
