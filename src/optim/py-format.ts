// Python's text for numbers, so optimizer / scheduler errors carry PyTorch's exact messages
// (`Invalid beta parameter at index 0: 1.0`, `The total norm of order 2.0 ...`).
// JS numbers don't know whether the caller meant an int or a float, so callers choose:
// `pyFloat` always formats as a Python float, `pyNumber` formats integral values as Python ints.

/** Python's `repr(float(x))`: shortest round-trip digits; exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip (same as repr).
  const [mant, expStr] = Math.abs(x).toExponential().split('e');
  const exp = Number(expStr);
  const digits = mant.replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** An integral value as a Python int (`-1`), anything else as a Python float (`1e-08`). */
export function pyNumber(x: number): string {
  return Number.isSafeInteger(x) ? String(x) : pyFloat(x);
}
