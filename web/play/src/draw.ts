// Drawing the explanation: the packed batch (HTML grid) and the hidden-state heat maps (canvas).
import type { LayerTrajectory, PackLayout, Trajectory } from './explain.js';

export const SEQ_COLORS = ['#6a4fc8', '#e8590c', '#1c7ed6'];

function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

function tokenCell(token: number | null, seq: number | null, sub = ''): HTMLElement {
  const c = h('div', token === null ? 'tok pad' : 'tok');
  if (token === null) {
    c.textContent = '·';
  } else {
    c.textContent = String(token);
    c.style.setProperty('--c', SEQ_COLORS[seq! % SEQ_COLORS.length]);
  }
  if (sub) c.append(h('sub', '', sub));
  return c;
}

const list = (xs: number[]) => `[${xs.join(', ')}]`;

/** Padded batch → packPaddedSequence call → the packed columns (batch_sizes) → packed.data. */
export function drawPacking(host: HTMLElement, p: PackLayout): void {
  const B = p.sequences.length;
  const T = Math.max(...p.lengths);
  host.replaceChildren();

  // 1. the padded batch
  const padded = h('div', 'pk-block');
  padded.append(h('div', 'pk-title', `padded batch  x: [${B}, ${T}]  (batch_first, pad token ${p.padValue})`));
  const grid = h('div', 'pk-padded');
  grid.style.gridTemplateColumns = `auto repeat(${T}, var(--cell))`;
  for (let b = 0; b < B; b++) {
    const lab = h('div', 'pk-rowlabel', b === 0 ? 'yours' : `example ${b}`);
    lab.style.color = SEQ_COLORS[b];
    grid.append(lab);
    for (let t = 0; t < T; t++) grid.append(tokenCell(t < p.lengths[b] ? p.sequences[b][t] : null, b));
  }
  padded.append(grid);

  // 2. the call
  const call = h('div', 'pk-call');
  call.innerHTML =
    `<code>pack_padded_sequence(x, lengths=${list(p.lengths)}, batch_first=True, enforce_sorted=False)</code>` +
    `<span>sorted_indices = <b>${list(p.sortedIndices)}</b> · unsorted_indices = ${list(p.unsortedIndices)} · ` +
    `batch_sizes = <b data-testid="batch-sizes">${list(p.batchSizes)}</b></span>`;

  // 3. the packed columns: step t holds batch_sizes[t] rows, longest sequences first
  const cols = h('div', 'pk-block');
  cols.append(h('div', 'pk-title', 'packed, step by step: the RNN updates only the first batch_sizes[t] states at step t'));
  const colWrap = h('div', 'pk-columns');
  let row = 0;
  for (let t = 0; t < p.batchSizes.length; t++) {
    const col = h('div', 'pk-col');
    col.append(h('div', 'pk-t', `t=${t}`));
    for (let i = 0; i < p.batchSizes[t]; i++, row++) {
      const cell = p.cells[row];
      col.append(tokenCell(cell.token, cell.seq, String(cell.row)));
    }
    for (let i = p.batchSizes[t]; i < B; i++) col.append(h('div', 'tok gone'));
    col.append(h('div', 'pk-bs', String(p.batchSizes[t])));
    colWrap.append(col);
  }
  const axis = h('div', 'pk-col pk-axis');
  axis.append(h('div', 'pk-t', ''));
  for (let i = 0; i < B; i++) axis.append(h('div', 'pk-rank', `#${i}`));
  axis.append(h('div', 'pk-bs pk-bs-label', 'batch_sizes'));
  colWrap.prepend(axis);
  cols.append(colWrap);

  // 4. packed.data: the rows in memory order
  const data = h('div', 'pk-block');
  data.append(h('div', 'pk-title', `packed.data: ${p.cells.length} rows, no padding (${B * T - p.cells.length} pad slots dropped)`));
  const strip = h('div', 'pk-strip');
  for (const c of p.cells) strip.append(tokenCell(c.token, c.seq, String(c.row)));
  data.append(strip);

  host.append(padded, call, cols, data);
}

/** Diverging colour for v in [−s, s]: blue (−) → near-white (0) → red (+). */
function colour(v: number, s: number): string {
  const x = Math.max(-1, Math.min(1, v / s));
  const a = Math.abs(x);
  const [r, g, b] = x >= 0 ? [214, 48, 49] : [33, 102, 172];
  const mix = (c: number) => Math.round(248 + (c - 248) * a);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

export interface HeatmapOptions {
  tokens: number[];
  /** Colour scale: ±scale (tanh-bounded cells use 1). */
  scale: number;
  /** Called with a description of the hovered cell (or null). */
  onHover?: (text: string | null) => void;
}

/** One layer: rows = hidden units (forward, then reverse), columns = time steps. */
export function drawHeatmap(L: LayerTrajectory, opts: HeatmapOptions): HTMLElement {
  const D = L.values.length;
  const H = L.hidden;
  const n = L.steps;
  const cw = Math.max(14, Math.min(30, Math.floor(300 / Math.max(1, n))));
  const ch = Math.max(4, Math.min(9, Math.floor(220 / (H * D))));
  const gap = 6;
  const left = D > 1 ? 16 : 4;
  const top = 4;
  const width = left + n * cw + 4;
  const height = top + D * H * ch + (D - 1) * gap + 30;
  const dpr = Math.max(1, Math.round(globalThis.devicePixelRatio || 1));
  const canvas = h('canvas', 'heatmap');
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d')!;
  g.scale(dpr, dpr);
  const y0 = (d: number) => top + d * (H * ch + gap);
  for (let d = 0; d < D; d++) {
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < H; j++) {
        g.fillStyle = colour(L.values[d][t * H + j], opts.scale);
        g.fillRect(left + t * cw, y0(d) + j * ch, cw - 1, ch);
      }
    }
    // h_n's column: the forward direction's last step, the reverse direction's first step.
    const col = d === 0 ? n - 1 : 0;
    g.strokeStyle = '#1f2328';
    g.lineWidth = 1.5;
    g.strokeRect(left + col * cw - 0.5, y0(d) - 0.5, cw, H * ch + 1);
    if (D > 1) {
      g.fillStyle = '#6e7781';
      g.font = '11px system-ui, sans-serif';
      g.textAlign = 'center';
      g.fillText(d === 0 ? '→' : '←', left / 2, y0(d) + (H * ch) / 2 + 4);
    }
  }
  g.fillStyle = '#1f2328';
  g.font = '600 12px ui-monospace, monospace';
  g.textAlign = 'center';
  const base = y0(D - 1) + H * ch;
  for (let t = 0; t < n; t++) g.fillText(String(opts.tokens[t]), left + t * cw + cw / 2 - 0.5, base + 14);
  g.fillStyle = '#8c959f';
  g.font = '10px system-ui, sans-serif';
  for (let t = 0; t < n; t++) if (n <= 12 || t % 5 === 0 || t === n - 1) g.fillText(String(t), left + t * cw + cw / 2 - 0.5, base + 26);

  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left - left;
    const y = e.clientY - r.top - top;
    const t = Math.floor(x / cw);
    const d = Math.floor(y / (H * ch + gap));
    const j = Math.floor((y - d * (H * ch + gap)) / ch);
    if (t < 0 || t >= n || d < 0 || d >= D || j < 0 || j >= H) {
      opts.onHover?.(null);
      return;
    }
    const v = L.values[d][t * H + j];
    opts.onHover?.(`layer ${L.layer}${D > 1 ? (d ? ' reverse' : ' forward') : ''}, unit ${j}, t=${t} (digit ${opts.tokens[t]}): h = ${v.toFixed(4)}`);
  });
  canvas.addEventListener('mouseleave', () => opts.onHover?.(null));
  return canvas;
}

export function drawTrajectory(host: HTMLElement, tr: Trajectory, tokens: number[], hover: HTMLElement): void {
  host.replaceChildren();
  const bounded = tr.cell !== 'RNN_RELU';
  let scale = 1;
  if (!bounded) for (const L of tr.layers) for (const v of L.values) for (const x of v) scale = Math.max(scale, Math.abs(x));
  const row = h('div', 'hm-row');
  for (const L of tr.layers) {
    const fig = h('figure', 'hm');
    fig.dataset.layer = String(L.layer);
    fig.dataset.maxDiff = String(L.maxDiff);
    const D = L.values.length;
    fig.append(h('figcaption', '', `layer ${L.layer}  ·  h ∈ ℝ${superscript(L.hidden)}${D > 1 ? ' ×2' : ''}`));
    fig.append(drawHeatmap(L, { tokens, scale, onHover: (t) => { hover.textContent = t ?? '\u00a0'; } }));
    const ok = L.maxDiff <= 1e-6;
    const check = h('div', `hm-check ${ok ? 'ok' : 'bad'}`);
    check.textContent = `${ok ? '✓' : '✗'} boxed column = h_n[${D > 1 ? `${L.layer * 2},${L.layer * 2 + 1}` : L.layer}]  (max |Δ| ${L.maxDiff.toExponential(1)})`;
    fig.append(check);
    row.append(fig);
  }
  const legend = h('div', 'hm-legend');
  const bar = h('div', 'hm-bar');
  bar.style.background = `linear-gradient(90deg, ${colour(-1, 1)}, ${colour(0, 1)}, ${colour(1, 1)})`;
  legend.append(h('span', '', (-scale).toFixed(scale === 1 ? 0 : 2)), bar, h('span', '', `+${scale.toFixed(scale === 1 ? 0 : 2)}`));
  host.append(row, legend);
}

function superscript(n: number): string {
  const map = '⁰¹²³⁴⁵⁶⁷⁸⁹';
  return String(n).split('').map((c) => map[Number(c)]).join('');
}
