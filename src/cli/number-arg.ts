// Commander argument parsers for numeric flags: strict decimal text (no hex, no Infinity, no
// blanks, no trailing junk), integers where integers are meant, a one-line CliError otherwise.
import { parseNumberText, type NumberRule } from '../train/number-text.js';
import { CliError } from './errors.js';

/** Parses a flag's text value by `rule`, throwing a CliError that names the flag and the text. */
export function parseNumberArg(flag: string, raw: string, rule: NumberRule = {}): number {
  try {
    return parseNumberText(flag, raw, rule);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** An argParser for commander: `.argParser(numberArg('--port', { integer: true, min: 0 }))`. */
export function numberArg(flag: string, rule: NumberRule = {}): (raw: string) => number {
  return (raw: string) => parseNumberArg(flag, raw, rule);
}
