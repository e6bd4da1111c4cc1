// The runs filter: words separated by spaces, all of which a run must satisfy.
//   sota            the run's id or name contains "sota" (case-insensitive)
//   lr>=0.005       config key compared with a value: = != < <= > >=  (numbers compare as numbers)
//   cell=gru        strings compare case-insensitively; `cell=gr*` matches with * as a wildcard
//   status=failed   besides config keys: status, seed, name, id, params, steps, rows, group
// A run without the key does not match a comparison. Text that is not one of these forms is an
// error with a message saying which word and why (the page shows it; nothing is silently ignored).
import { flattenConfig } from '../../src/track/summary.js';
import type { RunSummary } from './api.js';

export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Term = { kind: 'text'; text: string } | { kind: 'cmp'; key: string; op: Op; value: string; num: number | null };

export class FilterError extends Error {}

const CMP = /^([A-Za-z_][\w.-]*)(>=|<=|!=|==|=|<|>)(.*)$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function parseFilter(text: string): Term[] {
  const terms: Term[] = [];
  for (const word of text.trim().split(/\s+/).filter((w) => w !== '')) {
    const m = CMP.exec(word);
    if (m) {
      const [, key, rawOp, value] = m;
      if (value === '') throw new FilterError(`'${word}': no value after '${rawOp}'`);
      if (/^[<>=!]/.test(value)) throw new FilterError(`'${word}': unknown operator '${rawOp}${value[0]}' (use = != < <= > >=)`);
      const op = (rawOp === '==' ? '=' : rawOp) as Op;
      const num = NUMBER.test(value) ? Number(value) : null;
      if ((op === '<' || op === '<=' || op === '>' || op === '>=') && num === null) {
        throw new FilterError(`'${word}': '${op}' needs a number, got '${value}'`);
      }
      terms.push({ kind: 'cmp', key, op, value, num });
      continue;
    }
    if (/[<>=!]/.test(word)) throw new FilterError(`'${word}': expected a comparison such as lr>=0.005 or cell=gru`);
    terms.push({ kind: 'text', text: word.toLowerCase() });
  }
  return terms;
}

// The value a comparison reads from a run: a config key (dotted for nested config), else one of
// the summary fields.
function fieldOf(run: RunSummary, flat: Record<string, unknown>, key: string): unknown {
  if (key in flat) return flat[key];
  switch (key) {
    case 'status': return run.status;
    case 'seed': return run.seed;
    case 'name': return run.name;
    case 'id': return run.id;
    case 'params': return run.params;
    case 'steps': return run.lastStep;
    case 'rows': return run.rows;
    case 'group': return run.groupLabel;
    default: return undefined;
  }
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
}

function compare(v: unknown, t: Extract<Term, { kind: 'cmp' }>): boolean {
  if (v === undefined || v === null) return false;
  const n = typeof v === 'number' ? v : typeof v === 'string' && NUMBER.test(v) ? Number(v) : null;
  if (t.num !== null && n !== null) {
    switch (t.op) {
      case '=': return n === t.num;
      case '!=': return n !== t.num;
      case '<': return n < t.num;
      case '<=': return n <= t.num;
      case '>': return n > t.num;
      case '>=': return n >= t.num;
    }
  }
  if (t.op !== '=' && t.op !== '!=') return false;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const eq = t.value.includes('*') ? wildcard(t.value).test(s) : s.toLowerCase() === t.value.toLowerCase();
  return t.op === '=' ? eq : !eq;
}

// A predicate over runs; the flattened configs are cached per run object.
export function runMatcher(terms: readonly Term[]): (run: RunSummary) => boolean {
  if (terms.length === 0) return () => true;
  const flats = new WeakMap<RunSummary, Record<string, unknown>>();
  return (run) => {
    let flat = flats.get(run);
    if (!flat) flats.set(run, (flat = flattenConfig(run.config ?? {})));
    for (const t of terms) {
      if (t.kind === 'text') {
        if (!run.id.toLowerCase().includes(t.text) && !run.name.toLowerCase().includes(t.text)) return false;
      } else if (!compare(fieldOf(run, flat, t.key), t)) return false;
    }
    return true;
  };
}
