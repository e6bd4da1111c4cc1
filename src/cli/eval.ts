// `recur eval`: accuracy on fresh samples and per sequence length (also beyond training lengths).
import { Command } from 'commander';
import { loadModel } from '../train/load-node.js';
import { evaluateModel, parseLengths } from '../train/evaluate.js';
import { RunError } from '../train/run-node.js';
import { CliError } from './errors.js';

function positiveInt(name: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new CliError(`${name} expects a positive integer, got '${raw}'`);
    return Number(raw);
  };
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('accuracy of a trained model on fresh samples, overall and per sequence length')
    .option('--save_dir <dir>', 'runs root', './output/')
    .option('--run <name|dir>', 'run to load (default: the newest run with a checkpoint)')
    .option('--checkpoint <file>', 'model .safetensors file to load instead')
    .option('--samples <n>', 'samples at the training lengths', positiveInt('--samples'), 2000)
    .option('--lengths <spec>', 'sequence lengths to test, e.g. 2..50 or 10,20,50', '2..50')
    .option('--per_length <n>', 'samples per length', positiveInt('--per_length'), 200)
    .option('--seed <n>', 'seed of the evaluation samples', positiveInt('--seed'), 1234)
    .option('--json', 'print JSON')
    .action((opts: { save_dir: string; run?: string; checkpoint?: string; samples: number; lengths: string; per_length: number; seed: number; json?: boolean }) => {
      let lengths: number[];
      try {
        lengths = parseLengths(opts.lengths);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      let m;
      try {
        m = loadModel({ root: opts.save_dir, run: opts.run, checkpoint: opts.checkpoint });
      } catch (e) {
        throw new CliError((e as Error).message, e instanceof RunError ? e.exitCode : 2);
      }
      const rep = evaluateModel(m.model, m.config, { samples: opts.samples, seed: opts.seed, lengths, samplesPerLength: opts.per_length });
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
