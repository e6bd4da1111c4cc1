// `recur runs`: the runs under a runs root as a table; `recur runs show NAME`: one run's record,
// config and final metrics; `recur runs compare A B...`: config differences and final metrics
// side by side.
import type { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { FileStore } from '../track/file-store.js';
import { DEFAULT_ROOT } from '../track/index.js';
import { FilterSyntaxError, matchesFilter, parseFilter, unknownKeys, fieldValue } from '../track/run-filter.js';
import { findOneRun } from '../track/select.js';
import { SummaryIndex, view, type IndexEntry, type IndexedRunView } from '../track/summary-index.js';
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
import { parseNumberArg } from './number-arg.js';

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

type IndexedRun = IndexedRunView;

// The runs index of `root` (summaries; see summary-index.ts); a missing root is an error worth saying.
export async function loadIndex(root: string): Promise<{ store: FileStore; index: SummaryIndex }> {
  const store = new FileStore(root);
  if (!fs.existsSync(store.root)) throw new CliError(`runs root ${store.root} does not exist (pass --save_dir)`);
  const tty = process.stderr.isTTY;
  const index = new SummaryIndex(store, undefined, {
    onIndexProgress: (n, total) => process.stderr.write(`recur: indexing runs written without summaries from their logs: ${n} (of ${total} runs)${tty ? '\r' : '\n'}`),
  });
  await index.refresh(true);
  if (tty && index.indexedFromLog >= 100) process.stderr.write('\n');
  if (index.indexedFromLog > 0) {
    console.error(`recur: indexed ${index.indexedFromLog} run${index.indexedFromLog === 1 ? '' : 's'} written without summaries (once; their summaries are now saved)`);
  }
  return { store, index };
}

// The runs under `root`, with metric aggregates.
export async function loadRuns(root: string): Promise<{ store: FileStore; runs: IndexedRun[] }> {
  const { store, index } = await loadIndex(root);
  return { store, runs: index.views() };
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

export interface ListOptions {
  wide?: boolean;
  width?: number; // columns to fit (default 120); ignored with `wide`
  now?: number;
  among?: readonly IndexEntry[]; // the runs whose differing config keys CONFIG shows (default: entries)
}

// Shortens `s` to `w` characters keeping its start and end ("sota_warmup_lr…seed-3"): run names
// differ most often in their suffix.
export function truncateMiddle(s: string, w: number): string {
  if (s.length <= w) return s;
  if (w <= 1) return s.slice(0, w);
  const tail = Math.ceil((w - 1) * 0.6);
  return s.slice(0, w - 1 - tail) + '…' + s.slice(s.length - tail);
}

function truncateEnd(s: string, w: number): string {
  return s.length <= w ? s : s.slice(0, Math.max(0, w - 1)) + '…';
}

const NAME_MAX = 28;
const CONFIG_MIN = 16;

// The runs table. Default columns fit `width` (NAME and CONFIG are truncated, NAME in the middle);
// `wide` adds rows, last accuracy, params and start times, and truncates nothing.
export function listTable(entries: readonly IndexEntry[], o: ListOptions = {}): string[] {
  const now = o.now ?? Date.now();
  const wide = !!o.wide;
  const metas = (o.among ?? entries).map((e) => e.meta).filter((m): m is RunMeta => m !== null);
  const varying = varyingConfigKeys(metas);
  type Col = { h: string; right?: boolean; get: (e: IndexEntry, c: ReturnType<typeof runColumns>) => string };
  const cols: Col[] = [
    { h: 'NAME', get: (e) => e.id },
    { h: 'STATUS', get: (e) => e.status },
    { h: 'SEED', right: true, get: (e) => (e.meta?.seed == null ? '' : String(e.meta.seed)) },
    { h: 'STEPS', right: true, get: (_e, c) => (c.steps === undefined ? '' : String(c.steps)) },
    ...(wide ? [{ h: 'ROWS', right: true, get: (e: IndexEntry) => String(e.data.rows) }] : []),
    { h: 'BEST ACC', right: true, get: (_e, c) => num(c.bestAccuracy) },
    ...(wide ? [{ h: 'LAST ACC', right: true, get: (_e: IndexEntry, c: ReturnType<typeof runColumns>) => num(c.lastAccuracy) }] : []),
    { h: 'FINAL LOSS', right: true, get: (_e, c) => num(c.finalLoss) },
    ...(wide ? [{ h: 'PARAMS', right: true, get: (e: IndexEntry) => (e.summary.params === undefined ? '' : String(e.summary.params)) }] : []),
    { h: 'DURATION', right: true, get: (_e, c) => formatDuration(c.durationMs) },
    ...(wide ? [{ h: 'STARTED', get: (e: IndexEntry) => (e.meta ? e.meta.startedAt.slice(0, 16).replace('T', ' ') : '') }] : []),
    { h: 'CONFIG', get: (e) => (e.meta ? keyConfig(e.meta, varying) : (e.error ?? '').replace(/^run '.*?' has a corrupt /, '')) },
  ];
  const rows = entries.map((e) => {
    const c = runColumns(e.meta, e.data.stats, e.status, now);
    return cols.map((col) => col.get(e, c));
  });
  const right = new Set(cols.flatMap((c, i) => (c.right ? [i] : [])));
  const header = cols.map((c) => c.h);
  if (!wide) {
    const width = o.width ?? 120;
    const nat = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const last = cols.length - 1;
    const fixed = nat.slice(1, last).reduce((a, b) => a + b, 0) + 2 * last;
    // NAME takes what CONFIG leaves (at least NAME_MAX when it needs it); CONFIG at least CONFIG_MIN.
    const spare = width - fixed;
    let nameW = Math.min(nat[0], Math.max(NAME_MAX, spare - nat[last]));
    let configW = spare - nameW;
    if (configW < CONFIG_MIN) {
      nameW = Math.max(header[0].length + 8, spare - CONFIG_MIN);
      configW = spare - nameW;
    }
    configW = Math.max(header[last].length, configW);
    for (const r of rows) {
      r[0] = truncateMiddle(r[0], nameW);
      r[last] = truncateEnd(r[last], configW);
    }
  }
  return textTable(header, rows, right);
}

// Sort keys: started (default), name, id, status, steps, rows, seed, duration, or any filter key
// (a config key, best.METRIC, last.METRIC). '-key' or 'key:desc' sorts descending. Runs without
// the key go last.
export function sortEntries(entries: IndexEntry[], spec: string, now = Date.now()): IndexEntry[] {
  let key = spec.trim();
  let desc = false;
  if (key.startsWith('-')) (desc = true), (key = key.slice(1));
  const m = /^(.*):(asc|desc)$/.exec(key);
  if (m) (key = m[1]), (desc = m[2] === 'desc');
  if (key === '') throw new CliError(`--sort needs a key, got '${spec}'`);
  const value = (e: IndexEntry): unknown => {
    switch (key) {
      case 'started':
        return e.startMs;
      case 'duration':
        return runColumns(e.meta, e.data.stats, e.status, now).durationMs;
      default:
        return fieldValue(e.summary, key);
    }
  };
  const keyed = entries.map((e) => ({ e, v: value(e) }));
  const builtIn = ['started', 'duration', 'name', 'id', 'status', 'steps', 'rows', 'seed'].includes(key);
  if (!builtIn && keyed.length > 0 && keyed.every((k) => k.v === undefined || (typeof k.v === 'number' && Number.isNaN(k.v)))) {
    throw new CliError(`--sort: no run has '${key}' (keys: started, name, status, steps, rows, seed, duration, a config key, best.METRIC, last.METRIC)`);
  }
  const dir = desc ? -1 : 1;
  keyed.sort((a, b) => {
    const ma = a.v === undefined || a.v === null || (typeof a.v === 'number' && Number.isNaN(a.v));
    const mb = b.v === undefined || b.v === null || (typeof b.v === 'number' && Number.isNaN(b.v));
    if (ma || mb) return ma === mb ? 0 : ma ? 1 : -1;
    if (typeof a.v === 'number' && typeof b.v === 'number') return (a.v - b.v) * dir;
    const sa = typeof a.v === 'string' ? a.v : JSON.stringify(a.v);
    const sb = typeof b.v === 'string' ? b.v : JSON.stringify(b.v);
    return sa.localeCompare(sb, undefined, { numeric: true }) * dir;
  });
  return keyed.map((k) => k.e);
}

// --filter: a parse error is the user's, said in one line.
export function filterEntries(entries: IndexEntry[], expr: string): IndexEntry[] {
  let terms;
  try {
    terms = parseFilter(expr);
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new CliError(e.message);
    throw e;
  }
  const out = entries.filter((e) => matchesFilter(e.summary, terms));
  if (out.length === 0) {
    const unknown = unknownKeys(entries.map((e) => e.summary), terms);
    if (unknown.length) throw new CliError(`--filter: no run has ${unknown.map((k) => `'${k}'`).join(', ')} (config keys are dotted, e.g. optim.lr; metrics are best.NAME / last.NAME)`);
  }
  return out;
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
    .option('--json', 'print JSON instead of a table (the listed page of runs)')
    .option('--status <status>', 'only runs with this status (running, finished, failed, interrupted, corrupt)')
    .option('--filter <expr>', "only runs matching every term, as in the dashboard: 'lr>=0.005 cell=gru', a bare word matches the name (glob * ?), best.accuracy>0.9, status!=finished")
    .option('--sort <key>', "sort by started, name, status, steps, rows, seed, duration, a config key, best.METRIC or last.METRIC; '-key' or 'key:desc' for descending", '-started')
    .option('--limit <n>', 'runs per page (0: all; default 50, all with --json)')
    .option('--page <k>', 'page to show (1 = first)', '1')
    .option('--wide', 'every column (rows, last accuracy, params, start time) and nothing truncated')
    .action(async (opts: { save_dir: string; json?: boolean; status?: string; filter?: string; sort: string; limit?: string; page: string; wide?: boolean }) => {
      const limit = opts.limit === undefined ? (opts.json ? 0 : 50) : parseNumberArg('--limit', opts.limit, { integer: true, min: 0 });
      const page = parseNumberArg('--page', opts.page, { integer: true, min: 1 });
      const statuses = ['running', 'finished', 'failed', 'interrupted', 'corrupt'];
      if (opts.status && !statuses.includes(opts.status)) throw new CliError(`--status must be one of ${statuses.join(', ')}, got '${opts.status}'`);
      const { index } = await loadIndex(opts.save_dir);
      const now = Date.now();
      let list = index.list();
      const total = list.length;
      if (opts.status) list = list.filter((r) => r.status === opts.status);
      if (opts.filter) list = filterEntries(list, opts.filter);
      list = sortEntries(list, opts.sort, now);
      const matched = list.length;
      const from = limit === 0 ? 0 : (page - 1) * limit;
      const shown = limit === 0 ? list : list.slice(from, from + limit);
      if (shown.length === 0 && matched > 0) throw new CliError(`--page ${page} is past the last page (${Math.ceil(matched / limit)}) of ${matched} runs`);
      if (opts.json) console.log(JSON.stringify(shown.map(view), null, 2));
      else if (total === 0) return void console.log(`no runs under ${path.resolve(opts.save_dir)}`);
      else if (matched === 0) return void console.log(`no runs match (of ${total} under ${path.resolve(opts.save_dir)})`);
      else {
        const width = process.stdout.isTTY && process.stdout.columns ? Math.max(60, process.stdout.columns) : 120;
        // CONFIG shows the keys that differ among every matched run, not just this page's.
        console.log(listTable(shown, { wide: opts.wide, width, now, among: list }).join('\n'));
      }
      if (shown.length < matched) {
        // On stderr: a pipe gets only the table.
        const more = from + shown.length < matched ? `; --page ${page + 1} for more, --limit 0 for all` : '';
        console.error(`runs ${from + 1}-${from + shown.length} of ${matched}${matched < total ? ` matching (${total} in all)` : ''}, sorted by ${opts.sort}${more}`);
      }
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
