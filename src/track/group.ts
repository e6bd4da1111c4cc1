// Grouping runs that differ only in their seed (the article's "3 runs of sota"), drawn as one line
// (mean) inside a min–max band. Browser-safe.
import { flattenConfig, isIdentityKey, SEED_KEYS } from './summary.js';
import type { MetricRow, RunMeta } from './types.js';

// Runs with equal keys belong together: project plus the config without seed and identity keys.
export function groupKey(meta: RunMeta): string {
  const flat = flattenConfig(meta.config);
  const kept = Object.keys(flat)
    .filter((k) => !SEED_KEYS.has(k) && !isIdentityKey(k))
    .sort()
    .map((k) => [k, flat[k]]);
  return JSON.stringify([meta.project, kept]);
}

export interface RunGroup {
  key: string;
  label: string;
  ids: string[];
}

// Groups in order of their first member. The label is the members' common name with a trailing
// seed/repeat suffix removed ("sota_1", "sota_2" -> "sota"), plus the member count.
export function groupRuns(metas: readonly RunMeta[]): RunGroup[] {
  const byKey = new Map<string, { ids: string[]; names: string[] }>();
  for (const m of metas) {
    const k = groupKey(m);
    const g = byKey.get(k) ?? { ids: [], names: [] };
    g.ids.push(m.id);
    g.names.push(m.name);
    byKey.set(k, g);
  }
  return [...byKey.entries()].map(([key, g]) => ({
    key,
    ids: g.ids,
    label: g.ids.length === 1 ? g.names[0] : `${commonName(g.names)} (${g.ids.length} runs)`,
  }));
}

function commonName(names: readonly string[]): string {
  let p = names[0];
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  p = p.replace(/[-_ .]*(seed)?[-_ .]*\d*$/i, '');
  return p || names[0];
}

// Mean, min and max of `metric` across the members at each step logged by any member. `t` is the
// members' mean time since their own start (ms), so the group can be drawn against time too.
export interface GroupSeries {
  step: number[];
  t: number[];
  mean: number[];
  min: number[];
  max: number[];
  n: number[];
}

export function aggregateGroup(members: ReadonlyArray<{ startMs: number; rows: readonly MetricRow[] }>, metric: string): GroupSeries {
  const acc = new Map<number, { sum: number; n: number; min: number; max: number; tsum: number }>();
  for (const m of members) {
    for (const r of m.rows) {
      const v = r[metric];
      if (v === undefined || !Number.isFinite(v)) continue;
      const a = acc.get(r.step);
      const dt = r.t - m.startMs;
      if (a) {
        a.sum += v;
        a.n++;
        a.tsum += dt;
        if (v < a.min) a.min = v;
        if (v > a.max) a.max = v;
      } else acc.set(r.step, { sum: v, n: 1, min: v, max: v, tsum: dt });
    }
  }
  const steps = [...acc.keys()].sort((a, b) => a - b);
  const out: GroupSeries = { step: steps, t: [], mean: [], min: [], max: [], n: [] };
  for (const s of steps) {
    const a = acc.get(s)!;
    out.t.push(a.tsum / a.n);
    out.mean.push(a.sum / a.n);
    out.min.push(a.min);
    out.max.push(a.max);
    out.n.push(a.n);
  }
  return out;
}
