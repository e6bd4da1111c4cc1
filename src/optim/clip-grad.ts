// torch.nn.utils.clip_grad_norm_ (1.13): the norm of all gradients taken together (as if
// concatenated), then every gradient is multiplied in place by min(max_norm / (total + 1e-6), 1).
// As in PyTorch the multiplication always happens, so a NaN/inf total norm spreads into the
// gradients unless errorIfNonfinite is set. Returns the total norm (before clipping).
import { Tensor } from '../tensor/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { pyFloat } from './py-format.js';
import { resolveOptions } from '../util/options.js';

export interface ClipGradNormOptions {
  /** p of the p-norm (default 2; Infinity for the max norm). */
  normType?: number;
  errorIfNonfinite?: boolean;
}

/**
 * Clips the gradients of `params` (a tensor or a list) to total p-norm `maxNorm`; `normType` may
 * be `Infinity`. Parameters without a gradient are ignored; none at all → returns 0.
 * float32 gradients: per-tensor norms and the total are rounded to float32, as torch.norm returns
 * them (the sums themselves are accumulated in double here); with any float64 gradient the total
 * is float64, as torch.stack of the norms promotes.
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, opts?: ClipGradNormOptions): number;
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType: number, opts?: Omit<ClipGradNormOptions, 'normType'>): number;
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType: number, errorIfNonfinite: boolean): number;
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, ...rest: unknown[]): number {
  const opts = resolveOptions<ClipGradNormOptions>('clipGradNorm()', rest, ['normType', 'errorIfNonfinite'], ['normType', 'errorIfNonfinite']);
  const normType = opts.normType ?? 2;
  if (typeof normType !== 'number') throw new TypeError(`clipGradNorm(): normType must be a number, got ${String(normType)}`);
  if (typeof maxNorm !== 'number') throw new TypeError(`clipGradNorm(): maxNorm must be a number, got ${String(maxNorm)}`);
  const list = params instanceof Tensor ? [params] : [...params];
  const grads = list.filter((p) => p.grad !== null).map((p) => p.grad!);
  if (grads.length === 0) return 0;
  // Each norm in its gradient's dtype; the total in float64 when any gradient is float64 (torch.stack
  // promotes), and each gradient multiplied by the coefficient cast to its own dtype.
  const id = (x: number) => x;
  const f32 = grads.every((g) => g.dtype === 'float32');
  const rd = f32 ? Math.fround : id;
  const pnorm = (xs: ArrayLike<number>): number => {
    if (normType === Infinity) {
      let m = 0;
      for (let i = 0; i < xs.length; i++) {
        const a = Math.abs(xs[i]);
        if (a > m || Number.isNaN(a)) m = a;
        if (Number.isNaN(m)) break;
      }
      return m;
    }
    let s = 0;
    if (normType === 2) {
      for (let i = 0; i < xs.length; i++) s += xs[i] * xs[i];
      return Math.sqrt(s);
    }
    if (normType === 1) {
      for (let i = 0; i < xs.length; i++) s += Math.abs(xs[i]);
      return s;
    }
    if (normType === 0) {
      for (let i = 0; i < xs.length; i++) s += xs[i] !== 0 ? 1 : 0;
      return s;
    }
    for (let i = 0; i < xs.length; i++) s += Math.abs(xs[i]) ** normType;
    return s ** (1 / normType);
  };
  // Each gradient's 2-norm by a monomorphic loop over its float32/float64 storage (the same sum, in
  // the same order, as pnorm), rounded to the gradient's dtype.
  const norms = grads.map((g) => (g.dtype === 'float32' ? Math.fround : id)(normType === 2 ? norm2(g.data as FloatArray) : pnorm(g.data)));
  const total = normType === Infinity ? (norms.length === 1 ? norms[0] : rd(pnorm(norms))) : rd(pnorm(norms));
  if (opts.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(
      `The total norm of order ${pyFloat(normType)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
        'To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`',
    );
  }
  // clip_coef = max_norm / (total_norm + 1e-6) in the norm's dtype; a Python number divided by a
  // tensor is `tensor.reciprocal() * number` in PyTorch. clamp(max=1) keeps NaN.
  const coef = rd(rd(1 / rd(total + rd(1e-6))) * rd(maxNorm));
  const clamped = coef > 1 ? 1 : coef;
  for (const g of grads) scaleInPlace(g.data as FloatArray, g.dtype === 'float32' ? Math.fround(clamped) : clamped);
  return total;
}

function norm2(xs: FloatArray): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] * xs[i];
  return Math.sqrt(s);
}

function scaleInPlace(d: FloatArray, c: number): void {
  for (let i = 0; i < d.length; i++) d[i] = d[i] * c; // typed array store rounds float32
}
