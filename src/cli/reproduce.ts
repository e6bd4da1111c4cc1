// `recur reproduce`: the article's six experiments (PRESETS) over several seeds as a built-in sweep,
// with the convergence table the article could not give (it ran each setting once or three times).
import { Command, Option } from 'commander';
import { ARTICLE_EXPERIMENTS, DEFAULT_CONFIG, PRESETS } from '../train/config.js';
import { parseSeeds, planTrials, presetSettings } from '../sweep/plan.js';
import type { Setting } from '../sweep/plan.js';
import { addRunOptions, addTestOptions, execute, intArg, testSpec } from './sweep.js';
import { addDeprecatedFlag } from './deprecated-flag.js';
import { CliError } from './errors.js';

const ARTICLE_STEPS = DEFAULT_CONFIG.total_steps; // 20,000

/**
 * Deprecated names of the test-set flags, accepted with a note: [old, current]. The current names
 * are sweep's; --eval_samples/--eval_seed in `recur train` and `recur sweep` are the training's
 * periodic evaluation, another concept.
 */
const DEPRECATED_TEST_FLAGS: ReadonlyArray<[string, string]> = [
  ['eval_samples', 'test_samples'],
  ['eval_seed', 'test_seed'],
  ['lengths', 'test_lengths'],
  ['per_length', 'test_per_length'],
];

/** `--seeds 5` → 0..4; a range or list (`3-7`, `0,2`) is taken as the seeds themselves. */
export function reproduceSeeds(raw: string): number[] {
  if (/^\s*\d+\s*$/.test(raw)) {
    const n = Number(raw);
    if (n < 1) throw new Error(`--seeds expects a count ≥ 1 or a list/range of seeds, got '${raw}'`);
    return Array.from({ length: n }, (_, i) => i);
  }
  return parseSeeds(raw);
}

/**
 * The experiments at `steps` training steps. The article's warm-up (2,000 of 20,000 steps) is
 * scaled with shorter runs so that it stays a tenth of training (and below total_steps).
 */
export function reproduceSettings(names: readonly string[], steps: number): Setting[] {
  return presetSettings(names, { total_steps: steps }).map((s) => {
    const w = PRESETS[s.preset!].warmup_step;
    if (w && steps !== ARTICLE_STEPS) return { ...s, overrides: { ...s.overrides, warmup_step: Math.max(1, Math.round((w * steps) / ARTICLE_STEPS)) } };
    return s;
  });
}

export function register(program: Command): void {
  const cmd = program
    .command('reproduce')
    .description("the article's six experiments over several seeds: accuracy, convergence rate, step to 90%, accuracy at lengths 10/20/50")
    .option('--seeds <n>', 'seeds per experiment: a count (seeds 0..n-1) or a list/range such as 5-9', '5')
    .addOption(new Option('--steps <n>', `training steps per run (the article: ${ARTICLE_STEPS}; warm-up is scaled to stay 10%)`).argParser(intArg('--steps')).default(ARTICLE_STEPS))
    .option('--experiments <list>', `comma-separated presets (default: the article's six): ${Object.keys(PRESETS).join(', ')}`)
    .option('--save_dir <dir>', 'runs root; the study goes in <save_dir>/<name>/', './output/')
    .option('--name <name>', `study name (default: reproduce, or reproduce-<steps> with --steps)`);
  addTestOptions(cmd);
  for (const [old, now] of DEPRECATED_TEST_FLAGS) addDeprecatedFlag(cmd, old, now);
  addRunOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Each run is a tracked run in <save_dir>/<name>/<experiment>_seed-<n>; the table is printed and saved
as summary.md / summary.json next to report.html (charts: mean and min–max band per experiment).
Re-running the same command resumes where it stopped.
Examples:
  recur reproduce                          # 6 experiments × 5 seeds × 20,000 steps
  recur reproduce --seeds 3 --steps 5000 --workers 2
  recur reproduce --experiments sota,sota_warmup --seeds 10
  recur reproduce --queue redis://10.0.0.5:6379   # then: recur worker --queue redis://10.0.0.5:6379`,
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    let seeds: number[];
    try {
      seeds = reproduceSeeds(String(opts.seeds));
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const steps = opts.steps as number;
    const names = opts.experiments ? String(opts.experiments).split(',').map((s) => s.trim()).filter(Boolean) : [...ARTICLE_EXPERIMENTS];
    let settings: Setting[];
    try {
      settings = reproduceSettings(names, steps);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const trials = planTrials(settings, {}, seeds);
    const name = (opts.name as string | undefined) ?? (steps === ARTICLE_STEPS ? 'reproduce' : `reproduce-${steps}`);
    await execute({
      name,
      kind: 'reproduce',
      saveDir: String(opts.save_dir),
      trials,
      test: testSpec(opts),
      spec: { experiments: names, seeds, steps },
      opts: opts as never,
    });
  });
}
