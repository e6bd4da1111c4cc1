// Adam's float32 SIMD kernel over a range of staged elements as a worker task
// (src/runtime/threads/): a large update (adam-kernel.ts) gives the worker, when it is already
// running, the elements past this thread's share. The update is elementwise, so any split gives
// the same bits. Arguments: the byte addresses of p, g, m and v at the range's start, the count,
// the kernel's nine float32 scalars as their bits, and its flags.
import { wasmAdam } from '../kernels/gemm-wasm.js';
import { registerTask } from '../runtime/threads/tasks.js';

export const TASK_ADAM = 6;

const scalars = new Float32Array(9);
const scalarBits = new Int32Array(scalars.buffer);

/** The task's arguments: four byte addresses, the count, the scalars (float32 values) and flags. */
export function adamArgs(p: number, g: number, m: number, v: number, n: number, sc: Float32Array, flags: number): number[] {
  scalars.set(sc);
  return [p, g, m, v, n, ...scalarBits, flags];
}

registerTask(TASK_ADAM, (a) => {
  const kernel = wasmAdam();
  if (kernel === null) throw new Error('the worker has no Adam kernel');
  for (let i = 0; i < 9; i++) scalarBits[i] = a[5 + i];
  const s = scalars;
  kernel(a[0], a[1], a[2], a[3], a[4], s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], a[14]);
});
