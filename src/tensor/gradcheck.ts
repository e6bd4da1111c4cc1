// Finite-difference check of autograd gradients (float64). Instead of the full Jacobian it checks
// vector–Jacobian products J^T r for a few fixed random vectors r, which is what backward computes:
//   analytic: backward of Σ out·r ; numeric: (L(x+εe_i) − L(x−εe_i)) / 2ε for every input element.
import { Tensor, noGrad } from './tensor.js';
import { Generator } from './random.js';
import { checkOptions } from '../util/options.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** How many random projection vectors to try. */
  projections?: number;
  seed?: number;
}

export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor | Tensor[],
  inputs: Tensor[],
  opts: GradcheckOptions = {},
): true {
  checkOptions('gradcheck()', opts, ['eps', 'atol', 'rtol', 'projections', 'seed']);
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, projections = 2, seed = 0 } = opts;
  for (const x of inputs) {
    if (x.requiresGrad && x.dtype !== 'float64') {
      throw new Error(`gradcheck expects float64 inputs that require grad, got ${x.dtype}`);
    }
  }
  const gen = new Generator(seed);
  const outputsOf = (): Tensor[] => {
    const o = fn(...inputs);
    return Array.isArray(o) ? o : [o];
  };
  const probe = noGrad(outputsOf);
  for (let p = 0; p < projections; p++) {
    const r = probe.map((o) => Float64Array.from({ length: o.data.length }, () => gen.normal()));
    const lossOf = (outs: Tensor[]): number => {
      let s = 0;
      outs.forEach((o, j) => { for (let k = 0; k < o.data.length; k++) s += o.data[k] * r[j][k]; });
      return s;
    };
    for (const x of inputs) x.grad = null;
    const outs = outputsOf();
    // Backward of Σ_j Σ_k out_j[k] r_j[k]: seed each output with r_j.
    outs.forEach((o, j) => { if (o.requiresGrad) o.backward(r[j]); });
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      if (!x.requiresGrad) continue;
      const analytic = x.grad?.data ?? new Float64Array(x.data.length);
      for (let k = 0; k < x.data.length; k++) {
        const orig = x.data[k];
        x.data[k] = orig + eps;
        const lp = lossOf(noGrad(outputsOf));
        x.data[k] = orig - eps;
        const lm = lossOf(noGrad(outputsOf));
        x.data[k] = orig;
        const numeric = (lp - lm) / (2 * eps);
        const a = analytic[k];
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          throw new Error(
            `gradcheck: Jacobian mismatch for input ${i} element ${k} (projection ${p}): numerical ${numeric}, analytical ${a}`,
          );
        }
      }
      x.grad = null;
    }
  }
  return true;
}
