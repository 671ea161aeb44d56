import type { Expectation } from './oracle.js';
import type { Rng } from './rng.js';

/*
 * Fuzz cases for safetensors files: a random valid file, then one mutation. Each case says what a correct
 * validator must conclude when the mutation makes that certain ('valid' / 'invalid'), or 'either' when it
 * depends on the bytes drawn (then only "no crash, no hang, a typed error" is checked).
 */

/** One generated safetensors file. */
export interface SafetensorsCase {
  /** The mutation applied, e.g. "truncate" or "offsets:giant". */
  kind: string;
  expect: Expectation;
  /** The whole file: 8-byte LE header length, header, data. */
  bytes: Uint8Array;
}

/** A header as editable parts: every top-level entry keeps its fields as raw JSON text. */
interface HeaderSpec {
  entries: EntrySpec[];
  padding: string;
}

interface EntrySpec {
  name: string;
  /** Field key → raw JSON value text; ignored when `raw` is set. */
  fields: [string, string][];
  /** Replaces the whole value with this raw JSON text. */
  raw?: string;
  /** Data byte length (tensors only; -1 for __metadata__). */
  bytes: number;
}

/** Storage bits per element of every dtype the format defines (independent copy of the spec's table). */
export const SPEC_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};
const DTYPE_NAMES = Object.keys(SPEC_DTYPE_BITS);
const MATH_DTYPES = ['F16', 'BF16', 'F32', 'F64'];

const NAME_PARTS = ['model', 'layers', 'self_attn', 'q_proj', 'mlp', 'gate_proj', 'weight', 'bias', 'embed_tokens', 'lm_head', 'norm'];
const ODD_NAMES = [
  '',
  ' ',
  'é',
  '张量',
  '🙂',
  '\u0000',
  '\u001b[2J',
  'a\nb',
  '\\',
  '"',
  '__proto__',
  'constructor',
  'toString',
  '../../etc/passwd',
];

function tensorName(rng: Rng, used: Set<string>): string {
  for (;;) {
    let name: string;
    if (rng.chance(0.1)) name = rng.pick(ODD_NAMES) + (rng.chance(0.5) ? String(rng.int(100)) : '');
    else {
      const parts = ['model', 'layers', String(rng.int(40))];
      for (let k = rng.range(1, 3); k > 0; k--) parts.push(rng.pick(NAME_PARTS));
      name = parts.join('.');
    }
    if (name !== '__metadata__' && !used.has(name)) {
      used.add(name);
      return name;
    }
  }
}

/** A random valid safetensors header (as parts) and its data length. */
function randomValidHeader(rng: Rng): { spec: HeaderSpec; dataLength: number } {
  const used = new Set<string>();
  const n = rng.pick([0, 1, 1, 2, 3, 4, 6]);
  const tensors: EntrySpec[] = [];
  for (let i = 0; i < n; i++) {
    let dtype = rng.chance(0.7) ? rng.pick(MATH_DTYPES) : rng.pick(DTYPE_NAMES);
    const rank = rng.range(0, 3);
    const shape: number[] = [];
    for (let r = 0; r < rank; r++) shape.push(rng.chance(0.05) ? 0 : rng.range(1, 6));
    const numel = shape.reduce((a, b) => a * b, 1);
    if ((numel * SPEC_DTYPE_BITS[dtype]!) % 8 !== 0) dtype = 'F32';
    const bytes = (numel * SPEC_DTYPE_BITS[dtype]!) / 8;
    tensors.push({
      name: tensorName(rng, used),
      fields: [
        ['dtype', JSON.stringify(dtype)],
        ['shape', JSON.stringify(shape)],
      ],
      bytes,
    });
  }
  // data order is a random permutation of the JSON key order, as the format allows
  const order = tensors.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let offset = 0;
  for (const i of order) {
    const t = tensors[i]!;
    t.fields.push(['data_offsets', `[${offset},${offset + t.bytes}]`]);
    if (rng.chance(0.3)) t.fields.reverse();
    offset += t.bytes;
  }
  const entries = [...tensors];
  if (rng.chance(0.4)) {
    const meta: EntrySpec = { name: '__metadata__', fields: [['format', '"pt"']], bytes: -1 };
    if (rng.chance(0.3)) meta.fields.push(['note', JSON.stringify(rng.pick(ODD_NAMES))]);
    entries.splice(rng.int(entries.length + 1), 0, meta);
  }
  return { spec: { entries, padding: '' }, dataLength: offset };
}

function serialize(spec: HeaderSpec): string {
  const body = spec.entries
    .map((e) => JSON.stringify(e.name) + ':' + (e.raw ?? '{' + e.fields.map(([k, v]) => JSON.stringify(k) + ':' + v).join(',') + '}'))
    .join(',');
  return '{' + body + '}' + spec.padding;
}

const utf8 = new TextEncoder();

/** Assemble a file from header bytes and data, with the given (or the true) header length field. */
export function assembleFile(header: Uint8Array, data: Uint8Array, lengthField: bigint = BigInt(header.length)): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, lengthField), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** Encode a header with the 8-byte alignment padding writers commonly add. */
function encodeHeader(spec: HeaderSpec, align: boolean): Uint8Array {
  let text = serialize(spec);
  if (align) {
    const bytes = utf8.encode(text).length;
    text += ' '.repeat((8 - (bytes % 8)) % 8);
  }
  return utf8.encode(text);
}

const GIANT_NUMBERS = [
  '1e400',
  '-1',
  '1.5',
  '18446744073709551616',
  '9007199254740993',
  '9007199254740992',
  '4294967296',
  '-0',
  '0.0',
  '1E2',
  '99999999999999999999999999999999',
];
const WRONG_TYPES = ['null', 'true', '"3"', '{}', '[]', '[[1]]', '"F32"'];
const UNKNOWN_DTYPES = ['f32', 'FP32', 'float32', '', 'BF16 ', 'F8', 'Q4_0', '__proto__', 'constructor', 'toString', 'hasOwnProperty'];
const BAD_UTF8: number[][] = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf5, 0x80, 0x80, 0x80], [0x80], [0xfe, 0xfe]];
const BAD_JSON_SNIPPETS = [',}', '//c', "'x'", 'NaN', 'Infinity', '\t\u0001', '"\\x41"', '"\\u12"', '\u0000'];

type Mutator = (rng: Rng, spec: HeaderSpec, data: Uint8Array) => SafetensorsCase;

function tensorsOf(spec: HeaderSpec): EntrySpec[] {
  return spec.entries.filter((e) => e.name !== '__metadata__');
}

function setField(e: EntrySpec, key: string, value: string): void {
  const f = e.fields.find(([k]) => k === key);
  if (f) f[1] = value;
  else e.fields.push([key, value]);
}

function fileOf(spec: HeaderSpec, data: Uint8Array, align = true): Uint8Array {
  return assembleFile(encodeHeader(spec, align), data);
}

/** Header-level and byte-level mutations, each naming its expected outcome. */
const MUTATORS: Record<string, Mutator> = {
  valid: (_rng, spec, data) => ({ kind: 'valid', expect: 'valid', bytes: fileOf(spec, data) }),
  'bitflip-data': (rng, spec, data) => {
    const d = data.slice();
    if (d.length > 0) d[rng.int(d.length)]! ^= 1 << rng.int(8);
    return { kind: 'bitflip-data', expect: 'valid', bytes: fileOf(spec, d) };
  },
  'bitflip-header': (rng, spec, data) => {
    const bytes = fileOf(spec, data);
    const headerEnd = bytes.length - data.length;
    for (let k = rng.range(1, 4); k > 0; k--) bytes[rng.range(8, headerEnd - 1)]! ^= 1 << rng.int(8);
    return { kind: 'bitflip-header', expect: 'either', bytes };
  },
  'bitflip-length': (rng, spec, data) => {
    const bytes = fileOf(spec, data);
    bytes[rng.int(8)]! ^= 1 << rng.int(8);
    return { kind: 'bitflip-length', expect: 'either', bytes };
  },
  truncate: (rng, spec, data) => {
    const bytes = fileOf(spec, data);
    return { kind: 'truncate', expect: 'invalid', bytes: bytes.slice(0, rng.int(bytes.length)) };
  },
  append: (rng, spec, data) => {
    const bytes = fileOf(spec, data);
    const out = new Uint8Array(bytes.length + rng.range(1, 64));
    out.set(bytes);
    out.set(rng.bytes(out.length - bytes.length), bytes.length);
    return { kind: 'append', expect: 'invalid', bytes: out };
  },
  'length-field': (rng, spec, data) => {
    const header = encodeHeader(spec, true);
    const size = 8 + header.length + data.length;
    const claims: bigint[] = [
      0n,
      1n,
      BigInt(header.length - 1),
      BigInt(header.length + 1),
      BigInt(size - 7),
      90_000_000n,
      100_000_000n,
      100_000_001n,
      2n ** 32n,
      2n ** 53n + 1n,
      2n ** 63n,
      2n ** 64n - 1n,
    ];
    const claim = rng.pick(claims);
    const expect = claim === BigInt(header.length) ? 'valid' : 'invalid';
    return { kind: `length-field:${claim}`, expect, bytes: assembleFile(header, data, claim) };
  },
  'offsets:value': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.append!(rng, spec, data);
    const t = rng.pick(ts);
    const v = rng.pick([...GIANT_NUMBERS, ...WRONG_TYPES]);
    const shape = rng.int(4);
    const text = shape === 0 ? v : shape === 1 ? `[0,${v}]` : shape === 2 ? `[${v},${v}]` : rng.pick(['[1,2,3]', '[1]', '[]', `[${v}]`]);
    setField(t, 'data_offsets', text);
    // '9007199254740992' and '0.0'-like texts may coincide with a valid offset only for zero-size tensors
    return { kind: 'offsets:value', expect: t.bytes > 0 || shape === 3 ? 'invalid' : 'either', bytes: fileOf(spec, data) };
  },
  'offsets:shift': (rng, spec, data) => {
    const ts = tensorsOf(spec).filter((t) => t.bytes > 0);
    if (ts.length === 0) return MUTATORS.truncate!(rng, spec, data);
    const t = rng.pick(ts);
    const [, off] = t.fields.find(([k]) => k === 'data_offsets')!;
    const [b, e] = JSON.parse(off) as [number, number];
    const d = rng.pick([-1, 1, -8, 8, 2 ** 40]);
    const which = rng.int(3);
    const nb = which === 1 ? b : b + d;
    const ne = which === 0 ? e : e + d;
    setField(t, 'data_offsets', which === 2 ? `[${e},${b}]` : `[${nb},${ne}]`);
    return { kind: 'offsets:shift', expect: 'invalid', bytes: fileOf(spec, data) };
  },
  'dtype:unknown': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.append!(rng, spec, data);
    const v = rng.chance(0.6) ? JSON.stringify(rng.pick(UNKNOWN_DTYPES)) : rng.pick(['1', 'null', '{"v":"F32"}', '["F32"]']);
    setField(rng.pick(ts), 'dtype', v);
    return { kind: 'dtype:unknown', expect: 'invalid', bytes: fileOf(spec, data) };
  },
  'dtype:swap': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.valid!(rng, spec, data);
    setField(rng.pick(ts), 'dtype', JSON.stringify(rng.pick(DTYPE_NAMES)));
    return { kind: 'dtype:swap', expect: 'either', bytes: fileOf(spec, data) };
  },
  'shape:bad': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.append!(rng, spec, data);
    const v = rng.pick([
      '[-1]',
      '[1.5]',
      '[1e400]',
      '["2"]',
      '[null]',
      '[[2]]',
      'null',
      '"[2]"',
      '{}',
      '[9007199254740993]',
      '[18446744073709551616]',
    ]);
    setField(rng.pick(ts), 'shape', v);
    return { kind: 'shape:bad', expect: 'invalid', bytes: fileOf(spec, data) };
  },
  'shape:overflow': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.append!(rng, spec, data);
    const v = rng.pick([
      '[4294967296,4294967296]',
      '[9007199254740991,2]',
      '[2147483648,2147483648,0]',
      '[1125899906842624,16]',
      '[3037000500,3037000500]',
    ]);
    setField(rng.pick(ts), 'shape', v);
    return { kind: 'shape:overflow', expect: 'invalid', bytes: fileOf(spec, data) };
  },
  'shape:permute': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.valid!(rng, spec, data);
    const t = rng.pick(ts);
    const f = t.fields.find(([k]) => k === 'shape')!;
    f[1] = JSON.stringify((JSON.parse(f[1]) as number[]).reverse());
    return { kind: 'shape:permute', expect: 'valid', bytes: fileOf(spec, data) };
  },
  'shape:resize': (rng, spec, data) => {
    const ts = tensorsOf(spec).filter((t) => t.bytes > 0);
    if (ts.length === 0) return MUTATORS.append!(rng, spec, data);
    const t = rng.pick(ts);
    const f = t.fields.find(([k]) => k === 'shape')!;
    const shape = JSON.parse(f[1]) as number[];
    shape.push(rng.range(2, 5));
    f[1] = JSON.stringify(shape);
    return { kind: 'shape:resize', expect: 'invalid', bytes: fileOf(spec, data) };
  },
  'duplicate-key': (rng, spec, data) => {
    const where = rng.int(3);
    const ts = tensorsOf(spec);
    if (where === 0 && ts.length > 0) {
      const t = rng.pick(ts);
      spec.entries.push({ ...t, fields: t.fields.map(([k, v]) => [k, v] as [string, string]) });
    } else if (where === 1 && ts.length > 0) {
      const t = rng.pick(ts);
      const f = rng.pick(t.fields);
      t.fields.push([f[0], f[1]]);
    } else {
      spec.entries.push({ name: '__metadata__', fields: [], bytes: -1 }, { name: '__metadata__', fields: [], bytes: -1 });
    }
    return { kind: `duplicate-key:${where}`, expect: 'invalid', bytes: fileOf(spec, data) };
  },
  'deep-json': (rng, spec, data) => {
    const depth = rng.pick([10, 63, 64, 65, 100, 1000, 100_000]);
    const open = rng.chance(0.5) ? '[' : '{"a":';
    const close = open === '[' ? ']' : '}';
    const value = open.repeat(depth) + '1' + close.repeat(depth);
    const inMeta = rng.chance(0.5) || tensorsOf(spec).length === 0;
    if (inMeta) spec.entries.push({ name: '__metadata__', fields: [['x', value]], bytes: -1 });
    else setField(rng.pick(tensorsOf(spec)), 'extra', value);
    // a nested value is never a valid metadata string; an unknown extra key's depth limit is the parser's choice
    return { kind: `deep-json:${depth}`, expect: inMeta ? 'invalid' : 'either', bytes: fileOf(spec, data) };
  },
  'huge-json': (rng, spec, data) => {
    // mostly moderate sizes: the point is linear work, and the suite must stay fast
    const n = rng.chance(0.9) ? 500 : rng.chance(0.8) ? 5000 : 40_000;
    const used = new Set(spec.entries.map((e) => e.name));
    // many zero-size tensors keep the file valid while the header grows to megabytes
    for (let i = 0; i < n; i++) {
      const name = `z.${i}`;
      if (used.has(name)) continue;
      spec.entries.push({
        name,
        fields: [
          ['dtype', '"F32"'],
          ['shape', '[0]'],
          ['data_offsets', '[0,0]'],
        ],
        bytes: 0,
      });
    }
    if (rng.chance(0.3))
      spec.entries.push({ name: '__metadata__', fields: [['long', JSON.stringify('x'.repeat(rng.pick([1000, 1_000_000])))]], bytes: -1 });
    const dupMeta = spec.entries.filter((e) => e.name === '__metadata__').length > 1;
    return { kind: `huge-json:${n}`, expect: dupMeta ? 'invalid' : 'valid', bytes: fileOf(spec, data) };
  },
  'non-utf8': (rng, spec, data) => {
    const header = encodeHeader(spec, false);
    // inject inside the first string literal so the JSON stays well-formed apart from the encoding
    const q = header.indexOf(0x22);
    const bad = rng.pick(BAD_UTF8);
    const out = new Uint8Array(header.length + bad.length);
    out.set(header.subarray(0, q + 1));
    out.set(bad, q + 1);
    out.set(header.subarray(q + 1), q + 1 + bad.length);
    return { kind: 'non-utf8', expect: 'invalid', bytes: assembleFile(out, data) };
  },
  'utf8-name': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.valid!(rng, spec, data);
    rng.pick(ts).name += rng.pick(['é', '张', '🙂', '\u2028', '\ufeff']);
    return { kind: 'utf8-name', expect: 'valid', bytes: fileOf(spec, data) };
  },
  metadata: (rng, spec, data) => {
    const v = rng.pick(['1', 'null', 'true', '{}', '["a"]', '{"a":1}']);
    const asValue = rng.chance(0.5);
    spec.entries = spec.entries.filter((e) => e.name !== '__metadata__');
    if (asValue) spec.entries.push({ name: '__metadata__', fields: [['k', v]], bytes: -1 });
    else spec.entries.push({ name: '__metadata__', fields: [], raw: rng.pick(['[]', '"x"', '1', 'null']), bytes: -1 });
    return { kind: 'metadata', expect: 'invalid', bytes: fileOf(spec, data) };
  },
  'root-type': (rng, _spec, data) => {
    const text = rng.pick(['[]', '"x"', '1', 'null', ' {}', '\ufeff{}', '{', '}', '{}}', '{"a"}', '{"a":}', '']);
    return { kind: 'root-type', expect: 'invalid', bytes: assembleFile(utf8.encode(text), data.length > 0 ? data : new Uint8Array(0)) };
  },
  'json-syntax': (rng, spec, data) => {
    const text = serialize(spec);
    const at = rng.range(1, text.length - 1);
    const mutated = text.slice(0, at) + rng.pick(BAD_JSON_SNIPPETS) + text.slice(at);
    return { kind: 'json-syntax', expect: 'either', bytes: assembleFile(utf8.encode(mutated), data) };
  },
  'lone-surrogate': (rng, spec, data) => {
    const ts = tensorsOf(spec);
    if (ts.length === 0) return MUTATORS.valid!(rng, spec, data);
    // "\ud800" is well-formed JSON text but not a Unicode scalar; strict readers may refuse it
    const t = rng.pick(ts);
    const text = serialize(spec).replace(JSON.stringify(t.name), JSON.stringify(t.name).slice(0, -1) + '\\ud800"');
    return { kind: 'lone-surrogate', expect: 'either', bytes: assembleFile(utf8.encode(text), data) };
  },
  padding: (rng, spec, data) => {
    spec.padding = rng.pick([' ', '        ', '\n', '\t \r\n', ' '.repeat(rng.range(1, 4096))]);
    return { kind: 'padding', expect: 'valid', bytes: fileOf(spec, data, false) };
  },
  'padding:nul': (rng, spec, data) => {
    spec.padding = rng.pick(['\u0000', '\u0000'.repeat(7), ' \u0000']);
    return { kind: 'padding:nul', expect: 'invalid', bytes: fileOf(spec, data, false) };
  },
  splice: (rng, spec, data) => {
    const header = encodeHeader(spec, false);
    const a = rng.int(header.length);
    const b = Math.min(header.length, a + rng.range(1, 32));
    const cut = rng.chance(0.5);
    const piece = header.slice(a, b);
    const at = rng.int(header.length);
    const out = cut
      ? new Uint8Array([...header.subarray(0, a), ...header.subarray(b)])
      : new Uint8Array([...header.subarray(0, at), ...piece, ...header.subarray(at)]);
    return { kind: cut ? 'splice:cut' : 'splice:copy', expect: 'either', bytes: assembleFile(out, data) };
  },
};

/** Names of every mutation, for reports and for tests that want each one exercised. */
export const SAFETENSORS_MUTATIONS: readonly string[] = Object.keys(MUTATORS);

/** Generate one safetensors case from a PRNG (optionally forcing the mutation). */
export function generateSafetensorsCase(rng: Rng, mutation?: string): SafetensorsCase {
  const { spec, dataLength } = randomValidHeader(rng);
  const data = rng.bytes(dataLength);
  const name = mutation ?? (rng.chance(0.01) ? 'huge-json' : rng.pick(SAFETENSORS_MUTATIONS.filter((m) => m !== 'huge-json')));
  const mutate = MUTATORS[name];
  if (!mutate) throw new Error(`unknown safetensors mutation ${name}`);
  return mutate(rng, spec, data);
}

/** Split a whole file into its header bytes and size, as the file reader would, or undefined when the length field does not fit. */
export function splitHeader(bytes: Uint8Array): { header: Uint8Array; fileSize: number } | undefined {
  if (bytes.length < 8) return undefined;
  const len = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (len > BigInt(bytes.length - 8)) return undefined;
  return { header: bytes.subarray(8, 8 + Number(len)), fileSize: bytes.length };
}
