// Losses and sampling ops the tutorials use that recur's core does not export yet:
// F.nll_loss, F.mse_loss, Tensor.topk(1) and torch.multinomial over one row of probabilities.
// nllLoss and mseLoss are built from core ops (indexSelect, sub, mul, mean), so autograd comes for free.
import { Tensor, Generator, mean, neg, mul, sub, sum, indexSelect, reshape } from 'recur';

/** F.nll_loss(input (N, C) or (C), target int64 (N) or ()), reduction 'mean' or 'sum'. */
export function nllLoss(input: Tensor, target: Tensor, reduction: 'mean' | 'sum' = 'mean'): Tensor {
  if (target.dtype !== 'int64') throw new Error(`nll_loss: expected target of dtype int64, got ${target.dtype}`);
  const batched = input.ndim === 2;
  if (!batched && input.ndim !== 1) throw new Error(`nll_loss: expected input of 1 or 2 dimensions, got ${input.ndim}`);
  const N = batched ? input.shape[0] : 1;
  const C = input.shape[input.ndim - 1];
  if (target.numel() !== N) throw new Error(`Expected input batch_size (${N}) to match target batch_size (${target.numel()}).`);
  const flat = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const t = target.data[n];
    if (t < 0 || t >= C) throw new Error(`Target ${t} is out of bounds.`);
    flat[n] = n * C + t;
  }
  const picked = indexSelect(reshape(input, [N * C]), 0, flat);
  return neg(reduction === 'mean' ? mean(picked) : sum(picked));
}

/** F.mse_loss(input, target), reduction 'mean'. */
export function mseLoss(input: Tensor, target: Tensor): Tensor {
  const d = sub(input, target);
  return mean(mul(d, d));
}

/** Tensor.topk(1) along the last dim of a (1, C) or (C) tensor: [value, index]. */
export function top1(x: Tensor): [number, number] {
  const row = x.data;
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return [row[best], best];
}

/** torch.multinomial(probs, 1) for one row of non-negative weights (not necessarily normalised). */
export function sampleIndex(weights: ArrayLike<number>, generator: Generator): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  if (!(total > 0) || !Number.isFinite(total)) throw new Error('multinomial: invalid probability distribution (sum of probabilities <= 0)');
  let u = generator.random() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}
