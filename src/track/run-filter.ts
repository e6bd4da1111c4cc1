// Run filter expressions shared by `recur runs --filter` and the dashboard's filter box.
// Browser-safe.
//
//   lr>=0.005 cell=gru          every term must hold (AND)
//   sota*  warmup               a bare word matches the run's name or id (glob * ?, else substring)
//   status!=finished  seed<3    run fields: name id status seed project group rows steps
//   best.accuracy>0.9  last.loss<0.1   a metric's best / last value
//   optim.lr=1e-3  note="two words"   dotted config keys; double quotes around values with spaces
//   cell~gr                     ~ : value contains (case-insensitive)
//
// Operators: = == != > >= < <= ~. Comparison is numeric when both sides are numbers, else of the
// value's text (`true`, `null` and JSON arrays compare by their JSON text). A run lacking the key
// does not match (except for !=).
import { flattenConfig } from './summary.js';

export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';

export type FilterTerm = { kind: 'name'; pattern: string } | { kind: 'cmp'; key: string; op: FilterOp; value: string };

export class FilterSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly at: number,
    detail: string,
  ) {
    super(`filter '${expression}': ${detail} (at character ${at + 1})`);
    this.name = 'FilterSyntaxError';
  }
}

const OPS: readonly string[] = ['>=', '<=', '!=', '==', '=', '>', '<', '~'];

// Splits on whitespace outside double quotes; returns each token with its start offset.
function tokens(expr: string): Array<{ text: string; at: number }> {
  const out: Array<{ text: string; at: number }> = [];
  let i = 0;
  while (i < expr.length) {
    while (i < expr.length && /\s/.test(expr[i])) i++;
    if (i >= expr.length) break;
    const at = i;
    let text = '';
    let quoted = false;
    while (i < expr.length && (quoted || !/\s/.test(expr[i]))) {
      if (expr[i] === '"') quoted = !quoted;
      text += expr[i++];
    }
    if (quoted) throw new FilterSyntaxError(expr, at, 'unterminated "');
    out.push({ text, at });
  }
  return out;
}

export function parseFilter(expr: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  for (const { text, at } of tokens(expr)) {
    const m = /^([^=!<>~"]*)(>=|<=|!=|==|=|>|<|~)(.*)$/.exec(text);
    if (!m) {
      if (/[=!<>~]/.test(text)) throw new FilterSyntaxError(expr, at, `cannot read '${text}'`);
      terms.push({ kind: 'name', pattern: unquote(text, expr, at) });
      continue;
    }
    const [, key, op, rawValue] = m;
    if (key === '') throw new FilterSyntaxError(expr, at, `'${text}' has no key before '${op}'`);
    if (rawValue === '') throw new FilterSyntaxError(expr, at, `'${text}' has no value after '${op}'`);
    if (/^(>=|<=|!=|==|=|>|<|~)/.test(rawValue)) throw new FilterSyntaxError(expr, at, `'${text}': unknown operator '${op}${rawValue[0]}' (use one of ${OPS.join(' ')})`);
    const value = unquote(rawValue, expr, at);
    if ((op === '>' || op === '>=' || op === '<' || op === '<=') && !isNumeric(value)) {
      throw new FilterSyntaxError(expr, at, `'${text}': ${op} needs a number, got '${value}'`);
    }
    terms.push({ kind: 'cmp', key, op: op === '==' ? '=' : (op as FilterOp), value });
  }
  return terms;
}

function unquote(s: string, expr: string, at: number): string {
  if (!s.includes('"')) return s;
  if (/^"[^"]*"$/.test(s)) return s.slice(1, -1);
  throw new FilterSyntaxError(expr, at, `misplaced " in '${s}'`);
}

function isNumeric(s: string): boolean {
  return s.trim() !== '' && Number.isFinite(Number(s));
}

// What a filter looks at in a run (RunSummary satisfies it).
export interface FilterableRun {
  id: string;
  name: string;
  status: string;
  seed?: number | string;
  project?: string;
  group?: string;
  rows?: number;
  lastStep?: number;
  config: Record<string, unknown>;
  last?: Record<string, number | null>;
  best?: Record<string, { value: number }>;
}

function globMatch(pattern: string, text: string): boolean {
  if (!/[*?]/.test(pattern)) return text.toLowerCase().includes(pattern.toLowerCase());
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(text);
}

// The value of `key` in a run, or undefined when it has none.
export function fieldValue(run: FilterableRun, key: string, flat?: Record<string, unknown>): unknown {
  switch (key) {
    case 'name':
      return run.name;
    case 'id':
      return run.id;
    case 'status':
      return run.status;
    case 'project':
      return run.project;
    case 'group':
      return run.group;
    case 'rows':
      return run.rows;
    case 'steps':
      return run.lastStep;
  }
  if (key.startsWith('best.') && run.best) return run.best[key.slice(5)]?.value;
  if (key.startsWith('last.') && run.last) return run.last[key.slice(5)] ?? undefined;
  const f = flat ?? flattenConfig(run.config);
  if (key in f) return f[key];
  if (key === 'seed') return run.seed;
  return undefined;
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function holds(v: unknown, op: FilterOp, want: string): boolean {
  if (v === undefined) return op === '!=';
  const num = typeof v === 'number' ? v : typeof v === 'string' && isNumeric(v) ? Number(v) : NaN;
  const wantNum = isNumeric(want) ? Number(want) : NaN;
  if (op === '~') return asText(v).toLowerCase().includes(want.toLowerCase());
  if (!Number.isNaN(num) && !Number.isNaN(wantNum)) {
    switch (op) {
      case '=':
        return num === wantNum;
      case '!=':
        return num !== wantNum;
      case '>':
        return num > wantNum;
      case '>=':
        return num >= wantNum;
      case '<':
        return num < wantNum;
      case '<=':
        return num <= wantNum;
    }
  }
  if (op === '=') return asText(v) === want;
  if (op === '!=') return asText(v) !== want;
  return false; // an ordering against a value that is not a number
}

export function matchesFilter(run: FilterableRun, terms: readonly FilterTerm[]): boolean {
  let flat: Record<string, unknown> | undefined;
  for (const t of terms) {
    if (t.kind === 'name') {
      if (!globMatch(t.pattern, run.name) && !globMatch(t.pattern, run.id)) return false;
      continue;
    }
    if (!flat && !t.key.startsWith('best.') && !t.key.startsWith('last.')) flat = flattenConfig(run.config);
    if (!holds(fieldValue(run, t.key, flat), t.op, t.value)) return false;
  }
  return true;
}

// Keys of `terms` that no run has (for "no run has key 'lrr'" instead of an empty list).
export function unknownKeys(runs: readonly FilterableRun[], terms: readonly FilterTerm[]): string[] {
  const out: string[] = [];
  for (const t of terms) {
    if (t.kind !== 'cmp') continue;
    if (!runs.some((r) => fieldValue(r, t.key) !== undefined)) out.push(t.key);
  }
  return out;
}
