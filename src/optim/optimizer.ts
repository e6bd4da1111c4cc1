// Base class of the optimizers, as torch.optim.Optimizer (1.13): parameter groups with per-group
// options that default to the constructor's, lazily created per-parameter state, and a state dict
// in PyTorch's layout ({state: {index: {...}}, param_groups: [{lr, ..., params: [indices]}]}) with
// PyTorch's snake_case keys, typed arrays for the buffers, so a run resumes bit-exactly.
import { checkOptions } from '../util/options.js';
import { Tensor } from '../tensor/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';

/** Options every group has. `initialLr` is set by the first LR scheduler attached (PyTorch's `initial_lr`). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  initialLr?: number;
}

/** A group as passed to a constructor: `params` plus any options overriding the defaults. */
export type ParamGroupInput<G extends ParamGroup> = { params: Tensor | Iterable<Tensor> } & Partial<Omit<G, 'params'>>;

export type ParamsInput<G extends ParamGroup> = Tensor | Iterable<Tensor> | Iterable<ParamGroupInput<G>>;

/** Per-parameter state: numbers (`step`), buffers, or null (SGD's momentum_buffer before use). */
export type ParamState = Record<string, number | FloatArray | null>;

export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

/** PyTorch's `torch.typename` of a tensor (`torch.FloatTensor`) or a Python-ish type name. */
export function typeName(x: unknown): string {
  if (x instanceof Tensor) {
    return x.dtype === 'float32' ? 'torch.FloatTensor' : x.dtype === 'float64' ? 'torch.DoubleTensor' : 'torch.LongTensor';
  }
  if (x === null || x === undefined) return 'NoneType';
  if (typeof x === 'number') return Number.isInteger(x) ? 'int' : 'float';
  if (typeof x === 'string') return 'str';
  if (Array.isArray(x)) return 'list';
  return typeof x === 'object' ? 'dict' : typeof x;
}

// camelCase option names ↔ PyTorch's param-group keys (only the multi-word ones differ).
const TO_SNAKE: Record<string, string> = { weightDecay: 'weight_decay', initialLr: 'initial_lr' };
const TO_CAMEL: Record<string, string> = Object.fromEntries(Object.entries(TO_SNAKE).map(([k, v]) => [v, k]));

function isIterable(x: unknown): x is Iterable<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function copyValue(v: unknown): unknown {
  if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array) return v.slice();
  if (Array.isArray(v)) return v.map(copyValue);
  return v;
}

export abstract class Optimizer<G extends ParamGroup = ParamGroup, S extends ParamState = ParamState> {
  readonly defaults: Omit<G, 'params'>;
  readonly paramGroups: G[] = [];
  /** Lazily created per-parameter state (only parameters that have had a gradient at a step). */
  readonly state = new Map<Tensor, S>();

  constructor(params: ParamsInput<G>, defaults: Omit<G, 'params'>) {
    this.defaults = defaults;
    if (params instanceof Tensor || !isIterable(params)) {
      throw new TypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typeName(params)}`,
      );
    }
    let groups = [...(params as Iterable<unknown>)];
    if (groups.length === 0) throw new Error('optimizer got an empty parameter list');
    if (groups[0] instanceof Tensor || !(typeof groups[0] === 'object' && groups[0] !== null)) {
      groups = [{ params: groups }];
    }
    for (const g of groups) this.addParamGroup(g as ParamGroupInput<G>);
  }

  /** Adds a group; options it doesn't give take the optimizer's defaults. */
  addParamGroup(group: ParamGroupInput<G>): void {
    if (group === null || typeof group !== 'object' || group instanceof Tensor) throw new Error('param group must be a dict');
    // torch keeps unknown group keys; a misspelt option (weight_decay) would then be silently unused.
    checkOptions(`${this.constructor.name} param group`, group, ['params', ...Object.keys(this.defaults), 'initialLr']);
    const raw = group.params;
    if (raw instanceof Set) {
      throw new TypeError('optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.');
    }
    const params = raw instanceof Tensor ? [raw] : [...(raw as Iterable<Tensor>)];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeName(p)}`);
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
    }
    const full = { ...group, params } as Record<string, unknown>;
    for (const [k, v] of Object.entries(this.defaults)) {
      if (full[k] === undefined) {
        if (v === undefined) throw new Error(`parameter group didn't specify a value of required optimization parameter ${k}`);
        full[k] = copyValue(v);
      }
    }
    this.validateGroup(full as unknown as G);
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    if (params.some((p) => seen.has(p))) throw new Error('some parameters appear in more than one parameter group');
    this.paramGroups.push(full as unknown as G);
  }

  /** Checks a group's options (PyTorch checks only the constructor's; we check every group). */
  protected validateGroup(_group: G): void {}

  /** Clears gradients: to null (default, PyTorch ≥ 2.0) or to zeros (`setToNone=false`, 1.13's default). */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else p.grad.data.fill(0);
      }
    }
  }

  /** One update of every parameter that has a gradient; `closure` re-evaluates the loss first. */
  step(closure?: () => number): number | undefined {
    const loss = closure ? closure() : undefined;
    this.checkGrads();
    for (const group of this.paramGroups) this.stepGroup(group);
    return loss;
  }

  protected abstract stepGroup(group: G): void;

  /**
   * Every gradient against its parameter (shape, dtype), before any update: a mismatch found in
   * the middle of a step would leave some parameters updated and others not. Parameters are
   * named by their index in stateDict() order (and their `name`, when set).
   */
  private checkGrads(): void {
    let i = 0;
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const gr = p.grad;
        if (gr !== null) {
          const same = gr.shape.length === p.shape.length && gr.shape.every((v, k) => v === p.shape[k]);
          if (!same || gr.dtype !== p.dtype || gr.data.length !== p.data.length) {
            throw new Error(
              `${this.constructor.name}: the gradient of parameter ${i}${p.name ? ` ('${p.name}')` : ''} has shape [${gr.shape.join(', ')}] (${gr.dtype}, ${gr.data.length} values), ` +
                `the parameter has shape [${p.shape.join(', ')}] (${p.dtype}, ${p.data.length} values); no parameter was updated`,
            );
          }
        }
        i++;
      }
    }
  }

  /** Parameters in state-dict order (index = position across all groups). */
  protected orderedParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * PyTorch's `optimizer.state_dict()` layout and keys. Buffers are copies (typed arrays of the
   * parameter's dtype), so the result stays valid while training continues.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const param_groups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[TO_SNAKE[k] ?? k] = copyValue(v);
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return packed as Record<string, unknown> & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = copyValue(v) as ParamState[string];
      state[i] = copy;
    }
    return { state, param_groups };
  }

  /** Restores a state dict from stateDict() (or PyTorch's layout): group options and buffers. */
  loadStateDict(sd: OptimizerStateDict): void {
    const saved = sd.param_groups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new Error('loaded state dict has a different number of parameter groups');
    }
    if (this.paramGroups.some((g, i) => g.params.length !== saved[i].params.length)) {
      throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
    }
    const idMap = new Map<number, Tensor>();
    saved.forEach((g, gi) => g.params.forEach((id, j) => idMap.set(Number(id), this.paramGroups[gi].params[j])));
    const newState = new Map<Tensor, S>();
    for (const [k, s] of Object.entries(sd.state ?? {})) {
      const p = idMap.get(Number(k));
      if (!p) throw new Error(`loaded state dict has state for parameter ${k}, which no parameter group lists`);
      const cast: ParamState = {};
      for (const [key, raw] of Object.entries(s as ParamState)) {
        const v = typedArrayJson(raw) ?? raw;
        if (v instanceof Float32Array || v instanceof Float64Array || ArrayBuffer.isView(v) || Array.isArray(v)) {
          const src = v as ArrayLike<number>;
          if (src.length !== p.data.length) {
            throw new Error(`loaded state '${key}' of parameter ${k} has ${src.length} elements, the parameter has ${p.data.length}`);
          }
          // Like PyTorch's cast(): buffers take the parameter's dtype.
          cast[key] = p.dtype === 'float64' ? Float64Array.from(src) : Float32Array.from(src);
        } else {
          cast[key] = v;
        }
      }
      newState.set(p, cast as S);
    }
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
    saved.forEach((g, gi) => {
      const group = this.paramGroups[gi] as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) if (k !== 'params') group[TO_CAMEL[k] ?? k] = copyValue(v);
    });
  }
}

/**
 * A typed array that went through JSON comes back as {"0": x0, "1": x1, …}: its values as an
 * array, so a JSON round trip of a state dict loads as typed arrays again. Null for anything else.
 */
function typedArrayJson(v: unknown): number[] | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return null;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0) return null;
  const out = new Array<number>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const x = o[String(i)];
    if (typeof x !== 'number') return null;
    out[i] = x;
  }
  return out;
}
