// save / load (recur/node) and saveBytes / loadBytes (browser) of a state dict, against a file
// PyTorch wrote (test/fixtures/torch_state_dict.*, tools/gen_state_dict_fixture.py).
import { describe, it, expect } from 'vitest';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import {
  Module, Embedding, LSTM, Linear, Parameter, Tensor, tensor, saveBytes, loadBytes, loadBytesWithMetadata, Generator,
} from '../src/index.js';
import { save, load } from '../src/node.js';

const fixture = new URL('./fixtures/torch_state_dict.safetensors', import.meta.url);
const torchBytes = new Uint8Array(readFileSync(fixture));
const want = JSON.parse(readFileSync(new URL('./fixtures/torch_state_dict.json', import.meta.url), 'utf8')) as {
  keys: string[];
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
};

// The same model as the generator's, written the recur way.
class CharLM extends Module {
  embed = new Embedding(7, 3, { paddingIdx: 0, generator: new Generator(1) });
  lstm = new LSTM(3, 4, { numLayers: 2, batchFirst: true, generator: new Generator(1) });
  fc = new Linear(4, 7, { generator: new Generator(1) });
  scale = new Parameter(tensor([0, 0], { dtype: 'float64' }));
  steps: Tensor;
  mask: Tensor;
  constructor() {
    super();
    this.steps = this.registerBuffer('steps', tensor([0, 0, 0]));
    this.mask = this.registerBuffer('mask', tensor([[false, false], [false, false]]));
  }
}

describe('load: a state dict PyTorch saved', () => {
  it('reads every tensor with its dtype, shape and values', () => {
    const sd = load(fileURLToPath(fixture));
    expect(Object.keys(sd).sort()).toEqual([...want.keys].sort());
    const dt = { float32: 'float32', float64: 'float64', int64: 'int64', bool: 'bool' } as Record<string, string>;
    for (const [k, w] of Object.entries(want.tensors)) {
      expect(sd[k].dtype, k).toBe(dt[w.dtype]);
      expect(sd[k].shape, k).toEqual(w.shape);
      expect(Array.from(sd[k].data), k).toEqual(w.values);
    }
  });
  it('loads into the same model written with fields (strict), and its stateDict has torch\'s key order', () => {
    const m = new CharLM();
    expect(Object.keys(m.stateDict())).toEqual(want.keys);
    m.loadStateDict(load(fileURLToPath(fixture)));
    expect(Array.from(m.fc.bias!.data)).toEqual(want.tensors['fc.bias'].values);
    expect(Array.from(m.steps.data)).toEqual([3, -2, 2147483647]);
    expect(Array.from(m.mask.data)).toEqual([1, 0, 0, 1]);
  });
});

describe('save: bytes PyTorch reads as its own', () => {
  it("save(model.stateDict(), path) writes exactly the bytes of PyTorch's file for the same state", () => {
    const m = new CharLM();
    m.loadStateDict(loadBytes(torchBytes));
    const dir = mkdtempSync(join(tmpdir(), 'recur-save-'));
    try {
      const path = join(dir, 'model.safetensors');
      save(m.stateDict(), path);
      expect(Buffer.compare(readFileSync(path), Buffer.from(torchBytes))).toBe(0);
      const back = load(path);
      for (const [k, t] of Object.entries(m.stateDict())) expect(Array.from(back[k].data), k).toEqual(Array.from(t.data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('saveBytes / loadBytes round-trip in memory, with metadata', () => {
    const sd = { w: tensor([[1.5, -2]]), n: tensor([1, 2, 3]), b: tensor([true]), d: tensor([0.1], { dtype: 'float64' }) };
    const { stateDict, metadata } = loadBytesWithMetadata(saveBytes(sd, { metadata: { format: 'pt' } }));
    expect(metadata).toEqual({ format: 'pt' });
    for (const [k, t] of Object.entries(sd)) {
      expect(stateDict[k].dtype).toBe(t.dtype);
      expect(Array.from(stateDict[k].data)).toEqual(Array.from(t.data));
    }
  });
  it('clear errors: a Module instead of its state dict, a non-tensor value, an unknown option, a missing file', () => {
    const m = new CharLM();
    expect(() => saveBytes(m as never)).toThrow('expected a state dict, got a Module; pass model.stateDict()');
    expect(() => saveBytes({ w: [1, 2] } as never)).toThrow('saveBytes: "w" must be a Tensor, got an array');
    expect(() => saveBytes({}, { metdata: {} } as never)).toThrow("did you mean 'metadata'?");
    expect(() => load('/nonexistent/dir/model.safetensors')).toThrow("load: cannot read '/nonexistent/dir/model.safetensors'");
  });
});
