// A tiny flag parser for the example scripts: `--name value` / `--name=value`, numbers and
// booleans typed by the defaults, --help printing every flag with its default.
import { parseArgs } from 'node:util';

export type FlagValues = Record<string, number | string | boolean>;

export function parseFlags<T extends FlagValues>(argv: string[], usage: string, defaults: T, help: Record<keyof T, string>): T {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [k, v] of Object.entries(defaults)) options[k] = { type: typeof v === 'boolean' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n(run with --help for the flags)`);
  }
  if (values.help) {
    const lines = Object.entries(defaults).map(([k, v]) => `  --${k.padEnd(16)} ${help[k]} (default ${String(v)})`);
    console.log(`${usage}\n\nflags:\n${lines.join('\n')}`);
    process.exit(0);
  }
  const out: FlagValues = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    if (k === 'help' || v === undefined) continue;
    if (typeof defaults[k] === 'number') {
      const n = Number(v);
      if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${k} expects a number, got '${String(v)}'`);
      out[k] = n;
    } else {
      out[k] = v;
    }
  }
  return out as T;
}
