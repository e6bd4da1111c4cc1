// One sweep trial, start to finish, in the current process (a pool child or a queue worker's
// child): pick up the trial's run where a previous attempt left it (same machine), train as a
// normal tracked run, score it on the fixed test set, record that in the run's summary.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainConfig } from '../train/config.js';
import { latestCheckpoint } from '../train/checkpoint-node.js';
import { evaluateModel } from '../train/evaluate.js';
import { loadModel } from '../train/load-node.js';
import { readRunConfig, runTraining } from '../train/run-node.js';
import { FileStore } from '../track/file-store.js';
import { effectiveStatus } from '../track/status.js';
import { nodeLivenessProbe } from '../track/file-store.js';
import { configDiff } from './plan.js';
import { firstStepReaching, unmeasuredResult } from './results.js';
import type { TestSpec, TrialResult } from './results.js';

export interface TrialJob {
  sweep: string;
  /** The sweep's random id (sweep.json): queue job ids are `<uid>.<trial>.<attempt>`. */
  uid: string;
  trial: string;
  /** Full config; save_dir is where the sweep's runs live on the machine that runs the trial. */
  config: TrainConfig;
  test: TestSpec;
  /** Run directory of an earlier attempt on this machine (from the sweep state), if any. */
  runDirHint?: string;
}

export type TrialEvent =
  | { type: 'start'; runDir: string; step: number; total: number; resumed: boolean }
  | { type: 'progress'; step: number; total: number; accuracy?: number };

export const DISCARDED_DIR = '.discarded';

/** Where a run of this trial should continue, or null to start fresh (may move a dead attempt aside). */
export function previousAttempt(job: TrialJob): string | null {
  const root = path.resolve(job.config.save_dir);
  const candidates = [...new Set([job.runDirHint, path.join(root, job.trial)].filter((d): d is string => !!d).map((d) => path.resolve(d)))];
  const probe = nodeLivenessProbe();
  for (const dir of candidates) {
    if (!fs.existsSync(dir)) continue;
    let live = false;
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
      live = effectiveStatus({ ...meta, heartbeatAt: meta.heartbeatAt ?? meta.startedAt }, probe) === 'running';
    } catch {
      /* no readable meta: not a live run */
    }
    if (live) continue; // someone is running it: leave it alone, a fresh run gets name-2
    let same = false;
    try {
      same = configDiff(readRunConfig(dir), { ...job.config, run_name: path.basename(dir) }).length === 0;
    } catch {
      /* no config.json */
    }
    if (!same && fs.existsSync(path.join(dir, 'config.json'))) continue; // another run that shares the name
    if (same && latestCheckpoint(dir)) return dir;
    // This trial's dead attempt without a checkpoint: nothing to continue. Move it aside (not
    // delete) so the fresh run gets the trial's own name and the dashboard does not count it twice.
    if (path.dirname(dir) === root) {
      const dest = path.join(root, DISCARDED_DIR, `${path.basename(dir)}-${Date.now()}`);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.renameSync(dir, dest);
    }
  }
  return null;
}

const noWrite = { write: () => true };

/** Runs the trial here. Training errors become a 'failed' result; only bugs of this code throw. */
export async function runTrial(job: TrialJob, onEvent: (e: TrialEvent) => void = () => {}): Promise<TrialResult> {
  const host = os.hostname();
  const t0 = performance.now();
  const base = { trial: job.trial, host, worker: `${host}:${process.pid}`, seed: job.config.seed ?? -1 };
  let runDir: string | null = null;
  let resumeDir: string | null = null;
  let buf = '';
  const total = job.config.total_steps;
  // runTraining speaks JSON lines in --json mode; they become trial events.
  const out = {
    write(s: string) {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let o: Record<string, unknown>;
        try {
          o = JSON.parse(line);
        } catch {
          continue;
        }
        if (o.event === 'start') {
          runDir = String(o.run_dir);
          onEvent({ type: 'start', runDir, step: Number(o.step), total, resumed: resumeDir !== null });
        } else if (o.event === undefined && typeof o.step === 'number') {
          onEvent({ type: 'progress', step: o.step, total, ...(typeof o.accuracy === 'number' ? { accuracy: o.accuracy } : {}) });
        }
      }
      return true;
    },
  };
  const failed = (message: string): TrialResult => unmeasuredResult({ ...base, status: 'failed', runDir, seconds: (performance.now() - t0) / 1000, message });

  let r;
  try {
    resumeDir = previousAttempt(job);
    r = await runTraining(job.config, {
      ...(resumeDir ? { resumeDir } : {}),
      json: true,
      out,
      err: noWrite,
      handleSignals: true,
      project: 'recur',
      tags: { sweep: job.sweep, trial: job.trial },
    });
  } catch (e) {
    return failed((e as Error).message);
  }
  runDir = r.runDir;
  const result: TrialResult = {
    ...base,
    status: r.status,
    runDir,
    step: r.step,
    seconds: r.seconds,
    stepsPerSecond: r.stepsPerSecond,
    finalLoss: r.finalLoss,
    trainAccuracy: r.accuracy,
    test: null,
    reachStep: null,
    ...(r.message ? { message: r.message } : {}),
    endedAt: new Date().toISOString(),
  };
  const store = new FileStore(path.dirname(runDir));
  const id = path.basename(runDir);
  try {
    const { rows } = await store.readMetrics(id, 0);
    result.reachStep = firstStepReaching(rows, job.test.reach);
  } catch {
    /* no metrics: reachStep stays null */
  }
  if (r.status !== 'finished') return result;

  try {
    const m = loadModel({ root: path.dirname(runDir), run: runDir });
    const rep = evaluateModel(m.model, m.config, { samples: job.test.samples, seed: job.test.seed, lengths: job.test.lengths, samplesPerLength: job.test.perLength });
    result.test = { accuracy: rep.accuracy, samples: rep.samples, seed: rep.seed, byLength: rep.byLength };
    const meta = await store.readMeta(id);
    await store.updateMeta(id, {
      summary: {
        ...meta.summary,
        test_accuracy: rep.accuracy,
        test_samples: rep.samples,
        test_seed: rep.seed,
        converged: rep.accuracy >= job.test.threshold,
        ...Object.fromEntries(rep.byLength.map((b) => [`test_accuracy_len${b.length}`, b.accuracy])),
        [`step_to_${Math.round(job.test.reach * 100)}`]: result.reachStep,
      },
    });
  } catch (e) {
    return { ...result, status: 'failed', message: `evaluation after training failed: ${(e as Error).message}` };
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}
