// Run colours, shared by the dashboard and `recur report` so a run looks the same in both.
// Distinct on white; the first four follow the article's SwanLab figures (gold, purple, green,
// brown). Browser-safe.
export const PALETTE = ['#d4a017', '#6a4fc8', '#2e8b57', '#a0522d', '#1f77b4', '#d62728', '#17becf', '#e377c2', '#7f7f7f', '#8c9a1b', '#ff7f0e', '#393b79'];

// Colour of the i-th run in start order: the palette, then hues a golden angle apart.
export function runColor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i];
  return hslToHex((i * 137.508) % 360, 0.6, 0.42);
}

function hslToHex(h: number, s: number, l: number): string {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}
