// Base class of every layer, as torch.nn.Module: parameters, buffers and sub-modules are registered
// by name in order, so namedParameters() and stateDict() use PyTorch's dotted keys
// (`rnn.weight_ih_l0`, `embedding.weight`) and weights move between the two. Buffers are state that
// is not trained (CrossEntropyLoss's class `weight`): in stateDict() when persistent, never in
// parameters().
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { disposeWorkspace } from '../runtime/wasm/workspace.js';

export class Module {
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module>();

  /** Registers (or replaces) a parameter; `null` records an absent optional parameter. */
  registerParameter(name: string, param: Tensor | null): Tensor | null {
    if (name.includes('.') || name === '') throw new Error(`parameter name can't contain "." or be empty, got '${name}'`);
    if (this._buffers.has(name)) throw new Error(`attribute '${name}' already exists`);
    if (param !== null) param.requiresGrad_(true);
    this._parameters.set(name, param);
    return param;
  }

  /**
   * Registers (or replaces) a buffer: state saved with the module but not trained (torch's
   * register_buffer). `null` records an absent optional buffer; non-persistent buffers stay out of
   * stateDict().
   */
  registerBuffer(name: string, buffer: Tensor | null, persistent = true): Tensor | null {
    if (name.includes('.') || name === '') throw new Error(`buffer name can't contain "." or be empty, got '${name}'`);
    if (this._parameters.has(name)) throw new Error(`attribute '${name}' already exists`);
    this._buffers.set(name, buffer);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    return buffer;
  }

  /** `[name, tensor]` for every buffer, sub-modules depth first (torch's named_buffers). */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [name, b] of m._buffers) if (b !== null) out.push([mp ? `${mp}.${name}` : name, b]);
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  registerModule<M extends Module>(name: string, module: M): M {
    if (name.includes('.') || name === '') throw new Error(`module name can't contain "." or be empty, got '${name}'`);
    this._modules.set(name, module);
    return module;
  }

  /** The parameter registered under `name` on this module (not a sub-module). */
  getParameter(name: string): Tensor {
    const p = this._parameters.get(name);
    if (!p) throw new Error(`${this.constructor.name} has no parameter '${name}'`);
    return p;
  }

  *namedChildren(): Generator<[string, Module]> {
    yield* this._modules.entries();
  }

  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, m] of this._modules) yield* m.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** `[name, tensor]` pairs in registration order, sub-modules depth first (PyTorch's order). */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [name, p] of m._parameters) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        out.push([mp ? `${mp}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of parameter elements (the article's "Model Params"). */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.data.length, 0);
  }

  /**
   * `{ name: tensor }` with PyTorch's keys and order — per module its parameters, then its
   * persistent buffers, then its sub-modules; the tensors are the live ones (detached views).
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.stateEntries()) out[name] = t.detach();
    return out;
  }

  /**
   * What stateDict() holds, as [key, live tensor] pairs. A tensor registered under two names (tied
   * weights) is under both keys, as in torch's state_dict (namedParameters() lists it once).
   */
  private stateEntries(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [mp, m] of this.namedModules()) {
      const key = (name: string) => (mp ? `${mp}.${name}` : name);
      for (const [name, p] of m._parameters) if (p !== null) out.push([key(name), p]);
      for (const [name, b] of m._buffers) if (b !== null && !m._nonPersistent.has(name)) out.push([key(name), b]);
    }
    return out;
  }

  /**
   * Copies `state` into the parameters and persistent buffers. Strict by default: missing keys,
   * unexpected keys and shape mismatches are one error that lists them all.
   */
  loadStateDict(state: Record<string, Tensor | { shape: number[]; data: ArrayLike<number> }>, strict = true): {
    missingKeys: string[];
    unexpectedKeys: string[];
  } {
    const own = new Map(this.stateEntries());
    const missingKeys = [...own.keys()].filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !own.has(k));
    const mismatches: string[] = [];
    for (const [k, p] of own) {
      const src = state[k];
      if (!src) continue;
      if (src.shape.length !== p.shape.length || src.shape.some((s, i) => s !== p.shape[i])) {
        mismatches.push(
          `size mismatch for ${k}: copying a param with shape [${src.shape.join(', ')}] from checkpoint, the shape in current model is [${p.shape.join(', ')}].`,
        );
      }
    }
    const problems: string[] = [...mismatches];
    if (strict && missingKeys.length) problems.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`);
    if (strict && unexpectedKeys.length) problems.splice(strict && missingKeys.length ? 1 : 0, 0, `Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`);
    if (problems.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${problems.join('\n\t')}`);
    }
    for (const [k, p] of own) {
      const src = state[k];
      if (!src) continue;
      const data = src instanceof Tensor ? src.data : src.data;
      for (let i = 0; i < p.data.length; i++) p.data[i] = data[i];
    }
    return { missingKeys, unexpectedKeys };
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (PyTorch ≥2.0 default: set to null). */
  /**
   * Gives back the WASM memory this module and its submodules hold for the float32 kernels (their
   * workspaces; graphs still alive keep their own tapes until backward or collection). The module
   * stays usable: a later call takes new memory. Without dispose() the memory is given back when
   * the module is garbage-collected.
   */
  dispose(): void {
    for (const [, m] of this.namedModules()) disposeWorkspace(m);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The dtype of the first parameter (modules are single-dtype). */
  get dtype(): DType {
    const p = this.parameters()[0];
    return p ? p.dtype : 'float32';
  }
}
