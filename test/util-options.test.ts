// checkOptions: the one place option objects are checked (unknown keys, PyTorch spellings, non-objects).
import { describe, it, expect } from 'vitest';
import { checkOptions, camelCase, optionHint } from '../src/util/options.js';
import { Generator } from '../src/index.js';

describe('checkOptions', () => {
  const allowed = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'] as const;
  it('accepts undefined, {} and allowed keys', () => {
    expect(() => checkOptions('Adam()', undefined, allowed)).not.toThrow();
    expect(() => checkOptions('Adam()', {}, allowed)).not.toThrow();
    expect(() => checkOptions('Adam()', { lr: 1, weightDecay: 0.1 }, allowed)).not.toThrow();
    expect(() => checkOptions('Adam()', Object.create(null), allowed)).not.toThrow();
  });
  it("names PyTorch's snake_case spelling", () => {
    expect(() => checkOptions('Adam()', { weight_decay: 0.1 }, allowed)).toThrow(
      "Adam() got an unexpected keyword argument 'weight_decay' (recur spells PyTorch's 'weight_decay' as 'weightDecay')",
    );
    expect(camelCase('padding_idx')).toBe('paddingIdx');
    expect(camelCase('num_layers')).toBe('numLayers');
    expect(optionHint('num_layers', ['numLayers'])).toContain("as 'numLayers'");
  });
  it('suggests a near miss, else lists the allowed keys', () => {
    expect(() => checkOptions('Adam()', { weightDecy: 0.1 }, allowed)).toThrow("(did you mean 'weightDecay'?)");
    expect(() => checkOptions('Adam()', { LR: 0.1 }, allowed)).toThrow("(did you mean 'lr'?)");
    expect(() => checkOptions('Adam()', { momentum: 0.9 }, allowed)).toThrow('(allowed: lr, betas, eps, weightDecay, amsgrad)');
    expect(() => checkOptions('f()', { a: 1 }, [])).toThrow('(it takes no options)');
  });
  it('rejects a positional value, an array or a class instance where options are expected', () => {
    expect(() => checkOptions('Adam()', 2e-3, allowed)).toThrow(new TypeError('Adam() expected an options object like { lr: ... }, got number 0.002'));
    expect(() => checkOptions('Adam()', false, allowed)).toThrow('got boolean false');
    expect(() => checkOptions('Adam()', null, allowed)).toThrow('got null');
    expect(() => checkOptions('Adam()', [1], allowed)).toThrow('got an array');
    expect(() => checkOptions('Dropout()', new Generator(0), ['p'])).toThrow('got a Generator');
  });
});
