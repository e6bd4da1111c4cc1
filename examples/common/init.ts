// The two torch.nn.init functions word_language_model uses, in place and outside autograd.
import { Tensor, Generator, defaultGenerator } from 'recur';

/** nn.init.uniform_(t, a, b): fills t with U(a, b) draws from `generator`. */
export function uniform_(t: Tensor, a: number, b: number, generator: Generator = defaultGenerator): Tensor {
  for (let i = 0; i < t.data.length; i++) t.data[i] = generator.uniform(a, b);
  return t;
}

/** nn.init.zeros_(t). */
export function zeros_(t: Tensor): Tensor {
  t.data.fill(0);
  return t;
}
