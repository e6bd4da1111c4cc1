#!/usr/bin/env node
// `npm run bench:profile -- CASE`: where recur's time goes in one bench case — the evidence behind
// "what bounds it" in bench/README.md. Runs the case's recur child (the same code `npm run bench`
// times) under V8's sampling profiler and prints self time per function, heaviest first.
//
//   node bench/profile.mjs sota                 # default: 3 windows of 1 s after a 1 s warm-up
//   node bench/profile.mjs predict --top 25 --seconds 2
//   node bench/profile.mjs sota --phases        # a training case's step by phase
//
// The sampling profiler slows a two-thread step by ~40 % on this 2-vCPU machine (the profiles then
// show a slower, different step; one thread: a few %). `--phases` times the Trainer's phases of
// the step instead (data, forward, backward, gradient norm, adam, schedule), on the main thread
// only (src/kernels/phase-clock.ts: a clock read per phase, nothing sampled): what the step's wall
// time is made of. The worker's share of a layer is inside 'forward' and 'backward'.
//
// Self time is time in the function's own code, not in what it calls; fast C calls that V8 makes
// from optimised code (Math.tanh, Math.exp) are counted in their caller. Needs dist/ (npm run build).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = { case: null, top: 20, seconds: 1, interval: 100, threads: null, phases: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--top') a.top = Number(argv[++i]);
    else if (k === '--seconds') a.seconds = Number(argv[++i]);
    else if (k === '--interval') a.interval = Number(argv[++i]);
    else if (k === '--threads') a.threads = argv[++i];
    else if (k === '--phases') a.phases = true;
    else if (k === '--help' || k === '-h') {
      console.log('usage: node bench/profile.mjs CASE [--top N] [--seconds S per window] [--interval µs] [--threads 1|2] [--phases]\ncases: as npm run bench (baseline, sota, sota-lstm, sota-gru, large, predict, eval); with two threads, a profile per thread\n--phases: a training case\'s step timed phase by phase on the main thread (the worker\'s share is inside forward/backward), without the sampling profiler');
      process.exit(0);
    } else if (!k.startsWith('--') && a.case === null) a.case = k;
    else throw new Error(`unknown argument ${k}`);
  }
  if (a.case === null) throw new Error('which case? e.g. node bench/profile.mjs sota');
  if (!(a.top > 0 && a.seconds > 0 && a.interval > 0)) throw new Error('--top, --seconds and --interval must be positive');
  return a;
}

function shortPath(url) {
  const i = url.lastIndexOf('/dist/');
  return i >= 0 ? url.slice(i + 1) : basename(url);
}

/** Self time (µs) per function from a .cpuprofile: each sample's time delta goes to its leaf node. */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const cf = byId.get(profile.samples[i])?.callFrame;
    if (!cf) continue;
    // dist/kernels/gemm.js:12 rather than a full file URL; WebAssembly functions are named by the
    // modules' name sections (tiles = the matrix products; tools/gen-gemm-wasm.mjs).
    const where = cf.url.startsWith('wasm://') ? (cf.functionName === 'tiles' ? 'WebAssembly: matrix products' : 'WebAssembly') : cf.url ? `${shortPath(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where ? `  ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  return { total, rows: [...self.entries()].sort((x, y) => y[1] - x[1]) };
}

/** µs per step and share of the step's wall time, per phase, for each thread (child's --phases JSON). */
export function phaseTable(out) {
  const perStep = (ms) => (1000 * ms) / out.steps;
  const wall = perStep(out.wallMs);
  const lines = [`${out.steps} steps in ${(out.wallMs / 1000).toFixed(2)} s: ${(out.steps / (out.wallMs / 1000)).toFixed(0)} steps/s on ${out.threads} thread(s), ${wall.toFixed(1)} µs a step`];
  for (const [who, phases] of [['main thread', out.main], ['worker thread', out.worker]]) {
    if (phases === null) continue;
    lines.push(`${who} (µs a step, share of the step's wall time):`);
    let sum = 0;
    for (const [name, ms] of Object.entries(phases)) {
      const us = perStep(ms);
      sum += us;
      lines.push(`${us.toFixed(1).padStart(8)}  ${((100 * us) / wall).toFixed(1).padStart(5)} %  ${name}`);
    }
    lines.push(`${sum.toFixed(1).padStart(8)}  ${((100 * sum) / wall).toFixed(1).padStart(5)} %  (sum; the rest is the step loop and the clock)`);
  }
  return lines.join('\n');
}

function phases(a) {
  const r = spawnSync(process.execPath, [
    join(here, 'run.mjs'), '--child', a.case, '--phases', '--windows', '3', '--window-sec', String(a.seconds), '--warmup-sec', '1',
    ...(a.threads ? ['--threads', a.threads] : []),
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the ${a.case} child failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(r.stdout);
  if (out.main === undefined) throw new Error(`--phases times training cases only (${a.case} is not one)`);
  console.log(`${a.case}: ${phaseTable(out)}`);
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.phases) return phases(a);
  const dir = mkdtempSync(join(tmpdir(), 'recur-prof-'));
  try {
    const r = spawnSync(process.execPath, [
      '--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(a.interval),
      join(here, 'run.mjs'), '--child', a.case, '--windows', '3', '--window-sec', String(a.seconds), '--warmup-sec', '1',
      ...(a.threads ? ['--threads', a.threads] : []),
    ], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the ${a.case} child failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
    const out = JSON.parse(r.stdout);
    // One file per thread, named CPU.<date>.<time>.<pid>.<thread id>.<seq>: the main thread is 0.
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
    if (files.length === 0) throw new Error('no profile written');
    const rates = out.rates.map((x) => x.toPrecision(4)).join(', ');
    const slowed = (out.threads ?? 1) === 2 ? 'the sampling profiler slows a two-thread step by ~40 % on 2 vCPUs: --phases times it unperturbed' : 'the profiler slows it by a few %';
    console.log(`${a.case}: ${rates} ${out.unit} on ${out.threads ?? 1} thread(s) (3 windows, profiled: ${slowed})`);
    for (const [i, file] of files.entries()) {
      const { total, rows } = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      const who = files.length > 1 ? (i === 0 ? 'the main thread' : 'the worker thread (serveTasks: waiting for work)') : 'the whole child';
      console.log(`self time over ${who} (${(total / 1e6).toFixed(2)} s, incl. start-up and warm-up):`);
      for (const [key, us] of rows.slice(0, a.top)) console.log(`${((100 * us) / total).toFixed(1).padStart(6)} %  ${key}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (e) {
    console.error(`bench/profile: ${e.message}`);
    process.exit(1);
  }
}
