// Shared helpers for the RNN tests (not a test file itself).

/** Throws a readable message unless |a − e| ≤ atol + rtol·|e| everywhere. */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const ok = err <= atol + rtol * Math.abs(expected[i]);
    if (!ok && (worst < 0 || err > worstErr)) { worst = i; worstErr = err; }
  }
  if (worst >= 0) {
    throw new Error(`${what}: mismatch at ${worst}: got ${actual[worst]}, expected ${expected[worst]} (abs err ${worstErr})`);
  }
}

/** Packed row order of a padded batch: row → flat (t, b) position in the padded layout. */
export function packIndex(lengths: number[], T: number, batchFirst: boolean, sorted: number[] | null): { idx: number[]; batchSizes: number[] } {
  const B = lengths.length;
  const order = sorted ?? [...Array(B).keys()];
  const maxLen = Math.max(...lengths);
  const idx: number[] = [];
  const batchSizes: number[] = [];
  for (let t = 0; t < maxLen; t++) {
    let n = 0;
    for (const b of order) {
      if (lengths[b] > t) { idx.push(batchFirst ? b * T + t : t * B + b); n++; }
    }
    batchSizes.push(n);
  }
  return { idx, batchSizes };
}

/** Sorted order (descending length, stable) as enforce_sorted=False would give for distinct lengths. */
export function sortedOrder(lengths: number[]): number[] {
  return [...lengths.keys()].sort((a, b) => lengths[b] - lengths[a] || a - b);
}

// The golden checks' gather-from-padded and pad-by-hand helpers, shared rather than copied.
export { packFromPadded, padPacked } from '../web/play/src/golden-checks.js';
