// `recur sweep`: a grid of training-flag values × seeds, each trial a normal tracked run, in
// parallel child processes (or through a BullMQ queue), resumable, with a summary per setting.
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { PRESETS } from '../train/config.js';
import type { TrainConfig } from '../train/config.js';
import { parseLengths } from '../train/evaluate.js';
import { gridSettings, parseGridArg, parseSeeds, parseSpecObject, planTrials } from '../sweep/plan.js';
import type { GridAxis, Trial } from '../sweep/plan.js';
import { DEFAULT_TEST } from '../sweep/results.js';
import type { TestSpec } from '../sweep/results.js';
import { DEFAULT_QUEUE_NAME, defaultWorkers, LocalPool } from '../sweep/pool-node.js';
import type { Executor } from '../sweep/pool-node.js';
import { runSweep, SweepError } from '../sweep/runner-node.js';
import { SweepStateError } from '../sweep/state-node.js';
import { addTrainFlags, givenFlags } from './train.js';
import { CliError } from './errors.js';
import { numberArg, parseNumberArg } from './number-arg.js';
import { loadQueue } from './queue-deps.js';

export function intArg(name: string, min = 1) {
  return numberArg(name, { integer: true, min });
}

export function fractionArg(name: string) {
  return (raw: string): number => {
    const v = parseNumberArg(name, raw);
    if (!(v > 0 && v <= 1)) throw new CliError(`${name} expects a number in (0, 1], got '${raw}'`);
    return v;
  };
}

export function lengthsArg(name: string) {
  return (raw: string): number[] => {
    try {
      return parseLengths(raw);
    } catch (e) {
      throw new CliError(`${name}: ${(e as Error).message}`);
    }
  };
}

/** Options shared by `recur sweep` and `recur reproduce`: execution and output. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--workers <n>', `trials run at once on this machine (default: ${defaultWorkers()}, the number of cores)`).argParser(intArg('--workers')))
    .option('--queue <url>', 'enqueue the trials in BullMQ on this Redis (redis://host:port) for `recur worker` processes instead of running them here')
    .option('--queue_name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option('--retry_failed', 'on resume, run failed trials again (by default they stay failed)')
    .option('--json', 'print one JSON object per line (plan, trial start/end, summary)');
}

export async function makeExecutor(opts: { workers?: number; queue?: string; queue_name?: string; retry_failed?: boolean }): Promise<Executor> {
  if (opts.queue) {
    if (opts.workers !== undefined) throw new CliError('--workers is for the local pool; with --queue, start `recur worker --concurrency N` processes');
    // Loaded only when a queue is used: bullmq and ioredis are optional, and cost ~0.2 s of start-up.
    const { QueueExecutor } = await loadQueue('--queue');
    return new QueueExecutor({ url: opts.queue, queueName: opts.queue_name, retryFailed: !!opts.retry_failed });
  }
  return new LocalPool(opts.workers ?? defaultWorkers());
}

/** Runs a planned sweep and turns its outcome into the exit code (130 when interrupted). */
export async function execute(o: {
  name: string;
  kind: 'sweep' | 'reproduce';
  saveDir: string;
  trials: Trial[];
  test: TestSpec;
  spec: Record<string, unknown>;
  opts: { workers?: number; queue?: string; queue_name?: string; retry_failed?: boolean; json?: boolean };
}): Promise<void> {
  try {
    const executor = await makeExecutor(o.opts);
    const r = await runSweep({ ...o, executor, retryFailed: !!o.opts.retry_failed, json: !!o.opts.json });
    process.exitCode = r.interrupted ? 130 : 0;
  } catch (e) {
    if (e instanceof SweepError || e instanceof SweepStateError || ['QueueError', 'UnusableDirError'].includes((e as Error).name)) throw new CliError((e as Error).message);
    throw e;
  }
}

async function readSpecFile(file: string) {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --spec ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let obj: unknown;
  // Loaded on use: the YAML parser costs every command ~0.1 s of start-up.
  const { parse: parseYaml } = await import('yaml');
  try {
    obj = parseYaml(text); // YAML is a superset of JSON: one parser for both
  } catch (e) {
    throw new CliError(`--spec ${file} is not valid JSON/YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return parseSpecObject(obj, file);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/**
 * The fixed test set every finished trial is scored on (`recur sweep` and `recur reproduce`: the
 * same flags). Not `--eval_*`: those are the training flags of the periodic evaluation.
 */
export function addTestOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--test_samples <n>', `test-set samples at the training lengths, scored after training (default: ${DEFAULT_TEST.samples})`).argParser(intArg('--test_samples')))
    .addOption(new Option('--test_seed <n>', `seed of the fixed test set, the same for every trial (default: ${DEFAULT_TEST.seed})`).argParser(intArg('--test_seed', 0)))
    .addOption(new Option('--test_lengths <list>', `extra test lengths, e.g. 10,20,50 (default: ${DEFAULT_TEST.lengths.join(',')})`).argParser(lengthsArg('--test_lengths')))
    .addOption(new Option('--test_per_length <n>', `test samples per extra length (default: ${DEFAULT_TEST.perLength})`).argParser(intArg('--test_per_length')))
    .addOption(new Option('--threshold <x>', `test accuracy that counts as converged (default: ${DEFAULT_TEST.threshold})`).argParser(fractionArg('--threshold')))
    .addOption(new Option('--reach <x>', `accuracy whose first logged step is reported (default: ${DEFAULT_TEST.reach})`).argParser(fractionArg('--reach')));
}

/** The test set from addTestOptions' flags (defaults where not given). */
export function testSpec(opts: Record<string, unknown>): TestSpec {
  return {
    samples: (opts.test_samples as number | undefined) ?? DEFAULT_TEST.samples,
    seed: (opts.test_seed as number | undefined) ?? DEFAULT_TEST.seed,
    lengths: (opts.test_lengths as number[] | undefined) ?? DEFAULT_TEST.lengths,
    perLength: (opts.test_per_length as number | undefined) ?? DEFAULT_TEST.perLength,
    threshold: (opts.threshold as number | undefined) ?? DEFAULT_TEST.threshold,
    reach: (opts.reach as number | undefined) ?? DEFAULT_TEST.reach,
  };
}

/** Default sweep name from what it varies, so re-running the same command finds the same sweep. */
export function defaultSweepName(preset: string | undefined, grid: readonly GridAxis[]): string {
  const parts = [...(preset ? [preset] : []), ...grid.map((a) => a.key)];
  return `sweep-${parts.join('-') || 'seeds'}`.slice(0, 90);
}

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('train a grid of flag values × seeds in parallel, each trial a tracked run; resumable; ends with a table per setting')
    .option('--grid <key=v1,v2,...>', 'a flag and the values to try (repeatable; the grid is every combination)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--seeds <list>', 'seeds per setting: ranges and lists, e.g. 0-9 or 0,3,7 (default: 0-4)')
    .option('--spec <file>', 'JSON or YAML file: { name, preset, base: {flag: value}, grid: {flag: [values]}, seeds }')
    .option('--preset <name>', `base settings from a named experiment: ${Object.keys(PRESETS).join(', ')}`)
    .option('--name <name>', 'sweep name: its directory under --save_dir (default: from the preset and grid keys)');
  addTestOptions(cmd);
  addRunOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Training flags (below the sweep options) set the base of every trial; --grid values and the seed go
on top. Trials are runs in <save_dir>/<name>/<trial>, named from their settings
(lr-0.005_warmup_step-2000_seed-3); the sweep's state, summary.{json,md} and report.html are in
<save_dir>/<name>/. Re-running the same command resumes: finished trials are kept, interrupted
ones continue from their last checkpoint.
Examples:
  recur sweep --grid 'lr=0.001,0.005' --grid 'warmup_step=0,2000' --seeds 0-9
  recur sweep --preset sota --grid 'cell=rnn,gru,lstm' --grid 'clip_grad_norm=0,1' --seeds 0-19 --total_steps 5000
  recur sweep --spec sweeps/robust.yaml --workers 2
  recur sweep --grid 'lr=0.001,0.005' --queue redis://127.0.0.1:6379     # run by recur worker processes`,
  );
  addTrainFlags(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const given = givenFlags(opts);
    if (given.seed !== undefined) throw new CliError('use --seeds to choose the seeds of a sweep (e.g. --seeds 0-9)');
    if (given.run_name !== undefined) throw new CliError('trials are named from their settings; name the sweep with --name');
    const saveDir = (given.save_dir as string | undefined) ?? './output/';
    delete given.save_dir;
    const spec = opts.spec ? await readSpecFile(String(opts.spec)) : { base: {}, grid: [] as GridAxis[], seeds: undefined, name: undefined, preset: undefined };
    let cliGrid: GridAxis[];
    let seeds: number[];
    try {
      cliGrid = (opts.grid as string[]).map(parseGridArg);
      seeds = opts.seeds !== undefined ? parseSeeds(String(opts.seeds)) : (spec.seeds ?? parseSeeds('0-4'));
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const seen = new Set<string>();
    for (const a of cliGrid) {
      if (seen.has(a.key)) throw new CliError(`--grid ${a.key} is given twice`);
      seen.add(a.key);
    }
    // Command-line axes replace spec axes of the same flag, keeping the spec's order.
    const grid = [...spec.grid.map((a) => cliGrid.find((c) => c.key === a.key) ?? a), ...cliGrid.filter((c) => !spec.grid.some((a) => a.key === c.key))];
    const preset = (opts.preset as string | undefined) ?? spec.preset;
    if (preset !== undefined && !PRESETS[preset]) throw new CliError(`unknown preset '${preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
    const base: Partial<TrainConfig> = { ...spec.base, ...given };
    const name = (opts.name as string | undefined) ?? spec.name ?? defaultSweepName(preset, grid);
    let trials: Trial[];
    try {
      trials = planTrials(gridSettings(grid, preset), base, seeds);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    await execute({
      name,
      kind: 'sweep',
      saveDir,
      trials,
      test: testSpec(opts),
      spec: { ...(preset ? { preset } : {}), base, grid: Object.fromEntries(grid.map((a) => [a.key, a.values])), seeds },
      opts: opts as never,
    });
  });
}
