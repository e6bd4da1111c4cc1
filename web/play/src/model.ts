// The page's model: built from model.safetensors bytes (from the worker, or a file the user
// picked), used for prediction, the explanation and the download.
import { DEFAULT_CONFIG, Generator, decodeModel, getTask, makeModel, predictOne } from 'recur';
import type { RnnClsNet, Task, TrainConfig } from 'recur';

export interface PageModel {
  model: RnnClsNet;
  config: TrainConfig;
  task: Task;
  step: number | null;
  /** The model.safetensors bytes this model was read from (what Download saves). */
  bytes: Uint8Array;
  /** Where it came from, for the UI. */
  source: string;
  /** True when the file had no recur metadata and the architecture was read off the tensor shapes. */
  inferred: boolean;
}

/** Reads model.safetensors bytes (recur's, or PyTorch's state dict with the same names). */
export function loadModelBytes(bytes: Uint8Array, source: string): PageModel {
  const decoded = decodeModel(bytes);
  let config: TrainConfig;
  let inferred = false;
  if (decoded.config) {
    config = { ...DEFAULT_CONFIG, ...decoded.config };
  } else {
    config = inferConfig(decoded.state);
    inferred = true;
  }
  const task = getTask(config.task);
  const model = makeModel({ ...config, seed: 0 }, new Generator(0));
  model.loadStateDict(decoded.state);
  model.eval();
  return { model, config, task, step: decoded.step, bytes, source, inferred };
}

/**
 * The architecture of an RnnClsNet state dict without metadata (e.g. saved by PyTorch):
 *   embedding.weight [max_number+2, embed_dim], rnn.weight_hh_l0 [G·hidden, hidden] with
 *   G = 1 (RNN), 3 (GRU), 4 (LSTM), one weight_ih_l{k} per layer, *_reverse when bidirectional.
 */
export function inferConfig(state: Record<string, { shape: number[] }>): TrainConfig {
  const need = (k: string) => {
    const t = state[k];
    if (!t) throw new Error(`not an RnnClsNet checkpoint: no '${k}' tensor and no recur metadata`);
    return t.shape;
  };
  const [vocab, embed] = need('embedding.weight');
  const [gh, hidden] = need('rnn.weight_hh_l0');
  const gates = gh / hidden;
  const cell = gates === 1 ? 'rnn' : gates === 3 ? 'gru' : gates === 4 ? 'lstm' : null;
  if (cell === null) throw new Error(`rnn.weight_hh_l0 has shape [${gh}, ${hidden}]: not an RNN, GRU or LSTM`);
  let layers = 0;
  while (state[`rnn.weight_ih_l${layers}`]) layers++;
  return {
    ...DEFAULT_CONFIG,
    max_number: vocab - 2,
    embed_dim: embed,
    hidden_dim: hidden,
    num_layers: layers,
    cell,
    bidirectional: Boolean(state['rnn.weight_ih_l0_reverse']),
    seed: null,
  };
}

export interface Answer {
  sequence: number[];
  prediction: number;
  probability: number;
  probs: number[];
  truth: number;
  correct: boolean;
}

export function answer(m: PageModel, seq: number[]): Answer {
  const { prediction, probability, probs } = predictOne(m.model, m.task, m.config, seq);
  const truth = m.task.answer(seq, m.config);
  return { sequence: seq, prediction, probability, probs, truth, correct: prediction === truth };
}

/**
 * Digits typed by the user, as the CLI's predict reads them: separated by spaces or commas.
 * When every digit is a single character (max_number ≤ 9) "3719" also reads as 3 7 1 9.
 * Returns a message for the user instead when the input is not a sequence.
 */
export function parseDigits(text: string, maxNumber: number): number[] | string {
  let parts = text.trim().split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return `type digits 0..${maxNumber} separated by spaces, e.g. 3 7 1 9`;
  if (maxNumber <= 9 && parts.length === 1 && /^\d{2,}$/.test(parts[0])) parts = parts[0].split('');
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[+-]?\d+$/.test(p)) return `'${p}' is not an integer; type digits 0..${maxNumber}`;
    const v = Number(p);
    if (v < 0 || v > maxNumber) return `${v} is out of range: digits must be in 0..${maxNumber}`;
    out.push(v);
  }
  return out;
}

export function describeModel(c: TrainConfig): string {
  const dirs = c.bidirectional ? 'bi-' : '';
  return `${dirs}${c.cell.toUpperCase()} ${c.num_layers}×${c.hidden_dim}, embed ${c.embed_dim}, digits 0..${c.max_number}`;
}
