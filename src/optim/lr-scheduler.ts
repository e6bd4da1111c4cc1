// Learning-rate schedulers with torch.optim.lr_scheduler's 1.13 `_LRScheduler` mechanics:
// - construction sets `initialLr` on every group (if absent), takes it as `baseLrs`, and performs an
//   initial step: lastEpoch becomes 0 and the groups' lr is the epoch-0 value, i.e. the lr the first
//   optimizer step uses is already scheduled;
// - step(): lastEpoch += 1 and lr ← getLr(), the recursive ("chainable") form computed from the
//   group's *current* lr; step(epoch) sets lastEpoch and uses the closed form when there is one;
// - getLastLr(): the lrs just written = what the *next* optimizer step uses.
// Python's arithmetic is kept where it shows: `%` follows the divisor's sign, and a division or
// modulo by zero throws ZeroDivisionError's text. PyTorch's warnings are not reproduced.
// State dicts use PyTorch's attribute names (`last_epoch`, `base_lrs`, `T_max`, `_last_lr`, ...).
import { resolveOptions } from '../util/options.js';
import { Optimizer } from './optimizer.js';
import type { ParamGroup } from './optimizer.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any, any>;

/** Python `a % n` (result has the sign of n); n = 0 throws like Python's ZeroDivisionError. */
export function pyMod(a: number, n: number): number {
  if (n === 0) throw new Error(Number.isInteger(a) ? 'integer modulo by zero' : 'float modulo');
  const r = a % n;
  if (r === 0) return n < 0 ? -0 : 0; // JS gives −0 for −20 % 20
  return r < 0 !== n < 0 ? r + n : r;
}

/** Python true division a / b of floats (ZeroDivisionError when b is 0). */
function pyDiv(a: number, b: number): number {
  if (b === 0) throw new Error('float division by zero');
  return a / b;
}

/** Python bisect.bisect_right: number of entries ≤ x in a sorted list. */
function bisectRight(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < xs[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export type SchedulerStateDict = Record<string, unknown>;

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  baseLrs: number[];
  lastEpoch: number;
  /** Calls of step() so far, including the initial one (PyTorch's `_step_count`). */
  _stepCount = 0;
  _lastLr: number[] = [];

  /**
   * Subclasses set their own fields, then call `_initialStep()` (the base can't: in JS a subclass's
   * fields don't exist yet while the base constructor runs).
   */
  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    if (!(optimizer instanceof Optimizer)) {
      const name = (optimizer as object | null)?.constructor?.name ?? String(optimizer);
      throw new TypeError(`${name} is not an Optimizer`);
    }
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups as ParamGroup[];
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new Error(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups as ParamGroup[];
  }

  /** Resets the step count and performs the step that makes lastEpoch 0 (PyTorch's `_initial_step`). */
  _initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** The recursive form: the lrs for `lastEpoch`, from the groups' current lrs. */
  abstract getLr(): number[];

  /** The closed form for `lastEpoch` (undefined when the schedule has none). */
  protected closedFormLr?(): number[];

  /** Advances one epoch (or jumps to `epoch`, PyTorch's deprecated form) and writes the lrs. */
  step(epoch?: number): void {
    this._stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr ? this.closedFormLr() : this.getLr();
    }
    const groups = this.groups;
    for (let i = 0; i < groups.length && i < values.length; i++) groups[i].lr = values[i];
    this._lastLr = groups.map((g) => g.lr);
  }

  /** The lrs written by the last step: what the next optimizer step uses. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** Schedule-specific fields as [PyTorch attribute name, value accessor name]. */
  protected fields(): Array<[string, string]> {
    return [];
  }

  /** PyTorch's `scheduler.state_dict()`: every attribute except the optimizer, with its names. */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>;
    const sd: SchedulerStateDict = {};
    for (const [py, ts] of this.fields()) sd[py] = self[ts];
    Object.assign(sd, {
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      verbose: false,
      _step_count: this._stepCount,
      _get_lr_called_within_step: false,
      _last_lr: [...this._lastLr],
    });
    return sd;
  }

  /** Restores what stateDict() returned (unknown keys are ignored). */
  loadStateDict(sd: SchedulerStateDict): void {
    const self = this as unknown as Record<string, unknown>;
    for (const [py, ts] of this.fields()) if (py in sd) self[ts] = sd[py];
    if ('base_lrs' in sd) this.baseLrs = [...(sd.base_lrs as number[])];
    if ('last_epoch' in sd) this.lastEpoch = sd.last_epoch as number;
    if ('_step_count' in sd) this._stepCount = sd._step_count as number;
    if ('_last_lr' in sd) this._lastLr = [...(sd._last_lr as number[])];
  }
}

export interface LambdaLROptions {
  /** One function for all groups, or one per group: epoch → factor of the group's initial lr. */
  lrLambda: ((epoch: number) => number) | Array<(epoch: number) => number>;
  lastEpoch?: number;
}

/** lr = base_lr · lrLambda(epoch). */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: Array<(epoch: number) => number>;

  /** Options as an object, or positionally in PyTorch's order (lrLambda, lastEpoch). */
  constructor(optimizer: AnyOptimizer, opts: LambdaLROptions);
  constructor(optimizer: AnyOptimizer, lrLambda: LambdaLROptions['lrLambda'], lastEpoch?: number);
  constructor(optimizer: AnyOptimizer, ...rest: unknown[]) {
    const opts = resolveOptions<LambdaLROptions>('LambdaLR()', rest, ['lrLambda', 'lastEpoch'], ['lrLambda', 'lastEpoch']);
    super(optimizer, opts.lastEpoch ?? -1);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(opts.lrLambda)) {
      if (opts.lrLambda.length !== n) throw new Error(`Expected ${n} lr_lambdas, but got ${opts.lrLambda.length}`);
      this.lrLambdas = [...opts.lrLambda];
    } else {
      this.lrLambdas = new Array(n).fill(opts.lrLambda);
    }
    this._initialStep();
  }

  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch));
  }

  /** Functions are not state: PyTorch stores None for plain functions. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

export interface StepLROptions {
  stepSize: number;
  gamma?: number;
  lastEpoch?: number;
}

/** Multiplies the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  /** Options as an object, or positionally in PyTorch's order (stepSize, gamma, lastEpoch). */
  constructor(optimizer: AnyOptimizer, opts: StepLROptions);
  constructor(optimizer: AnyOptimizer, stepSize: number, gamma?: number, lastEpoch?: number);
  constructor(optimizer: AnyOptimizer, ...rest: unknown[]) {
    const opts = resolveOptions<StepLROptions>('StepLR()', rest, ['stepSize', 'gamma', 'lastEpoch'], ['stepSize', 'gamma', 'lastEpoch']);
    super(optimizer, opts.lastEpoch ?? -1);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this._initialStep();
  }

  getLr(): number[] {
    if (this.lastEpoch === 0 || pyMod(this.lastEpoch, this.stepSize) !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    if (this.stepSize === 0) throw new Error('integer division or modulo by zero');
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected override fields(): Array<[string, string]> {
    return [['step_size', 'stepSize'], ['gamma', 'gamma']];
  }
}

export interface ExponentialLROptions {
  gamma: number;
  lastEpoch?: number;
}

/** Multiplies the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  /** Options as an object, or positionally in PyTorch's order (gamma, lastEpoch). */
  constructor(optimizer: AnyOptimizer, opts: ExponentialLROptions);
  constructor(optimizer: AnyOptimizer, gamma: number, lastEpoch?: number);
  constructor(optimizer: AnyOptimizer, ...rest: unknown[]) {
    const opts = resolveOptions<ExponentialLROptions>('ExponentialLR()', rest, ['gamma', 'lastEpoch'], ['gamma', 'lastEpoch']);
    super(optimizer, opts.lastEpoch ?? -1);
    this.gamma = opts.gamma;
    this._initialStep();
  }

  getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }

  protected override fields(): Array<[string, string]> {
    return [['gamma', 'gamma']];
  }
}

export interface ConstantLROptions {
  factor?: number;
  totalIters?: number;
  lastEpoch?: number;
}

/** lr = base·factor until totalIters, then base. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  /** Options as an object, or positionally in PyTorch's order (factor, totalIters, lastEpoch). */
  constructor(optimizer: AnyOptimizer, opts?: ConstantLROptions);
  constructor(optimizer: AnyOptimizer, factor: number, totalIters?: number, lastEpoch?: number);
  constructor(optimizer: AnyOptimizer, ...rest: unknown[]) {
    const opts = resolveOptions<ConstantLROptions>('ConstantLR()', rest, ['factor', 'totalIters', 'lastEpoch'], ['factor', 'totalIters', 'lastEpoch']);
    const factor = opts.factor ?? 1.0 / 3;
    if (factor > 1.0 || factor < 0) throw new Error('Constant multiplicative factor expected to be between 0 and 1.');
    super(optimizer, opts.lastEpoch ?? -1);
    this.factor = factor;
    this.totalIters = opts.totalIters ?? 5;
    this._initialStep();
  }

  getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch > this.totalIters || this.lastEpoch !== this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * pyDiv(1.0, this.factor));
  }

  protected override closedFormLr(): number[] {
    const done = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + done * (1 - this.factor)));
  }

  protected override fields(): Array<[string, string]> {
    return [['factor', 'factor'], ['total_iters', 'totalIters']];
  }
}

export interface LinearLROptions {
  startFactor?: number;
  endFactor?: number;
  totalIters?: number;
  lastEpoch?: number;
}

/**
 * Linear ramp of the factor from startFactor to endFactor over totalIters epochs.
 * Recursive: e=0 → lr·start; e > total → lr; else lr·(1 + (end−start) / (total·start + (e−1)·(end−start))).
 * Closed: base·(start + (end−start)·min(total, e)/total). start=0 passes the 1.13 checks but the first
 * step divides by zero (ZeroDivisionError, as in 1.13).
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  /** Options as an object, or positionally in PyTorch's order (startFactor, endFactor, totalIters, lastEpoch). */
  constructor(optimizer: AnyOptimizer, opts?: LinearLROptions);
  constructor(optimizer: AnyOptimizer, startFactor: number, endFactor?: number, totalIters?: number, lastEpoch?: number);
  constructor(optimizer: AnyOptimizer, ...rest: unknown[]) {
    const opts = resolveOptions<LinearLROptions>('LinearLR()', rest, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch'], ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    const start = opts.startFactor ?? 1.0 / 3;
    const end = opts.endFactor ?? 1.0;
    if (start > 1.0 || start < 0) throw new Error('Starting multiplicative factor expected to be between 0 and 1.');
    if (end > 1.0 || end < 0) throw new Error('Ending multiplicative factor expected to be between 0 and 1.');
    super(optimizer, opts.lastEpoch ?? -1);
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = opts.totalIters ?? 5;
    this._initialStep();
  }

  getLr(): number[] {
    const e = this.lastEpoch;
    if (e === 0) return this.groups.map((g) => g.lr * this.startFactor);
    if (e > this.totalIters) return this.groups.map((g) => g.lr);
    const d = this.endFactor - this.startFactor;
    const f = 1 + pyDiv(d, this.totalIters * this.startFactor + (e - 1) * d);
    return this.groups.map((g) => g.lr * f);
  }

  protected override closedFormLr(): number[] {
    const d = this.endFactor - this.startFactor;
    const k = Math.min(this.totalIters, this.lastEpoch);
    return this.baseLrs.map((b) => b * (this.startFactor + pyDiv(d * k, this.totalIters)));
  }

  protected override fields(): Array<[string, string]> {
    return [['start_factor', 'startFactor'], ['end_factor', 'endFactor'], ['total_iters', 'totalIters']];
  }
}

export interface CosineAnnealingLROptions {
  /** Half period in epochs (PyTorch's T_max). */
  TMax: number;
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * Cosine annealing, in the recursive ("chainable") form torch uses:
 *   e=0 → lr;  (e−1−T) mod 2T == 0 → lr + (base−eta)·(1−cos(π/T))/2;
 *   else (1+cos(πe/T)) / (1+cos(π(e−1)/T)) · (lr−eta) + eta.
 * Equals the closed form eta + (base−eta)(1+cos(πe/T))/2 to rounding when nothing else changes the
 * lr; past T it follows the cosine back up (period 2T). T=0 → "integer modulo by zero" on step 1.
 */
export class CosineAnnealingLR extends LRScheduler {
  TMax: number;
  etaMin: number;

  /** Options as an object, or positionally in PyTorch's order (TMax, etaMin, lastEpoch). */
  constructor(optimizer: AnyOptimizer, opts: CosineAnnealingLROptions);
  constructor(optimizer: AnyOptimizer, TMax: number, etaMin?: number, lastEpoch?: number);
  constructor(optimizer: AnyOptimizer, ...rest: unknown[]) {
    const opts = resolveOptions<CosineAnnealingLROptions>('CosineAnnealingLR()', rest, ['TMax', 'etaMin', 'lastEpoch'], ['TMax', 'etaMin', 'lastEpoch']);
    super(optimizer, opts.lastEpoch ?? -1);
    this.TMax = opts.TMax;
    this.etaMin = opts.etaMin ?? 0;
    this._initialStep();
  }

  getLr(): number[] {
    const e = this.lastEpoch, T = this.TMax, eta = this.etaMin;
    const groups = this.groups;
    if (e === 0) return groups.map((g) => g.lr);
    if (this._stepCount === 1 && e > 0) {
      // Constructed with lastEpoch ≥ 0 (resuming): start from the closed form.
      return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos(pyDiv(e * Math.PI, T)))) / 2);
    }
    if (pyMod(e - 1 - T, 2 * T) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - eta) * (1 - Math.cos(pyDiv(Math.PI, T)))) / 2);
    }
    const ratio = pyDiv(1 + Math.cos(pyDiv(Math.PI * e, T)), 1 + Math.cos(pyDiv(Math.PI * (e - 1), T)));
    return groups.map((g) => ratio * (g.lr - eta) + eta);
  }

  protected override closedFormLr(): number[] {
    const e = this.lastEpoch, T = this.TMax, eta = this.etaMin;
    return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos(pyDiv(Math.PI * e, T)))) / 2);
  }

  protected override fields(): Array<[string, string]> {
    return [['T_max', 'TMax'], ['eta_min', 'etaMin']];
  }
}

export interface SequentialLROptions {
  schedulers: LRScheduler[];
  /** Global epochs at which the next scheduler takes over; length = schedulers.length − 1. */
  milestones: number[];
  lastEpoch?: number;
}

/**
 * Runs schedulers one after another. Construction resets every group's lr to initialLr, undoes the
 * sub-schedulers' initial steps (lastEpoch −= 1) and redoes only the first one's. At a milestone
 * the next scheduler is started with step(0): its closed form at its own epoch 0 (for cosine:
 * base lr), so it counts its epochs from the milestone.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  /** Options as an object, or positionally in PyTorch's order (schedulers, milestones, lastEpoch). */
  constructor(optimizer: AnyOptimizer, opts: SequentialLROptions);
  constructor(optimizer: AnyOptimizer, schedulers: LRScheduler[], milestones: number[], lastEpoch?: number);
  constructor(optimizer: AnyOptimizer, ...rest: unknown[]) {
    const opts = resolveOptions<SequentialLROptions>('SequentialLR()', rest, ['schedulers', 'milestones', 'lastEpoch'], ['schedulers', 'milestones', 'lastEpoch']);
    const { schedulers, milestones } = opts;
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new Error(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new Error(
        'Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, ' +
          `but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    super(optimizer, -1);
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (opts.lastEpoch ?? -1) + 1;
    for (const g of this.groups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]._initialStep();
    this._lastLr = this.schedulers[0].getLastLr();
  }

  /** Not used: SequentialLR delegates to the active scheduler. */
  getLr(): number[] {
    return this.groups.map((g) => g.lr);
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }

  /** PyTorch's layout: `_schedulers` holds each sub-scheduler's state dict. */
  override stateDict(): SchedulerStateDict {
    return {
      _milestones: [...this.milestones],
      last_epoch: this.lastEpoch,
      _last_lr: [...this._lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    if ('_milestones' in sd) this.milestones.splice(0, this.milestones.length, ...(sd._milestones as number[]));
    if ('last_epoch' in sd) this.lastEpoch = sd.last_epoch as number;
    if ('_last_lr' in sd) this._lastLr = [...(sd._last_lr as number[])];
    const subs = (sd._schedulers ?? []) as SchedulerStateDict[];
    if (subs.length !== this.schedulers.length) {
      throw new Error(`SequentialLR state has ${subs.length} schedulers, this one has ${this.schedulers.length}`);
    }
    subs.forEach((s, i) => this.schedulers[i].loadStateDict(s));
  }
}
