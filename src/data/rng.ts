// The integer source a data stream draws from. Two implementations: recur's own Generator
// (src/tensor/random.ts) and PyRandom (src/data/pyrandom.ts), which reproduces Python's
// `random.Random` so a stream can be made identical to a Python reference run.
export interface IntRng {
  /** Uniform integer in [a, b], both inclusive (Python's `randint`). */
  randint(a: number, b: number): number;
  getState(): unknown;
  setState(state: any): unknown;
}
