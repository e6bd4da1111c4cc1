// torch.optim.LBFGS (1.13) without line search (line_search_fn=None, the example's setting): per
// step() up to maxIter iterations of two-loop-recursion L-BFGS with a fixed step lr (the first ever
// step scaled by min(1, 1/|g|₁)), stopping on PyTorch's tolerances. recur's core has no LBFGS;
// this port serves time_sequence_prediction and follows torch/optim/lbfgs.py line by line.
// Parameters are treated as one flat vector in parameters() order; arithmetic is in double.
import type { Tensor } from 'recur';

export interface LBFGSOptions {
  lr?: number;
  maxIter?: number;
  maxEval?: number;
  toleranceGrad?: number;
  toleranceChange?: number;
  historySize?: number;
}

type Vec = Float64Array;

const dot = (a: Vec, b: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const absMax = (a: Vec): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
const absSum = (a: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
};

export class LBFGS {
  readonly lr: number;
  readonly maxIter: number;
  readonly maxEval: number;
  readonly toleranceGrad: number;
  readonly toleranceChange: number;
  readonly historySize: number;
  private readonly params: Tensor[];
  // State carried between step() calls, PyTorch's names.
  private d: Vec | null = null;
  private t = 0;
  private oldDirs: Vec[] = [];
  private oldStps: Vec[] = [];
  private ro: number[] = [];
  private hDiag = 1;
  private prevFlatGrad: Vec | null = null;
  private prevLoss = NaN;
  private nIterTotal = 0;
  funcEvals = 0;

  constructor(params: Iterable<Tensor>, opts: LBFGSOptions = {}) {
    for (const k of Object.keys(opts)) {
      if (!['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize'].includes(k)) {
        throw new Error(`LBFGS: unknown option '${k}'`);
      }
    }
    this.params = [...params];
    if (this.params.length === 0) throw new Error('optimizer got an empty parameter list');
    this.lr = opts.lr ?? 1;
    this.maxIter = opts.maxIter ?? 20;
    this.maxEval = opts.maxEval ?? Math.floor((this.maxIter * 5) / 4);
    this.toleranceGrad = opts.toleranceGrad ?? 1e-7;
    this.toleranceChange = opts.toleranceChange ?? 1e-9;
    this.historySize = opts.historySize ?? 100;
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  private gatherFlatGrad(): Vec {
    const n = this.params.reduce((s, p) => s + p.data.length, 0);
    const out = new Float64Array(n);
    let o = 0;
    for (const p of this.params) {
      if (p.grad !== null) out.set(p.grad.data, o);
      o += p.data.length;
    }
    return out;
  }

  private addGrad(stepSize: number, update: Vec): void {
    let o = 0;
    for (const p of this.params) {
      const d = p.data;
      for (let k = 0; k < d.length; k++) d[k] += stepSize * update[o + k];
      o += d.length;
    }
  }

  /** Runs up to maxIter L-BFGS iterations; `closure` zeroes the gradients, computes the loss, calls backward() and returns the loss. */
  step(closure: () => number): number {
    const origLoss = closure();
    let loss = origLoss;
    let currentEvals = 1;
    this.funcEvals += 1;
    let flatGrad = this.gatherFlatGrad();
    let optCond = absMax(flatGrad) <= this.toleranceGrad;
    // optimal condition
    if (optCond) return origLoss;

    let d = this.d;
    let t = this.t;
    let nIter = 0;
    // optimize for a max of maxIter iterations
    while (nIter < this.maxIter) {
      nIter += 1;
      this.nIterTotal += 1;
      // compute gradient descent direction
      if (this.nIterTotal === 1) {
        d = flatGrad.map((g) => -g);
        this.oldDirs = [];
        this.oldStps = [];
        this.ro = [];
        this.hDiag = 1;
      } else {
        // do lbfgs update (update memory)
        const y = flatGrad.map((g, i) => g - this.prevFlatGrad![i]);
        const s = d!.map((v) => v * t);
        const ys = dot(y, s);
        if (ys > 1e-10) {
          // updating memory
          if (this.oldDirs.length === this.historySize) {
            // shift history by one (limited-memory)
            this.oldDirs.shift();
            this.oldStps.shift();
            this.ro.shift();
          }
          // store new direction/step
          this.oldDirs.push(y);
          this.oldStps.push(s);
          this.ro.push(1 / ys);
          // update scale of initial Hessian approximation
          this.hDiag = ys / dot(y, y);
        }
        // compute the approximate (L-BFGS) inverse Hessian multiplied by the gradient
        const numOld = this.oldDirs.length;
        const al = new Array<number>(numOld);
        // iteration in L-BFGS loop collapsed to use just one buffer
        const q = flatGrad.map((g) => -g);
        for (let i = numOld - 1; i >= 0; i--) {
          al[i] = dot(this.oldStps[i], q) * this.ro[i];
          const od = this.oldDirs[i];
          for (let k = 0; k < q.length; k++) q[k] += -al[i] * od[k];
        }
        // multiply by initial Hessian; r/d is the final direction
        const r = q.map((v) => v * this.hDiag);
        for (let i = 0; i < numOld; i++) {
          const beI = dot(this.oldDirs[i], r) * this.ro[i];
          const os = this.oldStps[i];
          for (let k = 0; k < r.length; k++) r[k] += (al[i] - beI) * os[k];
        }
        d = r;
      }
      this.prevFlatGrad = Float64Array.from(flatGrad);
      this.prevLoss = loss;
      // compute step length: reset initial guess for step size
      t = this.nIterTotal === 1 ? Math.min(1, 1 / absSum(flatGrad)) * this.lr : this.lr;
      // directional derivative
      const gtd = dot(flatGrad, d!);
      // directional derivative is below tolerance
      if (gtd > -this.toleranceChange) break;
      // optional line search: none here. No line search, simply move with fixed step
      let lsFuncEvals = 0;
      this.addGrad(t, d!);
      if (nIter !== this.maxIter) {
        // re-evaluate function only if not in last iteration
        loss = closure();
        flatGrad = this.gatherFlatGrad();
        optCond = absMax(flatGrad) <= this.toleranceGrad;
        lsFuncEvals = 1;
      }
      // update func eval
      currentEvals += lsFuncEvals;
      this.funcEvals += lsFuncEvals;
      // check conditions
      if (nIter === this.maxIter) break;
      if (currentEvals >= this.maxEval) break;
      // optimal condition
      if (optCond) break;
      // lack of progress
      if (absMax(d!.map((v) => v * t)) <= this.toleranceChange) break;
      if (Math.abs(loss - this.prevLoss) < this.toleranceChange) break;
    }
    this.d = d;
    this.t = t;
    return origLoss;
  }
}
