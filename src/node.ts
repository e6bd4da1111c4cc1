// Node-only entry ('recur/node'): run directories, checkpoints on disk, the tracker's file store;
// importing it installs the float32 layers' second thread (as the package's Node entry does).
import './runtime/threads/start-node.js';
export { runTraining, readRunConfig, RunError } from './train/run-node.js';
export type { RunOptions, RunResult } from './train/run-node.js';
export { saveCheckpoint, latestCheckpoint, listCheckpoints, readModelFile, readTrainerFile } from './train/checkpoint-node.js';
export { loadModel, resolveRunDir, findLatestRun } from './train/load-node.js';
export { readSafetensorsFile, writeSafetensorsFileAtomic, writeFileAtomic } from './io/safetensors-node.js';
export { save, load } from './io/state-dict-node.js';
export * as track from './track/index.js';
