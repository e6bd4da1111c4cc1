// `recur eval`: accuracy on fresh samples and per sequence length (also beyond training lengths).
import { Command, Option } from 'commander';
import { loadModel } from '../train/load-node.js';
import { evalWork, evaluateModel, MAX_EVAL_LENGTH, parseLengths } from '../train/evaluate.js';
import { formatDuration } from '../train/progress.js';
import { RunError } from '../train/run-node.js';
import { CliError } from './errors.js';
import { numberArg } from './number-arg.js';

/**
 * Work bound: sequence steps × model parameters (a step costs about one multiply-add per
 * recurrent weight). Measured on one core: ~1.1e9/s for the article's baseline (728 parameters),
 * ~1.5e9/s for the robust preset (223k), so 1e12 is 10–15 minutes; more is refused.
 */
export const MAX_EVAL_COST = 1e12;
/** Below this cost (about two seconds) a non-terminal stderr gets no progress lines. */
const QUIET_COST = 2e9;

const fmt = (v: number) => v.toLocaleString('en-US');
const sci = (v: number) => v.toExponential(1).replace('.0e', 'e').replace('e+', 'e');

/** Progress on stderr: one redrawn line on a terminal, otherwise a line per 10% of long work. */
class EvalProgress {
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private nextTenth = 1;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream, private readonly lengths: number[], private readonly show: boolean) {}

  update(done: number, total: number, length: number | null): void {
    if (!this.show) return;
    const now = performance.now();
    const secs = (now - this.t0) / 1000;
    const frac = total > 0 ? done / total : 1;
    const eta = frac > 0 ? (secs * (1 - frac)) / frac : NaN;
    const where = length === null ? 'training lengths' : `length ${fmt(length)} (${this.lengths.indexOf(length) + 1}/${this.lengths.length})`;
    const text = `eval: ${(frac * 100).toFixed(0)}% ${where}, ${formatDuration(secs)} elapsed, ETA ${formatDuration(eta)}`;
    if (this.out.isTTY) {
      if (now - this.lastDraw < 100 && frac < 1) return;
      this.lastDraw = now;
      this.drawn = true;
      this.out.write(`\r\x1b[2K${text}`);
    } else if (frac * 10 >= this.nextTenth) {
      while (frac * 10 >= this.nextTenth) this.nextTenth++;
      this.out.write(text + '\n');
    }
  }

  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
  }
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('accuracy of a trained model on fresh samples, overall and per sequence length')
    .option('--save_dir <dir>', 'runs root', './output/')
    .option('--run <name|dir>', 'run to load (default: the newest run with a checkpoint)')
    .option('--checkpoint <file>', 'model .safetensors file to load instead')
    .addOption(new Option('--samples <n>', 'samples at the training lengths').argParser(numberArg('--samples', { integer: true, min: 1 })).default(2000))
    .option('--lengths <spec>', `sequence lengths to test, e.g. 2..50 or 10,20,50 (each at most ${fmt(MAX_EVAL_LENGTH)})`, '2..50')
    .addOption(new Option('--per_length <n>', 'samples per length').argParser(numberArg('--per_length', { integer: true, min: 1 })).default(200))
    .addOption(new Option('--seed <n>', 'seed of the evaluation samples').argParser(numberArg('--seed', { integer: true, min: 0 })).default(1234))
    .option('--json', 'print JSON')
    .addHelpText('after', `
The work is (samples × training length + per_length × each length) sequence steps, each costing
about one multiply-add per model parameter. Above ${sci(MAX_EVAL_COST)} multiply-adds (10–15 minutes on one core)
eval refuses to start: test fewer lengths (e.g. 10,100,1000) or fewer samples per length.
Long evaluations show their progress on stderr.
Examples:
  recur eval                                  # the newest run, lengths 2..50
  recur eval --run sota_warmup --lengths 10,20,50,100 --json`)
    .action((opts: { save_dir: string; run?: string; checkpoint?: string; samples: number; lengths: string; per_length: number; seed: number; json?: boolean }) => {
      let lengths: number[];
      try {
        lengths = parseLengths(opts.lengths);
      } catch (e) {
        throw new CliError(`--lengths: ${(e as Error).message}`);
      }
      let m;
      try {
        m = loadModel({ root: opts.save_dir, run: opts.run, checkpoint: opts.checkpoint });
      } catch (e) {
        throw new CliError((e as Error).message, e instanceof RunError ? e.exitCode : 2);
      }
      const work = evalWork(m.config, { samples: opts.samples, lengths, samplesPerLength: opts.per_length });
      const params = m.model.numParameters();
      const cost = work * params;
      if (cost > MAX_EVAL_COST) {
        throw new CliError(
          `--lengths ${opts.lengths} with --per_length ${opts.per_length} is ${fmt(work)} sequence steps × ${fmt(params)} parameters ≈ ${sci(cost)} multiply-adds, ` +
            `above the limit of ${sci(MAX_EVAL_COST)} (10–15 minutes): test fewer lengths (e.g. 10,100,1000) or lower --per_length`,
        );
      }
      const progress = new EvalProgress(process.stderr, lengths, process.stderr.isTTY || cost >= QUIET_COST);
      let rep;
      try {
        rep = evaluateModel(m.model, m.config, { samples: opts.samples, seed: opts.seed, lengths, samplesPerLength: opts.per_length, onProgress: (d, t, len) => progress.update(d, t, len) });
      } finally {
        progress.clear();
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ model: m.file, step: m.step, ...rep }) + '\n');
        return;
      }
      const c = m.config;
      process.stdout.write(`model: ${m.file}${m.step !== null ? ` (step ${m.step})` : ''}\n`);
      process.stdout.write(`accuracy on ${rep.samples} fresh samples (lengths ${c.min_seq_len}..${c.max_seq_len}): ${(rep.accuracy * 100).toFixed(2)}%\n\n`);
      process.stdout.write(`length  accuracy  (${opts.per_length} samples each; trained on ${c.min_seq_len}..${c.max_seq_len})\n`);
      for (const r of rep.byLength) {
        const bar = '▇'.repeat(Math.round(r.accuracy * 20));
        process.stdout.write(`${String(r.length).padStart(6)}  ${(r.accuracy * 100).toFixed(1).padStart(7)}%  ${bar}${r.length > c.max_seq_len ? '' : '  (trained)'}\n`);
      }
    });
}
