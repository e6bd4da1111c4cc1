// The tasks a worker thread can run, by numeric id: plain functions of integer arguments (byte
// addresses in the shared WASM memory, sizes). A module defining tasks registers them when it is
// imported; the worker's entry imports the same modules, so both threads know the same ids.

/** A task: reads and writes only the shared memory its arguments point to. */
export type TaskFn = (args: Int32Array) => void;

const tasks = new Map<number, TaskFn>();

/** Registers task `id` (≥ 1; 0 is the protocol's quit). Registering an id twice is an error unless it is the same function. */
export function registerTask(id: number, fn: TaskFn): void {
  if (!Number.isInteger(id) || id < 1) throw new Error(`registerTask: id must be an integer ≥ 1, got ${id}`);
  const have = tasks.get(id);
  if (have !== undefined && have !== fn) throw new Error(`registerTask: task ${id} is already registered`);
  tasks.set(id, fn);
}

/** The function of task `id`, or undefined. */
export function taskFn(id: number): TaskFn | undefined {
  return tasks.get(id);
}
