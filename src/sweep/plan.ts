// What a sweep runs: settings (a grid over training flags, or named presets) × seeds, each pair a
// trial with a filesystem-safe id that is also its run name. Parsing of `--grid`, `--seeds` and
// spec files lives here too. Browser-safe: no node: imports (the spec file is read by the caller).
import { DEFAULT_CONFIG, FLAGS, PRESETS, parseFlagValue, validateConfig } from '../train/config.js';
import type { FlagSpec, TrainConfig } from '../train/config.js';

export type FlagValue = TrainConfig[keyof TrainConfig];

/** One point of the grid (or one named experiment): what it changes on top of the base. */
export interface Setting {
  /** Human label, e.g. "lr=0.005 warmup_step=2000", or the preset name. */
  label: string;
  /** Filesystem-safe form of the label, the trial ids' prefix ('' when there is no grid). */
  slug: string;
  preset?: string;
  overrides: Partial<TrainConfig>;
}

export interface GridAxis {
  key: keyof TrainConfig;
  values: FlagValue[];
}

export interface Trial {
  id: string;
  setting: string; // Setting.label
  seed: number;
  /** Complete config except save_dir (the executing machine's); run_name is the trial id. */
  config: TrainConfig;
}

// Flags that place or identify a run, or that sweeps set themselves: not grid axes, not base flags.
const NOT_SWEPT = new Set<string>(['save_dir', 'run_name', 'seed']);

function flagSpec(rawKey: string, where: string): FlagSpec {
  const key = rawKey.trim().replace(/-/g, '_');
  if (NOT_SWEPT.has(key)) {
    throw new Error(`${where}: '${key}' cannot be swept${key === 'seed' ? ' (use --seeds)' : ' (the sweep sets it)'}`);
  }
  const spec = FLAGS.find((f) => f.key === key);
  if (!spec) throw new Error(`${where}: unknown flag '${rawKey}' (known: ${FLAGS.map((f) => f.key).filter((k) => !NOT_SWEPT.has(k)).join(', ')})`);
  return spec;
}

/** A value from the command line or a spec file, checked and converted like the train flag. */
export function parseValue(key: string, raw: unknown, where = 'grid'): FlagValue {
  const spec = flagSpec(key, where);
  if (raw === null) raw = 'none';
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    throw new Error(`${where}: ${spec.key} value must be a string, number or boolean, got ${JSON.stringify(raw)}`);
  }
  try {
    return parseFlagValue(spec, String(raw));
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** `--grid 'lr=0.001,0.005'` → one axis. */
export function parseGridArg(arg: string): GridAxis {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`--grid expects key=v1,v2,..., got '${arg}'`);
  const where = `--grid ${arg}`;
  const key = flagSpec(arg.slice(0, eq), where).key;
  const parts = arg.slice(eq + 1).split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new Error(`${where}: empty value`);
  return axis(key, parts.map((p) => parseValue(key, p, where)), where);
}

function axis(key: keyof TrainConfig, values: FlagValue[], where: string): GridAxis {
  const seen = new Set<string>();
  for (const v of values) {
    const k = JSON.stringify(v);
    if (seen.has(k)) throw new Error(`${where}: value ${k} given twice`);
    seen.add(k);
  }
  if (values.length === 0) throw new Error(`${where}: no values`);
  return { key, values };
}

/** `0-9`, `0,3,7`, `0-4,10-12` → sorted unique seeds. */
export function parseSeeds(spec: string | number | readonly number[]): number[] {
  if (typeof spec === 'number') spec = String(spec);
  if (Array.isArray(spec)) spec = spec.join(',');
  const out = new Set<number>();
  for (const part of String(spec).split(',')) {
    const p = part.trim();
    const m = /^(\d+)\s*(?:-|\.\.)\s*(\d+)$/.exec(p);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (b < a) throw new Error(`--seeds: bad range '${p}' (expected a-b with a ≤ b)`);
      if (b - a >= 100_000) throw new Error(`--seeds: range '${p}' is too large`);
      for (let s = a; s <= b; s++) out.add(s);
    } else if (/^\d+$/.test(p)) {
      out.add(Number(p));
    } else {
      throw new Error(`--seeds expects a list or ranges of non-negative integers (e.g. 0-9 or 0,3,7), got '${spec}'`);
    }
  }
  for (const s of out) if (!Number.isSafeInteger(s)) throw new Error(`--seeds: ${s} is out of range`);
  return [...out].sort((a, b) => a - b);
}

/** Base flags from a spec file: keys are train flags, values are checked like the CLI's. */
export function parseBase(obj: unknown, where = 'base'): Partial<TrainConfig> {
  if (obj === undefined || obj === null) return {};
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${where} must be a mapping of flag: value`);
  const out: Record<string, FlagValue> = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = flagSpec(k, where).key;
    out[key] = parseValue(key, v, where);
  }
  return out as Partial<TrainConfig>;
}

/** Grid from a spec file: `{ lr: [0.001, 0.005], cell: gru }` (a single value is a one-value axis). */
export function parseGridObject(obj: unknown, where = 'grid'): GridAxis[] {
  if (obj === undefined || obj === null) return [];
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${where} must be a mapping of flag: [values]`);
  return Object.entries(obj as Record<string, unknown>).map(([k, v]) => {
    const key = flagSpec(k, where).key;
    const list = Array.isArray(v) ? v : [v];
    return axis(key, list.map((x) => parseValue(key, x, `${where}.${key}`)), `${where}.${key}`);
  });
}

export interface SpecFile {
  name?: string;
  preset?: string;
  base: Partial<TrainConfig>;
  grid: GridAxis[];
  seeds?: number[];
}

/** A parsed JSON/YAML spec: `{ name, preset, base: {flags}, grid: {key: [values]}, seeds }`. */
export function parseSpecObject(obj: unknown, file = 'spec'): SpecFile {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${file}: expected a mapping with base, grid, seeds, name`);
  const o = obj as Record<string, unknown>;
  const known = new Set(['name', 'preset', 'base', 'grid', 'seeds']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`${file}: unknown key '${k}' (known: ${[...known].join(', ')})`);
  if (o.name !== undefined && typeof o.name !== 'string') throw new Error(`${file}: name must be a string`);
  if (o.preset !== undefined && (typeof o.preset !== 'string' || !PRESETS[o.preset])) {
    throw new Error(`${file}: unknown preset ${JSON.stringify(o.preset)} (known: ${Object.keys(PRESETS).join(', ')})`);
  }
  let seeds: number[] | undefined;
  if (o.seeds !== undefined) {
    try {
      seeds = parseSeeds(o.seeds as string | number | number[]);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }
  return {
    name: o.name as string | undefined,
    preset: o.preset as string | undefined,
    base: parseBase(o.base, `${file}: base`),
    grid: parseGridObject(o.grid, `${file}: grid`),
    seeds,
  };
}

/** Grid values as they appear in labels and ids (0.005, true, gru, none). */
export function formatValue(v: FlagValue): string {
  return v === null ? 'none' : String(v);
}

// Run names keep [A-Za-z0-9._-] (the tracker's sanitizeRunName); anything else becomes '_'.
function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

// Short stable hash (FNV-1a, 32 bit) for ids that would be too long to be a directory name.
function hash8(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Every combination of the axes, first axis slowest (as nested loops read). */
export function gridSettings(axes: readonly GridAxis[], preset?: string): Setting[] {
  let combos: Array<Array<[keyof TrainConfig, FlagValue]>> = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => [...c, [a.key, v] as [keyof TrainConfig, FlagValue]]));
  return combos.map((c) => ({
    label: c.map(([k, v]) => `${k}=${formatValue(v)}`).join(' ') || (preset ?? 'base'),
    // key-value pairs joined by '_': lr-0.005_warmup_step-2000
    slug: c.map(([k, v]) => `${k}-${safe(formatValue(v))}`).join('_'),
    preset,
    overrides: Object.fromEntries(c) as Partial<TrainConfig>,
  }));
}

/** The article's experiments as settings (`recur reproduce`). */
export function presetSettings(names: readonly string[], overrides: Partial<TrainConfig> = {}): Setting[] {
  return names.map((name) => {
    if (!PRESETS[name]) throw new Error(`unknown experiment '${name}' (known: ${Object.keys(PRESETS).join(', ')})`);
    return { label: name, slug: safe(name), preset: name, overrides: { ...overrides } };
  });
}

const MAX_ID = 96;

/** Trial id = run name: `<slug>_seed-<n>`, shortened with a hash when too long for a directory. */
export function trialId(setting: Setting, seed: number): string {
  const id = setting.slug ? `${setting.slug}_seed-${seed}` : `seed-${seed}`;
  if (id.length <= MAX_ID) return id;
  const tail = `_${hash8(setting.slug)}_seed-${seed}`;
  return setting.slug.slice(0, MAX_ID - tail.length) + tail;
}

/**
 * Trials of settings × seeds, settings outer (so a setting's seeds finish close together). Configs
 * are layered DEFAULT < preset < base < setting < seed and not validated here: a combination that
 * training rejects (e.g. warmup_step ≥ total_steps) becomes a failed trial, see `invalidTrials`.
 */
export function planTrials(settings: readonly Setting[], base: Partial<TrainConfig>, seeds: readonly number[]): Trial[] {
  if (seeds.length === 0) throw new Error('no seeds to run');
  const trials: Trial[] = [];
  const ids = new Set<string>();
  for (const s of settings) {
    const presetFlags = s.preset ? PRESETS[s.preset] : {};
    if (!presetFlags) throw new Error(`unknown preset '${s.preset}'`);
    for (const seed of seeds) {
      const id = trialId(s, seed);
      if (ids.has(id)) throw new Error(`two trials would share the id '${id}'`);
      ids.add(id);
      const config = { ...DEFAULT_CONFIG, ...presetFlags, ...base, ...s.overrides, seed, run_name: id } as TrainConfig;
      trials.push({ id, setting: s.label, seed, config });
    }
  }
  return trials;
}

/** Trials whose config training will refuse, with the reason (reported before the sweep starts). */
export function invalidTrials(trials: readonly Trial[]): Array<{ id: string; reason: string }> {
  const out: Array<{ id: string; reason: string }> = [];
  for (const t of trials) {
    try {
      validateConfig(t.config);
    } catch (e) {
      out.push({ id: t.id, reason: (e as Error).message });
    }
  }
  return out;
}

/** Config keys whose values differ between two trial configs (save_dir ignored). */
export function configDiff(a: Partial<TrainConfig>, b: Partial<TrainConfig>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('save_dir');
  return [...keys].filter((k) => JSON.stringify((a as Record<string, unknown>)[k]) !== JSON.stringify((b as Record<string, unknown>)[k]));
}
