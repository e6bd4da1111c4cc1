// The training form, generated from recur's FLAGS table and PRESETS, so a flag or preset added to
// the library shows up here without touching the page. Values are parsed with the CLI's own
// parseFlagValue / resolveConfig, so the page accepts and rejects exactly what `recur train` does.
import { DEFAULT_CONFIG, FLAGS, PRESETS, parseFlagValue, resolveConfig, taskNames } from 'recur';
import type { FlagSpec, TrainConfig } from 'recur';

/** Flags that only make sense for the CLI's run directories. */
const HIDDEN = new Set(['save_dir', 'run_name', 'save_every', 'device', 'init_from']);

const GROUPS: Array<[string, string[]]> = [
  ['task', ['task', 'min_seq_len', 'max_seq_len', 'max_number']],
  ['model', ['cell', 'embed_dim', 'hidden_dim', 'num_layers', 'bidirectional', 'dropout']],
  ['optimisation', ['total_steps', 'batch_size', 'lr', 'min_lr', 'warmup_step', 'clip_grad_norm']],
  ['logging & seeds', ['log_every', 'eval_every', 'eval_samples', 'eval_seed', 'seed', 'data_rng']],
];

export interface TrainForm {
  /** The preset the fields were last filled from. */
  readonly preset: () => string;
  /** `key=value` of every field that differs from the preset (seed aside). */
  changes(config: TrainConfig): string[];
  /** A validated config (seed drawn when left empty), or null after marking the bad fields. */
  read(): { config: TrainConfig; error: null } | { config: null; error: string };
  setEnabled(enabled: boolean): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...kids);
  return e;
}

function show(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

export function buildForm(host: HTMLElement, presetSelect: HTMLSelectElement, initialPreset = 'baseline'): TrainForm {
  const specs = FLAGS.filter((f) => !HIDDEN.has(f.key));
  const grouped = new Set(GROUPS.flatMap(([, keys]) => keys));
  // Flags added to the library later land in "other" rather than disappearing.
  const groups: Array<[string, FlagSpec[]]> = GROUPS.map(([name, keys]) => [name, keys.map((k) => specs.find((s) => s.key === k)).filter((s): s is FlagSpec => !!s)]);
  const rest = specs.filter((s) => !grouped.has(s.key));
  if (rest.length) groups.push(['other', rest]);

  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const errors = new Map<string, HTMLElement>();
  for (const [name, list] of groups) {
    if (!list.length) continue;
    const fs = el('fieldset', { className: 'flag-group' }, el('legend', {}, name));
    for (const spec of list) {
      const id = `flag-${spec.key}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (spec.kind === 'bool') {
        input = el('input', { type: 'checkbox', id });
      } else if (spec.kind === 'choice' || spec.key === 'task') {
        const choices = spec.key === 'task' ? taskNames() : [...(spec.choices ?? [])];
        input = el('select', { id }, ...choices.map((c) => el('option', { value: c }, c)));
      } else {
        input = el('input', { type: 'text', id, spellcheck: false, autocomplete: 'off' });
        if (spec.kind === 'int' || spec.kind === 'float') input.inputMode = 'decimal';
        if (spec.nullable) input.placeholder = spec.key === 'seed' ? 'random' : 'none';
      }
      input.name = spec.key;
      input.dataset.flag = spec.key;
      const err = el('div', { className: 'flag-error' });
      const label = el('label', { htmlFor: id, className: 'flag-name', title: spec.help }, spec.key);
      fs.append(el('div', { className: `flag flag-${spec.kind}`, title: spec.help }, label, input, err));
      inputs.set(spec.key, input);
      errors.set(spec.key, err);
    }
    host.append(fs);
  }

  let preset = initialPreset in PRESETS ? initialPreset : Object.keys(PRESETS)[0];
  presetSelect.replaceChildren(...Object.keys(PRESETS).map((p) => el('option', { value: p }, p)));
  const badge = el('span', { className: 'modified', title: 'some flags differ from the preset' }, 'modified');
  presetSelect.after(badge);

  const fill = (name: string): void => {
    const c = resolveConfig({}, name);
    for (const [key, input] of inputs) {
      const v = c[key as keyof TrainConfig];
      if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = Boolean(v);
      else input.value = show(v);
      input.classList.remove('changed', 'invalid');
      errors.get(key)!.textContent = '';
      // Mark what the preset changes relative to the article's defaults.
      input.closest('.flag')!.classList.toggle('from-preset', v !== DEFAULT_CONFIG[key as keyof TrainConfig]);
    }
    preset = name;
    presetSelect.value = name;
    badge.hidden = true;
  };
  fill(preset);

  presetSelect.addEventListener('change', () => fill(presetSelect.value));
  for (const [key, input] of inputs) {
    input.addEventListener('input', () => {
      input.classList.add('changed');
      input.classList.remove('invalid');
      errors.get(key)!.textContent = '';
      badge.hidden = false;
    });
  }

  return {
    preset: () => preset,
    read() {
      const overrides: Partial<TrainConfig> = {};
      let firstError: string | null = null;
      for (const spec of specs) {
        const input = inputs.get(spec.key)!;
        let raw = input instanceof HTMLInputElement && input.type === 'checkbox' ? String(input.checked) : input.value.trim();
        if (raw === '' && spec.nullable) raw = 'none';
        try {
          (overrides as Record<string, unknown>)[spec.key] = parseFlagValue(spec, raw);
        } catch (e) {
          input.classList.add('invalid');
          errors.get(spec.key)!.textContent = (e as Error).message;
          firstError ??= (e as Error).message;
        }
      }
      if (firstError) return { config: null, error: firstError };
      try {
        // As `recur train --preset NAME --flag value`: the run is named after the preset.
        const config = resolveConfig(overrides, preset);
        // Like the CLI: a seed is drawn when none is given, and recorded with the model.
        if (config.seed === null) config.seed = Math.floor(Math.random() * 2 ** 31);
        return { config, error: null };
      } catch (e) {
        return { config: null, error: (e as Error).message };
      }
    },
    changes(config) {
      const base = resolveConfig({}, preset);
      return specs
        .filter((f) => f.key !== 'seed' && config[f.key] !== base[f.key])
        .map((f) => `${f.key}=${show(config[f.key])}`);
    },
    setEnabled(enabled) {
      presetSelect.disabled = !enabled;
      for (const input of inputs.values()) input.disabled = !enabled;
    },
  };
}
