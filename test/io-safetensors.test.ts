// safetensors: round trips, every validation error, and files written by PyTorch
// (tools/torch_interchange.py init → test/fixtures/torch_init_*.safetensors).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bfloat16ToFloat32,
  halfToFloat32,
  int32ToInt64,
  int64ToInt32,
  parseSafetensors,
  serializeSafetensors,
  SafetensorsError,
  type TensorEntry,
} from '../src/io/safetensors.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** A file from a raw header string and data bytes (no padding unless the caller adds it). */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const f32 = (n: number) => new Uint8Array(4 * n);
const parseErr = (bytes: Uint8Array) => () => parseSafetensors(bytes);

describe('round trip', () => {
  it('keeps dtype, shape and exact bits for every dtype, plus metadata', () => {
    const tensors: Record<string, TensorEntry> = {
      w: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 1e-45]) },
      d: { dtype: 'float64', shape: [2], data: new Float64Array([Math.PI, -5e-324]) },
      i: { dtype: 'int32', shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
      l: { dtype: 'int64', shape: [1, 2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
      scalar: { dtype: 'float32', shape: [], data: new Float32Array([7]) },
      empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = serializeSafetensors(tensors, { format: 'pt', note: 'é "quoted"' });
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', note: 'é "quoted"' });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      const b = back.tensors[k];
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      // compare bytes so NaN and -0 count
      expect(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)).toEqual(
        new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      );
    }
  });

  it('writes the exact reference layout: LE length, compact sorted JSON, space padding to 8', () => {
    const bytes = serializeSafetensors({
      b: { dtype: 'float32', shape: [1], data: new Float32Array([1]) },
      a: { dtype: 'int32', shape: [2], data: new Int32Array([1, -1]) },
    });
    const header = '{"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    expect(padded.length % 8).toBe(0);
    const expected = rawFile(padded, new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x80, 0x3f]));
    expect(bytes).toEqual(expected);
  });

  it('orders names like Python sorted(), even integer-like ones, and survives "__proto__"', () => {
    const t = (v: number): TensorEntry => ({ dtype: 'float32', shape: [1], data: new Float32Array([v]) });
    const tensors: Record<string, TensorEntry> = {};
    for (const [k, v] of [['10', 1], ['2', 2], ['a', 3]] as const) tensors[k] = t(v);
    Object.defineProperty(tensors, '__proto__', { value: t(4), enumerable: true });
    const bytes = serializeSafetensors(tensors);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))));
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"'));
    expect(text.indexOf('"2"')).toBeLessThan(text.indexOf('"__proto__"'));
    const back = parseSafetensors(bytes);
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(back.tensors, '__proto__')).toBe(true);
    expect(back.tensors['__proto__'].data[0]).toBe(4);
    expect(back.tensors['10'].data[0]).toBe(1);
  });

  it('property: random tensor dicts round-trip and the bytes ignore insertion order', () => {
    const entry = fc.oneof(
      fc.array(fc.float(), { maxLength: 12 }).map((a): TensorEntry => ({ dtype: 'float32', shape: [a.length], data: new Float32Array(a) })),
      fc.array(fc.double({ noNaN: true }), { maxLength: 12 }).map((a): TensorEntry => ({ dtype: 'float64', shape: [a.length], data: new Float64Array(a) })),
      fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 12 }).map((a): TensorEntry => ({ dtype: 'int32', shape: [a.length], data: new Int32Array(a) })),
      fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 12 }).map((a): TensorEntry => ({ dtype: 'int64', shape: [1, a.length], data: new BigInt64Array(a) })),
    );
    const name = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__' && s !== '__proto__');
    fc.assert(
      fc.property(fc.dictionary(name, entry, { maxKeys: 6 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (tensors, meta) => {
        const bytes = serializeSafetensors(tensors, meta);
        expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
        const reversed = Object.fromEntries(Object.entries(tensors).reverse());
        expect(serializeSafetensors(reversed, meta)).toEqual(bytes);
        const back = parseSafetensors(bytes);
        expect(back.metadata).toEqual(meta);
        for (const [k, t] of Object.entries(tensors)) {
          expect(back.tensors[k].shape).toEqual(t.shape);
          expect(Array.from(back.tensors[k].data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reads from a Uint8Array view with an odd byteOffset (copies, does not alias)', () => {
    const bytes = serializeSafetensors({ x: { dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) } });
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const back = parseSafetensors(big.subarray(3));
    expect(Array.from(back.tensors.x.data as Float64Array)).toEqual([1, 2]);
    big.fill(0);
    expect(Array.from(back.tensors.x.data as Float64Array)).toEqual([1, 2]);
  });
});

describe('serialize validation', () => {
  it('rejects inconsistent input', () => {
    expect(() => serializeSafetensors({ a: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).toThrow(/3 elements but data has 2/);
    expect(() => serializeSafetensors({ a: { dtype: 'float32', shape: [2], data: new Float64Array(2) } as unknown as TensorEntry })).toThrow(/needs a Float32Array, got Float64Array/);
    expect(() => serializeSafetensors({ a: { dtype: 'float16', shape: [2], data: new Float32Array(2) } as unknown as TensorEntry })).toThrow(/dtype must be one of/);
    expect(() => serializeSafetensors({ a: { dtype: 'float32', shape: [-1], data: new Float32Array(0) } })).toThrow(/non-negative integers/);
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'float32', shape: [0], data: new Float32Array(0) } })).toThrow(/reserved/);
    expect(() => serializeSafetensors({ '': { dtype: 'float32', shape: [0], data: new Float32Array(0) } })).toThrow(/non-empty/);
    expect(() => serializeSafetensors({}, { a: 1 as unknown as string })).toThrow(/metadata value for "a" must be a string/);
  });
});

describe('parse validation', () => {
  const one = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  it('accepts the well-formed baseline used below', () => {
    expect(parseSafetensors(rawFile(one, f32(2))).tensors.a.shape).toEqual([2]);
  });

  it.each([
    ['truncated before the length field', new Uint8Array(5), /file is truncated: 5 bytes/],
    ['header length beyond the file', rawFile(one, f32(2)).subarray(0, 40), /header length \d+ is beyond the end of the file \(32 bytes after the length field\)/],
    ['header length absurd (u64 high bits)', (() => { const b = rawFile(one, f32(2)); b[7] = 1; return b; })(), /beyond the end of the file/],
    ['header too small', rawFile('{'), /too small for a JSON object/],
    ['header not UTF-8', rawFile('{"ab":1}').map((v, i) => (i === 10 ? 0xff : v)), /not valid UTF-8/],
    ['header not an object', rawFile('[1,2]'), /must start with "\{"/],
    ['bad JSON', rawFile('{"a":}'), /not valid JSON: unexpected character "}"/],
    ['unterminated JSON', rawFile('{"a":{"dtype":"F32"'), /not valid JSON/],
    ['trailing garbage after JSON', rawFile('{} x'), /trailing characters/],
    ['duplicate tensor names', rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(2)), /duplicate key "a"/],
    ['duplicate field inside an entry', rawFile('{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}', f32(1)), /duplicate key "dtype"/],
    ['entry not an object', rawFile('{"a":3}'), /tensor "a": entry must be an object/],
    ['unknown field', rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}', f32(1)), /unknown field "x"/],
    ['unsupported dtype', rawFile('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)), /unsupported dtype string "U8"/],
    ['shape not integers', rawFile('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', f32(1)), /non-negative integers/],
    ['negative shape', rawFile('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', f32(1)), /non-negative integers/],
    ['missing data_offsets', rawFile('{"a":{"dtype":"F32","shape":[1]}}', f32(1)), /"data_offsets" must be \[begin, end\]/],
    ['offsets reversed', rawFile('{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}', f32(1)), /end before they begin/],
    ['byte count mismatch', rawFile('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32(2)), /needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['dtype/byte mismatch (F64 in 4 bytes)', rawFile('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}}', f32(1)), /needs 8 bytes/],
    ['offsets out of range', rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', f32(2)), /out of range, data buffer has 8 bytes/],
    ['overlapping tensors', rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', f32(3)), /tensors "a" and "b" overlap/],
    ['gap between tensors', rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', f32(3)), /gap: bytes \[4, 8\) before tensor "b"/],
    ['trailing bytes not covered', rawFile(one, f32(3)), /bytes \[8, 12\) belong to no tensor/],
    ['metadata not an object', rawFile('{"__metadata__":[]}'), /"__metadata__" must be an object of strings/],
    ['metadata value not a string', rawFile('{"__metadata__":{"k":1}}'), /"__metadata__"."k" must be a string, got number 1/],
  ])('%s', (_name, bytes, message) => {
    expect(parseErr(bytes as Uint8Array)).toThrow(SafetensorsError);
    expect(parseErr(bytes as Uint8Array)).toThrow(message as RegExp);
  });

  it('accepts zero-size tensors sharing an offset, empty files, and whitespace padding', () => {
    const h = '{"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"I64","shape":[0,3],"data_offsets":[4,4]}}   ';
    const p = parseSafetensors(rawFile(h, f32(1)));
    expect(p.tensors.z.data.length).toBe(0);
    expect(p.tensors.y.shape).toEqual([0, 3]);
    expect(parseSafetensors(rawFile('{}      '))).toEqual({ tensors: {}, metadata: {} });
  });
});

describe('F16 / BF16 / int64 helpers', () => {
  it('widens F16 exactly, including subnormals, infinities and NaN', () => {
    const bits = [0x3c00, 0xc000, 0x0001, 0x03ff, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3555];
    const data = new Uint8Array(new Uint16Array(bits).buffer);
    const p = parseSafetensors(rawFile('{"h":{"dtype":"F16","shape":[9],"data_offsets":[0,18]}}', data));
    expect(p.tensors.h.dtype).toBe('float32');
    expect(p.tensors.h.storedDtype).toBe('F16');
    const v = Array.from(p.tensors.h.data as Float32Array);
    expect(v.slice(0, 8)).toEqual([1, -2, 2 ** -24, 1023 * 2 ** -24, 65504, Infinity, -Infinity, -0]);
    expect(v[8]).toBe(Math.fround(0.333251953125)); // 0x3555 = 0.333251953125
    expect(Object.is(v[7], -0)).toBe(true);
    expect(halfToFloat32(new Uint16Array([0x7e00]))[0]).toBeNaN();
  });

  it('widens BF16 as the top half of float32 bits', () => {
    const data = new Uint8Array(new Uint16Array([0x3f80, 0xc049, 0x0001]).buffer);
    const p = parseSafetensors(rawFile('{"b":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}', data));
    expect(p.tensors.b.storedDtype).toBe('BF16');
    expect(Array.from(p.tensors.b.data as Float32Array)).toEqual([1, -3.140625, bfloat16ToFloat32(new Uint16Array([1]))[0]]);
    expect((p.tensors.b.data as Float32Array)[2]).toBeGreaterThan(0);
  });

  it('int64 → int32 with a range check, and back', () => {
    expect(Array.from(int64ToInt32(new BigInt64Array([-2147483648n, 0n, 2147483647n])))).toEqual([-2147483648, 0, 2147483647]);
    expect(() => int64ToInt32(new BigInt64Array([0n, 2147483648n]), 'lengths')).toThrow('lengths: element 1 = 2147483648 does not fit in int32');
    expect(() => int64ToInt32(new BigInt64Array([-2147483649n]))).toThrow(RangeError);
    expect(Array.from(int32ToInt64(new Int32Array([-5, 7])))).toEqual([-5n, 7n]);
  });
});

describe('files written by PyTorch (tools/torch_interchange.py)', () => {
  const L = 3;
  const H = 32;
  const expectedShapes: Record<string, number[]> = {
    'embedding.weight': [11, 10],
    'fc.weight': [10, H],
    'fc.bias': [10],
  };
  for (let l = 0; l < L; l++) {
    expectedShapes[`rnn.weight_ih_l${l}`] = [H, l === 0 ? 10 : H];
    expectedShapes[`rnn.weight_hh_l${l}`] = [H, H];
    expectedShapes[`rnn.bias_ih_l${l}`] = [H];
    expectedShapes[`rnn.bias_hh_l${l}`] = [H];
  }

  it('sota_warmup init: exact RnnClsNet state-dict keys and shapes, float32', () => {
    const p = parseSafetensors(fixture('torch_init_sota_warmup.safetensors'));
    expect(Object.keys(p.tensors).sort()).toEqual(Object.keys(expectedShapes).sort());
    for (const [k, shape] of Object.entries(expectedShapes)) {
      expect(p.tensors[k].shape, k).toEqual(shape);
      expect(p.tensors[k].dtype).toBe('float32');
    }
    expect(p.metadata.format).toBe('pt');
    expect(JSON.parse(p.metadata.model_config)).toMatchObject({ hidden_dim: 32, num_layers: 3, embed_dim: 10, max_number: 9, cell: 'rnn' });
  });

  it('padding row (index max_number+1 = 10) of embedding.weight is zero, other rows are not', () => {
    const w = parseSafetensors(fixture('torch_init_sota_warmup.safetensors')).tensors['embedding.weight'].data as Float32Array;
    expect(Array.from(w.subarray(100, 110))).toEqual(new Array(10).fill(0));
    for (let r = 0; r < 10; r++) expect(w.subarray(r * 10, r * 10 + 10).some((v) => v !== 0)).toBe(true);
  });

  it.each([
    ['torch_init_sota_warmup.safetensors', 'torch_trace_sota_warmup.json'],
    ['torch_init_baseline.safetensors', 'torch_trace_baseline.json'],
  ])('%s: binary values equal the JSON copy PyTorch wrote in %s', (bin, trace) => {
    const p = parseSafetensors(fixture(bin));
    const t = JSON.parse(new TextDecoder().decode(fixture(trace))) as { initial_state: Record<string, { shape: number[]; data: number[] }> };
    expect(Object.keys(p.tensors).sort()).toEqual(Object.keys(t.initial_state).sort());
    for (const [k, v] of Object.entries(t.initial_state)) {
      expect(p.tensors[k].shape).toEqual(v.shape);
      expect(Array.from(p.tensors[k].data as Float32Array), k).toEqual(v.data.map(Math.fround));
    }
  });

  it.each(['torch_init_sota_warmup.safetensors', 'torch_init_baseline.safetensors'])(
    '%s: re-serialising gives the PyTorch-side bytes exactly',
    (name) => {
      const bytes = fixture(name);
      const p = parseSafetensors(bytes);
      expect(serializeSafetensors(p.tensors, p.metadata)).toEqual(bytes);
    },
  );
});
