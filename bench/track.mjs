#!/usr/bin/env node
// npm run bench:track — the tracker at sweep scale (see bench/README.md, "bench:track").
//
// Generates runs roots with the public `track` API (reused when already there):
//   r500    500 runs x 2,000 rows, 15-key configs in 50 seed groups, logged row by row with run.log()
//   r10000  10,000 runs x 2,000 rows in 50 groups, each run's rows appended in one batch
//           (FileStore.appendMetrics, the same writer and summaries, 20 M rows in minutes, not hours)
// then, for each root and with one extra run logging every 100 ms in another process:
//   - the server in a fresh process: first /api/runs, then a bounded loopback load (warm), delta
//     polls, series and group series, and the server's peak RSS (VmHWM);
//   - `recur runs` (a fresh process) and, at 500 runs, `recur report` of every run (grouped) and its size;
//   - the page in Debian chromium (playwright-core): time until it reports every visible chart drawn
//     (window.__recurDrawn or body[data-drawn]) and its JS heap.
//
//   node bench/track.mjs [--dir DIR] [--sizes 500,10000] [--no-page] [--regen] [--workers 2]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(REPO, 'dist');
const GEN_VERSION = 'bench-track-1';
const ROWS = 2000;
const GROUPS = 50;

function args() {
  const a = process.argv.slice(2);
  const o = { dir: path.join(os.tmpdir(), 'recur-bench-track'), sizes: [500, 10000], page: true, regen: false, workers: 2, child: null };
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => {
      if (i + 1 >= a.length) throw new Error(`${k} needs a value`);
      return a[++i];
    };
    if (k === '--dir') o.dir = path.resolve(v());
    else if (k === '--sizes') o.sizes = v().split(',').map((s) => Number(s.replace(/_/g, '')));
    else if (k === '--no-page') o.page = false;
    else if (k === '--regen') o.regen = true;
    else if (k === '--workers') o.workers = Number(v());
    else if (k === '--child') o.child = a.slice(i + 1);
    else if (k === '--help' || k === '-h') {
      console.log('usage: node bench/track.mjs [--dir DIR] [--sizes 500,10000] [--no-page] [--regen] [--workers N]');
      process.exit(0);
    } else throw new Error(`unknown option ${k} (see --help)`);
    if (o.child) break;
  }
  for (const s of o.sizes) if (!Number.isInteger(s) || s < GROUPS) throw new Error(`--sizes: each size must be an integer >= ${GROUPS}, got ${s}`);
  if (!Number.isInteger(o.workers) || o.workers < 1) throw new Error('--workers must be a positive integer');
  return o;
}

// ---- generation -----------------------------------------------------------------------------------

// Group g's 15-key config (seed added per run): 5 lr x 5 hidden x 2 cells = 50 groups.
function groupConfig(g) {
  const lrs = [0.001, 0.002, 0.005, 0.01, 0.02];
  const hidden = [16, 32, 64, 128, 256];
  return {
    cell: g % 2 ? 'lstm' : 'gru', lr: lrs[Math.floor(g / 2) % 5], hidden_dim: hidden[Math.floor(g / 10) % 5],
    num_layers: 2, batch_size: 64, embed_dim: 10, dropout: 0.1, optimizer: 'adam', weight_decay: 0,
    warmup_step: 200, total_steps: ROWS, min_lr: 1e-4, min_seq_len: 2, max_seq_len: 5,
  };
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Row `s` of run (g, seed): a loss that falls with noise, a cosine lr, accuracy every 100 steps.
function rowOf(g, seed, s, rand) {
  const p = s / ROWS;
  const cfg = groupConfig(g);
  const floor = 0.05 + (g % 7) * 0.04;
  const row = {
    loss: floor + 2.2 * Math.exp(-p * (3 + (g % 5))) + (rand() - 0.5) * 0.2,
    current_lr: 1e-4 + 0.5 * (cfg.lr - 1e-4) * (1 + Math.cos(Math.PI * p)),
  };
  if (s % 100 === 99) row.accuracy = Math.min(1, 0.1 + (0.9 - floor) * (1 - Math.exp(-p * 4)) + (rand() - 0.5) * 0.05);
  return row;
}

async function generateChild(root, size, from, to, mode) {
  const { track } = await import(path.join(DIST, 'node.js'));
  const store = new track.FileStore(root);
  const perGroup = size / GROUPS;
  const t0 = Date.now() - size * 120_000;
  for (let i = from; i < to; i++) {
    const g = i % GROUPS;
    const seed = Math.floor(i / GROUPS);
    const name = `g${String(g).padStart(2, '0')}-seed${String(seed).padStart(String(perGroup).length, '0')}`;
    const rand = mulberry32(i * 7919 + 1);
    const config = { ...groupConfig(g), seed };
    if (mode === 'log') {
      const run = await track.init({ root, dir: path.join(root, name), name, config, seed, project: 'bench', handleSignals: false, cwd: os.tmpdir() });
      for (let s = 0; s < ROWS; s++) run.log(rowOf(g, seed, s, rand), s);
      await run.finish('finished');
    } else {
      const start = t0 + i * 120_000;
      const meta = await store.createRun(
        {
          name, project: 'bench', status: 'running', config, seed, recurVersion: 'bench', git: null, argv: ['bench/track.mjs'],
          node: process.version, host: os.hostname(), pid: process.pid, startedAt: new Date(start).toISOString(), endedAt: null,
          heartbeatAt: new Date(start).toISOString(), summary: {},
        },
        { exactId: true },
      );
      const rows = [];
      for (let s = 0; s < ROWS; s++) rows.push({ step: s, t: start + s * 50, ...rowOf(g, seed, s, rand) });
      store.appendMetrics(meta.id, rows);
      const end = new Date(start + ROWS * 50).toISOString();
      store.writeMeta({ ...meta, status: 'finished', endedAt: end, heartbeatAt: end });
      store.closeRun(meta.id);
    }
    if ((i - from) % 250 === 249) process.stdout.write(`progress ${i - from + 1}\n`);
  }
}

async function ensureRoot(o, size) {
  const root = path.join(o.dir, `r${size}`);
  const marker = path.join(root, '.bench-complete');
  if (!o.regen && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === `${GEN_VERSION} ${size}`) {
    console.log(`reusing ${root}`);
    return root;
  }
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const mode = size <= 1000 ? 'log' : 'batch';
  console.log(`generating ${root}: ${size} runs x ${ROWS} rows (${mode === 'log' ? 'run.log() row by row' : 'FileStore.appendMetrics, one batch a run'}) in ${o.workers} processes...`);
  const t = performance.now();
  const per = Math.ceil(size / o.workers);
  let done = 0;
  await Promise.all(
    Array.from({ length: o.workers }, (_, w) => {
      const from = w * per;
      const to = Math.min(size, from + per);
      if (from >= to) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', 'gen', root, String(size), String(from), String(to), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
        p.stdout.on('data', (d) => {
          for (const line of String(d).split('\n')) {
            if (!line.startsWith('progress')) continue;
            done += 250;
            process.stdout.write(`  ${Math.min(done, size)}/${size} runs, ${((performance.now() - t) / 1000).toFixed(0)} s\r`);
          }
        });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited with ${code}`))));
      });
    }),
  );
  const secs = (performance.now() - t) / 1000;
  fs.writeFileSync(marker, `${GEN_VERSION} ${size}\n`);
  console.log(`\n  generated in ${secs.toFixed(0)} s, ${duMb(root)} MB on disk`);
  return root;
}

function duMb(dir) {
  const r = spawnSync('du', ['-sm', dir], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(/\s/)[0] : '?';
}

// ---- the live run -----------------------------------------------------------------------------

async function liveChild(root) {
  const { track } = await import(path.join(DIST, 'node.js'));
  const run = await track.init({ root, dir: path.join(root, 'zz-live'), name: 'zz-live', config: { ...groupConfig(0), seed: 999 }, seed: 999, project: 'bench', cwd: os.tmpdir() });
  const rand = mulberry32(99);
  let s = 0;
  process.stdout.write('live\n');
  setInterval(() => run.log(rowOf(0, 999, s++ % ROWS, rand), s), 100);
}

function startLive(root) {
  fs.rmSync(path.join(root, 'zz-live'), { recursive: true, force: true });
  const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', 'live', root], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => p.stdout.once('data', () => resolve(p)));
}

// ---- HTTP --------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function get(url) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    http
      .get(url, { agent }, (res) => {
        let bytes = 0;
        const chunks = [];
        res.on('data', (d) => ((bytes += d.length), chunks.push(d)));
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t, bytes, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

// `total` requests from `concurrency` clients, stopping early after `maxMs`; latencies in ms.
async function load(urlOf, { concurrency = 8, total = 160, maxMs = 20_000 } = {}) {
  const lat = [];
  let next = 0;
  let errors = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total && performance.now() - t0 < maxMs) {
        const i = next++;
        const r = await get(urlOf(i));
        if (r.status !== 200) errors++;
        bytes += r.bytes;
        lat.push(r.ms);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { n: lat.length, errors, p50: q(0.5), p95: q(0.95), max: lat[lat.length - 1], bytesPer: bytes / Math.max(1, lat.length) };
}

async function startServer(root) {
  const code = `import { startDashboard } from ${JSON.stringify(path.join(DIST, 'track', 'server.js'))};
const s = await startDashboard({ root: ${JSON.stringify(root)}, playDir: null, port: 0 });
process.stdout.write(s.url + '\\n');`;
  const t = performance.now();
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+\//.exec(out);
      if (m) resolve(m[0]);
    });
    p.on('exit', (c) => reject(new Error(`server exited with ${c}`)));
  });
  return { p, url, startMs: performance.now() - t };
}

// CPU time (user + system) a process has used, in ms: less at the mercy of other load than wall time.
function cpuMs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function rssMb(pid) {
  const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

// ---- the page ------------------------------------------------------------------------------------

async function measurePage(url) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { note: 'playwright-core not installed' };
  }
  if (!fs.existsSync('/usr/bin/chromium')) return { note: '/usr/bin/chromium absent (apt-get install chromium)' };
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-precise-memory-info'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    let requests = 0;
    let bytes = 0;
    page.on('response', async (r) => {
      requests++;
      const len = Number(r.headers()['content-length']);
      if (Number.isFinite(len)) bytes += len;
    });
    const t = performance.now();
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    let drawnMs = null;
    let note = '';
    try {
      await page.waitForFunction(() => window.__recurDrawn === true || document.body?.dataset.drawn === '1', null, { timeout: 60_000, polling: 50 });
      drawnMs = performance.now() - t;
    } catch {
      note = 'the page never set window.__recurDrawn / body[data-drawn] within 60 s (a page without the hook?)';
    }
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
    return { drawnMs, heapMb: heap / 2 ** 20, requests, mb: bytes / 2 ** 20, note };
  } finally {
    await browser.close();
  }
}

// ---- main ----------------------------------------------------------------------------------------

function timeCli(argv) {
  const t = performance.now();
  // bash's `times` after the child: its user and system CPU time.
  const r = spawnSync('bash', ['-c', '"$@" >"$OUT"; s=$?; times >&2; exit $s', 'recur', process.execPath, path.join(REPO, 'bin', 'recur.js'), ...argv], {
    encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OUT: path.join(os.tmpdir(), `recur-bench-cli-${process.pid}.txt`) },
  });
  if (r.status !== 0) throw new Error(`recur ${argv.join(' ')} failed: ${r.stderr}`);
  const out = path.join(os.tmpdir(), `recur-bench-cli-${process.pid}.txt`);
  const stdout = fs.readFileSync(out, 'utf8');
  fs.rmSync(out);
  const lines = r.stderr.trim().split('\n');
  const child = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1]);
  const cpu = child ? (Number(child[1]) * 60 + Number(child[2]) + Number(child[3]) * 60 + Number(child[4])) * 1000 : NaN;
  return { ms: performance.now() - t, cpuMs: cpu, stdout, stderr: r.stderr };
}

async function benchRoot(o, size) {
  const root = await ensureRoot(o, size);
  const live = await startLive(root);
  const res = { size };
  try {
    const srv = await startServer(root);
    try {
      const cpu0 = cpuMs(srv.p.pid);
      const first = await get(new URL('api/runs?compact=1', srv.url));
      const body = JSON.parse(first.body);
      res.first = { ms: first.ms, cpuMs: cpuMs(srv.p.pid) - cpu0, kb: first.bytes / 1024, runs: body.runs.length, rebuilt: body.rebuilt.length };
      const cpu1 = cpuMs(srv.p.pid);
      res.warm1 = await load(() => new URL('api/runs?compact=1', srv.url), { concurrency: 1, total: 20 });
      res.warm1.cpuMs = (cpuMs(srv.p.pid) - cpu1) / res.warm1.n;
      res.warm = await load(() => new URL('api/runs?compact=1', srv.url), { concurrency: 8, total: 120 });
      res.warmFull = await load(() => new URL('api/runs', srv.url), { concurrency: 4, total: 20 });
      // A poll every ~2 s from one client: only the live run changes.
      let cursor = body.cursor;
      const polls = [];
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 2000));
        const p = await get(new URL(`api/runs?compact=1&since=${encodeURIComponent(cursor)}`, srv.url));
        const pb = JSON.parse(p.body);
        cursor = pb.cursor;
        polls.push({ ms: p.ms, bytes: p.bytes, runs: pb.runs.length });
      }
      res.polls = polls;
      const ids = body.runs.map((r) => r.id).slice(0, 200);
      res.series = await load((i) => new URL(`api/runs/${encodeURIComponent(ids[i % ids.length])}/series?points=600`, srv.url), { concurrency: 6, total: 200 });
      const groups = [...new Set(body.runs.map((r) => r.group))];
      const tg = performance.now();
      res.groupsCold = await load((i) => new URL(`api/groups/${groups[i % groups.length]}/series?keys=loss,accuracy&points=600`, srv.url), { concurrency: 6, total: groups.length, maxMs: 120_000 });
      res.groupsColdMs = performance.now() - tg;
      res.groupsWarm = await load((i) => new URL(`api/groups/${groups[i % groups.length]}/series?keys=loss,accuracy&points=600`, srv.url), { concurrency: 6, total: 100 });
      res.mem = rssMb(srv.p.pid);
      if (o.page) {
        res.page = await measurePage(srv.url);
        res.memAfterPage = rssMb(srv.p.pid);
      }
    } finally {
      srv.p.kill('SIGTERM');
    }
    const runs = timeCli(['runs', '--root', root]);
    res.runsCli = { ms: runs.ms, cpuMs: runs.cpuMs, width: Math.max(...runs.stdout.split('\n').map((l) => [...l].length)) };
    if (size <= 1000) {
      const out = path.join(o.dir, `report-${size}.html`);
      const rep = timeCli(['report', '*', '--root', root, '--out', out]);
      res.report = { ms: rep.ms, kb: fs.statSync(out).size / 1024 };
    }
  } finally {
    live.kill('SIGTERM');
    await new Promise((r) => live.on('exit', r));
    fs.rmSync(path.join(root, 'zz-live'), { recursive: true, force: true });
  }
  return res;
}

function fmtMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'n/a';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

function table(results) {
  const col = (f) => results.map((r) => f(r));
  const rows = [
    ['`/api/runs` first (cold process), compact: wall (server CPU)', '≤ 0.3 s / ≤ 2 s', col((r) => `${fmtMs(r.first.ms)} (${fmtMs(r.first.cpuMs)} CPU), ${r.first.kb.toFixed(0)} KB`)],
    ['`/api/runs` warm, 1 client: p50 (server CPU a request)', '≤ 50 ms / ≤ 200 ms', col((r) => `${fmtMs(r.warm1.p50)} (${fmtMs(r.warm1.cpuMs)} CPU)`)],
    ['`/api/runs` warm, 8 clients: p50 / p95', '–', col((r) => `${fmtMs(r.warm.p50)} / ${fmtMs(r.warm.p95)}`)],
    ['`/api/runs` with the old page\'s fields, warm p50', '–', col((r) => `${fmtMs(r.warmFull.p50)} (${(r.warmFull.bytesPer / 1024).toFixed(0)} KB)`)],
    ['poll `?since=` every 2 s (live run): ms, bytes, runs', '–', col((r) => r.polls.map((p) => `${fmtMs(p.ms)}/${p.bytes} B/${p.runs}`).join(', '))],
    ['run series, 600 px, p50 / p95', '–', col((r) => `${fmtMs(r.series.p50)} / ${fmtMs(r.series.p95)} (${(r.series.bytesPer / 1024).toFixed(1)} KB)`)],
    ['all 50 group series (loss, accuracy), first / warm p50', '–', col((r) => `${fmtMs(r.groupsColdMs)} / ${fmtMs(r.groupsWarm.p50)}`)],
    ['server RSS now / peak', '≤ 200 MB / ≤ 400 MB', col((r) => `${r.mem.rss.toFixed(0)} / ${r.mem.peak.toFixed(0)} MB${r.memAfterPage ? ` (after page: peak ${r.memAfterPage.peak.toFixed(0)})` : ''}`)],
    ['page drawn (everything visible / grouped)', '≤ 2 s / ≤ 3 s', col((r) => (r.page ? (r.page.drawnMs !== null ? fmtMs(r.page.drawnMs) : `n/a${r.page.note ? ' *' : ''}`) : 'not measured'))],
    ['page JS heap', '≤ 60 MiB / ≤ 150 MiB', col((r) => (r.page && Number.isFinite(r.page.heapMb) ? `${r.page.heapMb.toFixed(0)} MiB` : 'n/a'))],
    ['page requests / MiB', '–', col((r) => (r.page && r.page.requests !== undefined ? `${r.page.requests} / ${r.page.mb.toFixed(1)}` : 'n/a'))],
    ['`recur runs` (fresh process): wall (CPU), widest line', '≤ 1 s / ≤ 3 s', col((r) => `${fmtMs(r.runsCli.ms)} (${fmtMs(r.runsCli.cpuMs)} CPU), ${r.runsCli.width} cols`)],
    ['`recur report \'*\'` (grouped): time, size', '–', col((r) => (r.report ? `${fmtMs(r.report.ms)}, ${r.report.kb.toFixed(0)} KiB` : '–'))],
  ];
  const head = `| measure | target (500 / 10,000) | ${results.map((r) => `${r.size.toLocaleString('en-US')} runs`).join(' | ')} |`;
  const lines = [head, `|---|---|${results.map(() => '---|').join('')}`];
  for (const [m, t, v] of rows) lines.push(`| ${m} | ${t} | ${v.join(' | ')} |`);
  const notes = results.filter((r) => r.page?.note).map((r) => `* ${r.size} runs: ${r.page.note}`);
  return [...lines, ...notes].join('\n');
}

async function main() {
  const o = args();
  if (o.child) {
    const [what, ...rest] = o.child;
    if (what === 'gen') return generateChild(rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3]), rest[4]);
    if (what === 'live') return liveChild(rest[0]);
    throw new Error(`unknown child ${what}`);
  }
  if (!fs.existsSync(path.join(DIST, 'node.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  fs.mkdirSync(o.dir, { recursive: true });
  const results = [];
  for (const size of o.sizes) {
    console.log(`\n== ${size} runs ==`);
    results.push(await benchRoot(o, size));
  }
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
  console.log(`\nrecur ${commit || '?'} · node ${process.version} · ${os.cpus().length} cores · load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  console.log(table(results));
  fs.writeFileSync(path.join(o.dir, 'last-results.json'), JSON.stringify({ commit, loadavg: os.loadavg(), results }, null, 2));
}

main().catch((e) => {
  console.error(`bench:track: ${e.message}`);
  process.exit(1);
});
