// Curve processing for charts. Browser-safe.

// Exponential moving average with bias correction, as TensorBoard draws it:
//   m_0 = 0,  m_k = w * m_{k-1} + (1 - w) * v_k,  smoothed_k = m_k / (1 - w^k)
// where k counts finite values only. Without the correction the curve would start near 0 (m_0 = 0
// weighs on the first points); dividing by 1 - w^k makes the first smoothed value equal the
// first raw value. Non-finite / null values pass through as null (a gap) and do not advance k.
// `weight` in [0, 1): 0 returns the values unchanged.
export function emaSmooth(values: ArrayLike<number | null | undefined>, weight: number): Array<number | null> {
  const out: Array<number | null> = new Array(values.length);
  if (!(weight > 0)) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      out[i] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    }
    return out;
  }
  const w = Math.min(weight, 0.999999);
  let m = 0;
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    m = w * m + (1 - w) * v;
    k++;
    out[i] = m / (1 - Math.pow(w, k));
  }
  return out;
}

// Indices of the points to draw when a series has more points than pixels: the points are cut
// into buckets of consecutive indices and each bucket keeps its minimum and maximum (in index
// order), so spikes survive, plus the first and last point. Buckets holding a non-finite value
// also keep one of those, so gaps stay gaps. Returns every index when n <= maxPoints.
export function downsampleIndices(ys: ArrayLike<number | null | undefined>, maxPoints: number): number[] {
  const n = ys.length;
  if (n <= maxPoints || maxPoints < 4) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const out: number[] = [0];
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor(b * size);
    const hi = Math.min(n - 1, 1 + Math.floor((b + 1) * size));
    let iMin = -1;
    let iMax = -1;
    let iGap = -1;
    for (let i = lo; i < hi; i++) {
      const v = ys[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        if (iGap < 0) iGap = i;
        continue;
      }
      if (iMin < 0 || v < (ys[iMin] as number)) iMin = i;
      if (iMax < 0 || v > (ys[iMax] as number)) iMax = i;
    }
    const keep = [iMin, iMax, iGap].filter((i) => i >= 0).sort((a, b) => a - b);
    for (const i of keep) if (i !== out[out.length - 1]) out.push(i);
  }
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

export function pick<T>(arr: ArrayLike<T>, idx: readonly number[]): T[] {
  const out = new Array<T>(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = arr[idx[i]];
  return out;
}
