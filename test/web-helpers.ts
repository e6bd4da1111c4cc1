// Shared by the browser tests of the play page (not a test file): builds web/play/dist once per
// process, serves it under /play/ from a tiny node:http server on 127.0.0.1 (a free port), and
// launches Debian's chromium through playwright-core with a fresh profile.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildPlay } from '../web/build.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

let built: Promise<string> | null = null;
/**
 * Builds the library bundle and the play page once per test process, into a temporary
 * directory of its own (test files run in parallel; web/play/dist is left alone).
 */
export function ensureBuilt(): Promise<string> {
  built ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-play-dist-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    await buildPlay({ outDir: dir, minify: false });
    return dir;
  })();
  return built;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.safetensors': 'application/octet-stream',
};

export interface StaticServer { url: string; close(): Promise<void> }

/**
 * Serves `dir` at http://127.0.0.1:PORT/play/ (as `recur dashboard` does, with its headers;
 * `isolated: false` leaves out the two cross-origin-isolation headers, as a plain static server).
 */
export async function serveStatic(dir: string, { isolated = true } = {}): Promise<StaticServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/play/')) {
      res.writeHead(url.pathname === '/play' ? 301 : 404, url.pathname === '/play' ? { location: '/play/' } : {});
      res.end();
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice('/play/'.length)) || 'index.html';
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store',
      // cross-origin isolated, as `recur dashboard` serves /play (a second training thread)
      ...(isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {}),
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/play/`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export interface Browser { ctx: BrowserContext; page: Page; errors: string[]; close(): Promise<void> }

export async function launch(viewport = { width: 1440, height: 1000 }): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'recur-play-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
    deviceScaleFactor: 1,
    acceptDownloads: true,
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return {
    ctx,
    page,
    errors,
    close: async () => {
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
