// `recur report RUN... --out FILE`: a self-contained HTML page (runs table, config differences,
// SVG charts) of the chosen runs, for sharing without a server.
import { Option, type Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../version.js';
import { DEFAULT_ROOT } from '../track/index.js';
import { reportHtml, type ReportRun } from '../track/report-html.js';
import { matchRuns } from '../track/select.js';
import { addDeprecatedFlag } from './deprecated-flag.js';
import { CliError } from './errors.js';
import { numberArg } from './number-arg.js';
import { loadRuns } from './runs.js';

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
    .action(async (queries: string[], opts: { save_dir: string; out: string; title?: string; smoothing: number; metrics?: string; x: string }) => {
      const smoothing = opts.smoothing;
      if (!(smoothing >= 0 && smoothing < 1)) throw new CliError(`--smoothing must be in [0, 1), got '${opts.smoothing}'`);
      if (opts.x !== 'step' && opts.x !== 'relative') throw new CliError(`--x must be step or relative, got '${opts.x}'`);
      const { store, runs } = await loadRuns(opts.save_dir);
      const chosen: ReportRun[] = [];
      for (const q of queries) {
        const found = matchRuns(runs, q);
        if (found.length === 0) throw new CliError(`no run '${q}' under ${store.root}`);
        for (const r of found) {
          if (chosen.some((c) => c.id === r.id)) continue;
          if (!r.meta) throw new CliError(`run '${r.id}' has no readable meta.json: ${r.error ?? ''}`);
          const { rows } = await store.readMetrics(r.id, 0);
          chosen.push({ id: r.id, meta: r.meta, status: r.status, stats: r.stats, rows });
        }
      }
      const html = reportHtml(chosen, {
        title: opts.title,
        smoothing,
        metrics: opts.metrics?.split(',').map((s) => s.trim()).filter(Boolean),
        xMode: opts.x,
        generator: `recur ${VERSION}`,
      });
      const out = path.resolve(opts.out);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, html);
      console.log(`wrote ${out} (${chosen.length} run${chosen.length === 1 ? '' : 's'})`);
    });
  addDeprecatedFlag(cmd, 'root', 'save_dir');
}
