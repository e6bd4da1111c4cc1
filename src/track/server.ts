// The dashboard's HTTP server (node:http only): a JSON API over a RunStore and the static files
// of the page. Binds 127.0.0.1 unless a host is given.
//
//   GET /api/runs[?since=C]            every run's summary (or only those changed after cursor C)
//   GET /api/runs/:id                  one run's meta and status
//   GET /api/runs/:id/metrics?since=C  rows appended after cursor C (0 or absent: all), next cursor
//   GET /api/runs/:id/series?...       a run's series downsampled to a chart's width (server-api.ts)
//   GET /api/groups/:group/series?...  mean and min–max band of a group of runs (server-api.ts)
//   GET /api/export.csv?runs=a,b       every row of the listed runs as CSV (never downsampled)
//   GET /, /app.js, /app.css           the page (built by tools/build-dashboard.mjs)
//   GET /play/...                      web/play/dist, when that directory exists (cross-origin isolated: a second training thread)
//
// Safety: run ids are checked to be one existing path component; static paths are decoded segment
// by segment, refused if any segment is '.', '..' or holds a slash, backslash or NUL, and the
// resolved real path must stay inside the served directory. When bound to loopback, requests whose
// Host header is not a loopback name are refused (DNS rebinding).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricsToCsv } from './csv.js';
import { FileStore, nodeLivenessProbe } from './file-store.js';
import { encodeRowObject } from './metrics.js';
import { ApiError, RunsApi } from './server-api.js';
import { SummaryIndex } from './summary-index.js';
import { CorruptMetaError, isSafeRunId, RunNotFoundError, type RunStore } from './store.js';
import { effectiveStatus } from './status.js';
import type { MetricRow } from './types.js';

const PKG_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DashboardOptions {
  root?: string; // runs root for the default file store
  store?: RunStore;
  host?: string; // default 127.0.0.1
  port?: number; // default 0 (a free port)
  assetsDir?: string; // the built page (default <package>/dist/web/dashboard)
  playDir?: string | null; // default <package>/web/play/dist when present; null disables /play
}

export interface DashboardServer {
  url: string;
  host: string;
  port: number;
  root: string;
  server: http.Server;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export function defaultAssetsDir(): string {
  return path.join(PKG_ROOT, 'dist', 'web', 'dashboard');
}

export function defaultPlayDir(): string {
  return path.join(PKG_ROOT, 'web', 'play', 'dist');
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// Maps a URL path below a mount point to a file inside `base`, or throws 404/400.
export function resolveStatic(base: string, urlPath: string): string {
  const segments: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, 'bad path encoding');
    }
    if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg) || seg.includes('%')) throw new HttpError(404, 'not found');
    segments.push(seg);
  }
  const baseReal = fs.realpathSync(base);
  let file = path.join(baseReal, ...segments);
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    throw new HttpError(404, 'not found');
  }
  if (real !== baseReal && !real.startsWith(baseReal + path.sep)) throw new HttpError(404, 'not found');
  if (fs.statSync(real).isDirectory()) {
    file = path.join(real, 'index.html');
    if (!fs.existsSync(file)) throw new HttpError(404, 'not found');
    return file;
  }
  return real;
}

export async function startDashboard(opts: DashboardOptions = {}): Promise<DashboardServer> {
  const store = opts.store ?? new FileStore(opts.root ?? './output/');
  if (!(store instanceof FileStore)) throw new Error(`the dashboard serves a runs root on disk (a FileStore), not a ${store.kind} store`);
  const root = store.root;
  const index = new SummaryIndex(store, undefined, {
    onIndexProgress: (n, total) => console.error(`recur dashboard: indexing runs written without summaries from their logs: ${n} (of ${total} runs)`),
  });
  const api = new RunsApi(store, index, root);
  const host = opts.host ?? '127.0.0.1';
  const assetsDir = opts.assetsDir ?? defaultAssetsDir();
  const playDir = opts.playDir === null ? null : (opts.playDir ?? defaultPlayDir());
  const loopbackOnly = isLoopback(host);

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (loopbackOnly) {
      const h = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopback(h)) throw new HttpError(403, 'forbidden host');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, 'method not allowed');
    }
    const rawUrl = req.url ?? '/';
    const qIdx = rawUrl.indexOf('?');
    const rawPath = qIdx < 0 ? rawUrl : rawUrl.slice(0, qIdx);
    const query = new URLSearchParams(qIdx < 0 ? '' : rawUrl.slice(qIdx + 1));
    if (!rawPath.startsWith('/')) throw new HttpError(400, 'bad path');

    if (rawPath === '/api/runs') {
      return send(res, req, 200, 'application/json; charset=utf-8', await api.runs(query));
    }
    const g = /^\/api\/groups\/([^/]+)\/series$/.exec(rawPath);
    if (g) return sendJson(res, req, await api.groupSeries(decodeParam(g[1], 'group'), query));
    if (rawPath === '/api/export.csv') {
      const ids = (query.get('runs') ?? '').split(',').filter((s) => s !== '');
      if (ids.length === 0) throw new HttpError(400, 'no runs given (?runs=a,b)');
      const runs: Array<{ id: string; rows: MetricRow[] }> = [];
      for (const id of ids) runs.push({ id: await checkRun(store, id), rows: (await store.readMetrics(id, 0)).rows });
      const body = metricsToCsv(runs);
      res.setHeader('Content-Disposition', 'attachment; filename="recur-metrics.csv"');
      return send(res, req, 200, 'text/csv; charset=utf-8', body);
    }
    const m = /^\/api\/runs\/([^/]+)(\/metrics|\/series)?$/.exec(rawPath);
    if (m) {
      let id: string;
      try {
        id = decodeURIComponent(m[1]);
      } catch {
        throw new HttpError(400, 'bad run id encoding');
      }
      await checkRun(store, id);
      if (m[2] === '/series') return sendJson(res, req, await api.series(id, query));
      if (m[2]) {
        const since = query.has('since') ? Number(query.get('since')) : 0;
        if (!Number.isInteger(since) || since < 0) throw new HttpError(400, 'since must be a cursor from a previous response');
        const chunk = await store.readMetrics(id, since);
        return sendJson(res, req, { id, ...chunk, rows: chunk.rows.map(encodeRowObject) });
      }
      try {
        const meta = await store.readMeta(id);
        return sendJson(res, req, { id, meta, status: effectiveStatus(meta, store instanceof FileStore ? nodeLivenessProbe() : {}) });
      } catch (e) {
        if (e instanceof CorruptMetaError) return sendJson(res, req, { id, meta: null, status: 'corrupt', error: e.message });
        throw e;
      }
    }
    if (rawPath.startsWith('/api/')) throw new HttpError(404, 'no such API');

    if (playDir && (rawPath === '/play' || rawPath.startsWith('/play/'))) {
      if (!fs.existsSync(playDir)) throw new HttpError(404, 'the /play app is not built');
      if (rawPath === '/play') return redirect(res, '/play/');
      // Cross-origin isolation: the page's training worker then has SharedArrayBuffer, and splits
      // big steps with a second thread (web/play/src/worker.ts). Everything /play loads is its own.
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      return sendFile(res, req, resolveStatic(playDir, rawPath.slice('/play'.length)), false);
    }
    if (!fs.existsSync(path.join(assetsDir, 'index.html'))) {
      if (rawPath === '/' || rawPath === '/index.html') {
        return send(res, req, 503, 'text/html; charset=utf-8', NOT_BUILT_PAGE);
      }
      throw new HttpError(404, 'not found');
    }
    return sendFile(res, req, resolveStatic(assetsDir, rawPath), true);
  };

  const server = http.createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      let status = 500;
      let message = 'internal error';
      if (e instanceof HttpError || e instanceof ApiError) ({ status, message } = e);
      else if (e instanceof RunNotFoundError) (status = 404), (message = e.message);
      else console.error('recur dashboard:', e);
      if (res.headersSent) return void res.end();
      sendJson(res, req, { error: message }, status);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    host: addr.address,
    port: addr.port,
    root,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function decodeParam(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `bad ${what} encoding`);
  }
}

async function checkRun(store: RunStore, id: string): Promise<string> {
  if (!isSafeRunId(id) || !(await store.hasRun(id))) throw new HttpError(404, `no run '${id.slice(0, 100)}'`);
  return id;
}

function baseHeaders(res: http.ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
}

function send(res: http.ServerResponse, req: http.IncomingMessage, status: number, type: string, body: string | Buffer): void {
  baseHeaders(res);
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: http.ServerResponse, req: http.IncomingMessage, value: unknown, status = 200): void {
  send(res, req, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function redirect(res: http.ServerResponse, to: string): void {
  baseHeaders(res);
  res.statusCode = 301;
  res.setHeader('Location', to);
  res.end();
}

async function sendFile(res: http.ServerResponse, req: http.IncomingMessage, file: string, dashboardPage: boolean): Promise<void> {
  const body = await fs.promises.readFile(file);
  if (dashboardPage) {
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'");
  }
  send(res, req, 200, MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream', body);
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>recur dashboard</title>
<p>The dashboard page is not built. Run <code>npm run build</code> (which runs
<code>node tools/build-dashboard.mjs</code>). The JSON API is available under <code>/api/runs</code>.</p>`;
