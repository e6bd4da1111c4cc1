// `recur predict`: the article's predict script. Loads the saved config and latest checkpoint,
// then answers sequences typed at `>>> ` (or given as arguments).
import { Command } from 'commander';
import * as readline from 'node:readline';
import { loadModel } from '../train/load-node.js';
import type { LoadedModel } from '../train/load-node.js';
import { predictOne } from '../train/trainer.js';
import { getTask } from '../tasks/registry.js';
import { RunError } from '../train/run-node.js';
import { CliError } from './errors.js';

/** Parses "1 2 3" (spaces or commas) into digits, or returns a message for the user. */
export function parseSequence(line: string, maxNumber: number): number[] | string {
  const parts = line.trim().split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return `enter digits separated by spaces, e.g. 3 7 1 9 (0..${maxNumber}); 'quit' exits`;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[+-]?\d+$/.test(p)) return `'${p}' is not an integer; enter digits 0..${maxNumber} separated by spaces`;
    const v = Number(p);
    if (v < 0 || v > maxNumber) return `${v} is out of range: digits must be in 0..${maxNumber}`;
    out.push(v);
  }
  return out;
}

function answer(m: LoadedModel, seq: number[]) {
  const task = getTask(m.config.task);
  const { prediction, probability, probs } = predictOne(m.model, task, m.config, seq);
  const bad = probs.find((p) => !Number.isFinite(p));
  if (bad !== undefined) throw new CliError(`the model's output for [${seq.join(', ')}] is ${bad}: its weights overflow in the forward pass (${m.file})`, 3);
  const truth = task.answer(seq, m.config);
  return { sequence: seq, prediction, probability, truth, correct: prediction === truth };
}

function show(r: ReturnType<typeof answer>, modulus: number): string {
  return [
    `sequence:    [${r.sequence.join(', ')}]`,
    `prediction:  ${r.prediction} (probability ${(r.probability * 100).toFixed(1)}%)`,
    `true answer: ${r.truth} (sum mod ${modulus}) ${r.correct ? '✓' : '✗'}`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('answer digit sequences with a trained model (interactive prompt, or one-shot with digits as arguments)')
    .argument('[digits...]', 'a sequence to answer once, e.g. 1 2 3')
    .option('--save_dir <dir>', 'runs root', './output/')
    .option('--run <name|dir>', 'run to load (default: the newest run with a checkpoint)')
    .option('--checkpoint <file>', 'model .safetensors file to load instead')
    .option('--json', 'print JSON')
    .addHelpText('after', `
Interactive: type digits separated by spaces at '>>> '; 'quit' or Ctrl-D exits.
Examples:
  recur predict                      # prompt, newest run in ./output/
  recur predict 1 3 5 1 2 6 9 1 0 2  # one answer
  recur predict --run sota_warmup --json 4 4 4`)
    .action(async (digits: string[], opts: { save_dir: string; run?: string; checkpoint?: string; json?: boolean }) => {
      let m: LoadedModel;
      try {
        m = loadModel({ root: opts.save_dir, run: opts.run, checkpoint: opts.checkpoint });
      } catch (e) {
        throw new CliError((e as Error).message, e instanceof RunError ? e.exitCode : 2);
      }
      const maxNumber = m.config.max_number;
      const modulus = maxNumber + 1;
      if (digits.length > 0) {
        const seq = parseSequence(digits.join(' '), maxNumber);
        if (typeof seq === 'string') throw new CliError(seq);
        const r = answer(m, seq);
        process.stdout.write(opts.json ? JSON.stringify(r) + '\n' : show(r, modulus) + '\n');
        return;
      }
      if (!opts.json) {
        process.stderr.write(`model: ${m.file}${m.step !== null ? ` (step ${m.step})` : ''}; digits 0..${maxNumber}; 'quit' exits\n`);
      }
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
      const prompt = (): void => { if (!opts.json) process.stdout.write('>>> '); };
      prompt();
      for await (const line of rl) {
        const t = line.trim();
        if (t === 'quit' || t === 'exit' || t === 'q') break;
        const seq = parseSequence(t, maxNumber);
        if (typeof seq === 'string') {
          process.stdout.write(opts.json ? JSON.stringify({ error: seq }) + '\n' : seq + '\n');
        } else {
          const r = answer(m, seq);
          process.stdout.write(opts.json ? JSON.stringify(r) + '\n' : show(r, modulus) + '\n');
        }
        prompt();
      }
      rl.close();
      if (!opts.json) process.stdout.write('\n');
    });
}
