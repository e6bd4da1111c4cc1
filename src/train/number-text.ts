// Numbers typed on a command line or in a form. JavaScript's Number() also accepts hex (0x10),
// binary and octal literals, "Infinity", surrounding blanks and the empty string (as 0); a flag
// takes none of these: only plain decimal text, with an exponent for reals.

/** Decimal integer text: optional sign, digits, nothing else. */
const INTEGER = /^[+-]?\d+$/;
/** Decimal real text: 12, -0.5, .5, 5., 1e-3, 2.5E+4. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface NumberRule {
  /** Only integers (no fraction, no exponent); must be a safe integer. */
  integer?: boolean;
  min?: number;
  max?: number;
}

/**
 * Parses `raw` as the value of `flag` (e.g. '--lr'), or throws one line naming the flag and the
 * text: `--lr expects a number, got '0x10'`.
 */
export function parseNumberText(flag: string, raw: string, rule: NumberRule = {}): number {
  const what = rule.integer ? 'an integer' : 'a number';
  if (!(rule.integer ? INTEGER : DECIMAL).test(raw)) throw new Error(`${flag} expects ${what}, got '${raw}'`);
  const v = Number(raw);
  if (rule.integer ? !Number.isSafeInteger(v) : !Number.isFinite(v)) throw new Error(`${flag} is out of range: ${raw}`);
  if (rule.min !== undefined && v < rule.min) throw new Error(`${flag} must be ≥ ${rule.min}, got ${raw}`);
  if (rule.max !== undefined && v > rule.max) throw new Error(`${flag} must be ≤ ${rule.max}, got ${raw}`);
  return v;
}
