// Every RNN/LSTM/GRU and packing case of PyTorch 1.13's golden data (test/fixtures/golden.json,
// written by tools/gen_golden.py): outputs, final states, packed data and the gradient of every
// parameter, input and initial state, at golden.meta.tolerances (float64 atol = rtol = 1e-9;
// float32 atol 1e-5, rtol 1e-4). The checks are web/play/src/golden-checks.ts — the same code the
// browser's golden page runs on the bundle (test/web-golden) — here on the TypeScript sources
// ('recur' → src/index.ts in vitest.config.ts), one test per case. Embedding, cross-entropy,
// scheduler and Adam cases are checked with their own extra assertions in embedding.test.ts,
// loss-cross-entropy.test.ts, optim-scheduler.test.ts and optim-adam.test.ts (and by the page).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPECTED_COUNTS, goldenChecks } from '../web/play/src/golden-checks.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'));
const checks = goldenChecks(golden);

for (const suite of ['rnn', 'pack']) {
  describe(`golden ${suite} cases (PyTorch 1.13)`, () => {
    const mine = checks.filter((k) => k.suite === suite);
    it(`has ${EXPECTED_COUNTS[suite]} cases, each a check`, () => {
      expect(golden[`${suite}_cases`].length).toBe(EXPECTED_COUNTS[suite]);
      expect(mine.filter((k) => !k.name.startsWith('has ')).length).toBe(EXPECTED_COUNTS[suite]);
    });
    for (const k of mine) it(k.name, () => k.run());
  });
}

it('a wrong value fails the check, naming what differs', () => {
  const broken = JSON.parse(JSON.stringify(golden.rnn_cases[0]));
  broken.outputs.h_n.data[0] += 1e-3;
  const [k] = goldenChecks({ ...golden, rnn_cases: [broken] }).filter((c) => c.suite === 'rnn' && !c.name.startsWith('has '));
  expect(() => k.run()).toThrow(/h_n\[0\]/);
});
