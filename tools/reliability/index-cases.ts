import { mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Expectation } from './oracle.js';
import type { Rng } from './rng.js';
import { assembleFile } from './safetensors-cases.js';

/** A sharded model dir written to disk for one fuzz case. */
export interface IndexCase {
  kind: string;
  expect: Expectation;
  /** The model dir holding the index and shards. */
  dir: string;
  /** The index file's bytes as written (the reproducer, with the shard layout implied by the seed). */
  index: Uint8Array;
}

const INDEX = 'model.safetensors.index.json';

function shardName(i: number, n: number): string {
  return `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
}

/** A small valid safetensors file holding the named F32 tensors of 2 elements each. */
export function tinyShard(names: string[]): Uint8Array {
  const header: Record<string, unknown> = {};
  names.forEach((n, i) => (header[n] = { dtype: 'F32', shape: [2], data_offsets: [i * 8, i * 8 + 8] }));
  return assembleFile(new TextEncoder().encode(JSON.stringify(header)), new Uint8Array(names.length * 8));
}

const TRAVERSAL = [
  '../outside.safetensors',
  '/etc/passwd',
  'a/../model.safetensors',
  '..',
  '.',
  '',
  'sub/x.safetensors',
  '..\\outside.safetensors',
  'x\u0000.safetensors',
  './SHARD',
  '%2e%2e/outside.safetensors',
  '/dev/zero',
  '~/x.safetensors',
];
const WRONG_TYPES = ['1', 'null', 'true', '[]', '["a"]', '{}', '{"file":"x"}'];

interface Layout {
  shards: string[][];
  map: [string, string][];
}

function layout(rng: Rng): Layout {
  const n = rng.range(1, 3);
  const shards: string[][] = [];
  const map: [string, string][] = [];
  let k = 0;
  for (let s = 0; s < n; s++) {
    const names: string[] = [];
    for (let t = rng.range(1, 3); t > 0; t--) names.push(`model.layers.${k++}.mlp.up_proj.weight`);
    shards.push(names);
    for (const name of names) map.push([name, shardName(s, n)]);
  }
  return { shards, map };
}

function indexText(map: [string, string][], rawValues?: Map<number, string>, extra = ''): string {
  const entries = map.map(([k, v], i) => `${JSON.stringify(k)}:${rawValues?.get(i) ?? JSON.stringify(v)}`);
  return `{"metadata":{"total_size":${map.length * 8}}${extra},"weight_map":{${entries.join(',')}}}`;
}

/**
 * Write a random sharded dir under `dir` with one mutation of its index or shards. `outside` is a valid
 * safetensors file outside the dir: a reader that follows a traversal or an escaping symlink would accept it.
 */
export function writeIndexCase(rng: Rng, dir: string, outside: string): IndexCase {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { shards, map } = layout(rng);
  const n = shards.length;
  const files = shards.map((names, i) => ({ name: shardName(i, n), bytes: tinyShard(names) }));
  let text = indexText(map);
  let indexBytes: Uint8Array | undefined;
  let expect: Expectation = 'invalid';
  const mutation = rng.pick([
    'valid',
    'traversal',
    'duplicate',
    'missing-file',
    'missing-shard',
    'wrong-type',
    'weight-map-type',
    'empty-map',
    'extra-tensor',
    'unlisted-tensor',
    'wrong-shard',
    'dup-across-shards',
    'symlink-outside',
    'symlink-inside',
    'index-is-dir',
    'shard-is-dir',
    'non-utf8',
    'bitflip',
    'truncate',
    'deep',
    'bad-shard',
    'total-size',
    'symlink-loop',
  ]);
  let kind = mutation;
  const post: (() => void)[] = [];
  const i = rng.int(map.length);
  switch (mutation) {
    case 'valid':
      expect = 'valid';
      break;
    case 'traversal': {
      const t = rng.pick(TRAVERSAL).replace('SHARD', map[i]![1]);
      kind = `traversal:${JSON.stringify(t)}`;
      text = indexText(map, new Map([[i, JSON.stringify(t)]]));
      break;
    }
    case 'duplicate':
      text = indexText([...map, [map[i]![0], rng.pick(map)[1]]]);
      break;
    case 'missing-file':
      post.push(() => unlinkSync(join(dir, files[rng.int(n)]!.name)));
      break;
    case 'missing-shard':
      text = indexText(map, new Map([[i, JSON.stringify(shardName(8, 9))]]));
      break;
    case 'wrong-type':
      text = indexText(map, new Map([[i, rng.pick(WRONG_TYPES)]]));
      break;
    case 'weight-map-type':
      text = `{"weight_map":${rng.pick(['[]', '"x"', '1', 'null', '[["a","b"]]'])}}`;
      if (rng.chance(0.3)) text = rng.pick(['[]', '"weight_map"', '{}', '{"metadata":{}}', 'null']);
      break;
    case 'empty-map':
      text = '{"weight_map":{}}';
      break;
    case 'extra-tensor':
      text = indexText([...map, ['model.not.there', rng.pick(map)[1]]]);
      break;
    case 'unlisted-tensor':
      if (map.length < 2) {
        expect = 'invalid';
        text = '{"weight_map":{}}';
        break;
      }
      text = indexText(map.filter((_, k) => k !== i));
      // dropping the only tensor of a shard also drops the shard: then the dir holds a valid subset
      expect = map.filter(([, s]) => s === map[i]![1]).length === 1 ? 'valid' : 'invalid';
      break;
    case 'wrong-shard': {
      if (n < 2) {
        text = indexText(map, new Map([[i, JSON.stringify(shardName(1, 2))]]));
        break;
      }
      const other = files.find((f) => f.name !== map[i]![1])!.name;
      text = indexText(map, new Map([[i, JSON.stringify(other)]]));
      break;
    }
    case 'dup-across-shards':
      if (n < 2) {
        expect = 'valid';
        break;
      }
      files[1]!.bytes = tinyShard([...shards[1]!, shards[0]![0]!]);
      break;
    case 'symlink-outside': {
      const f = rng.pick(files).name;
      post.push(() => {
        unlinkSync(join(dir, f));
        symlinkSync(outside, join(dir, f));
      });
      break;
    }
    case 'symlink-inside': {
      const f = rng.pick(files).name;
      post.push(() => {
        mkdirSync(join(dir, 'blobs'));
        writeFileSync(join(dir, 'blobs', 'b'), files.find((x) => x.name === f)!.bytes);
        unlinkSync(join(dir, f));
        symlinkSync(join(dir, 'blobs', 'b'), join(dir, f));
      });
      expect = 'valid';
      break;
    }
    case 'symlink-loop': {
      const f = rng.pick(files).name;
      post.push(() => {
        unlinkSync(join(dir, f));
        symlinkSync(join(dir, f), join(dir, f));
      });
      break;
    }
    case 'index-is-dir':
      post.push(() => {
        unlinkSync(join(dir, INDEX));
        mkdirSync(join(dir, INDEX));
      });
      break;
    case 'shard-is-dir': {
      const f = rng.pick(files).name;
      post.push(() => {
        unlinkSync(join(dir, f));
        mkdirSync(join(dir, f));
      });
      break;
    }
    case 'non-utf8': {
      const enc = new TextEncoder().encode(text);
      const at = enc.indexOf(0x22, rng.int(enc.length - 1));
      indexBytes = new Uint8Array([...enc.subarray(0, at + 1), rng.pick([0xff, 0xc0, 0x80, 0xfe]), ...enc.subarray(at + 1)]);
      expect = 'either';
      break;
    }
    case 'bitflip': {
      const enc = new TextEncoder().encode(text);
      enc[rng.int(enc.length)]! ^= 1 << rng.int(8);
      indexBytes = enc;
      expect = 'either';
      break;
    }
    case 'truncate':
      text = text.slice(0, rng.int(text.length));
      break;
    case 'deep': {
      const depth = rng.pick([100, 10_000]);
      text = indexText(map, undefined, `,"x":${'['.repeat(depth)}${']'.repeat(depth)}`);
      expect = 'either';
      break;
    }
    case 'bad-shard': {
      const f = rng.pick(files);
      f.bytes = f.bytes.slice(0, rng.int(f.bytes.length));
      break;
    }
    case 'total-size':
      text = text.replace(/"total_size":\d+/, `"total_size":${rng.pick(['-1', '1e400', '"x"', 'null', '0'])}`);
      expect = 'either';
      break;
  }
  for (const f of files) writeFileSync(join(dir, f.name), f.bytes);
  indexBytes ??= new TextEncoder().encode(text);
  writeFileSync(join(dir, INDEX), indexBytes);
  for (const p of post) p();
  return { kind, expect, dir, index: indexBytes };
}
