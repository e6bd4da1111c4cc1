// A whole training run on Node: run directory and tracking, config.json, checkpoints, resume,
// init_from, progress, Ctrl-C and NaN handling. Used by `recur train` and by sweep workers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import { NonFiniteOutputError, Trainer, usableReason } from './trainer.js';
import '../runtime/threads/start-node.js';
import { setNumThreads, threadCounts } from '../runtime/threads/pool.js';
import { kernelVariant } from '../runtime/wasm/variant.js';
import type { StepResult } from './trainer.js';
import type { TrainConfig } from './config.js';
import { validateConfig } from './config.js';
import { latestCheckpoint, readModelFile, readTrainerFile, saveCheckpoint } from './checkpoint-node.js';
import { ProgressBar, formatDuration } from './progress.js';
import { init as initRun, UnusableDirError } from '../track/index.js';
import { VERSION } from '../version.js';

export interface RunOptions {
  /** Continue the run in this directory from its latest checkpoint. */
  resumeDir?: string;
  /** Machine-readable JSON lines on `out` instead of text. */
  json?: boolean;
  /** Where lines go (default process.stdout); progress goes to `err` when it is a TTY. */
  out?: { write(s: string): unknown };
  err?: { write(s: string): unknown; isTTY?: boolean };
  /** Install SIGINT/SIGTERM handlers that stop after a checkpoint (default true). */
  handleSignals?: boolean;
  /** Tracking project name. */
  project?: string;
  /** Extra summary fields (e.g. sweep trial info). */
  tags?: Record<string, unknown>;
  /**
   * Threads for the training step: 1, or 2 (a worker thread walks part of each big enough layer's
   * sequences; src/kernels/packed-layer32.ts). Results are bit-identical either way. It is the
   * process's setting (setNumThreads), and stays set after the run. Default 1 (sweeps already run a
   * trial per core); `recur train` defaults to min(2, cores).
   */
  threads?: number;
}

export interface RunResult {
  runDir: string;
  status: 'finished' | 'failed' | 'interrupted';
  step: number;
  accuracy: number | null;
  seconds: number;
  stepsPerSecond: number;
  finalLoss: number | null;
  message?: string;
  /** Why the run failed or was interrupted, e.g. 'loss became NaN at step 6' (also meta.json's reason). */
  reason?: string;
}

export class RunError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function readRunConfig(runDir: string): TrainConfig {
  const file = path.join(runDir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new RunError(`no run at ${runDir} (missing config.json)`, 2);
  }
  try {
    const c = JSON.parse(text) as TrainConfig & { recur_version?: string };
    delete c.recur_version;
    return c;
  } catch (e) {
    throw new RunError(`${file} is corrupt: ${(e as Error).message}`, 2);
  }
}

export async function runTraining(requested: TrainConfig, opts: RunOptions = {}): Promise<RunResult> {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const json = opts.json ?? false;
  const emit = (obj: Record<string, unknown>, text: string): void => {
    out.write(json ? JSON.stringify(obj) + '\n' : text + '\n');
  };

  let config: TrainConfig;
  let resumeFrom: { step: number; dir: string } | null = null;
  if (opts.resumeDir) {
    config = readRunConfig(opts.resumeDir);
    resumeFrom = latestCheckpoint(opts.resumeDir);
    if (!resumeFrom) throw new RunError(`cannot resume ${opts.resumeDir}: it has no complete checkpoint`, 2);
  } else {
    config = { ...requested, seed: requested.seed ?? randomInt(0, 2 ** 31 - 1) };
  }
  validateConfig(config);

  const threads = opts.threads ?? 1;
  if (threads !== 1 && threads !== 2) throw new RunError(`--threads must be 1 or 2, got ${threads}`, 2);
  // The recurrent layers share big enough steps with a second thread (a worker failure is warned
  // about once and the steps go on on one thread: the same bits).
  setNumThreads(threads);
  const postedBefore = threadCounts.posted;
  return await trainWith(new Trainer(config));

  async function trainWith(trainer: Trainer): Promise<RunResult> {
    if (config.init_from && !resumeFrom) {
      const { state } = readModelFile(config.init_from);
      try {
        trainer.model.loadStateDict(state);
      } catch (e) {
        throw new RunError(`--init_from ${config.init_from} does not fit this model: ${(e as Error).message}`, 2);
      }
    }
    if (resumeFrom) {
      const { state } = readModelFile(path.join(resumeFrom.dir, 'model.safetensors'));
      trainer.model.loadStateDict(state);
      const t = readTrainerFile(path.join(resumeFrom.dir, 'trainer.safetensors'));
      trainer.setState(t.state as never);
    }

    let run: Awaited<ReturnType<typeof initRun>>;
    try {
      run = await initRun({
        project: opts.project ?? 'recur',
        name: config.run_name,
        config: config as unknown as Record<string, unknown>,
        seed: config.seed!,
        root: config.save_dir,
        // This loop handles Ctrl-C itself: it checkpoints first, then marks the run interrupted.
        handleSignals: opts.handleSignals === false,
        ...(opts.resumeDir ? { resume: opts.resumeDir, resumeStep: resumeFrom!.step } : {}),
      });
    } catch (e) {
      if (e instanceof UnusableDirError) throw new RunError(e.message, 2);
      throw e;
    }
    const runDir = run.dir;
    if (!resumeFrom) writeJsonAtomic(path.join(runDir, 'config.json'), { ...config, recur_version: VERSION });

    const nParams = trainer.model.numParameters();
    if (!resumeFrom) run.log({ 'Model Params': nParams }, 0);
    if (!json) {
      out.write(`${resumeFrom ? 'resuming' : 'training'} ${config.run_name} (seed ${config.seed}, ${config.cell} ${config.num_layers}×${config.hidden_dim}, ${nParams} parameters) → ${runDir}\n`);
      if (resumeFrom) out.write(`continuing from step ${resumeFrom.step} of ${config.total_steps}\n`);
    } else {
      emit({ event: 'start', run_dir: runDir, seed: config.seed, params: nParams, step: trainer.step }, '');
    }

    let stopSignal: string | null = null;
    const onSignal = (sig: string) => () => {
      if (stopSignal !== null) process.exit(130); // second Ctrl-C: leave now
      stopSignal = sig;
    };
    const handlers: Array<[NodeJS.Signals, () => void]> = [['SIGINT', onSignal('SIGINT')], ['SIGTERM', onSignal('SIGTERM')]];
    if (opts.handleSignals !== false) for (const [s, h] of handlers) process.prependListener(s, h);

    const tty = !json && Boolean(err.isTTY);
    const bar = tty ? new ProgressBar(config.total_steps, trainer.step, err) : null;
    const t0 = performance.now();
    const startStep = trainer.step;
    let lastYield = t0;
    let last: StepResult | null = null;
    let lastAcc: number | null = null;
    let bestAcc: number | null = null;
    let status = 'finished' as RunResult['status']; // also set by fail()
    let message: string | undefined;
    let reason: string | undefined;
    let lastSaved = resumeFrom?.step ?? -1;

    // The weights cannot be trained on: stop, keeping the checkpoints saved so far (all usable).
    const fail = (why: string): void => {
      status = 'failed';
      reason = why;
      const kept = lastSaved >= 0 ? `the last good checkpoint (step ${lastSaved}) is kept` : 'no checkpoint was written';
      message = `${why}; stopping (${kept}). Try a lower --lr or --clip_grad_norm.`;
    };
    // A checkpoint is written only when its weights are finite and give finite outputs, so the
    // latest checkpoint can always be used by predict, eval and --resume. False: not written.
    const save = (): boolean => {
      const bad = usableReason(trainer.model, trainer.task, config);
      if (bad !== null) {
        fail(`the weights became unusable at step ${trainer.step} (${bad})`);
        return false;
      }
      saveCheckpoint(runDir, trainer.step, trainer.model, config, trainer.getState());
      lastSaved = trainer.step;
      return true;
    };
    // The accuracy, or null when the model's output is not finite (the run then fails).
    const evaluate = (): number | null => {
      let acc: number;
      try {
        acc = trainer.evaluate();
      } catch (e) {
        if (!(e instanceof NonFiniteOutputError)) throw e;
        fail(`the weights became unusable at step ${trainer.step} (the model's output is ${e.value} on the evaluation samples)`);
        return null;
      }
      lastAcc = acc;
      bestAcc = bestAcc === null ? acc : Math.max(bestAcc, acc);
      run.log({ accuracy: acc }, trainer.step);
      bar?.clear();
      emit({ step: trainer.step, accuracy: acc }, `step ${trainer.step}: accuracy ${(acc * 100).toFixed(1)}% on ${config.eval_samples} samples`);
      return acc;
    };

    try {
      while (trainer.step < config.total_steps) {
        const r = trainer.trainStep();
        last = r;
        if (!Number.isFinite(r.loss)) {
          fail(`loss became ${r.loss} at step ${r.step}`);
          break;
        }
        if (r.step % config.log_every === 0) {
          run.log({ loss: r.loss, current_lr: r.lr, grad_norm: r.gradNorm }, r.step);
          if (json) emit({ step: r.step, loss: r.loss, lr: r.lr, grad_norm: r.gradNorm }, '');
          else if (!tty) out.write(`step ${r.step}/${config.total_steps} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(3)} grad_norm ${r.gradNorm.toFixed(3)}\n`);
        }
        if (r.step % config.eval_every === 0 && r.step !== config.total_steps && evaluate() === null) break;
        if (r.step % config.save_every === 0 && r.step !== config.total_steps && !save()) break;
        bar?.update(r.step, `loss ${r.loss.toFixed(3)}${lastAcc !== null ? ` acc ${(lastAcc * 100).toFixed(1)}%` : ''}`);
        // Yield to the event loop now and then so Ctrl-C and metric flushes get through.
        if ((r.step & 63) === 0) {
          const now = performance.now();
          if (now - lastYield > 50) {
            await new Promise((res) => setImmediate(res));
            lastYield = performance.now();
          }
          if (stopSignal !== null) {
            status = 'interrupted';
            message = reason = `stopped by ${stopSignal} at step ${r.step}`;
            break;
          }
        }
      }
      bar?.clear();
      if (status !== 'failed' && evaluate() !== null) save();
    } catch (e) {
      bar?.clear();
      status = 'failed';
      message = (e as Error).message;
      await run.finish('failed', message);
      for (const [s, h] of handlers) process.removeListener(s, h);
      throw e;
    }
    for (const [s, h] of handlers) process.removeListener(s, h);

    const seconds = (performance.now() - t0) / 1000;
    const steps = trainer.step - startStep;
    const stepsPerSecond = seconds > 0 ? steps / seconds : 0;
    // 2 once a layer shared work with the second thread (small models never do: same results anyway)
    const threadsUsed = threadCounts.posted > postedBefore ? 2 : 1;
    const result: RunResult = {
      runDir,
      status,
      step: trainer.step,
      accuracy: lastAcc,
      seconds,
      stepsPerSecond,
      finalLoss: last?.loss ?? null,
      message,
      ...(reason !== undefined ? { reason } : {}),
    };
    run.setSummary({
      accuracy: lastAcc,
      best_accuracy: bestAcc,
      final_loss: last?.loss ?? null,
      steps: trainer.step,
      seconds,
      steps_per_s: stepsPerSecond,
      params: nParams,
      threads: threadsUsed,
      kernels: kernelVariant(),
      ...(opts.tags ?? {}),
    });
    await run.finish(status, reason);
    if (message && !json) (status === 'failed' ? process.stderr : out).write(`${message}\n`);
    emit(
      { event: 'end', status, step: trainer.step, accuracy: lastAcc, loss: last?.loss ?? null, seconds, steps_per_s: stepsPerSecond, threads: threadsUsed, run_dir: runDir, message, reason },
      `${status === 'finished' ? 'done' : status}: step ${trainer.step}, accuracy ${lastAcc === null ? 'n/a' : `${(lastAcc * 100).toFixed(1)}%`}, ${formatDuration(seconds)} (${stepsPerSecond.toFixed(0)} steps/s${threadsUsed === 2 ? ', 2 threads' : ''}), saved in ${runDir}`,
    );
    return result;
  }
}
