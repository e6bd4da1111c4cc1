// `recur worker --queue redis://...`: runs the trials that `recur sweep|reproduce --queue` enqueue.
import { Command, Option } from 'commander';
import { DEFAULT_QUEUE_NAME, defaultWorkers } from '../sweep/pool-node.js';
import { intArg } from './sweep.js';
import { CliError } from './errors.js';
import { loadQueue } from './queue-deps.js';

function envMs(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 100) throw new CliError(`${name} must be a number of milliseconds ≥ 100, got '${v}'`);
  return Number(v);
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run queued sweep trials (from `recur sweep|reproduce --queue`) on this machine until stopped')
    .requiredOption('--queue <url>', 'Redis of the queue, e.g. redis://10.0.0.5:6379')
    .option('--queue_name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .addOption(new Option('--concurrency <n>', `trials at once (default: ${defaultWorkers()}, the number of cores)`).argParser(intArg('--concurrency')))
    .option('--save_dir <dir>', "runs root on this machine: trials go in <save_dir>/<sweep>/<trial>", './output/')
    .addOption(new Option('--lock_ms <ms>', 'job lock; a dead worker\'s trial is retried elsewhere after this long (env RECUR_QUEUE_LOCK_MS; default 30000)').argParser(intArg('--lock_ms', 100)))
    .addOption(new Option('--stalled_ms <ms>', 'how often to look for dead workers\' jobs (env RECUR_QUEUE_STALLED_MS; default 30000)').argParser(intArg('--stalled_ms', 100)))
    .addHelpText(
      'after',
      `
Each trial runs in a child process as a normal tracked run in <save_dir>/<sweep>/<trial> on this
machine; its result (test accuracy, run directory, host) goes back to the enqueuing process through
the job's return value. Ctrl-C: running trials save a checkpoint and are queued again (a worker on
this machine resumes them from the checkpoint; elsewhere they restart).
Example:
  recur worker --queue redis://10.0.0.5:6379 --concurrency 2 --save_dir /data/runs`,
    )
    .action(async (opts: { queue: string; queue_name: string; concurrency?: number; save_dir: string; lock_ms?: number; stalled_ms?: number }) => {
      // Loaded here, not at the top: bullmq and ioredis are optional, and cost ~0.2 s of start-up.
      const { runWorker } = await loadQueue('recur worker');
      try {
        await runWorker({
          url: opts.queue,
          queueName: opts.queue_name,
          saveDir: opts.save_dir,
          concurrency: opts.concurrency ?? defaultWorkers(),
          lockMs: opts.lock_ms ?? envMs('RECUR_QUEUE_LOCK_MS'),
          stalledMs: opts.stalled_ms ?? envMs('RECUR_QUEUE_STALLED_MS'),
        });
      } catch (e) {
        if (['QueueError', 'UnusableDirError'].includes((e as Error).name)) throw new CliError((e as Error).message);
        throw e;
      }
    });
}
