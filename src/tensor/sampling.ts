// torch.multinomial: draw category indices from rows of non-negative weights with a seeded
// Generator. The draws are PyTorch's distribution, not its random stream: the same seed gives the
// same indices in recur every time, but not the indices torch gives for that seed.
import { Tensor } from './tensor.js';
import { isFloat } from './dtype.js';
import { defaultGenerator, Generator } from './random.js';
import { checkOptions } from '../util/options.js';

export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
  /** The random source (default: the global generator seeded by manualSeed). */
  generator?: Generator;
}

const scalarName = (dtype: string): string => (dtype === 'int64' ? 'Long' : dtype === 'bool' ? 'Bool' : dtype);

/**
 * `numSamples` category indices per row of `input` (1-D: (C) → (numSamples); 2-D: (R, C) →
 * (R, numSamples)), int64, drawn with probability weight/Σweight. The weights need not sum to 1.
 *
 * With replacement each draw is u·Σw (u uniform in [0, 1) from the generator) located in the
 * running sum of the row, in index order (float64). Without replacement the row is drawn from
 * repeatedly, the drawn weight removed each time; once only zero weights remain, the rest are
 * drawn uniformly among the unused categories (PyTorch also returns zero-weight categories then).
 */
export function multinomial(input: Tensor, numSamples: number, opts: boolean | MultinomialOptions = {}): Tensor {
  if (typeof opts !== 'boolean') checkOptions('multinomial()', opts, ['replacement', 'generator']);
  const o: MultinomialOptions = typeof opts === 'boolean' ? { replacement: opts } : opts;
  if (o.generator !== undefined && !(o.generator instanceof Generator)) {
    throw new TypeError('multinomial(): generator must be a Generator');
  }
  const replacement = o.replacement ?? false;
  const gen = o.generator ?? defaultGenerator;
  if (!isFloat(input.dtype)) {
    throw new Error(`multinomial only supports floating-point dtypes for input, got: ${scalarName(input.dtype)}`);
  }
  if (input.ndim !== 1 && input.ndim !== 2) throw new Error('prob_dist must be 1 or 2 dim');
  if (!Number.isInteger(numSamples)) throw new Error(`multinomial: numSamples must be an integer, got ${numSamples}`);
  const C = input.shape[input.ndim - 1];
  const R = input.ndim === 2 ? input.shape[0] : 1;
  if (!replacement && numSamples > C) {
    throw new Error('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
  }
  if (numSamples <= 0) throw new Error('cannot sample n_sample <= 0 samples');
  const W = input.data;
  for (let k = 0; k < W.length; k++) {
    if (!(W[k] >= 0) || W[k] === Infinity) throw new Error('probability tensor contains either `inf`, `nan` or element < 0');
  }
  const out = new Int32Array(R * numSamples);
  const cum = new Float64Array(C);
  const w = new Float64Array(C);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) w[c] = W[r * C + c];
    let total = 0;
    for (let c = 0; c < C; c++) total += w[c];
    if (!(total > 0)) throw new Error('invalid multinomial distribution (sum of probabilities <= 0)');
    if (replacement) {
      for (let c = 0, s = 0; c < C; c++) { s += w[c]; cum[c] = s; }
      for (let j = 0; j < numSamples; j++) out[r * numSamples + j] = locate(cum, w, gen.random() * cum[C - 1]);
      continue;
    }
    const used = new Uint8Array(C);
    for (let j = 0; j < numSamples; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) { s += w[c]; cum[c] = s; }
      let pick: number;
      if (s > 0) {
        pick = locate(cum, w, gen.random() * s);
      } else {
        // Only zero weights left: uniform over the categories not drawn yet.
        let m = gen.randint(0, C - j - 1);
        pick = -1;
        for (let c = 0; c < C && pick < 0; c++) {
          if (used[c] === 1) continue;
          if (m === 0) pick = c;
          else m--;
        }
      }
      used[pick] = 1;
      w[pick] = 0;
      out[r * numSamples + j] = pick;
    }
  }
  return new Tensor(out, input.ndim === 2 ? [R, numSamples] : [numSamples], 'int64');
}

/**
 * First index c with cum[c] > u (cum is the running sum of w, so never a zero-weight entry). u·Σw
 * can round up to Σw itself; then the last category with weight is the answer.
 */
function locate(cum: Float64Array, w: Float64Array, u: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  while (w[lo] === 0 && lo > 0) lo--;
  return lo;
}
