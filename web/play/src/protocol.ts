// Messages between the play page and its training worker.
import type { TrainConfig } from 'recur';

export type ToWorker =
  | { type: 'train'; config: TrainConfig }
  | { type: 'stop' };

/** One logged point, keyed like the CLI's metrics.jsonl (loss/current_lr every log_every, accuracy every eval_every). */
export interface MetricPoint {
  step: number;
  loss?: number;
  current_lr?: number;
  grad_norm?: number;
  accuracy?: number;
}

export type RunStatus = 'finished' | 'stopped' | 'failed';

export type FromWorker =
  | { type: 'started'; params: number; config: TrainConfig }
  /** Posted at most every ~50 ms while training: the points logged since the last batch. */
  | { type: 'metrics'; points: MetricPoint[]; step: number; stepsPerSec: number; elapsedMs: number }
  /** The model after an evaluation (model.safetensors bytes from encodeModel), so the page can predict mid-run. */
  | { type: 'snapshot'; step: number; model: Uint8Array }
  /** `threads`: 2 once work of the run was posted to the second thread (a cross-origin-isolated page, layers big enough), else 1. */
  /** `simdCalls`: calls of the WASM SIMD kernels (float32 products and cells) on the run's own thread. */
  | { type: 'done'; status: RunStatus; step: number; model: Uint8Array; message?: string; stepsPerSec: number; elapsedMs: number; threads: number; simdCalls: number }
  | { type: 'error'; message: string };
