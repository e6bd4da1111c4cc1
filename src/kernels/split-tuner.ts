// How a job is split between two threads (src/runtime/threads/pool.ts), tuned from job to job
// from when each thread reaches the meeting point and how long this thread waits. Pure
// bookkeeping over numbers; the split never changes the results, only how fast they come.

/** Bounds and step of the adaptive share (ThreadShardLink.meet). */
const SHARE_MIN = 0.2;
const SHARE_MAX = 0.8;
const SHARE_STEP = 0.004;
const PINNED_STEPS = 50;
const REST_STEPS = 1000;
/** Steps per window of the waiting check, and the share of a step this thread may spend waiting. */
const WAIT_WINDOW = 64;
const WAIT_LIMIT = 0.5;
/** Windows not judged after the worker starts or comes back from a rest (measured: 0.69 in the first). */
const WARMUP_WINDOWS = 2;

/**
 * This thread's share of a step's rows, tuned from step to step: whoever reaches the meeting
 * point first should have had more rows, so the share moves by SHARE_STEP towards the late side
 * (within [SHARE_MIN, SHARE_MAX]). A worker that cannot keep up even with the smallest share (the
 * machine's other core is busy: this thread would spin while the worker waits for a core) gets a
 * rest: after PINNED_STEPS steps in a row at SHARE_MAX, the next REST_STEPS steps run on this
 * thread alone, then the split starts again from even. The results are the same either way.
 */
export class SplitTuner {
  share = 0.5;
  /** This thread's time spent waiting, as a share of the split steps' time, over the last window. */
  waitShare = 0;
  private pinned = 0;
  private rest = 0;
  private winWait = 0;
  private winTotal = 0;
  private winSteps = 0;
  private warmup = WARMUP_WINDOWS; // windows still to ignore (the worker's code is still being compiled)
  private restLength = REST_STEPS; // doubles each time a retry fails, back to REST_STEPS when one works
  private badWindows = 0; // judged windows in a row over WAIT_LIMIT

  /** Whether the worker is resting (see useWorker). */
  get resting(): boolean {
    return this.rest > 0;
  }

  /** Whether this step may use the worker (counts a rest down). */
  useWorker(): boolean {
    if (this.rest === 0) return true;
    if (--this.rest === 0) {
      this.share = 0.5;
      this.warmup = 1;
    }
    return false;
  }

  /**
   * After a split step: `waitMs` of its `stepMs` this thread spent waiting for the other. Two
   * windows of WAIT_WINDOW steps in a row over WAIT_LIMIT mean the two threads do not really run at
   * once — the machine's cores are taken (two trainings at a time, say) — so the worker rests.
   * Measured: 0.02–0.35 a window alone on this machine, 0.6–0.9 with a second training running.
   */
  observe(waitMs: number, stepMs: number): void {
    this.winWait += waitMs;
    this.winTotal += stepMs;
    if (++this.winSteps < WAIT_WINDOW) return;
    this.waitShare = this.winTotal > 0 ? this.winWait / this.winTotal : 0;
    if (this.warmup > 0) {
      this.warmup--;
    } else if (this.waitShare <= WAIT_LIMIT) {
      this.badWindows = 0;
      this.restLength = REST_STEPS;
    } else if (++this.badWindows >= 2) {
      this.startRest();
    }
    this.winWait = this.winTotal = this.winSteps = 0;
  }

  /** After the meeting: `early` — this thread got there first. */
  met(early: boolean): void {
    this.share = Math.min(SHARE_MAX, Math.max(SHARE_MIN, this.share + (early ? SHARE_STEP : -SHARE_STEP)));
    this.pinned = this.share === SHARE_MAX ? this.pinned + 1 : 0;
    if (this.pinned >= PINNED_STEPS) this.startRest();
  }

  /** The next REST_STEPS · 2^k steps without the worker (k = the rests in a row before this one, at most 5). */
  private startRest(): void {
    this.rest = this.restLength;
    this.restLength = Math.min(REST_STEPS * 32, this.restLength * 2);
    this.pinned = 0;
    this.badWindows = 0;
    this.winWait = this.winTotal = this.winSteps = 0;
  }
}
