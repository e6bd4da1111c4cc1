// Overall progress of a sweep: trials done / running / failed, fraction of the training steps
// still to do, and an ETA from the step rate seen so far in this session. Browser-safe.
import { formatDuration } from '../train/progress.js';

interface Live {
  total: number;
  start: number; // step the trial (re)started from
  step: number;
}

export class SweepProgress {
  private readonly t0: number;
  private readonly live = new Map<string, Live>();
  private doneWork = 0; // steps trained in this session by trials that ended
  private remainingQueued: number; // steps of trials not started yet
  done = 0;
  failed = 0;

  /** `todo`: trials this session will run, with their total steps; `already`: finished before. */
  constructor(readonly total: number, readonly already: number, todoSteps: readonly number[], now = Date.now()) {
    this.t0 = now;
    this.remainingQueued = todoSteps.reduce((a, b) => a + b, 0);
  }

  start(id: string, step: number, total: number): void {
    const l = this.live.get(id);
    if (l) {
      // Started again (its queue worker died): what it trained still shows the rate.
      this.doneWork += l.step - l.start;
      this.live.set(id, { total, start: step, step });
      return;
    }
    this.remainingQueued -= total;
    this.live.set(id, { total, start: step, step });
  }

  progress(id: string, step: number): void {
    const l = this.live.get(id);
    if (l) l.step = Math.max(l.step, step);
  }

  end(id: string, status: 'finished' | 'failed' | 'interrupted', total: number): void {
    const l = this.live.get(id);
    if (l) {
      this.doneWork += l.step - l.start;
      this.live.delete(id);
    } else {
      this.remainingQueued -= total; // ended without starting (crashed before training)
    }
    if (status === 'finished') this.done++;
    else if (status === 'failed') this.failed++;
  }

  get running(): number {
    return this.live.size;
  }

  /** Steps trained in this session and steps left (running trials' rest plus queued trials). */
  work(): { done: number; left: number } {
    let done = this.doneWork;
    let left = Math.max(0, this.remainingQueued);
    for (const l of this.live.values()) {
      done += l.step - l.start;
      left += l.total - l.step;
    }
    return { done, left };
  }

  /** Seconds left at the rate so far, or null before any step was trained. */
  eta(now = Date.now()): number | null {
    const { done, left } = this.work();
    const secs = (now - this.t0) / 1000;
    if (done <= 0 || secs <= 0) return null;
    return left / (done / secs);
  }

  line(now = Date.now()): string {
    const { done, left } = this.work();
    const frac = done + left > 0 ? done / (done + left) : 1;
    const eta = this.eta(now);
    const finished = this.already + this.done;
    return (
      `${finished}/${this.total} trials done` +
      (this.failed ? `, ${this.failed} failed` : '') +
      (this.running ? `, ${this.running} running` : '') +
      ` · ${(frac * 100).toFixed(0)}% of steps · ${formatDuration((now - this.t0) / 1000)} elapsed` +
      (eta === null ? '' : ` · ETA ${formatDuration(eta)}`)
    );
  }
}
