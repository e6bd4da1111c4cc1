// Base class of every layer, as torch.nn.Module: parameters, buffers and sub-modules are registered
// by name in order, so namedParameters() and stateDict() use PyTorch's dotted keys
// (`rnn.weight_ih_l0`, `embedding.weight`) and weights move between the two. Buffers are state that
// is not trained (CrossEntropyLoss's class `weight`): in stateDict() when persistent, never in
// parameters().
//
// Registration by assignment: the constructor returns a Proxy whose defineProperty trap sees every
// field write (`this.fc = new Linear(...)`, class-field initialisers, and TS's `undefined`
// definitions of declared fields), so a Module or Parameter value is registered at the moment it is
// assigned, as torch's __setattr__ does; registration order is assignment order, which gives
// PyTorch's state-dict key order. Only writes go through a trap: reads forward to the target
// without one.
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { Parameter } from './parameter.js';
import { checkOptions } from '../util/options.js';
import { disposeWorkspace } from '../runtime/wasm/workspace.js';

/**
 * A tensor as a state dict may hold it: a recur Tensor, or a plain `{ shape, data }` record such as
 * parseSafetensors(...).tensors gives (int64 data as BigInt64Array).
 */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number> | ArrayLike<bigint>;
}

/** What loadStateDict returns (torch's `_IncompatibleKeys`). */
export interface IncompatibleKeys {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface LoadStateDictOptions {
  /** Missing and unexpected keys are an error (default true). Size mismatches always are. */
  strict?: boolean;
}

export interface ZeroGradOptions {
  /** Set each gradient to null (default, as PyTorch ≥ 2.0) instead of filling it with zeros. */
  setToNone?: boolean;
}

function torchTypeName(v: unknown): string {
  if (v instanceof Tensor) {
    return v.dtype === 'float32' ? 'torch.FloatTensor' : v.dtype === 'float64' ? 'torch.DoubleTensor' : 'torch.LongTensor';
  }
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'object') return (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object';
  return typeof v;
}

function checkName(kind: string, name: string): void {
  if (typeof name !== 'string') throw new TypeError(`${kind} name should be a string. Got ${torchTypeName(name)}`);
  if (name.includes('.') || name === '') throw new Error(`${kind} name can't contain "." or be empty, got '${name}'`);
}

/** torch's _addindent: every line but the first indented by `n` spaces. */
function addIndent(s: string, n: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  const pad = ' '.repeat(n);
  return [lines[0], ...lines.slice(1).map((l) => pad + l)].join('\n');
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * Counts every change to any module's set of parameters or sub-modules (a registration, a
 * replacement, a deletion), so a holder of parameter references (the Trainer's optimizer) can tell
 * in O(1) that none changed since it last looked.
 */
let registrations = 0;

/** The number of parameter / sub-module registration changes so far, across all modules. */
export function registrationCount(): number {
  return registrations;
}

/** Registers Module / Parameter values written to fields; see the header comment. */
const REGISTERING: ProxyHandler<Module> = {
  defineProperty(target, key, desc) {
    if (typeof key === 'string' && 'value' in desc) target._onAssign(key, desc.value);
    return Reflect.defineProperty(target, key, desc);
  },
  deleteProperty(target, key) {
    if (typeof key === 'string') target._onDelete(key);
    return Reflect.deleteProperty(target, key);
  },
};

export class Module {
  /** True in training mode (dropout active); set by train() / eval(). */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module | null>();

  constructor() {
    // The proxy is what `new` returns, so subclass field writes go through REGISTERING.
    // eslint-disable-next-line no-constructor-return
    return new Proxy(this, REGISTERING);
  }

  /** @internal Called by the proxy before a field `name` is (re)defined with `value`. */
  _onAssign(name: string, value: unknown): void {
    if (value instanceof Parameter || value instanceof Module || (value === null && (this._parameters.has(name) || this._modules.has(name)))) {
      registrations++;
    }
    if (value instanceof Parameter) {
      this._buffers.delete(name);
      this._nonPersistent.delete(name);
      this._modules.delete(name);
      this._parameters.set(name, value);
    } else if (value instanceof Module) {
      this._parameters.delete(name);
      this._buffers.delete(name);
      this._nonPersistent.delete(name);
      this._modules.set(name, value);
    } else if (value === undefined) {
      // TS declares `fc: Linear;` fields as undefined before the constructor assigns them.
    } else if (this._parameters.has(name)) {
      if (value === null) this._parameters.set(name, null);
      else if (value !== this._parameters.get(name)) {
        throw new TypeError(`cannot assign '${torchTypeName(value)}' as parameter '${name}' (torch.nn.Parameter or None expected)`);
      }
    } else if (this._modules.has(name)) {
      if (value !== null) throw new TypeError(`cannot assign '${torchTypeName(value)}' as child module '${name}' (torch.nn.Module or None expected)`);
      this._modules.set(name, null);
    } else if (this._buffers.has(name)) {
      if (value !== null && !(value instanceof Tensor)) {
        throw new TypeError(`cannot assign '${torchTypeName(value)}' as buffer '${name}' (torch.Tensor or None expected)`);
      }
      this._buffers.set(name, value);
    }
  }

  /** @internal Called by the proxy when a field is deleted (torch's __delattr__). */
  _onDelete(name: string): void {
    registrations++;
    this._parameters.delete(name);
    this._buffers.delete(name);
    this._nonPersistent.delete(name);
    this._modules.delete(name);
  }

  /**
   * Registers (or replaces) a parameter; `null` records an absent optional parameter. The tensor
   * is marked as requiring grad and returned (assign it to a field to use it: `this.w = ...`).
   */
  registerParameter<T extends Tensor | null>(name: string, param: T): T {
    checkName('parameter', name);
    if (this._buffers.has(name) || this._modules.has(name)) throw new Error(`attribute '${name}' already exists`);
    if (param !== null && !(param instanceof Tensor)) {
      throw new TypeError(`cannot assign '${torchTypeName(param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`);
    }
    if (param !== null) param.requiresGrad_(true);
    registrations++;
    this._parameters.set(name, param);
    return param;
  }

  /**
   * Registers (or replaces) a buffer: state saved with the module but not trained (torch's
   * register_buffer). `null` records an absent optional buffer; non-persistent buffers stay out of
   * stateDict().
   */
  registerBuffer<T extends Tensor | null>(name: string, buffer: T, persistent = true): T {
    checkName('buffer', name);
    if (this._parameters.has(name) || this._modules.has(name)) throw new Error(`attribute '${name}' already exists`);
    if (buffer !== null && !(buffer instanceof Tensor)) {
      throw new TypeError(`cannot assign '${torchTypeName(buffer)}' object to buffer '${name}' (torch Tensor or None required)`);
    }
    this._buffers.set(name, buffer);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    return buffer;
  }

  /** Registers (or replaces) a sub-module under `name` (`null`: an absent optional one). */
  registerModule<M extends Module | null>(name: string, module: M): M {
    checkName('module', name);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`${torchTypeName(module)} is not a Module subclass`);
    if (this._parameters.has(name) || this._buffers.has(name)) throw new Error(`attribute '${name}' already exists`);
    registrations++;
    this._modules.set(name, module);
    return module;
  }

  /** The parameter registered under `name` on this module (not a sub-module). */
  getParameter(name: string): Tensor {
    const p = this._parameters.get(name);
    if (!p) throw new Error(`${this._getName()} has no parameter '${name}'`);
    return p;
  }

  /** `[name, module]` for each direct sub-module, in registration order (torch's named_children). */
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (m === null || seen.has(m)) continue;
      seen.add(m);
      yield [name, m];
    }
  }

  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /**
   * `[name, module]` for this module (name `prefix`) and every sub-module, depth first, each module
   * once (torch's named_modules).
   */
  *namedModules(prefix = '', memo: Set<Module> = new Set()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, m] of this._modules) {
      if (m !== null) yield* m.namedModules(prefix ? `${prefix}.${name}` : name, memo);
    }
  }

  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /**
   * `[name, tensor]` pairs in registration order, sub-modules depth first, each tensor once
   * (PyTorch's order). With `recurse` false, only this module's own parameters.
   */
  namedParameters(prefix = '', recurse = true): Array<[string, Tensor]> {
    return this.namedMembers((m) => m._parameters, prefix, recurse);
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** `[name, tensor]` for every buffer, sub-modules depth first (torch's named_buffers). */
  namedBuffers(prefix = '', recurse = true): Array<[string, Tensor]> {
    return this.namedMembers((m) => m._buffers, prefix, recurse);
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  private namedMembers(get: (m: Module) => Map<string, Tensor | null>, prefix: string, recurse: boolean): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [name, t] of get(m)) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        out.push([mp ? `${mp}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Total number of parameter elements (the article's "Model Params"). */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.data.length, 0);
  }

  /** Calls `fn` on every sub-module (depth first, children before parents) and then on this one. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Sets requiresGrad on every parameter (torch's requires_grad_); returns this. */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') throw new TypeError(`requiresGrad_: expected a boolean, got ${torchTypeName(requiresGrad)}`);
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** The same as requiresGrad_(flag). */
  requiresGrad(requiresGrad = true): this {
    return this.requiresGrad_(requiresGrad);
  }

  /**
   * `{ name: tensor }` with PyTorch's keys and order — per module its parameters, then its
   * persistent buffers, then its sub-modules; the tensors are the live ones (detached views).
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.stateEntries('')) out[name] = t.detach();
    return out;
  }

  /**
   * What stateDict() holds, as [key, live tensor] pairs. A tensor or module reachable under two
   * names (tied weights, shared layers) is under both keys, as in torch's state_dict
   * (namedParameters() lists it once).
   */
  private stateEntries(prefix: string): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [name, p] of this._parameters) if (p !== null) out.push([prefix + name, p]);
    for (const [name, b] of this._buffers) if (b !== null && !this._nonPersistent.has(name)) out.push([prefix + name, b]);
    for (const [name, m] of this._modules) if (m !== null) out.push(...m.stateEntries(`${prefix}${name}.`));
    return out;
  }

  /**
   * Copies `state` into the parameters and persistent buffers (values cast to each one's dtype).
   * `state` may hold Tensors or `{ shape, data }` records (parseSafetensors(...).tensors). Strict by
   * default: missing and unexpected keys are an error; a shape mismatch always is. One error lists
   * every problem, with torch's text. `options` may be the boolean `strict` (torch's positional).
   * Everything is checked before anything is copied: a failed load leaves every tensor as it was.
   */
  loadStateDict(state: Readonly<Record<string, TensorLike>>, options: LoadStateDictOptions | boolean = {}): IncompatibleKeys {
    const opts = typeof options === 'boolean' ? { strict: options } : options;
    checkOptions('loadStateDict()', opts, ['strict']);
    const strict = opts.strict ?? true;
    if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof Tensor) {
      throw new TypeError(`Expected state_dict to be dict-like, got ${torchTypeName(state)}.`);
    }
    const own = new Map(this.stateEntries(''));
    const missingKeys = [...own.keys()].filter((k) => !Object.hasOwn(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, p] of own) {
      if (!Object.hasOwn(state, k)) continue;
      const src = state[k];
      if (src === null || typeof src !== 'object' || !Array.isArray(src.shape) || src.data === undefined) {
        throw new TypeError(`While copying the parameter named "${k}", expected torch.Tensor or Tensor-like object from checkpoint but received ${torchTypeName(src)}`);
      }
      if (!sameShape(src.shape, p.shape)) {
        problems.push(
          `size mismatch for ${k}: copying a param with shape torch.Size([${src.shape.join(', ')}]) from checkpoint, the shape in current model is torch.Size([${p.shape.join(', ')}]).`,
        );
      } else if (src.data.length !== p.data.length) {
        throw new Error(`loadStateDict: "${k}" has shape [${src.shape.join(', ')}] but ${src.data.length} values`);
      } else if (p.data instanceof Int32Array) {
        for (let i = 0; i < src.data.length; i++) {
          const v = Number(src.data[i]);
          if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) {
            throw new Error(`loadStateDict: "${k}"[${i}] = ${v} does not fit an int64 tensor (recur stores int64 in 32 bits)`);
          }
        }
      }
    }
    if (strict && unexpectedKeys.length) problems.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
    if (strict && missingKeys.length) problems.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
    if (problems.length) {
      throw new Error(`Error(s) in loading state_dict for ${this._getName()}:\n\t${problems.join('\n\t')}`);
    }
    for (const [k, p] of own) {
      if (!Object.hasOwn(state, k)) continue;
      const data = state[k].data;
      const dst = p.data;
      if (dst === data) continue;
      // Every value was checked above: the copy cannot stop half-way.
      for (let i = 0; i < dst.length; i++) dst[i] = Number(data[i]);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every sub-module (dropout active when true). */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new Error('training mode is expected to be boolean');
    // Written only when it changes: every field write goes through the registering proxy's trap.
    if (this.training !== mode) this.training = mode;
    for (const m of this._modules.values()) if (m !== null) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Gives back the WASM memory this module and its submodules hold for the float32 kernels (their
   * workspaces), and ends their use: a later forward() on this module or any submodule throws
   * `<Name>: used after dispose()` instead of taking new memory. Parameters, buffers, stateDict()
   * and loadStateDict() keep working, so the weights can still be read and saved. A graph built
   * before dispose() still runs its backward (memory it takes then is given back when the module
   * is garbage-collected). Without dispose() the memory is given back at garbage collection.
   */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      disposeWorkspace(m);
      if (m._disposed) continue;
      m._disposed = true;
      // An own `forward` shadows the class's: every call path into the module goes through it.
      const name = m._getName();
      Object.defineProperty(m, 'forward', {
        value: () => {
          throw new Error(`${name}: used after dispose()`);
        },
        configurable: true, enumerable: false, writable: true,
      });
    }
  }

  /** @internal Set by dispose(). */
  _disposed = false;

  /** True once dispose() was called on this module or a module holding it. */
  get disposed(): boolean {
    return this._disposed;
  }

  /**
   * Clears every parameter's gradient: to null by default (PyTorch ≥ 2.0), or to zeros with
   * `{ setToNone: false }`. A boolean is taken as setToNone (torch's positional).
   */
  zeroGrad(options: ZeroGradOptions | boolean = {}): void {
    const opts = typeof options === 'boolean' ? { setToNone: options } : options;
    checkOptions('zeroGrad()', opts, ['setToNone']);
    const setToNone = opts.setToNone ?? true;
    for (const p of this.parameters()) {
      if (setToNone || p.grad === null) p.grad = null;
      else p.grad.data.fill(0);
    }
  }

  /** The dtype of the first parameter (modules are single-dtype). */
  get dtype(): DType {
    const p = this.parameters()[0];
    return p ? p.dtype : 'float32';
  }

  /**
   * The text inside this module's parentheses when printed (torch's extra_repr), e.g.
   * `in_features=4, out_features=2, bias=True`. Subclasses override it; may span lines.
   */
  extraRepr(): string {
    return '';
  }

  /**
   * The class name printed and used in messages (torch's _get_name). Bundlers such as esbuild
   * rename a class that refers to itself to `_Name` (`class _Embedding`); the underscore is dropped.
   */
  protected _getName(): string {
    return this.constructor.name.replace(/^_(?=[A-Z])/, '');
  }

  /** The module tree as PyTorch's print(model) shows it. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines: string[] = [];
    for (const [name, m] of this._modules) childLines.push(`(${name}): ${addIndent(m === null ? 'None' : m.toString(), 2)}`);
    const lines = [...extraLines, ...childLines];
    let s = `${this._getName()}(`;
    if (lines.length) {
      if (extraLines.length === 1 && childLines.length === 0) s += extraLines[0];
      else s += `\n  ${lines.join('\n  ')}\n`;
    }
    return `${s})`;
  }

  /** console.log(model) in Node prints the tree too. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
