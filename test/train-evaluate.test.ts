// evaluateModel scores long sequences in smaller batches, drawn as it goes: the same samples and the
// same accuracy as drawing every sample first and scoring them in batches of 1,000.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/train/config.js';
import { evaluateModel, evalWork } from '../src/train/evaluate.js';
import { accuracy, Trainer } from '../src/train/trainer.js';
import { getTask } from '../src/tasks/registry.js';
import { Generator } from '../src/tensor/random.js';

describe('evaluateModel', () => {
  it('matches scoring all samples at once, and reports its progress up to the whole work', () => {
    const config = resolveConfig({ seed: 3, hidden_dim: 8, embed_dim: 4 });
    const t = new Trainer(config);
    for (let i = 0; i < 30; i++) t.trainStep();
    const opts = { samples: 300, seed: 7, lengths: [3, 1500], samplesPerLength: 450 };
    const seen: Array<[number, number, number | null]> = [];
    const rep = evaluateModel(t.model, config, { ...opts, onProgress: (d, w, len) => void seen.push([d, w, len]) });

    // The reference: every sample drawn first (same generator, same stream order), one accuracy() each.
    const task = getTask(config.task);
    const gen = new Generator(opts.seed);
    const s = task.stream(config, gen);
    const overall = Array.from({ length: opts.samples }, () => s.next());
    const perLength = opts.lengths.map((len) => {
      const st = task.stream(config, gen, { minLen: len, maxLen: len });
      return Array.from({ length: opts.samplesPerLength }, () => st.next());
    });
    expect(rep.accuracy).toBe(accuracy(t.model, task, config, overall));
    expect(rep.byLength.map((r) => r.accuracy)).toEqual(perLength.map((xs) => accuracy(t.model, task, config, xs)));
    expect(rep.byLength.map((r) => r.length)).toEqual([3, 1500]);

    const total = evalWork(config, opts);
    expect(total).toBe(300 * 5 + 450 * 3 + 450 * 1500);
    // length 1500 goes in batches of 200,000 / 1500 = 133: four progress calls for it
    expect(seen.filter(([, , len]) => len === 1500)).toHaveLength(4);
    expect(seen.every(([, w]) => w === total)).toBe(true);
    expect(seen[seen.length - 1][0]).toBe(total);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThan(seen[i - 1][0]);
  });
});
