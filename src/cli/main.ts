// The only code that reads argv. Each sub-command lives in its own file and exports
// `register(program)`; this file wires them and turns errors into one-line messages.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { CliError } from './errors.js';

type Registrar = (program: Command) => void;

// Sub-command modules are loaded lazily so that `recur --help` stays fast and a module
// that is missing (not built yet) does not break the others.
const COMMANDS: Array<[string, () => Promise<{ register: Registrar }>]> = [
  ['train', () => import('./train.js')],
  ['predict', () => import('./predict.js')],
  ['eval', () => import('./eval.js')],
  ['runs', () => import('./runs.js')],
  ['dashboard', () => import('./dashboard.js')],
  ['report', () => import('./report.js')],
  ['sweep', () => import('./sweep.js')],
  ['reproduce', () => import('./reproduce.js')],
  ['worker', () => import('./worker.js')],
];

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const program = new Command('recur')
    .description("PyTorch's recurrent stack in TypeScript: train, predict, evaluate and track RNN/LSTM/GRU models on the article's seq-sum-mod task.")
    .version(VERSION)
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const [, load] of COMMANDS) {
    let mod: { register: Registrar } | undefined;
    try {
      mod = await load();
    } catch (e) {
      if (verbose) console.error(e);
      continue;
    }
    mod.register(program);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (and help for --help / --version).
      return e.exitCode;
    }
    if (verbose) console.error(e);
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`recur: ${msg}`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}
