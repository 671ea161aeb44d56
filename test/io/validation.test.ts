import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { catchDarekit, tempDir } from './helpers.js';

/** Bytes of a crafted safetensors file: length field (default: the true JSON length), header bytes, data. */
function crafted(header: string | Uint8Array, dataBytes: number, lengthField?: bigint): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

function writeCrafted(name: string, header: string | Uint8Array, dataBytes: number, lengthField?: bigint): string {
  const f = join(tempDir(), name);
  writeFileSync(f, crafted(header, dataBytes, lengthField));
  return f;
}

const T = (name: string, dtype: string, shape: unknown[], begin: unknown, end: unknown): string =>
  `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${String(begin)},${String(end)}]}`;

/** Assert the file is refused as bad input (exit 2) with a message naming it (and the tensor, when given). */
function expectRefused(file: string, tensor: string | undefined, pattern: RegExp): void {
  const err = catchDarekit(() => readSafetensorsHeader(file));
  expect(err.kind).toBe('input');
  expect(err.exitCode).toBe(2);
  expect(err.message).toContain(file);
  if (tensor !== undefined) expect(err.message).toContain(`"${tensor}"`);
  expect(err.message).toMatch(pattern);
  expect(err.message).not.toContain('\n');
  // openModel reports the same refusal
  expect(catchDarekit(() => openModel(file)).message).toBe(err.message);
}

describe('safetensors header validation (one crafted bad file per rule)', () => {
  it('accepts a well-formed file with space padding and an empty tensor', () => {
    const f = writeCrafted('ok.safetensors', `{${T('a', 'F32', [2], 0, 8)},${T('e', 'BF16', [0, 3], 8, 8)}}    `, 8);
    const h = readSafetensorsHeader(f);
    expect(h.tensors.map((t) => [t.name, t.byteOffset, t.byteLength])).toEqual([
      ['a', h.dataOffset, 8],
      ['e', h.dataOffset + 8, 0],
    ]);
  });

  it('refuses a file shorter than the 8-byte length field', () => {
    const f = join(tempDir(), 'short.safetensors');
    writeFileSync(f, new Uint8Array(5));
    expectRefused(f, undefined, /shorter than the 8-byte header length/);
  });

  it('refuses a header length field that runs past the end of the file', () => {
    expectRefused(writeCrafted('len.safetensors', `{${T('a', 'F32', [1], 0, 4)}}`, 4, 10_000n), undefined, /runs past the end of the file/);
  });

  it('refuses a header length field that cuts the JSON short', () => {
    expectRefused(writeCrafted('cut.safetensors', `{${T('a', 'F32', [1], 0, 4)}}`, 4, 20n), undefined, /invalid JSON header/);
  });

  it('refuses a header larger than 100,000,000 bytes before reading it', () => {
    expectRefused(writeCrafted('big.safetensors', '{}', 0, 100_000_001n), undefined, /exceeds the 100000000-byte limit/);
    expectRefused(writeCrafted('huge.safetensors', '{}', 0, 0xffff_ffff_ffff_ffffn), undefined, /exceeds/);
  });

  it('refuses a gap between tensors', () => {
    expectRefused(writeCrafted('gap.safetensors', `{${T('a', 'F32', [1], 0, 4)},${T('b', 'F32', [1], 8, 12)}}`, 12), 'b', /gap/);
  });

  it('refuses data that does not start at offset 0', () => {
    expectRefused(writeCrafted('start.safetensors', `{${T('a', 'F32', [1], 4, 8)}}`, 8), 'a', /gap/);
  });

  it('refuses overlapping tensors', () => {
    expectRefused(writeCrafted('overlap.safetensors', `{${T('a', 'F32', [2], 0, 8)},${T('b', 'F32', [2], 4, 12)}}`, 12), 'b', /overlaps/);
  });

  it('refuses end before begin', () => {
    expectRefused(writeCrafted('rev.safetensors', `{${T('a', 'F32', [0], 0, 0)},${T('b', 'F32', [1], 0, -4)}}`, 0), 'b', /data_offsets/);
  });

  it('refuses truncated data, naming the last tensor', () => {
    expectRefused(writeCrafted('trunc.safetensors', `{${T('a', 'F32', [4], 0, 16)}}`, 10), 'a', /truncated/);
  });

  it('refuses trailing bytes after the last tensor', () => {
    expectRefused(writeCrafted('trail.safetensors', `{${T('a', 'F32', [1], 0, 4)}}`, 6), 'a', /2 trailing bytes/);
  });

  it('refuses an unknown dtype, listing the known ones', () => {
    expectRefused(writeCrafted('dtype.safetensors', `{${T('a', 'F128', [1], 0, 16)}}`, 16), 'a', /unknown dtype "F128".*BF16/);
  });

  it('refuses a header that is not UTF-8', () => {
    const h = new TextEncoder().encode(`{${T('aX', 'F32', [1], 0, 4)}}`);
    h[3] = 0xff;
    expectRefused(writeCrafted('utf8.safetensors', h, 4), undefined, /not valid UTF-8/);
  });

  it('refuses a header that starts with a byte-order mark, as the reference does', () => {
    const body = new TextEncoder().encode(`\uFEFF{${T('a', 'F32', [1], 0, 4)}}`);
    expectRefused(writeCrafted('bom.safetensors', body, 4), undefined, /does not start with '\{'/);
  });

  it('refuses a lone surrogate spelled as a \\u escape', () => {
    expectRefused(
      writeCrafted('sur.safetensors', `{"a\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4),
      undefined,
      /surrogate/,
    );
  });

  it('refuses a byte length that does not match shape × dtype', () => {
    expectRefused(writeCrafted('size.safetensors', `{${T('a', 'F32', [3], 0, 8)}}`, 8), 'a', /needs 12/);
  });

  it('refuses elements that do not fill whole bytes (F4 × 3)', () => {
    expectRefused(writeCrafted('bits.safetensors', `{${T('a', 'F4', [3], 0, 2)}}`, 2), 'a', /whole bytes/);
  });

  it('refuses duplicate tensor names', () => {
    expectRefused(writeCrafted('dup.safetensors', `{${T('a', 'F32', [1], 0, 4)},${T('a', 'F32', [1], 4, 8)}}`, 8), 'a', /duplicate key/);
  });

  it('refuses non-integer and negative shape entries', () => {
    expectRefused(writeCrafted('frac.safetensors', `{${T('a', 'F32', [1.5], 0, 4)}}`, 4), 'a', /shape has 1\.5/);
    expectRefused(writeCrafted('neg.safetensors', `{${T('a', 'F32', [-1], 0, 4)}}`, 4), 'a', /shape has -1/);
    expectRefused(writeCrafted('str.safetensors', `{${T('a', 'F32', ['2'], 0, 8)}}`, 8), 'a', /shape has string/);
  });

  it('refuses shapes whose element count overflows', () => {
    expectRefused(writeCrafted('ovf.safetensors', `{${T('a', 'F32', [2 ** 26, 2 ** 26, 2 ** 26], 0, 4)}}`, 4), 'a', /overflows/);
  });

  it('refuses offsets at or beyond 2^53', () => {
    expectRefused(writeCrafted('off.safetensors', `{${T('a', 'F32', [1], 0, '9007199254740993')}}`, 4), 'a', /below 2\^53/);
    expectRefused(
      writeCrafted('off2.safetensors', `{${T('a', 'F32', [1], '18446744073709551616', '18446744073709551620')}}`, 4),
      'a',
      /below 2\^53/,
    );
  });

  it('refuses non-string __metadata__ values', () => {
    expectRefused(
      writeCrafted('meta.safetensors', `{"__metadata__":{"format":1},${T('a', 'F32', [1], 0, 4)}}`, 4),
      undefined,
      /__metadata__ value for "format" is not a string/,
    );
    expectRefused(writeCrafted('meta2.safetensors', `{"__metadata__":"pt"}`, 0), undefined, /__metadata__ must be an object/);
  });

  it('refuses a header that is not a JSON object', () => {
    expectRefused(writeCrafted('arr.safetensors', `[1,2]`, 0), undefined, /does not start with '\{'/);
    expectRefused(writeCrafted('garbage.safetensors', `{"a":}`, 0), undefined, /invalid JSON header/);
    expectRefused(writeCrafted('entry.safetensors', `{"a":[1]}`, 0), 'a', /entry is not an object/);
  });

  it('refuses a tensor entry without a dtype or with malformed data_offsets', () => {
    expectRefused(writeCrafted('nodt.safetensors', `{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4), 'a', /no dtype/);
    expectRefused(writeCrafted('offs.safetensors', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, 4), 'a', /\[begin, end\]/);
  });

  it('lists a non-math dtype but refuses to read it as numbers, naming the tensor', () => {
    const f = writeCrafted('i8.safetensors', `{${T('q', 'I8', [4], 0, 4)}}`, 4);
    const h = readSafetensorsHeader(f);
    const err = catchDarekit(() => new TensorReader().readF32(h.tensors[0]!, 0, 4, new Float32Array(4)));
    expect(err.kind).toBe('input');
    expect(err.message).toContain(f);
    expect(err.message).toContain('"q"');
    expect(err.message).toMatch(/dtype I8/);
  });
});

describe('model dirs and sharded indexes', () => {
  const f32 = (name: string) => ({ name, dtype: 'F32' as const, shape: [2], data: new Uint8Array(8) });

  /** A sharded dir: two shards holding a+b and c, with the given weight_map. */
  function shardedDir(weightMap: Record<string, string>): { dir: string; index: string } {
    const dir = join(tempDir(), 'm');
    mkdirSync(dir);
    writeSafetensorsFile(join(dir, 'model-00001-of-00002.safetensors'), [f32('a'), f32('b')]);
    writeSafetensorsFile(join(dir, 'model-00002-of-00002.safetensors'), [f32('c')]);
    const index = join(dir, 'model.safetensors.index.json');
    writeFileSync(index, JSON.stringify({ metadata: { total_size: 24 }, weight_map: weightMap }));
    return { dir, index };
  }
  const good = { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' };

  function expectModelRefused(path: string, mustName: string[], pattern: RegExp): void {
    const err = catchDarekit(() => openModel(path));
    expect(err.kind).toBe('input');
    expect(err.exitCode).toBe(2);
    for (const s of mustName) expect(err.message).toContain(s);
    expect(err.message).toMatch(pattern);
  }

  it('opens a valid sharded dir through the index', () => {
    const { dir } = shardedDir(good);
    const m = openModel(dir);
    expect(m.layout).toBe('sharded');
    expect(m.names).toEqual(['a', 'b', 'c']);
  });

  it('refuses path traversal in the index', () => {
    const { dir, index } = shardedDir({ ...good, c: '../x.safetensors' });
    writeFileSync(join(dir, '..', 'x.safetensors'), '');
    expectModelRefused(dir, [index, '"../x.safetensors"'], /not a plain file name/);
  });

  it('refuses an absolute shard path and a sub-directory path', () => {
    expectModelRefused(shardedDir({ ...good, c: '/etc/passwd' }).dir, ['"/etc/passwd"'], /not a plain file name/);
    expectModelRefused(shardedDir({ ...good, c: 'sub/model.safetensors' }).dir, ['"sub/model.safetensors"'], /not a plain file name/);
  });

  it('refuses a missing shard', () => {
    const { index, dir } = shardedDir({ ...good, c: 'model-00003-of-00003.safetensors' });
    expectModelRefused(dir, [index, '"model-00003-of-00003.safetensors"'], /missing/);
  });

  it('refuses a symlinked shard that escapes the dir, and follows one that stays inside', () => {
    const outside = join(tempDir(), 'elsewhere.safetensors');
    writeSafetensorsFile(outside, [f32('c')]);
    const { dir, index } = shardedDir({ ...good, c: 'link.safetensors' });
    symlinkSync(outside, join(dir, 'link.safetensors'));
    expectModelRefused(dir, [index, '"link.safetensors"'], /outside the model dir/);

    const ok = shardedDir({ ...good, c: 'inner.safetensors' });
    symlinkSync(join(ok.dir, 'model-00002-of-00002.safetensors'), join(ok.dir, 'inner.safetensors'));
    expect(openModel(ok.dir).names).toEqual(['a', 'b', 'c']);
  });

  it("follows Hugging Face cache snapshot links into the same repo's blobs/, and nowhere else", () => {
    const repo = join(tempDir(), 'models--org--name');
    const snap = join(repo, 'snapshots', 'abc123');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(snap, { recursive: true });
    writeSafetensorsFile(join(repo, 'blobs', 'sha-1'), [f32('a'), f32('b')]);
    writeSafetensorsFile(join(repo, 'blobs', 'sha-2'), [f32('c')]);
    symlinkSync('../../blobs/sha-1', join(snap, 'model-00001-of-00002.safetensors'));
    symlinkSync('../../blobs/sha-2', join(snap, 'model-00002-of-00002.safetensors'));
    writeFileSync(join(snap, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 24 }, weight_map: good }));
    expect(openModel(snap).names).toEqual(['a', 'b', 'c']);

    // the same layout whose link leaves the repo is still refused
    const outside = join(tempDir(), 'elsewhere.safetensors');
    writeSafetensorsFile(outside, [f32('c')]);
    const snap2 = join(repo, 'snapshots', 'def456');
    mkdirSync(snap2);
    symlinkSync('../../blobs/sha-1', join(snap2, 'model-00001-of-00002.safetensors'));
    symlinkSync(outside, join(snap2, 'model-00002-of-00002.safetensors'));
    const index2 = join(snap2, 'model.safetensors.index.json');
    writeFileSync(index2, JSON.stringify({ metadata: { total_size: 24 }, weight_map: good }));
    expectModelRefused(snap2, [index2, '"model-00002-of-00002.safetensors"'], /outside the model dir/);
  });

  it('refuses a tensor mapped to one shard but stored in another', () => {
    const { dir, index } = shardedDir({ ...good, b: 'model-00002-of-00002.safetensors' });
    expectModelRefused(
      dir,
      [index, '"b"'],
      /mapped to "model-00002-of-00002.safetensors" but is stored in "model-00001-of-00002.safetensors"/,
    );
  });

  it('refuses a tensor listed in the index that no shard holds', () => {
    const { dir, index } = shardedDir({ ...good, z: 'model-00002-of-00002.safetensors' });
    expectModelRefused(dir, [index, '"z"'], /no shard holds it/);
  });

  it('refuses a tensor stored in a shard but absent from the index', () => {
    const { dir, index } = shardedDir({ a: good.a, c: good.c });
    expectModelRefused(dir, [index, '"b"'], /not in weight_map/);
  });

  it('refuses a tensor stored in two shards', () => {
    const dir = join(tempDir(), 'm');
    mkdirSync(dir);
    writeSafetensorsFile(join(dir, 's1.safetensors'), [f32('a')]);
    writeSafetensorsFile(join(dir, 's2.safetensors'), [f32('a')]);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 's1.safetensors', x: 's2.safetensors' } }));
    expectModelRefused(dir, ['"a"', 's1.safetensors', 's2.safetensors'], /appears in both/);
  });

  it('refuses duplicate keys and a missing weight_map in the index', () => {
    const { dir, index } = shardedDir(good);
    writeFileSync(index, `{"weight_map":{"a":"${good.a}","a":"${good.a}"}}`);
    expectModelRefused(dir, [index, '"a"'], /duplicate key/);
    writeFileSync(index, `{"metadata":{}}`);
    expectModelRefused(dir, [index], /no "weight_map"/);
  });

  it('refuses pickle checkpoints, saying why and how to convert', () => {
    const d = tempDir();
    const bin = join(d, 'pytorch_model.bin');
    writeFileSync(bin, 'not really a pickle');
    expectModelRefused(bin, [bin], /pickle .*execute arbitrary code.*safetensors/);
    expectModelRefused(d, ['pytorch_model.bin'], /pickle/);
    const { dir } = shardedDir({ ...good, c: 'pytorch_model-00002.bin' });
    expectModelRefused(dir, ['pytorch_model-00002.bin'], /pickle/);
  });

  it('refuses a dir with several .safetensors files and no index, and an empty dir', () => {
    const d = tempDir();
    expectModelRefused(d, [d], /no model.safetensors/);
    writeSafetensorsFile(join(d, 'x.safetensors'), [f32('a')]);
    writeSafetensorsFile(join(d, 'y.safetensors'), [f32('a')]);
    expectModelRefused(d, [d], /2 .safetensors files but no model.safetensors.index.json/);
  });

  it('refuses a path that does not exist', () => {
    expectModelRefused('/nonexistent/darekit/model', ['/nonexistent/darekit/model'], /no such file/);
  });
});
