// `recur report RUN... --out FILE`: a self-contained HTML page (runs table, config differences,
// SVG charts) of the chosen runs, for sharing without a server. Many runs (more than
// GROUP_AUTO_RUNS, in fewer groups than runs) are drawn as groups: each config without its seed is
// one mean line with a min–max band, built from the runs' stored sketches without reading their logs.
import { Option, type Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../version.js';
import { DEFAULT_ROOT } from '../track/index.js';
import { groupedReportHtml, reportHtml, type GroupedReportRun, type ReportGroup, type ReportRun } from '../track/report-html.js';
import { groupSketches } from '../track/run-sketch.js';
import { matchRuns } from '../track/select.js';
import { addDeprecatedFlag } from './deprecated-flag.js';
import { CliError } from './errors.js';
import { numberArg } from './number-arg.js';
import { loadIndex } from './runs.js';

export const GROUP_AUTO_RUNS = 12;
// Points per group line (each also has its band): a fifth of the report's 488-px plot width keeps
// a 50-group report under a megabyte while the lines still read as curves.
const GROUP_POINTS = 100;

export function register(program: Command): void {
  const cmd = program
    .command('report <runs...>')
    .description('write a self-contained HTML report (table, config differences, charts) of runs given by id, name or glob')
    .option('--save_dir <dir>', 'runs root', DEFAULT_ROOT)
    .option('--out <file>', 'output HTML file', 'report.html')
    .option('--title <text>', 'report title')
    .addOption(new Option('--smoothing <w>', 'EMA smoothing weight in [0, 1) (raw curve kept faint)').argParser(numberArg('--smoothing')).default(0))
    .option('--metrics <list>', 'comma-separated metrics to chart (default: all)')
    .option('--x <mode>', 'x axis: step or relative (seconds since start)', 'step')
    .option('--group <mode>', `auto: draw runs that differ only in their seed as one mean line with a min-max band when there are more than ${GROUP_AUTO_RUNS} runs; on; off`, 'auto')
    .action(async (queries: string[], opts: { save_dir: string; out: string; title?: string; smoothing: number; metrics?: string; x: string; group: string }) => {
      const smoothing = opts.smoothing;
      if (!(smoothing >= 0 && smoothing < 1)) throw new CliError(`--smoothing must be in [0, 1), got '${opts.smoothing}'`);
      if (opts.x !== 'step' && opts.x !== 'relative') throw new CliError(`--x must be step or relative, got '${opts.x}'`);
      if (!['auto', 'on', 'off'].includes(opts.group)) throw new CliError(`--group must be auto, on or off, got '${opts.group}'`);
      const { store, index } = await loadIndex(opts.save_dir);
      const runs = index.views();
      const picked: typeof runs = [];
      const seen = new Set<string>();
      for (const q of queries) {
        const found = matchRuns(runs, q);
        if (found.length === 0) throw new CliError(`no run '${q}' under ${store.root}`);
        for (const r of found) {
          if (seen.has(r.id)) continue;
          if (!r.meta) throw new CliError(`run '${r.id}' has no readable meta.json: ${r.error ?? ''}`);
          seen.add(r.id);
          picked.push(r);
        }
      }
      const groupIds = new Map<string, string[]>();
      for (const r of picked) {
        const g = index.get(r.id)!.summary.group;
        groupIds.set(g, [...(groupIds.get(g) ?? []), r.id]);
      }
      const grouped = opts.group === 'on' || (opts.group === 'auto' && picked.length > GROUP_AUTO_RUNS && groupIds.size < picked.length);
      if (grouped) {
        if (opts.x !== 'step') throw new CliError('a grouped report draws against step; pass --group off for --x relative');
        if (smoothing) throw new CliError('a grouped report draws group means and bands; pass --group off for --smoothing');
        const metricsWanted = opts.metrics?.split(',').map((s) => s.trim()).filter(Boolean);
        const groups: ReportGroup[] = [];
        for (const ids of groupIds.values()) {
          const sketches = ids.map((id) => index.sketches(id).sketches);
          const keys = new Set(sketches.flatMap((m) => [...m.keys()]));
          const series: ReportGroup['series'] = {};
          for (const k of keys) series[k] = groupSketches(sketches.map((m) => m.get(k)).filter((x) => x !== undefined), GROUP_POINTS);
          groups.push({ label: index.get(ids[0])!.summary.groupLabel, ids, series });
        }
        const html = groupedReportHtml(picked as GroupedReportRun[], groups, { title: opts.title, metrics: metricsWanted, generator: `recur ${VERSION}` });
        return writeReport(opts.out, html, `${picked.length} runs in ${groups.length} groups`);
      }
      const chosen: ReportRun[] = [];
      for (const r of picked) {
        const { rows } = await store.readMetrics(r.id, 0);
        chosen.push({ id: r.id, meta: r.meta!, status: r.status, stats: r.stats, rows });
      }
      const html = reportHtml(chosen, {
        title: opts.title,
        smoothing,
        metrics: opts.metrics?.split(',').map((s) => s.trim()).filter(Boolean),
        xMode: opts.x,
        generator: `recur ${VERSION}`,
      });
      writeReport(opts.out, html, `${chosen.length} run${chosen.length === 1 ? '' : 's'}`);
    });
  addDeprecatedFlag(cmd, 'root', 'save_dir');
}

function writeReport(file: string, html: string, what: string): void {
  const out = path.resolve(file);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, html);
  console.log(`wrote ${out} (${what}), ${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB`);
}
