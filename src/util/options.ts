// Option-object checking shared by every constructor and function that takes `{ ... }` options:
// an unknown key is an error (as an unexpected keyword argument is in Python), with a hint when it
// is PyTorch's snake_case spelling (`weight_decay` → `weightDecay`) or a near miss of an allowed
// key; a value that is not a plain object where options are expected is an error too.

/** `weight_decay` → `weightDecay`, `padding_idx` → `paddingIdx`. */
export function camelCase(key: string): string {
  return key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Edit distance with adjacent transpositions (optimal string alignment); option names are short. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The hint appended to an unknown-key error: the camelCase spelling, a near miss, or the list. */
export function optionHint(key: string, allowed: readonly string[]): string {
  const camel = camelCase(key);
  if (camel !== key && allowed.includes(camel)) return ` (recur spells PyTorch's '${key}' as '${camel}')`;
  const norm = (s: string) => s.toLowerCase().replace(/_/g, '');
  let best = '';
  let bestD = Infinity;
  for (const a of allowed) {
    const d = editDistance(norm(key), norm(a));
    if (d < bestD) { bestD = d; best = a; }
  }
  if (best && bestD <= Math.max(1, Math.floor(Math.min(key.length, best.length) / 3))) return ` (did you mean '${best}'?)`;
  return allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (it takes no options)';
}

/** A short description of a value for error messages: `number 2`, `Generator`, `array`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  if (typeof v === 'string') return `string '${v}'`;
  if (typeof v === 'function') return 'a function';
  return `${typeof v} ${String(v)}`;
}

/** True for `{ ... }` literals and `Object.create(null)` objects: what an options argument is. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Checks an options argument. `undefined` is no options. Anything that is not a plain object is a
 * TypeError (a positional argument where `{ ... }` was expected); a key outside `allowed` is an
 * Error naming the key, `where` (e.g. `Adam()`), and the likely intended key.
 */
export function checkOptions(where: string, opts: unknown, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (!isPlainObject(opts)) {
    const example = allowed.length ? `{ ${allowed[0]}: ... }` : '{}';
    throw new TypeError(`${where} expected an options object like ${example}, got ${describeValue(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new Error(`${where} got an unexpected keyword argument '${k}'${optionHint(k, allowed)}`);
  }
}

/**
 * Options given PyTorch's positional way, recur's object way, or both: `args` are the arguments
 * after the required ones. Values before a final plain object fill `positional` names in order (as
 * PyTorch's positional parameters do; `undefined` skips a slot); the final plain object holds the
 * rest. Too many positional values, a name given both ways and unknown keys are errors.
 * `new LSTM(32, 128, 2, { batchFirst: true })` → `{ numLayers: 2, batchFirst: true }`.
 */
export function resolveOptions<O extends object>(
  where: string, args: ArrayLike<unknown>, positional: readonly string[], allowed: readonly string[],
): O {
  const out: Record<string, unknown> = {};
  let named: unknown;
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const last = n > 0 ? args[n - 1] : undefined;
  if (n > 0 && (isPlainObject(last) || (positional.length === 0 && last !== undefined))) {
    named = last;
    n--;
  }
  if (n > positional.length) {
    if (positional.length === 0) checkOptions(where, args[0], allowed); // throws: not an options object
    const extra = args[positional.length];
    throw new TypeError(
      `${where} takes at most ${positional.length} positional option${positional.length === 1 ? '' : 's'} ` +
        `(${positional.join(', ')}) before the options object, got ${describeValue(extra)} in position ${positional.length + 1}` +
        (isPlainObject(extra) ? ' (the options object must be the last argument)' : ''),
    );
  }
  for (let i = 0; i < n; i++) if (args[i] !== undefined) out[positional[i]] = args[i];
  checkOptions(where, named, allowed);
  if (named !== undefined) {
    for (const [k, v] of Object.entries(named as Record<string, unknown>)) {
      if (Object.hasOwn(out, k)) throw new TypeError(`${where} got multiple values for '${k}' (positionally and in the options)`);
      out[k] = v;
    }
  }
  return out as O;
}
