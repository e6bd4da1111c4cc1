// Downsampling of metric series that keeps what a chart must show: each bucket's real minimum and
// maximum and its last point. Browser-safe.
//
// StepSketch is the writer-maintained form: buckets `[i*w, (i+1)*w)` over step, with `w` a power of
// two, at most MAX_BUCKETS of them. When a new step would need more, adjacent pairs merge (w doubles),
// so a sketch of any length holds between MAX_BUCKETS/2 and MAX_BUCKETS buckets. Because every `w` is
// a power of two, sketches of different runs align bucket for bucket after merging to the widest
// `w`, which is how group means and bands are built without reading any run's log.
//
// `downsample` is the reader-side form for rows in memory (a zoomed window, an x axis of time).

export const MAX_BUCKETS = 256;
// Smallest bucket width: steps closer than this share a bucket even in a short run.
const MIN_WIDTH = 2 ** -20;

// One bucket: its index (bucket i covers [i*w, (i+1)*w)), the last point in it (x, y) and the
// least and greatest finite y in it (Infinity / -Infinity when it holds only NaN).
export interface SketchData {
  w: number;
  idx: number[];
  x: number[];
  y: number[];
  lo: number[];
  hi: number[];
}

export class StepSketch implements SketchData {
  w = MIN_WIDTH;
  idx: number[] = [];
  x: number[] = [];
  y: number[] = [];
  lo: number[] = [];
  hi: number[] = [];

  constructor(readonly maxBuckets = MAX_BUCKETS) {}

  static from(d: SketchData, maxBuckets = MAX_BUCKETS): StepSketch {
    const s = new StepSketch(maxBuckets);
    s.w = d.w;
    s.idx = d.idx.slice();
    s.x = d.x.slice();
    s.y = d.y.slice();
    s.lo = d.lo.slice();
    s.hi = d.hi.slice();
    return s;
  }

  get length(): number {
    return this.idx.length;
  }

  // Steps must come in non-decreasing order (the caller rebuilds the sketch when a resumed run
  // supersedes earlier rows).
  add(step: number, v: number): void {
    const n = this.idx.length;
    if (n > 0 && step < this.x[n - 1]) throw new Error(`StepSketch: step ${step} after ${this.x[n - 1]}`);
    while (n > 0 && Math.floor(step / this.w) - this.idx[0] + 1 > this.maxBuckets) this.coarsen();
    const i = Math.floor(step / this.w);
    const m = this.idx.length;
    const fin = !Number.isNaN(v);
    if (m > 0 && this.idx[m - 1] === i) {
      this.x[m - 1] = step;
      this.y[m - 1] = v;
      if (fin && v < this.lo[m - 1]) this.lo[m - 1] = v;
      if (fin && v > this.hi[m - 1]) this.hi[m - 1] = v;
    } else {
      this.idx.push(i);
      this.x.push(step);
      this.y.push(v);
      this.lo.push(fin ? v : Infinity);
      this.hi.push(fin ? v : -Infinity);
    }
  }

  // Doubles the bucket width, merging buckets 2k and 2k+1.
  coarsen(): void {
    mergeInto(this, this.w * 2);
  }
}

// Rebins `s` (in place) to width `w`, a power-of-two multiple of s.w.
function mergeInto(s: SketchData, w: number): void {
  const f = w / s.w;
  let out = -1;
  for (let k = 0; k < s.idx.length; k++) {
    const i = Math.floor(s.idx[k] / f);
    if (out >= 0 && s.idx[out] === i) {
      s.x[out] = s.x[k];
      s.y[out] = s.y[k];
      if (s.lo[k] < s.lo[out]) s.lo[out] = s.lo[k];
      if (s.hi[k] > s.hi[out]) s.hi[out] = s.hi[k];
    } else {
      out++;
      s.idx[out] = i;
      s.x[out] = s.x[k];
      s.y[out] = s.y[k];
      s.lo[out] = s.lo[k];
      s.hi[out] = s.hi[k];
    }
  }
  const n = out + 1;
  s.idx.length = n;
  s.x.length = n;
  s.y.length = n;
  s.lo.length = n;
  s.hi.length = n;
  s.w = w;
}

// A copy of `s` with at most `points` buckets (merging pairs as needed; at least one bucket).
export function coarsenTo(s: SketchData, points: number): SketchData {
  const c: SketchData = { w: s.w, idx: s.idx.slice(), x: s.x.slice(), y: s.y.slice(), lo: s.lo.slice(), hi: s.hi.slice() };
  while (c.idx.length > Math.max(1, points)) mergeInto(c, c.w * 2);
  return c;
}

// A drawable series: points (x, y) with each point's bucket band [ymin, ymax].
export interface Series {
  x: number[];
  y: number[];
  ymin: number[];
  ymax: number[];
}

export function sketchSeries(s: SketchData): Series {
  return {
    x: s.x.slice(),
    y: s.y.slice(),
    ymin: s.lo.map((v, k) => (v === Infinity ? s.y[k] : v)),
    ymax: s.hi.map((v, k) => (v === -Infinity ? s.y[k] : v)),
  };
}

// Min/max buckets over x for points in memory. Only points with x in [x0, x1] count. At most
// `points` buckets of equal width over the points' x range; each keeps its last point and the real
// least and greatest y (NaN ignored). When the window holds `points` points or fewer they are
// returned as they are (ymin = ymax = y).
export function downsample(xs: ArrayLike<number>, ys: ArrayLike<number>, points: number, x0 = -Infinity, x1 = Infinity): Series {
  let a = 0;
  while (a < xs.length && !(xs[a] >= x0)) a++;
  let b = xs.length;
  while (b > a && !(xs[b - 1] <= x1)) b--;
  const out: Series = { x: [], y: [], ymin: [], ymax: [] };
  const n = b - a;
  if (n <= 0) return out;
  if (n <= points) {
    for (let k = a; k < b; k++) {
      out.x.push(xs[k]);
      out.y.push(ys[k]);
      out.ymin.push(ys[k]);
      out.ymax.push(ys[k]);
    }
    return out;
  }
  const lo = xs[a];
  const span = xs[b - 1] - lo;
  const nb = Math.max(1, points);
  let cur = -1;
  for (let k = a; k < b; k++) {
    const bi = span > 0 ? Math.min(nb - 1, Math.floor(((xs[k] - lo) / span) * nb)) : 0;
    const v = ys[k];
    const m = out.x.length;
    if (bi === cur) {
      out.x[m - 1] = xs[k];
      out.y[m - 1] = v;
      if (v < out.ymin[m - 1] || Number.isNaN(out.ymin[m - 1])) out.ymin[m - 1] = v;
      if (v > out.ymax[m - 1] || Number.isNaN(out.ymax[m - 1])) out.ymax[m - 1] = v;
    } else {
      cur = bi;
      out.x.push(xs[k]);
      out.y.push(v);
      out.ymin.push(v);
      out.ymax.push(v);
    }
  }
  return out;
}

// Mean line and min–max band of several runs' sketches of one metric: all are merged to the widest
// bucket width, then per bucket `mean` is the mean over runs of their last value in it (runs
// without a finite value there do not count), `min`/`max` the least/greatest value any run had in
// it, `x` the mean of the runs' last steps in it, `n` how many runs contributed.
export interface GroupSeriesOut {
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
  n: number[];
}

export function groupSketches(sketches: readonly SketchData[], points: number): GroupSeriesOut {
  const out: GroupSeriesOut = { x: [], mean: [], min: [], max: [], n: [] };
  if (sketches.length === 0) return out;
  let w = Math.max(...sketches.map((s) => s.w));
  const merged = sketches.map((s) => {
    const c: SketchData = { w: s.w, idx: s.idx.slice(), x: s.x.slice(), y: s.y.slice(), lo: s.lo.slice(), hi: s.hi.slice() };
    if (c.w < w) mergeInto(c, w);
    return c;
  });
  // Too many grid cells for the chart: every run merges pairs (w doubles) until they fit.
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of merged) if (c.idx.length) (lo = Math.min(lo, c.idx[0])), (hi = Math.max(hi, c.idx[c.idx.length - 1]));
  if (lo === Infinity) return out;
  for (;;) {
    const span = hi - lo + 1;
    // Cells are counted on a dense grid when it is small enough, else in a set.
    let count = 0;
    if (span <= 1 << 22) {
      const seen = new Uint8Array(span);
      for (const c of merged) for (const i of c.idx) if (!seen[i - lo]) (seen[i - lo] = 1), count++;
    } else {
      const cells = new Set<number>();
      for (const c of merged) for (const i of c.idx) cells.add(i);
      count = cells.size;
    }
    if (count <= Math.max(1, points)) break;
    w *= 2;
    lo = Math.floor(lo / 2);
    hi = Math.floor(hi / 2);
    for (const c of merged) mergeInto(c, w);
  }
  const span = hi - lo + 1;
  if (span <= 1 << 22) {
    const xs = new Float64Array(span);
    const ys = new Float64Array(span);
    const n = new Uint32Array(span);
    const runs = new Uint32Array(span);
    const mn = new Float64Array(span).fill(Infinity);
    const mx = new Float64Array(span).fill(-Infinity);
    for (const c of merged) {
      for (let k = 0; k < c.idx.length; k++) {
        const j = c.idx[k] - lo;
        xs[j] += c.x[k];
        runs[j]++;
        if (Number.isFinite(c.y[k])) (ys[j] += c.y[k]), n[j]++;
        if (c.lo[k] < mn[j]) mn[j] = c.lo[k];
        if (c.hi[k] > mx[j]) mx[j] = c.hi[k];
      }
    }
    for (let j = 0; j < span; j++) {
      if (runs[j] === 0) continue;
      out.x.push(xs[j] / runs[j]);
      out.mean.push(n[j] ? ys[j] / n[j] : NaN);
      out.min.push(mn[j] === Infinity ? NaN : mn[j]);
      out.max.push(mx[j] === -Infinity ? NaN : mx[j]);
      out.n.push(n[j]);
    }
    return out;
  }
  const acc = new Map<number, { xs: number; ys: number; n: number; runs: number; lo: number; hi: number }>();
  for (const c of merged) {
    for (let k = 0; k < c.idx.length; k++) {
      let a = acc.get(c.idx[k]);
      if (!a) acc.set(c.idx[k], (a = { xs: 0, ys: 0, n: 0, runs: 0, lo: Infinity, hi: -Infinity }));
      a.xs += c.x[k];
      a.runs++;
      if (Number.isFinite(c.y[k])) {
        a.ys += c.y[k];
        a.n++;
      }
      if (c.lo[k] < a.lo) a.lo = c.lo[k];
      if (c.hi[k] > a.hi) a.hi = c.hi[k];
    }
  }
  const keys = [...acc.keys()].sort((p, q) => p - q);
  for (const k of keys) {
    const a = acc.get(k)!;
    out.x.push(a.xs / a.runs);
    out.mean.push(a.n ? a.ys / a.n : NaN);
    out.min.push(a.lo === Infinity ? NaN : a.lo);
    out.max.push(a.hi === -Infinity ? NaN : a.hi);
    out.n.push(a.n);
  }
  return out;
}
