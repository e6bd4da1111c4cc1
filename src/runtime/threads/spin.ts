// Waiting for another thread on an Int32 word of shared memory: spin briefly (a hand-off between
// two busy threads takes microseconds), then sleep in Atomics.wait (a wake-up costs tens of µs,
// but a thread whose partner has no core gives its own core up instead of burning it).

export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

// A spinning thread must leave the other core alone: a tight loop of atomic loads slowed a sota
// step on the other vCPU of this machine by 12–16 % (they share a physical core's issue slots). A
// chain of 16 dependent multiply-adds between loads (≈ 60 cycles of latency, almost no issue
// slots) is JavaScript's `pause`: measured, the other thread then runs at full speed.
// The chain's value lives in a Float64Array: a module-level `let` holding a double is a boxed
// heap number, so every call allocated one, and a spinning worker filled its young generation
// every 1–2 ms (a scavenge each: measured with --trace-gc, 1,375 in 3.6 s of `sota --cell lstm`).
const relaxSink = new Float64Array([1]);
export function relax(): void {
  let x = relaxSink[0];
  for (let j = 0; j < 16; j++) x = x * 0.999999 + 1e-7;
  relaxSink[0] = x;
}

/** Spinning longer than this, a waiting thread sleeps instead (the other thread is not running). */
const SPIN_BEFORE_SLEEP_MS = 0.3;
let canSleep = true; // Atomics.wait throws on a browser's main thread: spin only there

/**
 * Waits until ctrl[i] === v: spins (relax) for SPIN_BEFORE_SLEEP_MS, then sleeps in Atomics.wait,
 * 1 ms at a time. Stores of the words waited on are followed by Atomics.notify (storeWake).
 * `check` is called now and then (it throws to give up).
 */
export function spinUntil(ctrl: Int32Array, i: number, v: number, check: () => void): void {
  let n = 0;
  let until = -1;
  for (let cur = Atomics.load(ctrl, i); cur !== v; cur = Atomics.load(ctrl, i)) {
    if ((++n & 63) !== 0) {
      relax();
      continue;
    }
    if ((n & 1023) === 0) check();
    if (until < 0) until = now() + SPIN_BEFORE_SLEEP_MS;
    else if (canSleep && now() > until) {
      try {
        Atomics.wait(ctrl, i, cur, 1);
      } catch {
        canSleep = false;
      }
    }
  }
}

/** ctrl[i] = v, waking a thread that sleeps on it. */
export function storeWake(ctrl: Int32Array, i: number, v: number): void {
  Atomics.store(ctrl, i, v);
  Atomics.notify(ctrl, i);
}

/** A worker's wait for the next post: spinning this long first (the next post is usually µs away). */
const WORKER_SPIN_MS = 1;

/**
 * A worker thread's wait for ctrl[i] to change from `seen` (the poster's next post): spins for
 * WORKER_SPIN_MS, then sleeps in Atomics.wait a second at a time. Returns the new value.
 */
export function waitForPost(ctrl: Int32Array, i: number, seen: number): number {
  const until = now() + WORKER_SPIN_MS;
  let n = 0;
  while (Atomics.load(ctrl, i) === seen) {
    relax();
    if ((++n & 255) === 0 && now() > until) Atomics.wait(ctrl, i, seen, 1000);
  }
  return Atomics.load(ctrl, i);
}

/**
 * Waits up to `ms` for a quitting worker to set ctrl[ready] to 2 (it no longer touches the shared
 * memory); true if it did — only then may its blocks be given back.
 */
export function awaitQuit(ctrl: Int32Array, ready: number, ms: number): boolean {
  const deadline = now() + ms;
  let n = 0;
  while (Atomics.load(ctrl, ready) !== 2 && ((++n & 1023) !== 0 || now() < deadline)) relax();
  return Atomics.load(ctrl, ready) === 2;
}
