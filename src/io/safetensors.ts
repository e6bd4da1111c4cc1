// The safetensors file format (https://github.com/huggingface/safetensors), browser-safe.
//
// Layout of a file:
//   bytes [0, 8)         N = header length, unsigned 64-bit little-endian
//   bytes [8, 8+N)       UTF-8 JSON object, right-padded with spaces (0x20) so 8+N is a multiple of 8:
//                        { "__metadata__"?: {string: string},
//                          "<name>": { "dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end] }, ... }
//   bytes [8+N, EOF)     the data buffer; offsets are relative to its start, each tensor row-major and
//                        little-endian, and the tensors tile the buffer exactly (no gaps, no overlap).
//
// We write tensors sorted by name (so the bytes depend only on the content) with compact JSON in the
// field order of the reference implementation (dtype, shape, data_offsets; __metadata__ first, its keys
// sorted). tools/torch_interchange.py writes the same bytes for the same state dict, which the tests
// use to check that the two writers agree.
//
// Reading is strict: a file that the reference implementation would reject is rejected here too,
// with a message naming the tensor and the rule it broke, because a silently mis-read checkpoint
// shows up much later as a "training diverged" mystery.

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
/** dtype strings of the file format that we read (F16/BF16 are widened to float32). */
export type SafetensorsDtype = 'F32' | 'F64' | 'I64' | 'I32' | 'BOOL' | 'F16' | 'BF16';

export type TensorEntry =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'bool'; shape: number[]; data: Uint8Array };

/** A parsed tensor also says how it was stored (F16/BF16 come back as dtype 'float32'). */
export type ParsedTensorEntry = TensorEntry & { storedDtype: SafetensorsDtype };

export interface ParsedSafetensors {
  tensors: Record<string, ParsedTensorEntry>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** Same limit as the reference implementation: a larger header is a corrupt length field, not a model. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

const WRITE_DTYPE: Record<DType, { tag: SafetensorsDtype; bytes: number; ctor: Function }> = {
  float32: { tag: 'F32', bytes: 4, ctor: Float32Array },
  float64: { tag: 'F64', bytes: 8, ctor: Float64Array },
  int32: { tag: 'I32', bytes: 4, ctor: Int32Array },
  int64: { tag: 'I64', bytes: 8, ctor: BigInt64Array },
  bool: { tag: 'BOOL', bytes: 1, ctor: Uint8Array },
};

const READ_DTYPE: Record<SafetensorsDtype, { bytes: number; dtype: DType }> = {
  F32: { bytes: 4, dtype: 'float32' },
  F64: { bytes: 8, dtype: 'float64' },
  I32: { bytes: 4, dtype: 'int32' },
  I64: { bytes: 8, dtype: 'int64' },
  BOOL: { bytes: 1, dtype: 'bool' },
  F16: { bytes: 2, dtype: 'float32' },
  BF16: { bytes: 2, dtype: 'float32' },
};

// Typed arrays use the host's byte order; the file is little-endian. Every current JS engine host is
// little-endian, but swapping costs nothing to support and keeps the format claim honest.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

// Assign an own property even for names like "__proto__" (a tensor may legally be called that).
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function numelOf(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(`${what}: shape entries must be non-negative integers, got ${JSON.stringify(shape)}`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new SafetensorsError(`${what}: shape ${JSON.stringify(shape)} is too large`);
  return n;
}

// ------------------------------------------------------------------------------------------------
// writing
// ------------------------------------------------------------------------------------------------

export function serializeSafetensors(
  tensors: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort(compareCodeUnits);
  // The header JSON is assembled by hand: a JS object would enumerate integer-like names ("0", "10")
  // before all others, breaking the sorted order that makes the bytes reproducible.
  const fields: string[] = [];
  if (metadata !== undefined) {
    const meta: string[] = [];
    for (const k of Object.keys(metadata).sort(compareCodeUnits)) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new SafetensorsError(`metadata value for "${k}" must be a string, got ${typeof v}`);
      meta.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    fields.push(`${JSON.stringify(METADATA_KEY)}:{${meta.join(',')}}`);
  }
  const parts: { bytes: number; entry: TensorEntry }[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (name.length === 0) throw new SafetensorsError('tensor names must be non-empty');
    const entry = tensors[name];
    const spec = WRITE_DTYPE[entry?.dtype as DType];
    if (spec === undefined) {
      throw new SafetensorsError(`tensor "${name}": dtype must be one of ${Object.keys(WRITE_DTYPE).join(', ')}, got ${String(entry?.dtype)}`);
    }
    if (!(entry.data instanceof spec.ctor)) {
      throw new SafetensorsError(`tensor "${name}": dtype ${entry.dtype} needs a ${spec.ctor.name}, got ${entry.data?.constructor?.name}`);
    }
    const numel = numelOf(entry.shape, `tensor "${name}"`);
    if (entry.data.length !== numel) {
      throw new SafetensorsError(`tensor "${name}": shape ${JSON.stringify(entry.shape)} has ${numel} elements but data has ${entry.data.length}`);
    }
    const bytes = numel * spec.bytes;
    const info = { dtype: spec.tag, shape: [...entry.shape], data_offsets: [offset, offset + bytes] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    parts.push({ bytes, entry });
    offset += bytes;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLen = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const { bytes, entry } of parts) {
    const src = new Uint8Array(entry.data.buffer, entry.data.byteOffset, bytes);
    out.set(src, pos);
    if (!HOST_LE) swapInPlace(out.subarray(pos, pos + bytes), entry.data.BYTES_PER_ELEMENT);
    pos += bytes;
  }
  return out;
}

// Sort by UTF-16 code units, i.e. Array.prototype.sort's default; named so the intent is visible and
// matches Python's sorted() for the BMP names that state dicts use.
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------
// reading
// ------------------------------------------------------------------------------------------------

export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  if (bytes.length < 8) {
    throw new SafetensorsError(`file is truncated: ${bytes.length} bytes, need at least 8 for the header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(`header length ${n64} is beyond the end of the file (${bytes.length - 8} bytes after the length field); file truncated or not safetensors`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n < 2) throw new SafetensorsError(`header length ${n} is too small for a JSON object`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  if (text[0] !== '{') throw new SafetensorsError(`header must start with "{", got ${JSON.stringify(text.slice(0, 10))}`);
  const header = parseJsonStrict(text);
  if (!(header instanceof Map)) throw new SafetensorsError('header JSON must be an object');

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, ParsedTensorEntry> = {};
  const spans: { name: string; begin: number; end: number }[] = [];

  for (const [name, value] of header) {
    if (name === METADATA_KEY) {
      if (!(value instanceof Map)) throw new SafetensorsError(`"${METADATA_KEY}" must be an object of strings`);
      for (const [k, v] of value) {
        if (typeof v !== 'string') throw new SafetensorsError(`"${METADATA_KEY}"."${k}" must be a string, got ${describe(v)}`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const info = readTensorInfo(name, value);
    if (info.end > dataLen) {
      throw new SafetensorsError(`tensor "${name}": data_offsets [${info.begin}, ${info.end}] out of range, data buffer has ${dataLen} bytes`);
    }
    spans.push({ name, begin: info.begin, end: info.end });
    // A copy (aligned, detached from the file); Uint8Array#slice because Buffer#slice would not copy.
    const raw = Uint8Array.prototype.slice.call(bytes, dataStart + info.begin, dataStart + info.end);
    setOwn(tensors, name, decodeTensor(info.dtype, info.shape, raw));
  }

  // The tensors must tile [0, dataLen) exactly. Sorting by (begin, end) puts zero-sized tensors
  // before a tensor starting at the same offset, where they are legal.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev = '';
  for (const s of spans) {
    if (s.begin < cursor) {
      throw new SafetensorsError(`tensors "${prev}" and "${s.name}" overlap (offset ${s.begin} < ${cursor})`);
    }
    if (s.begin > cursor) {
      throw new SafetensorsError(`data buffer has a gap: bytes [${cursor}, ${s.begin}) before tensor "${s.name}" belong to no tensor`);
    }
    cursor = s.end;
    prev = s.name;
  }
  if (cursor !== dataLen) {
    throw new SafetensorsError(`data buffer is not covered: bytes [${cursor}, ${dataLen}) belong to no tensor`);
  }
  return { tensors, metadata };
}

function describe(v: unknown): string {
  if (v instanceof Map) return 'an object';
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : `${typeof v} ${JSON.stringify(v)}`;
}

function readTensorInfo(name: string, value: unknown): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  const what = `tensor "${name}"`;
  if (!(value instanceof Map)) throw new SafetensorsError(`${what}: entry must be an object, got ${describe(value)}`);
  for (const k of value.keys()) {
    if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') throw new SafetensorsError(`${what}: unknown field "${k}"`);
  }
  const dtype = value.get('dtype');
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(READ_DTYPE, dtype)) {
    throw new SafetensorsError(`${what}: unsupported dtype ${describe(dtype)}; supported: ${Object.keys(READ_DTYPE).join(', ')}`);
  }
  const shape = value.get('shape');
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) {
    throw new SafetensorsError(`${what}: "shape" must be an array of integers`);
  }
  const numel = numelOf(shape as number[], what);
  const offs = value.get('data_offsets');
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
    throw new SafetensorsError(`${what}: "data_offsets" must be [begin, end] with non-negative integers`);
  }
  const [begin, end] = offs as number[];
  if (end < begin) throw new SafetensorsError(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
  const want = numel * READ_DTYPE[dtype as SafetensorsDtype].bytes;
  if (end - begin !== want) {
    throw new SafetensorsError(`${what}: dtype ${dtype} with shape ${JSON.stringify(shape)} needs ${want} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

function decodeTensor(stored: SafetensorsDtype, shape: number[], raw: Uint8Array): ParsedTensorEntry {
  const width = READ_DTYPE[stored].bytes;
  if (!HOST_LE && width > 1) swapInPlace(raw, width);
  const buf = raw.buffer as ArrayBuffer;
  switch (stored) {
    case 'F32': return { dtype: 'float32', shape, data: new Float32Array(buf), storedDtype: stored };
    case 'F64': return { dtype: 'float64', shape, data: new Float64Array(buf), storedDtype: stored };
    case 'I32': return { dtype: 'int32', shape, data: new Int32Array(buf), storedDtype: stored };
    case 'I64': return { dtype: 'int64', shape, data: new BigInt64Array(buf), storedDtype: stored };
    case 'BOOL': return { dtype: 'bool', shape, data: new Uint8Array(buf), storedDtype: stored };
    case 'F16': return { dtype: 'float32', shape, data: halfToFloat32(new Uint16Array(buf)), storedDtype: stored };
    case 'BF16': return { dtype: 'float32', shape, data: bfloat16ToFloat32(new Uint16Array(buf)), storedDtype: stored };
  }
}

/** IEEE 754 binary16 → float32 (exact: every half value is a float32 value). */
export function halfToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i];
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const mant = x & 0x3ff;
    if (exp === 0) out[i] = sign * mant * 2 ** -24; // zero / subnormal
    else if (exp === 0x1f) out[i] = mant ? NaN : sign * Infinity;
    else out[i] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** bfloat16 is the top half of a float32's bits. */
export function bfloat16ToFloat32(h: Uint16Array): Float32Array {
  const bits = new Uint32Array(h.length);
  for (let i = 0; i < h.length; i++) bits[i] = h[i] << 16;
  return new Float32Array(bits.buffer);
}

/** int64 → int32 for index tensors; throws instead of wrapping if a value does not fit. */
export function int64ToInt32(data: BigInt64Array, what = 'int64 tensor'): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < -2147483648n || v > 2147483647n) {
      throw new RangeError(`${what}: element ${i} = ${v} does not fit in int32`);
    }
    out[i] = Number(v);
  }
  return out;
}

/** int32 → int64, e.g. to store lengths/labels the way PyTorch does (torch.long). */
export function int32ToInt64(data: Int32Array): BigInt64Array {
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]);
  return out;
}

// ------------------------------------------------------------------------------------------------
// strict JSON: JSON.parse silently keeps the last of duplicate keys, and a duplicated tensor name
// means two different offsets for one tensor, so the header gets its own small parser. Objects
// become Maps (insertion-ordered, no prototype pitfalls); numbers are JS numbers.
// ------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | Map<string, Json>;

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function parseJsonStrict(text: string): Json {
  let i = 0;
  const fail = (msg: string): never => {
    throw new SafetensorsError(`header is not valid JSON: ${msg} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    // text[i] === '"'; find the closing quote, then let JSON.parse handle escapes and validate them
    const start = i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) i++;
      else if (c < 0x20) fail('control character in string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('bad string escape');
    }
  };
  const value = (depth: number): Json => {
    if (depth > 64) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const m = new Map<string, Json>();
      ws();
      if (text[i] === '}') { i++; return m; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const k = str();
        if (m.has(k)) throw new SafetensorsError(`header has duplicate key "${k}"`);
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        m.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return m; }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const a: Json[] = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (m) { i += m[0].length; return Number(m[0]); }
    return fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters after the object');
  return v;
}
