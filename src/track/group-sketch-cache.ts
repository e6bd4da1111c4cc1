// A per-group file of the member runs' sketches, so that the first request for a group's series
// in a fresh process reads one file instead of every member's run-sketch.json:
//
//   <root>/.recur-groups/<sha1 of the group name>.bin
//     line 1: JSON header {"recurGroupSketches":1,"group","le","runs":[[id, version, [[key, w, n], ...]], ...]}
//     then:   the runs' sketches in header order, each key as 5*n float64s (idx, x, y, lo, hi)
//
// A run's `version` is its log cursor, row count and summary time (runVersion): the sketch stored
// for it is used only while the index still shows exactly that. Only runs that are not running are
// stored (a live run's sketch changes with every row; it is read from its own file), so a live run
// never causes a rewrite, and a changed, added or removed member rewrites only its group's file.
// The file is replaced atomically; a damaged or foreign one is ignored and rebuilt from the runs.
// Next to it, `<sha1>.series.json` keeps the last answers computed from it (see readGroupSeries).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StepSketch } from './run-sketch.js';
import type { IndexEntry, SummaryIndex } from './summary-index.js';
import { writeAtomicFile } from './summary-file.js';

export const GROUP_CACHE_DIR = '.recur-groups';
const FORMAT = 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type KeyLayout = [key: string, w: number, n: number];
type RunLayout = [id: string, version: string, keys: KeyLayout[]];

interface Header {
  recurGroupSketches: number;
  group: string;
  le: boolean;
  runs: RunLayout[];
}

// A stored run: where its keys' floats start in the body.
interface StoredRun {
  version: string;
  keys: { key: string; w: number; n: number; at: number }[];
}

export function runVersion(e: IndexEntry): string {
  return `${e.data.cursor}:${e.data.rows}:${e.data.updatedAt}`;
}

function cacheable(e: IndexEntry): boolean {
  return e.status !== 'running' && e.meta?.status !== 'running';
}

export function groupCacheFile(root: string, group: string): string {
  return path.join(root, GROUP_CACHE_DIR, crypto.createHash('sha1').update(group).digest('hex') + '.bin');
}

// The stored runs of a group file and its float64 body; null when the file is missing, damaged,
// of another group or written on a machine of the other byte order.
function readGroupFile(file: string, group: string): { runs: Map<string, StoredRun>; body: Float64Array } | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  try {
    const nl = buf.indexOf(0x0a);
    if (nl < 0) return null;
    const h = JSON.parse(buf.toString('utf8', 0, nl)) as Header;
    if (h.recurGroupSketches !== FORMAT || h.group !== group || h.le !== LITTLE_ENDIAN || !Array.isArray(h.runs)) return null;
    const runs = new Map<string, StoredRun>();
    let at = 0;
    for (const r of h.runs) {
      if (!Array.isArray(r) || typeof r[0] !== 'string' || typeof r[1] !== 'string' || !Array.isArray(r[2])) return null;
      const keys: StoredRun['keys'] = [];
      for (const k of r[2]) {
        if (!Array.isArray(k) || typeof k[0] !== 'string' || !(k[1] > 0) || !Number.isInteger(k[2]) || k[2] < 0) return null;
        keys.push({ key: k[0], w: k[1], n: k[2], at });
        at += 5 * k[2];
      }
      runs.set(r[0], { version: r[1], keys });
    }
    const bytes = buf.length - nl - 1;
    if (bytes !== at * 8) return null;
    const body = new Float64Array(at);
    new Uint8Array(body.buffer).set(buf.subarray(nl + 1));
    return { runs, body };
  } catch {
    return null;
  }
}

function arrayOf(f: Float64Array, from: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = f[from + i];
  return a;
}

function decodeRun(r: StoredRun, body: Float64Array, only?: ReadonlySet<string>): Map<string, StepSketch> {
  const out = new Map<string, StepSketch>();
  for (const { key, w, n, at } of r.keys) {
    if (only && !only.has(key)) continue;
    const s = new StepSketch();
    s.w = w;
    s.idx = arrayOf(body, at, n);
    s.x = arrayOf(body, at + n, n);
    s.y = arrayOf(body, at + 2 * n, n);
    s.lo = arrayOf(body, at + 3 * n, n);
    s.hi = arrayOf(body, at + 4 * n, n);
    out.set(key, s);
  }
  return out;
}

function writeGroupFile(file: string, group: string, runs: readonly { id: string; version: string; sketches: ReadonlyMap<string, StepSketch> }[]): void {
  const layout: RunLayout[] = [];
  let total = 0;
  for (const r of runs) {
    const keys: KeyLayout[] = [];
    for (const [k, s] of r.sketches) (keys.push([k, s.w, s.length]), (total += 5 * s.length));
    layout.push([r.id, r.version, keys]);
  }
  const body = new Float64Array(total);
  let at = 0;
  for (const r of runs) {
    for (const s of r.sketches.values()) {
      const n = s.length;
      body.set(s.idx, at);
      body.set(s.x, at + n);
      body.set(s.y, at + 2 * n);
      body.set(s.lo, at + 3 * n);
      body.set(s.hi, at + 4 * n);
      at += 5 * n;
    }
  }
  const header: Header = { recurGroupSketches: FORMAT, group, le: LITTLE_ENDIAN, runs: layout };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeAtomicFile(file, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), Buffer.from(body.buffer, body.byteOffset, body.byteLength)]));
}

// The sketches (of `keys`, or all) of `members`, in their order, each equal to what
// `index.sketches(id, keys)` gives. `group` is every run of the group (members is it or a subset):
// the file is rewritten, holding the group's ended runs, when one of them had to be read from its
// own files or the file holds a run that is no longer in the group as it is stored.
export function groupMemberSketches(
  index: SummaryIndex,
  group: string,
  all: readonly IndexEntry[],
  members: readonly IndexEntry[],
  keys: readonly string[] | undefined,
  persist = true,
): Map<string, StepSketch>[] {
  const file = groupCacheFile(index.store.root, group);
  const stored = readGroupFile(file, group);
  const only = keys ? new Set(keys) : undefined;
  const fresh = new Map<string, Map<string, StepSketch>>();
  const out = members.map((m) => {
    const r = cacheable(m) ? stored?.runs.get(m.id) : undefined;
    if (r && stored && r.version === runVersion(m)) return decodeRun(r, stored.body, only);
    if (!cacheable(m) || !persist) return index.sketches(m.id, keys).sketches;
    const got = index.sketches(m.id);
    if (got.cursor === m.data.cursor) fresh.set(m.id, got.sketches);
    if (!only) return got.sketches;
    const picked = new Map<string, StepSketch>();
    for (const [k, s] of got.sketches) if (only.has(k)) picked.set(k, s);
    return picked;
  });
  if (!persist) return out;
  // The group's ended runs as the file should hold them: kept from the file when still current.
  const keep: { id: string; version: string; sketches: ReadonlyMap<string, StepSketch> }[] = [];
  let stale = false;
  const current = new Set<string>();
  for (const m of all) {
    if (!cacheable(m)) continue;
    const version = runVersion(m);
    current.add(m.id);
    const f = fresh.get(m.id);
    const r = stored?.runs.get(m.id);
    if (f) keep.push({ id: m.id, version, sketches: f });
    else if (r && stored && r.version === version) keep.push({ id: m.id, version, sketches: decodeRun(r, stored.body) });
    else if (r) stale = true;
  }
  if (stored) for (const id of stored.runs.keys()) if (!current.has(id)) stale = true;
  if (fresh.size > 0 || stale) {
    try {
      writeGroupFile(file, group, keep);
    } catch {
      /* a read-only root: the runs' own files serve every request */
    }
  }
  return out;
}

// The answers themselves, next to the sketches: `<sha1>.series.json` holds the last few group
// series computed (per keys, points and member list), each with its members' versions, so a fresh
// reader asking what the page asked before reads one small file per group. Only answers whose
// members have all ended are stored. Non-finite values are written as strings.
const SERIES_FORMAT = 1;
const SERIES_KEPT = 8;

export interface GroupSeriesAnswer {
  group: string;
  runs: string[];
  series: Record<string, Record<'x' | 'mean' | 'min' | 'max' | 'n', number[]>>;
}

interface SeriesEntry {
  q: string;
  runs: [string, string][];
  series: Record<string, Record<string, (number | string)[]>>;
}

const SERIES_FIELDS = ['x', 'mean', 'min', 'max', 'n'] as const;

function seriesFile(root: string, group: string): string {
  return groupCacheFile(root, group).replace(/\.bin$/, '.series.json');
}

function readSeriesEntries(file: string, group: string): SeriesEntry[] {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as { recurGroupSeries?: unknown; group?: unknown; entries?: unknown };
    if (o.recurGroupSeries !== SERIES_FORMAT || o.group !== group || !Array.isArray(o.entries)) return [];
    return o.entries as SeriesEntry[];
  } catch {
    return [];
  }
}

function sameRuns(e: SeriesEntry, members: readonly IndexEntry[]): boolean {
  if (!Array.isArray(e.runs) || e.runs.length !== members.length) return false;
  for (let i = 0; i < members.length; i++) {
    const r = e.runs[i];
    if (!Array.isArray(r) || r[0] !== members[i].id || r[1] !== runVersion(members[i])) return false;
  }
  return true;
}

function decodeNumbers(a: unknown): number[] {
  if (!Array.isArray(a)) throw new Error('not an array');
  return a.map((v) => {
    if (typeof v === 'number') return v;
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    throw new Error('not a number');
  });
}

// The stored answer to query `q` (JSON of [keys, points]) over `members` (in their order), or null.
export function readGroupSeries(root: string, group: string, q: string, members: readonly IndexEntry[]): GroupSeriesAnswer | null {
  if (!members.every(cacheable)) return null;
  const keys = (JSON.parse(q) as [string[], number])[0];
  for (const e of readSeriesEntries(seriesFile(root, group), group)) {
    if (!e || e.q !== q || !sameRuns(e, members) || !e.series || typeof e.series !== 'object') continue;
    const got = Object.keys(e.series);
    if (got.length !== keys.length || !keys.every((k) => Object.hasOwn(e.series, k))) return null;
    try {
      const series: GroupSeriesAnswer['series'] = {};
      for (const [k, s] of Object.entries(e.series)) {
        const d = {} as Record<(typeof SERIES_FIELDS)[number], number[]>;
        for (const f of SERIES_FIELDS) d[f] = decodeNumbers(s[f]);
        series[k] = d;
      }
      return { group, runs: members.map((m) => m.id), series };
    } catch {
      return null;
    }
  }
  return null;
}

// Stores `answer` to `q`, keeping the other stored answers whose members are all still as stored.
export function writeGroupSeries(root: string, group: string, q: string, members: readonly IndexEntry[], answer: GroupSeriesAnswer, index: SummaryIndex): void {
  if (!members.every(cacheable)) return;
  const file = seriesFile(root, group);
  const current = (e: SeriesEntry) =>
    e && e.q !== q && Array.isArray(e.runs) && e.runs.every((r) => Array.isArray(r) && index.get(r[0]) !== undefined && cacheable(index.get(r[0])!) && index.get(r[0])!.summary.group === group && runVersion(index.get(r[0])!) === r[1]);
  const kept = readSeriesEntries(file, group).filter(current).slice(-(SERIES_KEPT - 1));
  const series: SeriesEntry['series'] = {};
  for (const [k, s] of Object.entries(answer.series)) {
    const d: Record<string, (number | string)[]> = {};
    for (const f of SERIES_FIELDS) d[f] = s[f].map((v) => (Number.isFinite(v) ? v : String(v)));
    series[k] = d;
  }
  kept.push({ q, runs: members.map((m) => [m.id, runVersion(m)]), series });
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeAtomicFile(file, JSON.stringify({ recurGroupSeries: SERIES_FORMAT, group, entries: kept }) + '\n');
  } catch {
    /* a read-only root */
  }
}
