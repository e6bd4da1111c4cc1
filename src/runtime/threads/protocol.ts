// The control block between this thread and its task worker (pool.ts posts, serve.ts serves): an
// Int32Array in the shared WASM memory. This thread writes a task id and its integer arguments
// (byte addresses of workspaces in the shared memory, sizes), then bumps POST; the worker claims the
// task (CLAIM from POST − 1 to POST, compare-and-swap), runs it and stores DONE = POST (after ERROR
// and the message, if it threw). A task the worker has not claimed by the time the posting thread
// is done with its own share is claimed by that thread instead (it runs it itself); the worker
// then only stores DONE.

export const POST = 0; // sequence number of the last task posted
export const DONE = 1; // sequence number of the last task finished
export const READY = 2; // 1 once the worker serves, 2 once it has quit
export const ERROR = 3; // 1 after the worker failed (message at ERRMSG); it serves nothing after
export const TASK = 4; // id of the posted task (QUIT: stop)
export const NARGS = 5; // arguments at ARGS
export const RAN = 6; // tasks the worker has finished without error
export const CLAIM = 7; // sequence number of the last task claimed (by the worker or the poster)
export const ARGS = 8;
export const MAX_ARGS = 64;
export const ERRMSG = ARGS + MAX_ARGS; // length, then UTF-16 code units
const ERRMSG_MAX = 1000;
export const CTRL_INTS = ERRMSG + 1 + ERRMSG_MAX;
export const QUIT = 0;

/** What a worker needs to serve: the shared memory, its control block and the block it allocates from. */
export interface TaskWorkerInit {
  memory: WebAssembly.Memory;
  /** Byte address of the control block. */
  ctrl: number;
  /** Byte range of the memory the worker's own scratch is allocated from. */
  arenaStart: number;
  arenaEnd: number;
}

export function readError(ctrl: Int32Array): string {
  const n = Math.min(ctrl[ERRMSG], ERRMSG_MAX);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(ctrl[ERRMSG + 1 + i]);
  return s;
}

export function writeError(ctrl: Int32Array, e: unknown): void {
  const msg = (e instanceof Error ? e.stack ?? e.message : String(e)).slice(0, ERRMSG_MAX);
  ctrl[ERRMSG] = msg.length;
  for (let i = 0; i < msg.length; i++) ctrl[ERRMSG + 1 + i] = msg.charCodeAt(i);
  Atomics.store(ctrl, ERROR, 1);
}
