#!/usr/bin/env node
// `npm run bench`: recur and PyTorch side by side, same machine, same run, same configuration and
// the same per-step data generation (a fresh random batch each step, as in the article).
//
//   node bench/run.mjs                 all cases (~3 min)
//   node bench/run.mjs --quick         short windows (~30 s)
//   node bench/run.mjs --case sota     one case (repeat --case or give a comma list for several)
//   node bench/run.mjs --no-torch      recur only
//   node bench/run.mjs --repeat 3      each case 3 times, recur and PyTorch alternating: the median
//                                      ratio and its range (a shared machine's drift shows as range)
//   node bench/run.mjs --threads 1     recur's training on one thread (default: as `recur train`,
//                                      two where the machine has two cores;
//                                      charlm: its recurrent layers, default RECUR_THREADS or two)
//   node bench/run.mjs --pin           a one-core comparison: each pair's recur (one thread) and
//                                      PyTorch (one thread) pinned to the same CPU (taskset),
//                                      pair i on CPU i mod cores; no PyTorch 2t column
//
// Why --pin: the vCPUs of a shared machine need not run at the same speed. On this project's
// machine one ran a WASM product, a JS loop and a `predict` call 1.3–1.55× slower than the other
// for an hour (`taskset -c 0|1 node bench/run.mjs --case predict`: 31.0 µs and PyTorch 157.0 µs on one,
// 23.1 and 126.6 on the other). Unpinned, a process stays on whichever vCPU it starts on, so a
// pair can compare recur on the slow one with PyTorch on the fast one, or the reverse.
//
// Every case runs in its own child process (recur: `node bench/run.mjs --child`, PyTorch:
// `/usr/bin/python3 bench/torch_bench.py`), so each peak RSS is that case's alone. A rate is the
// median over several timed windows after a warm-up. recur is imported from dist/ (npm run build).
// Results: a table on stdout and bench/results/latest.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const PYTHON = '/usr/bin/python3';

const ARTICLE = { max_number: 9, embed_dim: 10, min_seq_len: 2, max_seq_len: 5, lr: 0.001, min_lr: 0.0001, total_steps: 20000 };
const SOTA = { ...ARTICLE, hidden_dim: 32, num_layers: 3, batch_size: 64, lr: 0.005 };
/** name → case. kind: train (steps/s) | predict (one sequence, µs) | eval (samples/s) | generate (one character, µs). */
const CASES = {
  baseline: { kind: 'train', ...ARTICLE, hidden_dim: 16, num_layers: 1, batch_size: 16, cell: 'rnn' },
  sota: { kind: 'train', ...SOTA, cell: 'rnn' },
  'sota-lstm': { kind: 'train', ...SOTA, cell: 'lstm' },
  'sota-gru': { kind: 'train', ...SOTA, cell: 'gru' },
  // Seconds per step: fewer windows (each still ≥ 1 step) and a one-step warm-up keep the run short.
  large: { kind: 'train', ...ARTICLE, hidden_dim: 256, num_layers: 2, batch_size: 256, min_seq_len: 10, max_seq_len: 100, cell: 'rnn', windows: 3, warmup: 0 },
  predict: { kind: 'predict', ...SOTA, cell: 'rnn', length: 5 },
  eval: { kind: 'eval', ...SOTA, cell: 'rnn', eval_samples: 2000, eval_batch: 1000 },
  // A user's own model, public API only (bench/charlm.mjs; PyTorch: charlm_step in torch_bench.py).
  'charlm-lstm': { kind: 'charlm', cell: 'lstm', variable: false, windows: 3 },
  'charlm-gru': { kind: 'charlm', cell: 'gru', variable: false, windows: 3 },
  'charlm-var': { kind: 'charlm', cell: 'lstm', variable: true, windows: 3 },
  // Greedy text generation from the char-LM: one character a call, batch 1, no gradient.
  'charlm-generate': { kind: 'generate', cell: 'lstm', windows: 3 },
  // The article's model composed by a user from the public modules (bench/composed.mjs), not the
  // Trainer's RnnClsNet: the float32 kernels under nn.RNN/LSTM/GRU, two threads by default.
  'sota-user': { kind: 'composed', ...SOTA, cell: 'rnn' },
  'large-user': { kind: 'composed', ...ARTICLE, hidden_dim: 256, num_layers: 2, batch_size: 256, min_seq_len: 10, max_seq_len: 100, cell: 'rnn', windows: 3, warmup: 0 },
  // recur's float32 product kernel on each case's product shapes against the measured f32x4 peak
  // (bench/gemm.mjs); PyTorch's GFLOP/s on the same shapes beside it.
  gemm: { kind: 'gemm' },
};

function parseArgs(argv) {
  const a = { quick: false, cases: [], torch: true, torch2: true, child: null, windows: 5, windowSec: 1, warmupSec: 1, repeat: 1, threads: null, phases: false, pin: false, json: join(here, 'results', 'latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.quick = true;
    else if (k === '--no-torch') a.torch = false;
    else if (k === '--no-torch2') a.torch2 = false;
    else if (k === '--case') a.cases.push(...argv[++i].split(','));
    else if (k === '--child') a.child = argv[++i];
    else if (k === '--windows') a.windows = Number(argv[++i]);
    else if (k === '--window-sec') a.windowSec = Number(argv[++i]);
    else if (k === '--warmup-sec') a.warmupSec = Number(argv[++i]);
    else if (k === '--json') a.json = argv[++i];
    else if (k === '--phases') a.phases = true;
    else if (k === '--pin') a.pin = true;
    else if (k === '--threads') {
      a.threads = Number(argv[++i]);
      if (a.threads !== 1 && a.threads !== 2) throw new Error(`--threads expects 1 or 2, got '${argv[i]}'`);
    }
    else if (k === '--repeat') {
      a.repeat = Number(argv[++i]);
      if (!Number.isInteger(a.repeat) || a.repeat < 1) throw new Error(`--repeat expects an integer ≥ 1, got '${argv[i]}'`);
    }
    else if (k === '--help' || k === '-h') {
      console.log('usage: node bench/run.mjs [--quick] [--case NAME[,NAME]] [--no-torch] [--no-torch2] [--repeat N] [--threads 1|2] [--pin] [--json FILE]\ncases: ' + Object.keys(CASES).join(', '));
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (a.quick) Object.assign(a, { windows: 3, windowSec: 0.3, warmupSec: 0.3 });
  if (a.quick) CASES.large.windows = 1;
  for (const c of a.cases) if (!CASES[c]) throw new Error(`unknown case '${c}' (known: ${Object.keys(CASES).join(', ')})`);
  if (a.cases.length === 0) a.cases = Object.keys(CASES);
  if (a.pin) {
    if (a.threads === 2) throw new Error('--pin runs recur on one thread: it cannot be combined with --threads 2');
    a.threads = 1;
    a.torch2 = false;
  }
  return a;
}

/** Same protocol as torch_bench.py: warm-up, then windows of ≥ windowSec and ≥ 1 call each. */
function timed(fn, windows, windowSec, warmupSec) {
  const now = () => performance.now() / 1000;
  const tEnd = now() + warmupSec;
  fn();
  while (now() < tEnd) fn();
  const rates = [];
  for (let w = 0; w < windows; w++) {
    const t0 = now();
    let done = fn();
    while (now() - t0 < windowSec) done += fn();
    rates.push(done / (now() - t0));
  }
  return rates;
}

/** The CPUs this process may run on (Linux: /proc/self/status, e.g. '0-1' or '1' under --pin); null elsewhere. */
function allowedCpus() {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Child: one recur case, JSON on stdout. */
async function runChild(name, a) {
  const c = CASES[name];
  // The threads a case really used: 2 once any work was posted to the worker (a case may allow two
  // and still run on one: layers under threadTuning.minWork and products under minProductWork stay on this thread).
  const { threadCounts } = await import(join(root, 'dist', 'runtime', 'threads', 'pool.js'));
  const used = () => (threadCounts.posted > 0 ? 2 : 1);
  if (c.kind === 'charlm' || c.kind === 'generate' || c.kind === 'composed') {
    // A user's model through the public API: --threads, else RECUR_THREADS, else two where the
    // machine has two cores (the package's Node entry; the worker starts with the first big enough
    // layer or product). `fn` is one timed call and returns what it counts.
    const recur = await import('recur');
    if (a.threads) recur.setNumThreads(a.threads);
    let fn, unit = 'steps/s';
    if (c.kind === 'generate') {
      fn = (await import('./charlm.mjs')).charlmGenerate(c.cell);
      unit = 'calls/s';
    } else {
      const step = c.kind === 'charlm' ? (await import('./charlm.mjs')).charlmStep(c.cell, c.variable) : (await import('./composed.mjs')).composedStep(c);
      fn = () => { step(); return 1; };
    }
    const rates = timed(fn, a.windows, a.windowSec, a.warmupSec);
    process.stdout.write(JSON.stringify({ rates, unit, threads: used(), maxRssKB: process.resourceUsage().maxRSS, cpus: allowedCpus() }));
    return;
  }
  if (c.kind === 'gemm') {
    const { measurePeak, measureShapes, SHAPES } = await import('./gemm.mjs');
    const shapes = await measureShapes(Object.keys(SHAPES), a.windows, Math.min(a.windowSec, 0.3));
    const peak = Math.max(await measurePeak(a.windows), ...shapes.map((s) => s.peak));
    process.stdout.write(JSON.stringify({ peak, shapes, maxRssKB: process.resourceUsage().maxRSS }));
    return;
  }
  const recur = await import(join(root, 'dist', 'index-node.js'));
  if (a.phases && c.kind !== 'train') throw new Error(`--phases times training cases only (${name} is not one)`);
  const config = recur.resolveConfig({
    seed: 0, cell: c.cell, hidden_dim: c.hidden_dim, num_layers: c.num_layers, batch_size: c.batch_size,
    embed_dim: c.embed_dim, max_number: c.max_number, min_seq_len: c.min_seq_len, max_seq_len: c.max_seq_len,
    lr: c.lr, min_lr: c.min_lr, total_steps: c.total_steps,
  });
  // Training and evaluation: as `recur train` and `recur eval` run them, on --threads threads (the
  // worker thread starts with the first big enough layer and loads within the warm-up). `threads`
  // reports 2 once a layer shared work with it. `predict`: one thread (one sequence never shares).
  const threads = c.kind === 'train' || c.kind === 'eval' ? c.threads ?? a.threads ?? Math.min(2, os.availableParallelism()) : 1;
  recur.setNumThreads(threads);
  const posted0 = threadCounts.posted;
  const threadsUsed = () => (threadCounts.posted > posted0 ? 2 : 1);
  const trainer = new recur.Trainer(config);
  let rates, unit;
  if (c.kind === 'train' && a.phases) {
    // Phase times instead of rates (bench/profile.mjs --phases): warm up, then time every phase of
    // a.windows × a.windowSec of steps on the main thread (the worker's share of a layer falls
    // inside 'forward' and 'backward').
    timed(() => { trainer.trainStep(); return 1; }, 0, 0, a.warmupSec);
    const { PhaseClock } = await import(join(root, 'dist', 'internal.js'));
    const clock = new PhaseClock();
    trainer.clock = clock;
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < 1000 * a.windows * a.windowSec) { trainer.trainStep(); steps++; }
    const wall = performance.now() - t0;
    process.stdout.write(JSON.stringify({ steps, wallMs: wall, threads: threadsUsed(), main: Object.fromEntries(clock.totals), worker: null }));
    return;
  }
  if (c.kind === 'train') {
    rates = timed(() => { trainer.trainStep(); return 1; }, a.windows, a.windowSec, a.warmupSec);
    unit = 'steps/s';
  } else if (c.kind === 'predict') {
    const gen = new recur.Generator(1);
    const seq = Array.from({ length: c.length }, () => Math.floor(gen.random() * (c.max_number + 1)));
    trainer.model.eval(); // once, as the PyTorch side's model.eval() (and `recur predict`'s loaded model)
    rates = timed(() => { recur.predictOne(trainer.model, trainer.task, config, seq); return 1; }, a.windows, a.windowSec, a.warmupSec);
    unit = 'calls/s';
  } else {
    const stream = trainer.task.stream(config, new recur.Generator(2));
    const n = c.eval_samples;
    rates = timed(() => {
      const samples = Array.from({ length: n }, () => stream.next());
      recur.accuracy(trainer.model, trainer.task, config, samples, c.eval_batch);
      return n;
    }, a.windows, a.windowSec, a.warmupSec);
    unit = 'samples/s';
  }
  process.stdout.write(JSON.stringify({ rates, unit, threads: threadsUsed(), maxRssKB: process.resourceUsage().maxRSS, cpus: allowedCpus() }));
}

/**
 * One case's result from its recur/PyTorch pairs ({recur, torch, recurRate, torchRate, ratio}):
 * the median rates and ratio (over the pairs that measured), the range of the ratios when there
 * are several, each side's child output with the highest peak RSS, and the pairs themselves.
 */
export function summarisePairs(pairs) {
  const of = (key) => pairs.map((p) => p[key]).filter((v) => v !== null && v !== undefined);
  const peak = (side) => pairs.reduce((best, p) => ((p[side]?.maxRssKB ?? -1) > (best?.maxRssKB ?? -1) ? p[side] : best), pairs[0][side]);
  const ratios = of('ratio');
  return {
    recur: peak('recur'), torch: peak('torch'), pairs: pairs.length > 1 ? pairs : undefined,
    recurRate: of('recurRate').length ? median(of('recurRate')) : null,
    torchRate: of('torchRate').length ? median(of('torchRate')) : null,
    ratio: ratios.length ? median(ratios) : null,
    torch2Rate: of('torch2Rate').length ? median(of('torch2Rate')) : null,
    ratio2: of('ratio2').length ? median(of('ratio2')) : null,
    ratioRange: ratios.length > 1 ? [Math.min(...ratios), Math.max(...ratios)] : null,
  };
}

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Runs a child (on CPU `cpu` only, through taskset, when it is a number) and parses its JSON. */
function runProcess(cmd, args, cpu = null) {
  const r = cpu === null
    ? spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 })
    : spawnSync('taskset', ['-c', String(cpu), cmd, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  try { return JSON.parse(r.stdout); } catch { return { error: `bad output: ${r.stdout.slice(0, 200)}` }; }
}

/**
 * Which BLAS PyTorch's products run on: the library a torch process has mapped after a product
 * (torch_bench.py, kind blas), and what /usr/lib/x86_64-linux-gnu/libblas.so.3 resolves to.
 * Debian's PyTorch links the generic libblas.so.3: without libopenblas0-pthread that is the
 * reference BLAS, several times slower on the larger cases.
 */
function torchBlas() {
  const r = runProcess(PYTHON, [join(here, 'torch_bench.py'), '--case', JSON.stringify({ kind: 'blas' })]);
  let link = null;
  try { link = realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3'); } catch { /* not Debian's layout */ }
  const lib = r.blas ?? link;
  const reference = lib === null || !/openblas|mkl|blis|atlas/i.test(lib);
  return { mapped: r.blas ?? null, libblas: link, reference, torch: r.torch ?? null };
}

function torchAvailable() {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import torch (apt-get install -y python3-torch)`;
}

function fmtRate(v) {
  if (v === undefined || v === null || !Number.isFinite(v)) return '—';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);
}

/**
 * The gemm microbench: recur's GFLOP/s per product shape (bench/gemm.mjs) as a share of the
 * measured f32x4 peak, and PyTorch's GFLOP/s on the same shapes (1 and 2 threads).
 */
function runGemm(a, torchMissing) {
  const timing = ['--windows', String(a.windows), '--window-sec', String(a.windowSec), '--warmup-sec', '0'];
  const rec = runProcess(process.execPath, [join(here, 'run.mjs'), '--child', 'gemm', ...timing]);
  if (rec.error) { console.error(`recur gemm: ${rec.error}`); return null; }
  const torchArgs = (threads) => [join(here, 'torch_bench.py'), '--case', JSON.stringify({ kind: 'gemm', shapes: rec.shapes }),
    '--windows', String(a.windows), '--window_sec', String(Math.min(a.windowSec, 0.3)), '--warmup_sec', '0', '--threads', String(threads)];
  const t1 = torchMissing ? null : runProcess(PYTHON, torchArgs(1));
  const t2 = torchMissing || !a.torch2 ? null : runProcess(PYTHON, torchArgs(2));
  console.log(`\ngemm: recur's float32 SIMD product (one thread) on each case's shapes; f32x4 peak measured here: ${rec.peak.toFixed(1)} GFLOP/s a thread at best (a register-only multiply-add loop)`);
  const head = ['case', 'product', 'M×K×N', 'recur GFLOP/s', 'peak then', '% of peak', 'PyTorch 1t', 'PyTorch 2t'];
  const rows = rec.shapes.map((s, i) => [s.case, s.what, `${s.kind === 'atb' ? 'ᵀ' : ''}${s.M}×${s.K}×${s.N}`, s.gflops.toFixed(1), s.peak.toFixed(1), `${((100 * s.gflops) / s.peak).toFixed(0)} %`,
    t1?.gflops ? t1.gflops[i].toFixed(1) : '—', t2?.gflops ? t2.gflops[i].toFixed(1) : '—']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((s, i) => (i < 2 ? String(s).padEnd(widths[i]) : String(s).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log('(ᵀ: C += AᵀB summed over K rows, the weight gradients; recur: the best of the windows; peak then: the peak loop just before and after that shape (the machine is shared); PyTorch: torch.mm on the same float32 shapes)');
  return { peak: rec.peak, shapes: rec.shapes, torch1: t1?.gflops ?? null, torch2: t2?.gflops ?? null };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return runChild(a.child, a);
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  if (a.pin) {
    const t = spawnSync('taskset', ['-c', '0', process.execPath, '-e', '0'], { encoding: 'utf8' });
    if (t.error || t.status !== 0) throw new Error(`--pin needs taskset (Debian: util-linux): ${(t.error?.message ?? t.stderr).trim()}`);
    console.log(`pinned: each pair's recur and PyTorch on one CPU (pair i on CPU i mod ${os.availableParallelism()}), both on one thread`);
  }
  const torchMissing = a.torch ? torchAvailable() : 'disabled with --no-torch';
  if (torchMissing) console.log(`PyTorch: not measured (${torchMissing}); reporting recur alone.`);
  const blas = torchMissing ? null : torchBlas();
  if (blas !== null) {
    console.log(`PyTorch ${blas.torch} BLAS: ${blas.mapped ?? '(none mapped)'} (libblas.so.3 → ${blas.libblas ?? '?'})`);
    if (blas.reference) {
      const bar = '!'.repeat(100);
      console.log(`${bar}\n!! PyTorch runs on the REFERENCE BLAS: its products are several times slower than with OpenBLAS and\n!! every ratio below flatters recur. Install it: apt-get install -y libopenblas0-pthread\n${bar}`);
    }
  }
  const results = [];
  const t0 = Date.now();
  for (const name of a.cases) {
    if (CASES[name].kind === 'gemm') continue; // its own table, below
    const c = CASES[name];
    const windows = String(Math.min(a.windows, c.windows ?? a.windows));
    const warm = String(c.warmup ?? a.warmupSec);
    const timing = ['--windows', windows];
    // recur then PyTorch, `repeat` times: each pair is measured close together in time, so the
    // ratio of a pair is the comparison; the rates and ratio reported are the medians over pairs.
    const pairs = [];
    for (let i = 0; i < a.repeat; i++) {
      const cpu = a.pin ? i % os.availableParallelism() : null; // --pin: both sides of pair i on this CPU
      const rec = runProcess(process.execPath, [join(here, 'run.mjs'), '--child', name, ...timing, '--window-sec', String(a.windowSec), '--warmup-sec', warm, ...(a.threads ? ['--threads', String(a.threads)] : [])], cpu);
      const torchArgs = (threads) => [join(here, 'torch_bench.py'), '--case', JSON.stringify(c.kind === 'gemm' ? { kind: 'gemm', shapes: rec.shapes ?? [] } : c), ...timing, '--window_sec', String(a.windowSec), '--warmup_sec', warm, '--threads', String(threads)];
      const tor = torchMissing ? null : runProcess(PYTHON, torchArgs(1), cpu);
      const tor2 = torchMissing || !a.torch2 ? null : runProcess(PYTHON, torchArgs(2));
      const recurRate = rec.rates ? median(rec.rates) : null;
      const torchRate = tor?.rates ? median(tor.rates) : null;
      const torch2Rate = tor2?.rates ? median(tor2.rates) : null;
      pairs.push({
        cpu, recur: rec, torch: tor, torch2: tor2, recurRate, torchRate, torch2Rate,
        ratio: recurRate && torchRate ? recurRate / torchRate : null, ratio2: recurRate && torch2Rate ? recurRate / torch2Rate : null,
      });
    }
    const r = { case: name, config: c, ...summarisePairs(pairs) };
    results.push(r);
    for (const p of pairs) {
      if (p.recur.error) console.error(`recur ${name}: ${p.recur.error}`);
      if (p.torch?.error) console.error(`torch ${name}: ${p.torch.error}`);
    }
    process.stderr.write(`  ${name} done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }

  const ranged = a.repeat > 1;
  const torch2 = a.torch2 && !torchMissing;
  const head = ['case', 'unit', 'threads', 'recur', 'PyTorch', 'ratio', ...(ranged ? ['ratio range'] : []), ...(torch2 ? ['PyTorch 2t', 'ratio 2t'] : []), 'recur RSS', 'PyTorch RSS'];
  const rows = results.map((r) => {
    const predict = r.config.kind === 'predict' || r.config.kind === 'generate';
    const show = (rate) => (predict ? (rate ? `${(1e6 / rate).toFixed(1)} µs` : '—') : fmtRate(rate));
    const mb = (x) => (x && x.maxRssKB ? `${(x.maxRssKB / 1024).toFixed(0)} MB` : '—');
    return [
      r.case, predict ? 'latency' : r.recur.unit ?? '', r.recur.threads ?? '—', show(r.recurRate), show(r.torchRate),
      r.ratio ? `${r.ratio.toFixed(2)}×` : '—',
      ...(ranged ? [r.ratioRange ? `${r.ratioRange[0].toFixed(2)}–${r.ratioRange[1].toFixed(2)}×` : '—'] : []),
      ...(torch2 ? [show(r.torch2Rate), r.ratio2 ? `${r.ratio2.toFixed(2)}×` : '—'] : []),
      mb(r.recur), mb(r.torch),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((s, i) => (i === 0 ? String(s).padEnd(widths[i]) : String(s).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log(`(median of ${a.windows} windows (large, charlm: ${Math.min(a.windows, CASES.large.windows)}) of ≥ ${a.windowSec} s after ${a.warmupSec} s warm-up; ratio = recur / PyTorch rate, >1 = recur faster; threads = the threads recur used (2: some work went to the worker; bit-identical results on 1 or 2); PyTorch on one thread${torch2 ? ' (2t: on two, torch.set_num_threads(2))' : ''}${ranged ? `; ${a.repeat} recur/PyTorch pairs per case: medians, and the range of the pairs' ratios` : ''}${a.pin ? '; pinned: each pair on one CPU' : ''})`);
  let gemm = null;
  if (a.cases.includes('gemm')) gemm = runGemm(a, torchMissing);

  const out = {
    date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length,
    torch: results.find((r) => r.torch?.torch)?.torch.torch ?? null, torchBlas: blas, torchMissing, quick: a.quick, repeat: a.repeat, pin: a.pin, results, gemm,
  };
  mkdirSync(dirname(a.json), { recursive: true });
  writeFileSync(a.json, JSON.stringify(out, null, 2) + '\n');
  console.log(`results: ${a.json}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => { console.error(e.message ?? e); process.exit(1); });
}
