// A small in-memory server speaking the dashboard's API (run summaries with a poll cursor,
// min/max-bucket series per run and per seed group, appended rows, run records, CSV) over
// synthetic runs, plus the built page. The page's scale tests run against it with hundreds of
// runs without writing them to disk. Not a test file.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { MetricRow, RunMeta, RunStatus } from '../src/track/types.js';

export interface FakeRun {
  id: string;
  name: string;
  status: RunStatus;
  reason?: string;
  seed: number;
  config: Record<string, unknown>;
  startedAt: string;
  endedAt?: string;
  rows: MetricRow[];
}

interface Held extends FakeRun {
  version: number;
}

export interface Bucketed { x: number[]; y: number[]; ymin: number[]; ymax: number[] }

// Min/max buckets over x: at most `n` points, each bucket's mean y and its real extremes; the
// last point is always the run's last.
export function buckets(xs: readonly number[], ys: readonly number[], n: number): Bucketed {
  const out: Bucketed = { x: [], y: [], ymin: [], ymax: [] };
  if (xs.length <= n) return { x: [...xs], y: [...ys], ymin: [...ys], ymax: [...ys] };
  const x0 = xs[0];
  const span = xs[xs.length - 1] - x0 || 1;
  let b = -1;
  let sum = 0;
  let cnt = 0;
  const flush = () => {
    if (cnt === 0) return;
    out.y[out.y.length - 1] = sum / cnt;
  };
  for (let i = 0; i < xs.length; i++) {
    const k = Math.min(n - 1, Math.floor(((xs[i] - x0) / span) * n));
    if (k !== b) {
      flush();
      b = k;
      sum = 0;
      cnt = 0;
      out.x.push(xs[i]);
      out.y.push(ys[i]);
      out.ymin.push(ys[i]);
      out.ymax.push(ys[i]);
    }
    const j = out.x.length - 1;
    out.x[j] = xs[i];
    sum += ys[i];
    cnt++;
    if (ys[i] < out.ymin[j]) out.ymin[j] = ys[i];
    if (ys[i] > out.ymax[j]) out.ymax[j] = ys[i];
  }
  flush();
  return out;
}

const LOSSY = /loss/i;

function groupKey(config: Record<string, unknown>): string {
  const kept = Object.keys(config).filter((k) => k !== 'seed' && k !== 'run_name').sort().map((k) => [k, config[k]]);
  return JSON.stringify(kept);
}

function summary(r: Held) {
  const metrics = new Set<string>();
  const last: Record<string, number | null> = {};
  const best: Record<string, { value: number; step: number }> = {};
  for (const row of r.rows) {
    for (const [k, v] of Object.entries(row)) {
      if (k === 'step' || k === 't') continue;
      metrics.add(k);
      last[k] = Number.isFinite(v) ? v : null;
      if (!Number.isFinite(v)) continue;
      const b = best[k];
      const better = !b || (LOSSY.test(k) ? v < b.value : v > b.value);
      if (better) best[k] = { value: v, step: row.step };
    }
  }
  const key = groupKey(r.config);
  return {
    id: r.id, name: r.name, project: 'recur', status: r.status, ...(r.reason ? { reason: r.reason } : {}), seed: r.seed,
    config: r.config, group: `g${hashKey(key)}`, groupLabel: labelOf(r.config), params: last['Model Params'] ?? undefined,
    rows: r.rows.length, firstStep: r.rows[0]?.step, lastStep: r.rows[r.rows.length - 1]?.step,
    startedAt: r.startedAt, endedAt: r.endedAt, updatedAt: new Date(r.rows[r.rows.length - 1]?.t ?? Date.parse(r.startedAt)).toISOString(),
    metrics: [...metrics], last, best,
  };
}

function labelOf(config: Record<string, unknown>): string {
  return Object.entries(config).filter(([k]) => k === 'cell' || k === 'lr' || k === 'hidden_dim').map(([k, v]) => `${k}=${v}`).join(' ');
}

function hashKey(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

export interface FakeServer {
  url: string;
  // Every request path+query the server answered, in order.
  requests: string[];
  append(id: string, rows: MetricRow[]): void;
  // Runs whose summary the server reports as rebuilt from their log (sent with every list).
  rebuilt: Array<{ id: string; reason: string }>;
  close(): Promise<void>;
}

export async function startFakeServer(runs: FakeRun[], assetsDir: string): Promise<FakeServer> {
  let version = 1;
  const held = new Map<string, Held>(runs.map((r) => [r.id, { ...r, rows: [...r.rows], version: 1 }]));
  const requests: string[] = [];
  const json = (res: http.ServerResponse, v: unknown, status = 200) => {
    const body = JSON.stringify(v);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    const q = url.searchParams;
    const p = url.pathname;
    if (p === '/api/runs') {
      const since = q.get('since');
      const list = [...held.values()].filter((r) => since === null || r.version > Number(since));
      return json(res, { cursor: String(version), total: held.size, runs: list.map(summary), removed: [], rebuilt: api.rebuilt });
    }
    let m = /^\/api\/runs\/([^/]+)(\/series|\/metrics)?$/.exec(p);
    if (m) {
      const r = held.get(decodeURIComponent(m[1]));
      if (!r) return json(res, { error: 'no such run' }, 404);
      if (m[2] === '/series') {
        const keys = (q.get('keys') ?? '').split(',').filter(Boolean);
        const n = Number(q.get('points'));
        const byTime = q.get('x') === 'time';
        const x0 = q.has('x0') ? Number(q.get('x0')) : -Infinity;
        const x1 = q.has('x1') ? Number(q.get('x1')) : Infinity;
        const series: Record<string, Bucketed> = {};
        for (const k of keys) {
          const xs: number[] = [];
          const ys: number[] = [];
          for (const row of r.rows) {
            const x = byTime ? (row.t - Date.parse(r.startedAt)) / 1000 : row.step;
            if (k in row && x >= x0 && x <= x1) (xs.push(x), ys.push(row[k]));
          }
          if (xs.length) series[k] = buckets(xs, ys, n);
        }
        return json(res, { id: r.id, cursor: r.rows.length, rows: r.rows.length, series });
      }
      if (m[2] === '/metrics') {
        const since = Number(q.get('since') ?? 0);
        return json(res, { rows: r.rows.slice(since), cursor: r.rows.length });
      }
      const meta: RunMeta = {
        id: r.id, name: r.name, project: 'recur', status: r.status, config: r.config, seed: r.seed, recurVersion: '0.1.0',
        git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false }, argv: ['bin/recur.js', 'train', '--run_name', r.name],
        node: 'v20', host: 'fake', pid: 1, startedAt: r.startedAt, endedAt: r.endedAt ?? null, heartbeatAt: r.startedAt, summary: {},
      };
      return json(res, { id: r.id, meta, status: r.status });
    }
    m = /^\/api\/groups\/([^/]+)\/series$/.exec(p);
    if (m) {
      const group = decodeURIComponent(m[1]);
      const ids = (q.get('runs') ?? '').split(',').filter(Boolean);
      const members = [...held.values()].filter((r) => summary(r).group === group && (ids.length === 0 || ids.includes(r.id)));
      const keys = (q.get('keys') ?? '').split(',').filter(Boolean);
      const n = Number(q.get('points'));
      const series: Record<string, { x: number[]; mean: number[]; min: number[]; max: number[] }> = {};
      for (const k of keys) {
        const at = new Map<number, number[]>();
        for (const r of members) for (const row of r.rows) if (k in row) (at.get(row.step) ?? at.set(row.step, []).get(row.step)!).push(row[k]);
        const steps = [...at.keys()].sort((a, b) => a - b);
        if (!steps.length) continue;
        const mean = steps.map((s) => at.get(s)!.reduce((a, b) => a + b, 0) / at.get(s)!.length);
        const lo = steps.map((s) => Math.min(...at.get(s)!));
        const hi = steps.map((s) => Math.max(...at.get(s)!));
        const b = buckets(steps, mean, n);
        const bl = buckets(steps, lo, n);
        const bh = buckets(steps, hi, n);
        series[k] = { x: b.x, mean: b.y, min: bl.ymin, max: bh.ymax };
      }
      return json(res, { group, runs: members.map((r) => r.id), series });
    }
    if (p === '/api/export.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' });
      return res.end('run,step\n');
    }
    const file = path.join(assetsDir, p === '/' ? 'index.html' : path.basename(p));
    if (!fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const api: FakeServer = {
    url: `http://127.0.0.1:${port}/`,
    requests,
    rebuilt: [],
    append(id, rows) {
      const r = held.get(id)!;
      r.rows.push(...rows);
      r.version = ++version;
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return api;
}
