// Checkpoint directories on disk (Node). Layout inside a run directory:
//   checkpoints/step-000500/{model,trainer}.safetensors
// A checkpoint is written into a temporary directory and renamed into place, so a process killed
// mid-write leaves the previous checkpoints intact and never a half-written "latest".
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Module } from '../nn/module.js';
import type { TrainConfig } from './config.js';
import { decodeModel, decodeTrainerState, encodeModel, encodeTrainerState } from './checkpoint.js';
import type { DecodedModel } from './checkpoint.js';

const STEP_DIR = /^step-(\d+)$/;

export function checkpointDir(runDir: string, step: number): string {
  return path.join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
}

function writeSynced(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function saveCheckpoint(runDir: string, step: number, model: Module, config: TrainConfig, trainerState: unknown): string {
  const root = path.join(runDir, 'checkpoints');
  fs.mkdirSync(root, { recursive: true });
  const final = checkpointDir(runDir, step);
  const tmp = path.join(root, `.tmp-${path.basename(final)}-${process.pid}-${Date.now()}`);
  fs.mkdirSync(tmp);
  writeSynced(path.join(tmp, 'model.safetensors'), encodeModel(model, { step, config }));
  writeSynced(path.join(tmp, 'trainer.safetensors'), encodeTrainerState(trainerState, step));
  if (fs.existsSync(final)) {
    // Re-saving a step (e.g. after a resume): move the old one aside before the swap.
    const old = `${tmp}-old`;
    fs.renameSync(final, old);
    fs.renameSync(tmp, final);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, final);
  }
  return final;
}

/** Complete checkpoints of a run, newest last. */
export function listCheckpoints(runDir: string): Array<{ step: number; dir: string }> {
  const root = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root)
    .map((name) => ({ m: STEP_DIR.exec(name), name }))
    .filter((e) => e.m !== null && fs.existsSync(path.join(root, e.name, 'model.safetensors')))
    .map((e) => ({ step: Number(e.m![1]), dir: path.join(root, e.name) }))
    .sort((a, b) => a.step - b.step);
}

export function latestCheckpoint(runDir: string): { step: number; dir: string } | null {
  const all = listCheckpoints(runDir);
  return all.length ? all[all.length - 1] : null;
}

export function readModelFile(file: string): DecodedModel {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read checkpoint ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return decodeModel(bytes);
  } catch (e) {
    throw new Error(`checkpoint ${file} is corrupt or not safetensors: ${(e as Error).message}`);
  }
}

export function readTrainerFile(file: string): { state: unknown; step: number } {
  try {
    return decodeTrainerState(fs.readFileSync(file));
  } catch (e) {
    throw new Error(`trainer state ${file} is unreadable: ${(e as Error).message}`);
  }
}
