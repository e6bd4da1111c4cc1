// CPython's random.Random, bit for bit (Modules/_randommodule.c + Lib/random.py, CPython 3.2-3.13).
//
// Why: the article's data stream is `random.randint` calls; reproducing the exact sequence lets our
// training be compared step by step with PyTorch traces (tools/torch_interchange.py) and lets a seed
// mean the same thing in both worlds.
//
// Number vs bigint: every method works on JS numbers when the values fit exactly (≤ 2^53), and has a
// *Big twin on bigint for anything larger. getrandbits(k) returns a number for k ≤ 53 and a bigint
// for k > 53 (its Python result is an int of k bits; above 53 bits a number would round).
//
// Hot path: randint/randbelow for widths ≤ 2^32 use one 32-bit draw per attempt, no bigint, no
// allocation (the training loop calls randint ~5 times per sample).

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO32 = 4294967296;

/** JSON form of Python's `Random.getstate()`: (version, (mt[0..623], index), gauss_next). */
export interface PyRandomState {
  version: 3;
  /** 625 uint32 values: the 624 MT words followed by the position index (0..624). */
  internalstate: number[];
  gaussNext: number | null;
}

export class PyRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;
  // Random.gauss() caches its second value here. We do not implement gauss(); the field is carried
  // through getstate/setstate so a Python state round-trips unchanged.
  private gaussNext: number | null = null;

  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /**
   * random.seed(n) for an int n: CPython uses abs(n), split into little-endian 32-bit words
   * (at least one word, so 0 → [0]), fed to init_by_array. Hence seed(-7) ≡ seed(7).
   */
  seed(n: number | bigint): void {
    let a: bigint;
    if (typeof n === 'bigint') a = n;
    else if (Number.isSafeInteger(n)) a = BigInt(n);
    else throw new TypeError(`PyRandom.seed: expected an integer (|n| ≤ 2^53-1 as number, or a bigint), got ${n}`);
    if (a < 0n) a = -a;
    const key: number[] = [];
    do {
      key.push(Number(a & 0xffffffffn));
      a >>= 32n;
    } while (a > 0n);
    this.initByArray(key);
    this.gaussNext = null;
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(p, 1664525)) + key[j] + j) >>> 0; // uint32 wrap-around as in C
      i++;
      j++;
      if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(p, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
    }
    mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
  }

  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.mti = 0;
  }

  /** genrand_uint32: the next tempered 32-bit output, as a non-negative number. */
  nextUint32(): number {
    if (this.mti >= N) this.twist();
    let y = this.mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random(): 53-bit float in [0, 1), (a*2^26 + b) / 2^53 with a = 27 bits, b = 26 bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /**
   * getrandbits(k): k random bits. Number for k ≤ 53, bigint for k > 53.
   * CPython draws ceil(k/32) words; word i supplies bits [32i, 32i+32) and the last word is
   * shifted right to keep only its top (k mod 32) bits.
   */
  getrandbits(k: number): number | bigint {
    checkBits(k);
    if (k === 0) return 0; // Python ≥ 3.9: no draw
    if (k <= 32) return this.nextUint32() >>> (32 - k);
    if (k <= 53) {
      const lo = this.nextUint32();
      const hi = this.nextUint32() >>> (64 - k);
      return hi * TWO32 + lo;
    }
    return this.getrandbitsBig(k);
  }

  /** getrandbits(k) always as a bigint. */
  getrandbitsBig(k: number): bigint {
    checkBits(k);
    if (k === 0) return 0n;
    let r = 0n;
    let shift = 0n;
    for (let left = k; left > 0; left -= 32, shift += 32n) {
      let w = this.nextUint32();
      if (left < 32) w >>>= 32 - left;
      r |= BigInt(w) << shift;
    }
    return r;
  }

  /**
   * _randbelow_with_getrandbits(n): uniform in [0, n). k = n.bit_length() (not (n-1).bit_length(),
   * so a power of two n rejects half the draws — that is CPython's behaviour and we keep it).
   */
  randbelow(n: number): number {
    if (n < TWO32) {
      // ≤ 32 bits: the hot path. `!(n > 0)` also rejects NaN.
      if (!(n > 0) || !Number.isInteger(n)) throw new RangeError(`randbelow: n must be a positive integer, got ${n}`);
      const shift = Math.clz32(n); // = 32 - bit_length(n)
      let r = this.nextUint32() >>> shift;
      while (r >= n) r = this.nextUint32() >>> shift;
      return r;
    }
    return this.randbelowWide(n);
  }

  // 33..53-bit widths with numbers (exact below 2^53).
  private randbelowWide(n: number): number {
    if (!Number.isSafeInteger(n)) {
      throw new RangeError(`randbelow: n must be a safe integer (use randbelowBig for larger), got ${n}`);
    }
    const k = bitLength(n);
    let r = this.getrandbits(k) as number;
    while (r >= n) r = this.getrandbits(k) as number;
    return r;
  }

  randbelowBig(n: bigint): bigint {
    if (n <= 0n) throw new RangeError(`randbelow: n must be positive, got ${n}`);
    const k = n.toString(2).length;
    let r = this.getrandbitsBig(k);
    while (r >= n) r = this.getrandbitsBig(k);
    return r;
  }

  /** randrange(start, stop, step=1) with CPython's argument checks and draw pattern. */
  randrange(start: number, stop?: number, step = 1): number {
    for (const [name, v] of [['start', start], ['stop', stop], ['step', step]] as const) {
      if (v !== undefined && !Number.isSafeInteger(v)) throw new TypeError(`randrange: ${name} must be a safe integer, got ${v}`);
    }
    if (stop === undefined) {
      if (step !== 1) throw new TypeError('Missing a non-None stop argument');
      if (start > 0) return this.randbelow(start);
      throw new RangeError('empty range for randrange()');
    }
    const width = stop - start;
    if (step === 1) {
      if (width > 0) return start + this.randbelow(width);
      throw new RangeError(`empty range for randrange() (${start}, ${stop}, ${width})`);
    }
    let n: number;
    if (step > 0) n = Math.floor((width + step - 1) / step);
    else if (step < 0) n = Math.floor((width + step + 1) / step);
    else throw new RangeError('zero step for randrange()');
    if (n <= 0) throw new RangeError('empty range for randrange()');
    return start + step * this.randbelow(n);
  }

  /** randint(a, b): uniform on [a, b] inclusive = a + randbelow(b - a + 1). */
  randint(a: number, b: number): number {
    const width = b - a + 1;
    // fast path: small integer arguments (the data stream's randint(0, 9)); the checks are the ones
    // randrange would do, inlined so the call stays cheap
    if (width > 0 && width < TWO32 && Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
      const shift = Math.clz32(width);
      let r = this.nextUint32() >>> shift;
      while (r >= width) r = this.nextUint32() >>> shift;
      return a + r;
    }
    return this.randrange(a, b + 1);
  }

  randintBig(a: bigint, b: bigint): bigint {
    const width = b - a + 1n;
    if (width <= 0n) throw new RangeError(`empty range for randrange() (${a}, ${b + 1n}, ${width})`);
    return a + this.randbelowBig(width);
  }

  /** choice(seq) = seq[randbelow(len(seq))]. */
  choice<T>(seq: ArrayLike<T>): T {
    if (seq.length === 0) throw new RangeError('Cannot choose from an empty sequence');
    return seq[this.randbelow(seq.length)];
  }

  /** shuffle(x) in place: for i from len-1 down to 1, swap x[i] with x[randbelow(i+1)]. */
  shuffle<T>(x: { length: number; [i: number]: T }): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
  }

  /** The state as plain JSON data; `setstate` on it resumes the exact sequence. */
  getstate(): PyRandomState {
    return { version: 3, internalstate: [...this.mt, this.mti], gaussNext: this.gaussNext };
  }

  setstate(state: PyRandomState): void {
    if (state === null || typeof state !== 'object' || state.version !== 3) {
      throw new TypeError(`setstate: state with version 3 expected, got ${JSON.stringify((state as { version?: unknown } | null)?.version)}`);
    }
    const s = state.internalstate;
    if (!Array.isArray(s) || s.length !== N + 1) throw new TypeError(`setstate: internalstate must have ${N + 1} integers`);
    for (let i = 0; i < N; i++) {
      if (!Number.isInteger(s[i]) || s[i] < 0 || s[i] >= TWO32) throw new TypeError(`setstate: internalstate[${i}] = ${s[i]} is not a uint32`);
    }
    const idx = s[N];
    if (!Number.isInteger(idx) || idx < 0 || idx > N) throw new RangeError('invalid state'); // CPython's message
    const g = state.gaussNext;
    if (g !== null && typeof g !== 'number') throw new TypeError('setstate: gaussNext must be a number or null');
    this.mt.set(s.slice(0, N));
    this.mti = idx;
    this.gaussNext = g;
  }
}

function checkBits(k: number): void {
  if (!Number.isSafeInteger(k)) throw new TypeError(`getrandbits: k must be an integer, got ${k}`);
  if (k < 0) throw new RangeError('number of bits must be non-negative');
}

// bit_length for a positive safe integer; Math.clz32 only sees 32 bits.
function bitLength(n: number): number {
  return n < TWO32 ? 32 - Math.clz32(n) : 32 + bitLength(Math.floor(n / TWO32));
}
