// `recur train`: the article's training script. Flags and defaults come from src/train/config.ts.
import { Command, Option } from 'commander';
import { DEFAULT_CONFIG, FLAGS, PRESETS, parseFlagValue, resolveConfig } from '../train/config.js';
import type { TrainConfig } from '../train/config.js';
import { runTraining, RunError } from '../train/run-node.js';
import { availableParallelism } from 'node:os';

/** Threads a training run uses by default: 2 where the machine has two cores or more. */
const defaultThreads = (): number => Math.min(2, availableParallelism());
import { CliError } from './errors.js';

/**
 * Adds every training flag, its help saying its default. With `--preset <name>` on the same command
 * line (before or after --help), the help shows that preset's values as the defaults instead.
 */
export function addTrainFlags(cmd: Command): Command {
  const opts: Array<[typeof FLAGS[number], Option]> = [];
  const describe = (defaults: TrainConfig, preset: string | null) => {
    for (const [spec, opt] of opts) {
      const def = defaults[spec.key];
      const fromPreset = preset !== null && PRESETS[preset] !== undefined && spec.key in PRESETS[preset];
      const text = def === null ? (spec.defaultText ?? 'none') : String(def);
      opt.description = `${spec.help} (default: ${text}${fromPreset ? `, from --preset ${preset}` : ''})`;
    }
  };
  for (const spec of FLAGS) {
    const placeholder = spec.kind === 'bool' ? '[bool]' : `<${spec.kind === 'choice' ? spec.choices!.join('|') : spec.kind === 'string' ? 'value' : spec.kind}>`;
    const opt = new Option(`--${spec.key} ${placeholder}`);
    opt.argParser((raw: string | undefined) => {
      try {
        return spec.kind === 'bool' && raw === undefined ? true : parseFlagValue(spec, String(raw));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    });
    cmd.addOption(opt);
    opts.push([spec, opt]);
  }
  describe(DEFAULT_CONFIG, null);
  cmd.on('option:preset', (name: string) => {
    if (PRESETS[name] !== undefined) describe({ ...DEFAULT_CONFIG, ...PRESETS[name], run_name: name } as TrainConfig, name);
  });
  return cmd;
}

/** The training flags the user actually gave, keyed like TrainConfig. */
export function givenFlags(opts: Record<string, unknown>): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const spec of FLAGS) if (opts[spec.key] !== undefined) out[spec.key] = opts[spec.key];
  return out as Partial<TrainConfig>;
}

/** --threads: '1' or '2' (undefined: this machine's default). */
function parseThreads(v: unknown): number {
  if (v === undefined) return defaultThreads();
  if (v !== '1' && v !== '2') throw new CliError(`--threads expects 1 or 2, got '${String(v)}'`);
  return Number(v);
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train the article\'s RnnClsNet on seq-sum-mod (defaults: the article\'s baseline, or the --preset\'s)')
    .option('--preset <name>', `start from a named experiment: ${Object.keys(PRESETS).join(', ')}`)
    .option('--resume <dir>', 'continue the run in <dir> from its latest checkpoint (bit-exact)')
    .option('--json', 'print one JSON object per line (logged steps, evaluations, final result)')
    .option('--threads <n>', `threads for each training step, 1 or 2 (default here: ${defaultThreads()}); the results are bit-identical either way`)
    .addHelpText('after', `
Flags also accept kebab-case (--hidden-dim 32). Every run gets a directory <save_dir>/<run_name>
(-2, -3, ... when taken) with config.json, meta.json, metrics.jsonl and checkpoints/.
Examples:
  recur train                                   # the article's baseline, 20,000 steps
  recur train --preset sota_warmup --seed 1
  recur train --hidden_dim 32 --num_layers 3 --batch_size 64 --lr 0.005 --run_name sota
  recur train --resume output/sota`);
  addTrainFlags(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const given = givenFlags(opts);
    let config: TrainConfig;
    if (opts.resume) {
      const keys = Object.keys(given);
      if (keys.length || opts.preset) {
        throw new CliError(`--resume continues a run with its saved config; it cannot be combined with ${[...keys.map((k) => `--${k}`), ...(opts.preset ? ['--preset'] : [])].join(', ')}`);
      }
      config = { ...DEFAULT_CONFIG };
    } else {
      try {
        config = resolveConfig(given, opts.preset as string | undefined);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    }
    // A ramp of σ = 0 is a no-op that a sweep grid may produce on purpose; typed by hand it is a slip.
    if ((given.state_noise_ramp ?? 0) > 0 && config.state_noise === 0) {
      process.stderr.write(`warning: --state_noise_ramp ${given.state_noise_ramp} has no effect while --state_noise is 0 (no state noise)\n`);
    }
    try {
      const r = await runTraining(config, { resumeDir: opts.resume as string | undefined, json: Boolean(opts.json), threads: parseThreads(opts.threads) });
      process.exitCode = r.status === 'finished' ? 0 : r.status === 'interrupted' ? 130 : 3;
    } catch (e) {
      if (e instanceof RunError) throw new CliError(e.message, e.exitCode);
      throw e;
    }
  });
}
