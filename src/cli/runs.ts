// `recur runs`: the runs under a runs root as a table; `recur runs show NAME`: one run's record,
// config and final metrics; `recur runs compare A B...`: config differences and final metrics
// side by side.
import type { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { FileStore } from '../track/file-store.js';
import { DEFAULT_ROOT } from '../track/index.js';
import { RunIndex, type IndexedRun } from '../track/run-index.js';
import { findOneRun } from '../track/select.js';
import {
  compareRows,
  flattenConfig,
  formatDuration,
  formatNumber,
  formatValue,
  keyConfig,
  orderMetrics,
  runColumns,
  varyingConfigKeys,
} from '../track/summary.js';
import type { RunMeta } from '../track/types.js';
import { addDeprecatedFlag } from './deprecated-flag.js';
import { CliError } from './errors.js';

// Lines of a plain-text table; the last column is not padded (it may be long).
export function textTable(header: string[], rows: string[][], rightAlign: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : rightAlign.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function num(v: number | undefined): string {
  return v === undefined ? '' : formatNumber(v);
}

// The runs under `root`, with metric aggregates; a missing root is an error worth saying.
export async function loadRuns(root: string): Promise<{ store: FileStore; runs: IndexedRun[] }> {
  const store = new FileStore(root);
  if (!fs.existsSync(store.root)) throw new CliError(`runs root ${store.root} does not exist (pass --save_dir)`);
  return { store, runs: await new RunIndex(store).list() };
}

// A run named on the command line: an id or name under the root, or a run directory's path.
export async function resolveOne(root: string, query: string): Promise<{ run: IndexedRun; store: FileStore }> {
  if (/[/\\]/.test(query) && fs.existsSync(path.join(query, 'meta.json'))) {
    const dir = path.resolve(query);
    const { store, runs } = await loadRuns(path.dirname(dir));
    const hit = runs.find((r) => r.id === path.basename(dir));
    if (hit) return { run: hit, store };
  }
  const { store, runs } = await loadRuns(root);
  const found = findOneRun(runs, query);
  if (typeof found === 'string') throw new CliError(found);
  return { run: found, store };
}

function listTable(runs: IndexedRun[], now: number): string[] {
  const metas = runs.map((r) => r.meta).filter((m): m is RunMeta => m !== null);
  const varying = varyingConfigKeys(metas);
  const rows = runs.map((r) => {
    const c = runColumns(r.meta, r.stats, r.status, now);
    return [
      r.id,
      r.status,
      r.meta?.seed == null ? '' : String(r.meta.seed),
      c.steps === undefined ? '' : String(c.steps),
      num(c.bestAccuracy),
      num(c.lastAccuracy),
      num(c.finalLoss),
      formatDuration(c.durationMs),
      r.meta ? r.meta.startedAt.slice(0, 16).replace('T', ' ') : '',
      r.meta ? keyConfig(r.meta, varying) : (r.error ?? ''),
    ];
  });
  return textTable(['NAME', 'STATUS', 'SEED', 'STEPS', 'BEST ACC', 'LAST ACC', 'FINAL LOSS', 'DURATION', 'STARTED', 'CONFIG'], rows, new Set([3, 4, 5, 6, 7]));
}

function showRun(r: IndexedRun, store: FileStore, now: number): string[] {
  const out: string[] = [];
  const m = r.meta;
  if (!m) {
    out.push(`run       ${r.id}`, `status    corrupt`, `error     ${r.error ?? 'unreadable meta.json'}`, `directory ${store.runDir(r.id)}`);
  } else {
    const c = runColumns(m, r.stats, r.status, now);
    const kv: Array<[string, string]> = [
      ['run', m.name === r.id ? r.id : `${r.id} (name ${m.name})`],
      ['project', m.project],
      ['status', r.status + (r.status !== m.status ? ` (meta says ${m.status}; its process is gone)` : '')],
      ['seed', m.seed == null ? 'not recorded' : String(m.seed)],
      ['started', m.startedAt],
      ['ended', m.endedAt ?? ''],
      ['duration', formatDuration(c.durationMs)],
      ['git', m.git ? `${m.git.commit}${m.git.dirty ? ' (dirty)' : ''}` : 'not a git checkout'],
      ['recur', m.recurVersion],
      ['node', m.node],
      ['host', `${m.host} (pid ${m.pid})`],
      ['command', m.argv.join(' ')],
      ['directory', store.runDir(r.id)],
    ];
    if (m.resumes?.length) kv.push(['resumed', m.resumes.map((x) => x.at).join(', ')]);
    if (m.reason && m.reason !== m.error) kv.push(['reason', m.reason]);
    if (m.error) kv.push(['error', m.error]);
    for (const [k, v] of kv) if (v !== '') out.push(`${k.padEnd(10)}${v}`);
    const flat = flattenConfig(m.config);
    out.push('', 'config');
    if (Object.keys(flat).length === 0) out.push('  (empty)');
    out.push(...textTable(['', ''], Object.entries(flat).map(([k, v]) => ['  ' + k, formatValue(v)])).slice(1));
    if (Object.keys(m.summary).length) {
      out.push('', 'summary');
      out.push(...textTable(['', ''], Object.entries(m.summary).map(([k, v]) => ['  ' + k, formatValue(v)])).slice(1));
    }
  }
  const names = orderMetrics(Object.keys(r.stats));
  out.push('', `metrics (${r.rows} rows${r.corruptLines ? `, ${r.corruptLines} unreadable lines skipped` : ''})`);
  if (names.length === 0) out.push('  (none logged)');
  else {
    const rows = names.map((n) => {
      const s = r.stats[n];
      return ['  ' + n, num(s.last), String(s.lastStep), num(s.min), num(s.max), String(s.count)];
    });
    out.push(...textTable(['  metric', 'last', 'at step', 'min', 'max', 'points'], rows, new Set([1, 2, 3, 4, 5])));
  }
  return out;
}

function compareTable(runs: IndexedRun[], all: boolean, now: number): string[] {
  const metas = runs.map((r) => {
    if (!r.meta) throw new CliError(`run '${r.id}' has no readable meta.json: ${r.error ?? ''}`);
    return r.meta;
  });
  const out: string[] = [];
  const rows = compareRows(metas, !all);
  out.push(all ? 'config' : 'config differences');
  if (rows.length === 0) out.push('  (none: same config)');
  else out.push(...textTable(['  key', ...runs.map((r) => r.id)], rows.map((row) => ['  ' + row.key, ...row.values])));
  const names = orderMetrics(new Set(runs.flatMap((r) => Object.keys(r.stats))));
  const cols = runs.map((r) => runColumns(r.meta, r.stats, r.status, now));
  const res: string[][] = [
    ['  status', ...runs.map((r) => r.status)],
    ['  steps', ...cols.map((c) => (c.steps === undefined ? '' : String(c.steps)))],
    ['  duration', ...cols.map((c) => formatDuration(c.durationMs))],
    ['  best accuracy', ...cols.map((c) => num(c.bestAccuracy))],
    ...names.map((n) => ['  ' + n + ' (last)', ...runs.map((r) => num(r.stats[n]?.last))]),
  ];
  out.push('', 'final metrics');
  out.push(...textTable(['  ', ...runs.map((r) => r.id)], res).slice(1));
  return out;
}

export function register(program: Command): void {
  const runs = program
    .command('runs')
    .description('list the runs under a runs root (show / compare: one run in detail, runs side by side)')
    .option('--save_dir <dir>', 'runs root', DEFAULT_ROOT)
    .option('--json', 'print JSON instead of a table')
    .option('--status <status>', 'only runs with this status (running, finished, failed, interrupted, corrupt)')
    .action(async (opts: { save_dir: string; json?: boolean; status?: string }) => {
      let { runs: list } = await loadRuns(opts.save_dir);
      if (opts.status) list = list.filter((r) => r.status === opts.status);
      if (opts.json) return void console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return void console.log(`no runs under ${path.resolve(opts.save_dir)}`);
      console.log(listTable(list, Date.now()).join('\n'));
    });
  addDeprecatedFlag(runs, 'root', 'save_dir');

  runs
    .command('show <run>')
    .description("print a run's record (seed, git, command...), config, summary and final metrics")
    .option('--json', 'print JSON')
    .action(async (query: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as { save_dir: string; json?: boolean };
      const { run, store } = await resolveOne(opts.save_dir, query);
      if (opts.json) return void console.log(JSON.stringify(run, null, 2));
      console.log(showRun(run, store, Date.now()).join('\n'));
    });

  runs
    .command('compare <runs...>')
    .description('print the config differences and final metrics of two or more runs side by side')
    .option('--all', 'show every config key, not only the differing ones')
    .action(async (queries: string[], _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as { save_dir: string; all?: boolean };
      if (queries.length < 2) throw new CliError('compare needs at least two runs');
      const list: IndexedRun[] = [];
      for (const q of queries) list.push((await resolveOne(opts.save_dir, q)).run);
      console.log(compareTable(list, !!opts.all, Date.now()).join('\n'));
    });
}
