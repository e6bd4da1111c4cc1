// The only code that reads argv. Each sub-command lives in its own file and exports
// `register(program)`; this file wires them and turns errors into one-line messages.
import * as fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { CliError } from './errors.js';
import { FLAGS } from '../train/config.js';
import { watchLauncher } from './launcher-watch.js';

// snake_case flags of commands other than train.
const EXTRA_SNAKE_FLAGS = [
  'per_length', 'test_samples', 'test_seed', 'test_lengths', 'test_per_length', 'retry_failed', 'queue_name', 'lock_ms', 'stalled_ms',
];

type Registrar = (program: Command) => void;

// Sub-command modules are loaded lazily so that `recur --help` stays fast and a module
// that is missing (not built yet) does not break the others.
const COMMANDS = ['train', 'predict', 'eval', 'runs', 'dashboard', 'report', 'sweep', 'reproduce', 'worker'];

/** `--hidden-dim 32` and `--hidden-dim=32` mean `--hidden_dim 32` for every snake_case flag. */
export function normalizeFlags(argv: string[], known: ReadonlySet<string>): string[] {
  return argv.map((a) => {
    if (!a.startsWith('--') || !a.slice(2).includes('-')) return a;
    const eq = a.indexOf('=');
    const name = (eq < 0 ? a.slice(2) : a.slice(2, eq)).replace(/-/g, '_');
    if (!known.has(name)) return a;
    return `--${name}${eq < 0 ? '' : a.slice(eq)}`;
  });
}

export async function main(rawArgv: string[]): Promise<number> {
  // `recur runs | head`: a closed pipe ends the output quietly instead of crashing.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  const argv = normalizeFlags(rawArgv, new Set([...FLAGS.map((f) => f.key as string), ...EXTRA_SNAKE_FLAGS]));
  const verbose = argv.includes('--verbose');
  const program = new Command('recur')
    .description("PyTorch's recurrent stack in TypeScript: train, predict, evaluate and track RNN/LSTM/GRU models on the article's seq-sum-mod task.")
    .version(VERSION)
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const name of COMMANDS) {
    let mod: { register: Registrar };
    try {
      mod = (await import(`./${name}.js`)) as { register: Registrar };
    } catch (e) {
      // A command whose module is absent from this build is simply not offered.
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(`/${name}.js`)) {
        if (verbose) console.error(`recur: command '${name}' is not available in this build`);
        continue;
      }
      throw e;
    }
    mod.register(program);
  }
  // Orphaned by a killed `npx` (src/cli/launcher-watch.ts): stop as on SIGTERM — a trainer after a
  // checkpoint with its run marked interrupted, a sweep or worker after checkpointing its trials,
  // the dashboard closing its port.
  const watch = watchLauncher((launcher) => {
    process.kill(process.pid, 'SIGTERM');
    try {
      fs.writeSync(2, `recur: the ${launcher} process that started this command is gone; stopping\n`);
    } catch {
      /* no stderr left to tell */
    }
  });
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
  } finally {
    watch?.stop();
  }
}
