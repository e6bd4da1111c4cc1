// The dashboard server's JSON API and static files: listing (with corrupt and empty runs),
// incremental metrics, CSV export, and refusal of everything outside what it serves.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/track/file-store.js';
import { startDashboard, type DashboardServer } from '../src/track/server.js';
import { tmpRoot, writeArticleFixture } from './track-fixtures.js';

let base: string;
let runsRoot: string;
let assets: string;
let play: string;
let srv: DashboardServer;

function get(p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    // http.request sends the path as given (no normalisation of '..' as fetch/URL would do).
    const req = http.request({ host: '127.0.0.1', port: srv.port, path: p, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  base = tmpRoot('recur-track-srv-');
  runsRoot = path.join(base, 'runs');
  assets = path.join(base, 'assets');
  play = path.join(base, 'play');
  await writeArticleFixture(runsRoot, 1000);
  // A run with a corrupt meta.json and one with no metrics yet.
  fs.mkdirSync(path.join(runsRoot, 'broken'));
  fs.writeFileSync(path.join(runsRoot, 'broken', 'meta.json'), '{"id": "broken", "status": "runn');
  fs.writeFileSync(path.join(runsRoot, 'broken', 'metrics.jsonl'), '{"step":1,"t":1,"loss":2}\n');
  const store = new FileStore(runsRoot);
  const empty = await store.createRun({
    name: 'empty', project: 'recur', status: 'running', config: {}, seed: 1, recurVersion: '0.1.0', git: null, argv: [],
    node: process.version, host: 'elsewhere', pid: 1, startedAt: new Date().toISOString(), endedAt: null,
    heartbeatAt: new Date().toISOString(), summary: {},
  });
  expect(empty.id).toBe('empty');
  fs.mkdirSync(assets);
  fs.writeFileSync(path.join(assets, 'index.html'), '<!doctype html><title>dash</title>');
  fs.writeFileSync(path.join(assets, 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'TOPSECRET');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(assets, 'link.txt'));
  fs.mkdirSync(play);
  fs.writeFileSync(path.join(play, 'index.html'), '<title>play</title>');
  srv = await startDashboard({ root: runsRoot, assetsDir: assets, playDir: play, port: 0 });
});

afterAll(async () => {
  await srv?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('dashboard server', () => {
  it('binds loopback on a free port', () => {
    expect(srv.host).toBe('127.0.0.1');
    expect(srv.port).toBeGreaterThan(0);
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/`);
  });

  it('lists every run, corrupt and empty ones included', async () => {
    const r = await get('/api/runs');
    expect(r.status).toBe(200);
    const { runs, root } = JSON.parse(r.body);
    expect(root).toBe(runsRoot);
    const ids = runs.map((x: { id: string }) => x.id).sort();
    expect(ids).toEqual(['baseline', 'broken', 'deeper_rnn', 'empty', 'large_batch', 'large_batch_lr5e-3', 'sota', 'sota_warmup', 'sota_warmup-2', 'sota_warmup-3']);
    const by = Object.fromEntries(runs.map((x: { id: string }) => [x.id, x]));
    expect(by.broken).toMatchObject({ status: 'corrupt', meta: null });
    expect(by.broken.error).toMatch(/meta\.json/);
    expect(by.broken.stats.loss.count).toBe(1);
    expect(by.empty).toMatchObject({ status: 'running', cursor: 0, rows: 0, stats: {} });
    // 1000 steps, loss every 100, accuracy every 500, Model Params once.
    expect(by.baseline.stats.loss.count).toBe(10);
    expect(by.baseline.stats.accuracy.count).toBe(2);
    expect(by.baseline.stats['Model Params'].count).toBe(1);
    expect(by.baseline.meta.seed).toBe(0);
  });

  it('serves one run and its metrics, incrementally from a cursor', async () => {
    const one = JSON.parse((await get('/api/runs/sota')).body);
    expect(one).toMatchObject({ id: 'sota', status: 'finished' });
    expect(JSON.parse((await get('/api/runs/broken')).body)).toMatchObject({ status: 'corrupt', meta: null });
    const m = JSON.parse((await get('/api/runs/empty/metrics')).body);
    expect(m).toMatchObject({ rows: [], cursor: 0 });
    const file = path.join(runsRoot, 'empty', 'metrics.jsonl');
    fs.appendFileSync(file, '{"step":1,"t":1,"loss":2}\n{"step":2,"t":2,"loss":"NaN"}\n{"step":3,');
    const a = JSON.parse((await get('/api/runs/empty/metrics?since=0')).body);
    expect(a.rows).toEqual([{ step: 1, t: 1, loss: 2 }, { step: 2, t: 2, loss: 'NaN' }]);
    fs.appendFileSync(file, '"t":3,"loss":1.5}\n');
    const b = JSON.parse((await get(`/api/runs/empty/metrics?since=${a.cursor}`)).body);
    expect(b.rows).toEqual([{ step: 3, t: 3, loss: 1.5 }]);
    expect(b.cursor).toBe(fs.statSync(file).size);
    const list = JSON.parse((await get('/api/runs')).body).runs;
    expect(list.find((x: { id: string }) => x.id === 'empty').cursor).toBe(b.cursor);
    expect((await get('/api/runs/empty/metrics?since=-5')).status).toBe(400);
    expect((await get('/api/runs/nope/metrics')).status).toBe(404);
  });

  it('exports every point of the chosen runs as CSV', async () => {
    const r = await get('/api/export.csv?runs=baseline,sota_warmup-2');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/csv/);
    const lines = r.body.trim().split('\n');
    const store = new FileStore(runsRoot);
    const n = (await store.readMetrics('baseline')).rows.length + (await store.readMetrics('sota_warmup-2')).rows.length;
    expect(lines).toHaveLength(n + 1);
    expect(lines[0]).toBe('run,step,t,Model Params,loss,current_lr,accuracy');
    expect(lines.filter((l) => l.startsWith('baseline,')).length).toBe(11);
    expect((await get('/api/export.csv?runs=../secret')).status).toBe(404);
    expect((await get('/api/export.csv')).status).toBe(400);
  });

  it('serves the page and /play', async () => {
    expect((await get('/')).body).toContain('<title>dash</title>');
    expect((await get('/app.js')).headers['content-type']).toMatch(/javascript/);
    expect((await get('/')).headers['content-security-policy']).toContain("default-src 'self'");
    const play = await get('/play/');
    expect(play.body).toContain('<title>play</title>');
    // cross-origin isolated: the page's training worker may share the WASM memory with a second thread
    expect(play.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(play.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect((await get('/')).headers['cross-origin-embedder-policy']).toBeUndefined(); // the dashboard page is left as it was
    const redirect = await get('/play');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/play/');
    expect((await get('/nope.js')).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/%252e%252e/secret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/.%2e/secret.txt',
    '/link.txt',
    '/play/../secret.txt',
    '/play/..%2f..%2fsecret.txt',
    '/play/%2e%2e/secret.txt',
    '//etc/passwd',
    '/%00/etc/passwd',
    '/api/runs/..%2f..%2fsecret.txt',
    '/api/runs/../metrics',
    '/api/runs/%2e%2e/metrics',
    '/api/runs/..%2F..%2Fsecret/metrics',
    '/api/runs/..%5C..%5Csecret/metrics',
    '/api/runs/baseline%2fmeta.json',
    '/baseline/meta.json',
    '/runs/baseline/meta.json',
  ])('refuses path traversal: %s', async (p) => {
    const r = await get(p);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.body).not.toContain('TOPSECRET');
    expect(r.body).not.toMatch(/root:.*:0:0:/);
    expect(r.body).not.toContain('"recurVersion"');
  });

  it('refuses foreign Host headers (DNS rebinding) and non-GET methods', async () => {
    expect((await get('/api/runs', { Host: 'evil.example:80' })).status).toBe(403);
    expect((await get('/api/runs', { Host: `localhost:${srv.port}` })).status).toBe(200);
    expect((await get('/api/runs', {}, 'POST')).status).toBe(405);
    expect((await get('/api/runs', {}, 'DELETE')).status).toBe(405);
  });

  it('survives a missing page build and a missing runs root', async () => {
    const s2 = await startDashboard({ root: path.join(base, 'no-such-root'), assetsDir: path.join(base, 'no-assets'), playDir: null });
    try {
      const page = await fetch(s2.url);
      expect(page.status).toBe(503);
      expect(await page.text()).toMatch(/npm run build/);
      const api = await fetch(new URL('api/runs', s2.url));
      expect(await api.json()).toMatchObject({ runs: [] });
      expect((await fetch(new URL('play/', s2.url))).status).toBe(404);
    } finally {
      await s2.close();
    }
  });
});
