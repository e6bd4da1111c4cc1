// Wall time per named phase of a training step, for `npm run bench:profile -- CASE --phases`:
// where a step's time goes without a sampling profiler (which slows a two-thread step by ~40 % on
// this machine and so shows a different step). Off unless a caller sets one: the Trainer then pays
// one null check per phase.

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class PhaseClock {
  /** Milliseconds per phase, in the order the phases first ran. */
  readonly totals = new Map<string, number>();
  private last = now();

  /** Starts timing from now (the time since the last lap is not counted). */
  start(): void {
    this.last = now();
  }

  /** The time since the last lap (or start) goes to `phase`. */
  lap(phase: string): void {
    const t = now();
    this.totals.set(phase, (this.totals.get(phase) ?? 0) + t - this.last);
    this.last = t;
  }

  clear(): void {
    this.totals.clear();
    this.last = now();
  }
}
