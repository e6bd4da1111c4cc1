// Drives a sweep: the sweep directory and its state (resume), the executor (local pool or queue),
// progress and ETA, Ctrl-C, and at the end the summary table (text, JSON, Markdown), the HTML
// report and the sweep's own run in the tracker.
//
//   <save_dir>/<sweep>/              a run of the tracker (meta.json: the sweep, its summary table)
//   <save_dir>/<sweep>/sweep.json    plan and trial states (state-node.ts)
//   <save_dir>/<sweep>/<trial>/      each trial: a normal tracked run (local pool; queue workers put
//                                    theirs under their own <save_dir>/<sweep>/)
//   <save_dir>/<sweep>/summary.{json,md}, report.html
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { init as initRun } from '../track/index.js';
import type { Run } from '../track/index.js';
import { FileStore, isPidAlive } from '../track/file-store.js';
import { isSafeRunId, sanitizeRunName } from '../track/store.js';
import { ARTICLE_EXPERIMENTS } from '../train/config.js';
import { formatDuration } from '../train/progress.js';
import { invalidTrials } from './plan.js';
import type { Trial } from './plan.js';
import type { Executor } from './pool-node.js';
import { SweepProgress } from './progress.js';
import { sweepReportHtml } from './report.js';
import type { ReportGroup } from './report.js';
import { DEFAULT_TEST, summarize, summaryMarkdown, summaryText } from './results.js';
import type { SettingSummary, TestSpec, TrialResult } from './results.js';
import { acquireLock, mergeState, readState, writeState } from './state-node.js';
import type { SweepState, TrialRecord } from './state-node.js';
import type { TrialJob } from './trial-node.js';
import { ensureWritableDir } from '../track/writable-dir.js';

type Writable = { write(s: string): unknown; isTTY?: boolean };

export interface SweepOptions {
  name: string;
  kind: 'sweep' | 'reproduce';
  saveDir: string;
  /** Planned trials; their config.save_dir is replaced by the sweep directory. */
  trials: Trial[];
  test: TestSpec;
  /** What the user asked for (recorded in sweep.json and the sweep's run config). */
  spec: Record<string, unknown>;
  executor: Executor;
  /** Run failed trials again (by default a failed trial stays failed on resume). */
  retryFailed?: boolean;
  json?: boolean;
  out?: Writable;
  err?: Writable;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
}

export interface SweepOutcome {
  dir: string;
  state: SweepState;
  summary: SettingSummary[];
  interrupted: boolean;
  ran: number;
  failed: number;
}

export class SweepError extends Error {}

export function sweepDir(saveDir: string, name: string): string {
  if (!isSafeRunId(name) || sanitizeRunName(name) !== name) {
    throw new SweepError(`sweep name '${name}' must be letters, digits, '.', '_' and '-' (not starting with '.' or '-')`);
  }
  return path.resolve(saveDir, name);
}

function fmtAcc(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`;
}

export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const json = o.json ?? false;
  const emit = (obj: Record<string, unknown>, text: string | null) => {
    if (json) out.write(JSON.stringify(obj) + '\n');
    else if (text !== null) out.write(text + '\n');
  };

  const dir = sweepDir(o.saveDir, o.name);
  await o.executor.open?.();
  try {
    ensureWritableDir(dir);
    const release = acquireLock(dir, o.name);
    try {
      return await drive(o, dir, out, err, json, emit);
    } finally {
      release();
    }
  } finally {
    o.executor.close?.();
  }
}

async function drive(
  o: SweepOptions,
  dir: string,
  out: Writable,
  err: Writable,
  json: boolean,
  emit: (obj: Record<string, unknown>, text: string | null) => void,
): Promise<SweepOutcome> {
  const trials = o.trials.map((t) => ({ ...t, config: { ...t.config, save_dir: dir } }));
  const saved = readState(dir);
  const state = mergeState(saved, { name: o.name, kind: o.kind, spec: o.spec, test: o.test, trials });
  writeState(dir, state);
  // In plan order (setting by setting, seeds ascending), however the sweep grew: runs and tables follow it.
  const records = trials.map((t) => state.trials[t.id]);

  // The sweep itself is a run of the tracker in <save_dir>: `recur runs --save_dir <save_dir>` lists it
  // with its status and, once done, the summary table.
  const sweepRun = await openSweepRun(dir, o, state);

  const isTodo = (r: TrialRecord) => r.status !== 'finished' && !(r.status === 'failed' && !o.retryFailed);
  const todo = records.filter(isTodo);
  const already = records.filter((r) => r.status === 'finished').length;
  const keptFailed = o.retryFailed ? 0 : records.filter((r) => r.status === 'failed').length;
  const bad = invalidTrials(todo.map((r) => ({ id: r.id, setting: r.setting, seed: r.seed, config: r.config })));
  const settings = new Set(records.map((r) => r.setting)).size;
  const seeds = new Set(records.map((r) => r.seed)).size;
  emit(
    { event: 'plan', sweep: o.name, dir, trials: records.length, settings, seeds, done: already, failed: keptFailed, todo: todo.length, executor: o.executor.description, invalid: bad },
    `sweep ${o.name}: ${records.length} trials (${settings} setting${settings === 1 ? '' : 's'} × ${seeds} seed${seeds === 1 ? '' : 's'})` +
      (saved ? `, ${already} already finished` : '') +
      (keptFailed ? `, ${keptFailed} failed earlier (kept; --retry_failed runs them again)` : '') +
      `, ${todo.length} to run on ${o.executor.description} → ${dir}`,
  );
  if (!json) for (const b of bad) err.write(`warning: trial ${b.id} will fail: ${b.reason}\n`);

  const progress = new SweepProgress(records.length, already, todo.map((r) => r.config.total_steps));
  const tty = !json && Boolean(err.isTTY);
  let lastDraw = 0;
  const draw = (force = false) => {
    if (!tty) return;
    const now = Date.now();
    if (!force && now - lastDraw < 250) return;
    lastDraw = now;
    err.write(`\r\x1b[2K${o.name}: ${progress.line(now)}`);
  };
  const say = (obj: Record<string, unknown>, text: string) => {
    if (tty) err.write('\r\x1b[2K');
    emit(obj, text);
    draw(true);
  };
  const timer = tty ? setInterval(() => draw(true), 1000) : undefined;

  let interrupted = false;
  let signals = 0;
  const onSignal = () => {
    signals++;
    interrupted = true;
    if (signals === 1) say({ event: 'stopping' }, `stopping: running trials save a checkpoint and stop (Ctrl-C again to hurry)`);
    o.executor.stop();
  };
  if (o.handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  if (o.executor.local) await waitForOrphans(todo, (t) => say({ event: 'waiting', trial: t.id, pid: t.pid }, `waiting for trial ${t.id} of an earlier sweep process (pid ${t.pid}) to stop`));

  let ran = 0;
  let failed = 0;
  const jobs: TrialJob[] = todo.map((r) => ({
    sweep: o.name,
    uid: state.uid,
    trial: r.id,
    config: r.config,
    test: state.test,
    ...(r.runDir ? { runDirHint: r.runDir } : {}),
  }));
  try {
    await o.executor.run(jobs, {
      onStart(job, e) {
        const r = state.trials[job.trial];
        r.status = 'running';
        r.attempts++;
        r.runDir = e.runDir;
        if (e.where) r.where = e.where;
        writeState(dir, state);
        progress.start(job.trial, e.step, e.total);
        say(
          { event: 'trial_start', trial: job.trial, run_dir: e.runDir, step: e.step, resumed: e.resumed, ...(e.where ? { where: e.where } : {}) },
          `${e.resumed ? 'resume' : 'start '} ${job.trial}${e.resumed ? ` from step ${e.step}` : ''}${e.where ? ` on ${e.where}` : ''}`,
        );
      },
      onProgress(job, step) {
        progress.progress(job.trial, step);
        draw();
      },
      onResult(job, res: TrialResult) {
        const r = state.trials[job.trial];
        // A queue job that came back interrupted (its worker was stopped) is queued again next run.
        r.status = res.status;
        r.result = res;
        if (res.runDir) r.runDir = res.runDir;
        r.where = res.host;
        if (res.message) r.message = res.message;
        else delete r.message;
        writeState(dir, state);
        progress.end(job.trial, res.status, job.config.total_steps);
        if (res.status !== 'interrupted') ran++;
        if (res.status === 'failed') failed++;
        const finishedCount = records.filter((x) => x.status === 'finished').length;
        const failedCount = records.filter((x) => x.status === 'failed').length;
        sweepRun.log({ trials_finished: finishedCount, trials_failed: failedCount }, finishedCount + failedCount);
        const acc = res.test?.accuracy;
        say(
          { event: 'trial_end', trial: job.trial, status: res.status, test_accuracy: acc ?? null, reach_step: res.reachStep, seconds: res.seconds, run_dir: res.runDir, host: res.host, message: res.message ?? null, progress: progress.line(), eta_s: progress.eta() },
          `${res.status === 'finished' ? 'done  ' : res.status === 'failed' ? 'FAILED' : 'stopped'} ${job.trial}` +
            (res.status === 'finished' ? `: test accuracy ${fmtAcc(acc)}${res.test && res.test.byLength.length ? ` (${res.test.byLength.map((b) => `len ${b.length} ${fmtAcc(b.accuracy)}`).join(', ')})` : ''}, ${formatDuration(res.seconds)}` : '') +
            (res.message && res.status !== 'finished' ? `: ${res.message}` : '') +
            `  [${progress.line()}]`,
        );
      },
    });
  } finally {
    if (timer) clearInterval(timer);
    if (tty) err.write('\r\x1b[2K');
    if (o.handleSignals !== false) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
  // Trials still marked running got no result (an executor that was stopped before they began).
  for (const r of records) if (r.status === 'running' || r.status === 'queued') r.status = 'interrupted';
  writeState(dir, state);

  const summary = summarize(
    records.map((r) => ({ setting: r.setting, seed: r.seed, status: r.status, result: r.result })),
    state.test,
  );
  writeSummaryFiles(dir, o, state.test, records, summary);
  await writeReport(dir, o.name, records, summary, state.test.lengths);
  sweepRun.setSummary(flatSummary(summary));
  await sweepRun.finish(interrupted ? 'interrupted' : 'finished');

  const complete = records.every((r) => r.status === 'finished' || r.status === 'failed');
  if (json) {
    emit({ event: 'summary', sweep: o.name, dir, complete, interrupted, rows: summary }, null);
  } else {
    out.write(`\n${summaryText(summary, { lengths: state.test.lengths })}`);
    out.write(
      `\n${complete ? 'complete' : interrupted ? 'interrupted' : 'incomplete'}: ${records.filter((r) => r.status === 'finished').length}/${records.length} trials finished` +
        (records.some((r) => r.status === 'failed') ? `, ${records.filter((r) => r.status === 'failed').length} failed` : '') +
        `. Table: ${path.join(dir, 'summary.md')}; report: ${path.join(dir, 'report.html')}` +
        (complete ? '' : `\nre-run the same command to resume (finished trials are kept${o.retryFailed ? '' : '; --retry_failed re-runs failed ones'})`) +
        '\n',
    );
  }
  return { dir, state, summary, interrupted, ran, failed };
}

/**
 * A sweep process killed outright (SIGKILL) leaves its trial processes to notice the lost parent
 * and stop after a checkpoint. Wait for those (a few seconds) so they are resumed rather than
 * restarted next to a run that is still writing.
 */
async function waitForOrphans(todo: readonly TrialRecord[], note: (t: { id: string; pid: number }) => void, maxMs = 60_000): Promise<void> {
  const t0 = Date.now();
  const host = os.hostname();
  for (const r of todo) {
    if (!r.runDir) continue;
    let noted = false;
    while (Date.now() - t0 < maxMs) {
      let pid = 0;
      try {
        const m = JSON.parse(fs.readFileSync(path.join(r.runDir, 'meta.json'), 'utf8'));
        if (m.status === 'running' && m.host === host && typeof m.pid === 'number' && m.pid !== process.pid && isPidAlive(m.pid)) pid = m.pid;
      } catch {
        /* no readable meta: nothing runs there */
      }
      if (!pid) break;
      if (!noted) note({ id: r.id, pid });
      noted = true;
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

async function openSweepRun(dir: string, o: SweepOptions, state: SweepState): Promise<Run> {
  const config = { kind: o.kind, sweep: o.name, uid: state.uid, ...o.spec };
  if (fs.existsSync(path.join(dir, 'meta.json'))) {
    return initRun({ resume: dir, config, handleSignals: false });
  }
  return initRun({ dir, name: o.name, project: 'recur', config, seed: null, handleSignals: false });
}

/** The table as flat summary keys of the sweep's run (`recur runs show <sweep>` lists them). */
export function flatSummary(rows: readonly SettingSummary[]): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  for (const r of rows) {
    const k = r.setting;
    s[`${k} | seeds`] = `${r.finished}/${r.n}`;
    s[`${k} | acc mean`] = r.accuracy?.mean ?? null;
    s[`${k} | acc min`] = r.accuracy?.min ?? null;
    s[`${k} | acc max`] = r.accuracy?.max ?? null;
    s[`${k} | converged`] = `${r.converged}/${r.n}`;
    s[`${k} | step to ${Math.round(r.reach * 100)}% (median)`] = r.reachMedian;
    for (const b of r.byLength) s[`${k} | len ${b.length}`] = b.mean;
  }
  return s;
}

/** summary.json / summary.md of the trials this invocation planned (a sweep re-run on fewer seeds lists those). */
function writeSummaryFiles(dir: string, o: SweepOptions, t: TestSpec, records: readonly TrialRecord[], summary: SettingSummary[]): void {
  const trials = records.map((r) => ({
    id: r.id,
    setting: r.setting,
    seed: r.seed,
    status: r.status,
    run_dir: r.runDir ?? null,
    host: r.where ?? null,
    test_accuracy: r.result?.test?.accuracy ?? null,
    by_length: r.result?.test?.byLength ?? [],
    reach_step: r.result?.reachStep ?? null,
    seconds: r.result?.seconds ?? null,
    steps_per_s: r.result?.stepsPerSecond ?? null,
    message: r.message ?? null,
  }));
  const json = { sweep: o.name, kind: o.kind, spec: o.spec, test: t, updatedAt: new Date().toISOString(), summary, trials };
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(json, null, 2) + '\n');
  const acc = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3));
  const md = [
    `# ${o.kind === 'reproduce' ? 'Reproduction' : 'Sweep'} \`${o.name}\``,
    '',
    `Command: \`${specCommand(o.kind, o.name, o.spec, t)}\``,
    '',
    `Test set: ${t.samples} samples at the training lengths (seed ${t.seed}), ${t.perLength} per length at ${t.lengths.join(', ')}; ` +
      `converged = test accuracy ≥ ${t.threshold}; step→${Math.round(t.reach * 100)}% = first logged accuracy ≥ ${t.reach} (never = ∞ in the median).`,
    '',
    summaryMarkdown(summary, { lengths: t.lengths }),
    '<details><summary>Trials</summary>',
    '',
    `| trial | status | test acc | ${t.lengths.map((n) => `len ${n} | `).join('')}step→90% | host | run |`,
    `|---|---|---:|${t.lengths.map(() => '---:|').join('')}---:|---|---|`,
    ...trials.map((x) => {
      const lens = t.lengths.map((n) => `${acc(x.by_length.find((b) => b.length === n)?.accuracy)} | `).join('');
      return `| ${x.id} | ${x.status} | ${acc(x.test_accuracy)} | ${lens}${x.reach_step ?? '—'} | ${x.host ?? ''} | ${x.run_dir ?? ''} |`;
    }),
    '',
    '</details>',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'summary.md'), md);
}

/** The command that (re)runs this sweep, from its spec: what a reader of summary.md needs to repeat it. */
export function specCommand(kind: string, name: string, spec: Record<string, unknown>, test: TestSpec = DEFAULT_TEST): string {
  const seeds = Array.isArray(spec.seeds) ? [`--seeds ${seedRanges(spec.seeds as number[])}`] : [];
  const d = DEFAULT_TEST;
  // The test-set flags that differ from the defaults (the same names in sweep and reproduce).
  const r = kind === 'reproduce';
  const testFlags = [
    ...(test.samples !== d.samples ? [`--test_samples ${test.samples}`] : []),
    ...(test.seed !== d.seed ? [`--test_seed ${test.seed}`] : []),
    ...(test.lengths.join(',') !== d.lengths.join(',') ? [`--test_lengths ${test.lengths.join(',')}`] : []),
    ...(test.perLength !== d.perLength ? [`--test_per_length ${test.perLength}`] : []),
    ...(test.threshold !== d.threshold ? [`--threshold ${test.threshold}`] : []),
    ...(test.reach !== d.reach ? [`--reach ${test.reach}`] : []),
  ];
  const parts: string[] = [];
  if (r) {
    const ex = Array.isArray(spec.experiments) ? (spec.experiments as string[]) : [];
    if (ex.length && ex.join(',') !== ARTICLE_EXPERIMENTS.join(',')) parts.push(`--experiments ${ex.join(',')}`);
    parts.push(...seeds);
    if (typeof spec.steps === 'number') parts.push(`--steps ${spec.steps}`);
  } else {
    if (typeof spec.preset === 'string') parts.push(`--preset ${spec.preset}`);
    for (const [k, v] of Object.entries((spec.base ?? {}) as Record<string, unknown>)) parts.push(`--${k} ${shellWord(String(v))}`);
    for (const [k, v] of Object.entries((spec.grid ?? {}) as Record<string, unknown[]>)) parts.push(`--grid ${shellWord(`${k}=${v.join(',')}`, true)}`);
    parts.push(...seeds);
  }
  return [`recur ${r ? 'reproduce' : 'sweep'}`, ...parts, ...testFlags, `--name ${name}`].join(' ');
}

/** `v` as one POSIX shell word: bare when it is plain, else single-quoted (always quoted with `always`). */
function shellWord(v: string, always = false): string {
  return !always && /^[A-Za-z0-9._,=/:@%+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** [0, 1, 2, 3, 7, 9, 10] → '0-3,7,9-10'. */
export function seedRanges(seeds: readonly number[]): string {
  const s = [...new Set(seeds)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(j > i ? `${s[i]}-${s[j]}` : String(s[i]));
    i = j + 1;
  }
  return out.join(',');
}

async function writeReport(dir: string, name: string, records: TrialRecord[], summary: SettingSummary[], lengths: number[]): Promise<void> {
  // Metrics of trials whose runs are on this machine (queue trials run elsewhere are left out).
  const groups: ReportGroup[] = [];
  const bySetting = new Map<string, ReportGroup>();
  for (const r of records) {
    if (!r.runDir || !fs.existsSync(path.join(r.runDir, 'meta.json'))) continue;
    const store = new FileStore(path.dirname(r.runDir));
    const id = path.basename(r.runDir);
    try {
      const meta = await store.readMeta(id);
      const { rows } = await store.readMetrics(id, 0);
      let g = bySetting.get(r.setting);
      if (!g) bySetting.set(r.setting, (g = { label: r.setting, members: [] }));
      g.members.push({ startMs: Date.parse(meta.startedAt), rows });
    } catch {
      /* unreadable run: left out of the charts */
    }
  }
  for (const s of summary) {
    const g = bySetting.get(s.setting);
    if (g) groups.push(g);
  }
  const local = groups.reduce((a, g) => a + g.members.length, 0);
  fs.writeFileSync(
    path.join(dir, 'report.html'),
    sweepReportHtml({ title: `recur sweep ${name}`, summary, lengths, groups, note: `${local} of ${records.length} trials charted (runs on this machine)` }),
  );
}
