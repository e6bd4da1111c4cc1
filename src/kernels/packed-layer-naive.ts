// Reference twin of packed-layer.ts: obviously-correct, slow. Each sequence is unpacked and run
// on its own, step by step, straight from the cell equations; gradients come from a tiny scalar
// reverse-mode autodiff (micrograd) instead of hand-derived formulas, so the two implementations
// share nothing but the equations. For tests only.
import type { CellMode, LayerGrads, LayerParams, LayerShape } from './packed-layer.js';
import type { Floats } from './gemm.js';

class V {
  grad = 0;
  constructor(public v: number, public prev: V[] = [], public local: number[] = []) {}
}
const add = (a: V, b: V) => new V(a.v + b.v, [a, b], [1, 1]);
const mul = (a: V, b: V) => new V(a.v * b.v, [a, b], [b.v, a.v]);
const oneMinus = (a: V) => new V(1 - a.v, [a], [-1]);
const tanh = (a: V) => { const t = Math.tanh(a.v); return new V(t, [a], [1 - t * t]); };
const sig = (a: V) => { const s = 1 / (1 + Math.exp(-a.v)); return new V(s, [a], [s * (1 - s)]); };
const relu = (a: V) => new V(a.v > 0 ? a.v : 0, [a], [a.v > 0 ? 1 : 0]);
const sum = (xs: V[]) => xs.reduce((acc, x) => add(acc, x), new V(0));

function backprop(root: V[], seeds: number[]): void {
  const order: V[] = [];
  const seen = new Set<V>();
  const visit = (v: V) => {
    // iterative DFS: graphs can be deep
    const stack: Array<[V, number]> = [[v, 0]];
    if (seen.has(v)) return;
    seen.add(v);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top[1] < top[0].prev.length) {
        const c = top[0].prev[top[1]++];
        if (!seen.has(c)) { seen.add(c); stack.push([c, 0]); }
      } else { order.push(top[0]); stack.pop(); }
    }
  };
  root.forEach(visit);
  root.forEach((r, k) => { r.grad += seeds[k]; });
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    v.prev.forEach((p, j) => { p.grad += v.local[j] * v.grad; });
  }
}

const leaves = (a: ArrayLike<number> | null, n: number) => Array.from({ length: n }, (_, k) => new V(a ? a[k] : 0));
const matvec = (W: V[], rows: number, cols: number, x: V[], b: V[] | null) =>
  Array.from({ length: rows }, (_, r) => add(sum(x.map((xk, k) => mul(W[r * cols + k], xk))), b ? b[r] : new V(0)));

function cell(mode: CellMode, H: number, gi: V[], gh: V[], h: V[], c: V[]): [V[], V[]] {
  const blk = (a: V[], j: number) => a.slice(j * H, (j + 1) * H);
  if (mode === 'RNN_TANH' || mode === 'RNN_RELU') {
    return [gi.map((g, k) => (mode === 'RNN_TANH' ? tanh : relu)(add(g, gh[k]))), c];
  }
  if (mode === 'GRU') {
    const r = blk(gi, 0).map((g, k) => sig(add(g, gh[k])));
    const z = blk(gi, 1).map((g, k) => sig(add(g, gh[H + k])));
    const n = blk(gi, 2).map((g, k) => tanh(add(g, mul(r[k], gh[2 * H + k]))));
    return [n.map((nk, k) => add(mul(oneMinus(z[k]), nk), mul(z[k], h[k]))), c];
  }
  const pre = gi.map((g, k) => add(g, gh[k]));
  const i = blk(pre, 0).map(sig), f = blk(pre, 1).map(sig), g = blk(pre, 2).map(tanh), o = blk(pre, 3).map(sig);
  const c2 = c.map((ck, k) => add(mul(f[k], ck), mul(i[k], g[k])));
  return [c2.map((ck, k) => mul(o[k], tanh(ck))), c2];
}

export interface NaiveResult {
  y: Float64Array; hN: Float64Array; cN: Float64Array | null; grads: LayerGrads;
}

/** Same contract as packedLayerForward + packedLayerBackward together (grads for the given seeds). */
export function packedLayerNaive(
  shape: LayerShape, p: LayerParams, x: Floats, batchSizes: ArrayLike<number>, reverse: boolean,
  h0: Floats | null, c0: Floats | null, dY: ArrayLike<number>, dhN: ArrayLike<number>, dcN: ArrayLike<number> | null,
): NaiveResult {
  const { mode, inputSize: In, hiddenSize: H, projSize: P } = shape;
  const Hout = P > 0 ? P : H;
  const G = mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
  const T = batchSizes.length;
  const B = batchSizes[0];
  const rowOf = (t: number, i: number) => { let o = 0; for (let s = 0; s < t; s++) o += batchSizes[s]; return o + i; };
  const rows = rowOf(T, 0);
  const X = leaves(x, rows * In);
  const wIh = leaves(p.wIh, G * H * In), wHh = leaves(p.wHh, G * H * Hout);
  const bIh = p.bIh ? leaves(p.bIh, G * H) : null, bHh = p.bHh ? leaves(p.bHh, G * H) : null;
  const wHr = p.wHr ? leaves(p.wHr, P * H) : null;
  const H0 = leaves(h0, B * Hout), C0 = leaves(c0, B * H);
  const Y: V[] = new Array(rows * Hout);
  const HN: V[] = [], CN: V[] = [];
  for (let i = 0; i < B; i++) {
    let len = 0;
    while (len < T && batchSizes[len] > i) len++;
    let h = H0.slice(i * Hout, (i + 1) * Hout), c = C0.slice(i * H, (i + 1) * H);
    for (let s = 0; s < len; s++) {
      const t = reverse ? len - 1 - s : s;
      const r = rowOf(t, i);
      const gi = matvec(wIh, G * H, In, X.slice(r * In, (r + 1) * In), bIh);
      const gh = matvec(wHh, G * H, Hout, h, bHh);
      let hNew: V[];
      [hNew, c] = cell(mode, H, gi, gh, h, c);
      h = wHr ? matvec(wHr, P, H, hNew, null) : hNew;
      h.forEach((v, k) => { Y[r * Hout + k] = v; });
    }
    HN.push(...h);
    CN.push(...c);
  }
  const roots = [...Y, ...HN, ...(mode === 'LSTM' ? CN : [])];
  const seeds = [...Array.from(dY), ...Array.from(dhN), ...(mode === 'LSTM' ? Array.from(dcN ?? new Array(B * H).fill(0)) : [])];
  backprop(roots, seeds);
  const g = (vs: V[]) => Float64Array.from(vs, (v) => v.grad);
  return {
    y: Float64Array.from(Y, (v) => v.v),
    hN: Float64Array.from(HN, (v) => v.v),
    cN: mode === 'LSTM' ? Float64Array.from(CN, (v) => v.v) : null,
    grads: {
      dX: g(X), dh0: g(H0), dc0: mode === 'LSTM' ? g(C0) : null,
      dWih: g(wIh), dWhh: g(wHh), dBih: bIh ? g(bIh) : null, dBhh: bHh ? g(bHh) : null, dWhr: wHr ? g(wHr) : null,
    },
  };
}
