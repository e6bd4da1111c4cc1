// PNG of one chart: uPlot draws series and axes on its canvas; the title and legend are HTML, so
// they are redrawn here above a copy of that canvas, on white.
import type uPlot from 'uplot';

export async function chartPng(u: uPlot, title: string, legend: Array<{ label: string; color: string }>): Promise<Blob> {
  const src = u.ctx.canvas;
  const ratio = src.width / Math.max(1, u.width);
  const pad = Math.round(12 * ratio);
  const titleH = Math.round(28 * ratio);
  const legendH = Math.round(22 * ratio);
  const out = document.createElement('canvas');
  out.width = src.width + 2 * pad;
  out.height = src.height + titleH + legendH + 2 * pad;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#222';
  ctx.font = `600 ${Math.round(15 * ratio)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(title, out.width / 2, pad + titleH / 2);
  ctx.font = `${Math.round(12 * ratio)}px system-ui, sans-serif`;
  ctx.textAlign = 'left';
  const widths = legend.map((l) => ctx.measureText(l.label).width + 26 * ratio);
  let x = Math.max(pad, (out.width - widths.reduce((a, b) => a + b, 0)) / 2);
  const y = pad + titleH + legendH / 2;
  legend.forEach((l, i) => {
    ctx.fillStyle = l.color;
    ctx.fillRect(x, y - 1.5 * ratio, 14 * ratio, 3 * ratio);
    ctx.fillStyle = '#444';
    ctx.fillText(l.label, x + 18 * ratio, y);
    x += widths[i];
  });
  ctx.drawImage(src, pad, pad + titleH + legendH);
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
