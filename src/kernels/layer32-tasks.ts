// The float32 layer's shares of work as worker tasks (src/runtime/threads/tasks.ts): the forward
// walk, the backward walk and the products after it (layer32-walk.ts) for a range, on a workspace
// in the shared WASM memory given by its byte address. Arguments: the workspace's byte address and
// length (elements), the layout's sizes (mode, In, H, B, T, rows, training), the direction, whether it adds state
// noise, then
// the task's own (the range).
import { viewOf } from './gemm-wasm.js';
import { registerTask } from '../runtime/threads/tasks.js';
import { backwardRows, forwardRows, gradRange, layout32 } from './layer32-walk.js';
import type { Layout32 } from './layer32-walk.js';
import type { CellMode } from './packed-layer.js';

export const TASK_LAYER_FORWARD = 1; // + lo, hi
export const TASK_LAYER_BACKWARD = 2; // + lo, hi
export const TASK_LAYER_GRADS = 3; // + want, m0, m1, x0, x1

const MODES: CellMode[] = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'];
const HEAD = 11; // arguments before the task's own

/** A task's arguments for workspace `w` (in the shared memory) of layout L. */
export function layerArgs(w: Float32Array, L: Layout32, reverse: boolean, own: number[]): number[] {
  return [w.byteOffset, w.length, MODES.indexOf(L.mode), L.In, L.H, L.B, L.T, L.rows, L.training ? 1 : 0, reverse ? 1 : 0, L.noise ? 1 : 0, ...own];
}

function unpack(a: Int32Array): { w: Float32Array; L: Layout32; reverse: boolean } {
  const w = viewOf(1, a[0], a[1]) as Float32Array;
  return { w, L: layout32(MODES[a[2]], a[3], a[4], a[5], a[6], a[7], a[8] === 1, a[10] === 1), reverse: a[9] === 1 };
}

registerTask(TASK_LAYER_FORWARD, (a) => {
  const { w, L, reverse } = unpack(a);
  forwardRows(w, L, reverse, a[HEAD], a[HEAD + 1]);
});

registerTask(TASK_LAYER_BACKWARD, (a) => {
  const { w, L, reverse } = unpack(a);
  backwardRows(w, L, reverse, a[HEAD], a[HEAD + 1]);
});

registerTask(TASK_LAYER_GRADS, (a) => {
  const { w, L } = unpack(a);
  gradRange(w, L, a[HEAD], a[HEAD + 1], a[HEAD + 2], a[HEAD + 3], a[HEAD + 4]);
});
