// Finding a saved run and loading its model (Node): used by predict, eval and the dashboard.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from './config.js';
import { DEFAULT_CONFIG } from './config.js';
import { latestCheckpoint, readModelFile } from './checkpoint-node.js';
import { makeModel, usableReason } from './trainer.js';
import { getTask } from '../tasks/registry.js';
import { RnnClsNet } from '../models/rnn-cls-net.js';
import { Generator } from '../tensor/random.js';
import { RunError, readRunConfig } from './run-node.js';

export interface LoadedModel {
  model: RnnClsNet;
  config: TrainConfig;
  /** Where the weights came from. */
  file: string;
  step: number | null;
  runDir: string | null;
}

/** The newest run directory under `root` that has a complete checkpoint. */
export function findLatestRun(root: string): string | null {
  if (!fs.existsSync(root)) return null;
  let best: { dir: string; mtime: number } | null = null;
  for (const name of fs.readdirSync(root)) {
    const dir = path.join(root, name);
    const ck = latestCheckpoint(dir);
    if (!ck || !fs.existsSync(path.join(dir, 'config.json'))) continue;
    const mtime = fs.statSync(path.join(ck.dir, 'model.safetensors')).mtimeMs;
    if (!best || mtime > best.mtime) best = { dir, mtime };
  }
  return best?.dir ?? null;
}

/** `run` is a directory, or a run name inside `root`; absent: the newest run in `root`. */
export function resolveRunDir(root: string, run?: string): string {
  if (run) {
    for (const cand of [run, path.join(root, run)]) {
      if (fs.existsSync(path.join(cand, 'config.json'))) return cand;
    }
    throw new RunError(`no run '${run}' (looked for ${run}/config.json and ${path.join(root, run)}/config.json)`, 2);
  }
  const latest = findLatestRun(root);
  if (!latest) throw new RunError(`no trained run with a checkpoint under ${root} — train one first with 'recur train'`, 2);
  return latest;
}

// Weights that hold NaN/±Infinity, or overflow to non-finite outputs, would answer nonsense.
function refuseUnusable(model: RnnClsNet, config: TrainConfig, file: string): void {
  const bad = usableReason(model, getTask(config.task), config);
  if (bad !== null) throw new RunError(`${file} cannot be used: ${bad} (the run diverged; train again with a lower --lr or --clip_grad_norm)`, 3);
}

export function loadModel(opts: { root: string; run?: string; checkpoint?: string }): LoadedModel {
  let config: TrainConfig;
  let file: string;
  let runDir: string | null = null;
  if (opts.checkpoint) {
    file = opts.checkpoint;
    const decoded = readModelFile(file);
    // Config: from the file's metadata (recur wrote it), else from the run directory around it.
    const around = path.resolve(path.dirname(file), '..', '..');
    if (decoded.config) config = { ...DEFAULT_CONFIG, ...decoded.config };
    else if (fs.existsSync(path.join(around, 'config.json'))) config = readRunConfig(around);
    else if (opts.run) config = readRunConfig(resolveRunDir(opts.root, opts.run));
    else throw new RunError(`${file} carries no recur config; pass --run DIR of the run it belongs to`, 2);
    const model = makeModel({ ...config, seed: 0 }, new Generator(0));
    try {
      model.loadStateDict(decoded.state);
    } catch (e) {
      throw new RunError(`${file} does not fit the model of its config: ${(e as Error).message}`, 2);
    }
    refuseUnusable(model, config, file);
    return { model, config, file, step: decoded.step, runDir };
  }
  runDir = resolveRunDir(opts.root, opts.run);
  config = { ...DEFAULT_CONFIG, ...readRunConfig(runDir) };
  const ck = latestCheckpoint(runDir);
  if (!ck) throw new RunError(`run ${runDir} has no checkpoint yet`, 2);
  file = path.join(ck.dir, 'model.safetensors');
  const decoded = readModelFile(file);
  const model = makeModel({ ...config, seed: 0 }, new Generator(0));
  try {
    model.loadStateDict(decoded.state);
  } catch (e) {
    throw new RunError(`${file} does not fit the model in ${runDir}/config.json: ${(e as Error).message}`, 2);
  }
  refuseUnusable(model, config, file);
  return { model, config, file, step: ck.step, runDir };
}
