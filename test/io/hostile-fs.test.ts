// Issue 16, point 8 (and point 6 at the library level): a Hugging Face cache layout cannot widen where darekit
// reads, every file is validated on its opened descriptor, and a file swapped after validation is never read.
import { cpSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { catchDarekit, tempDir } from './helpers.js';

const f32 = (name: string, v: number) => ({
  name,
  dtype: 'F32' as const,
  shape: [2],
  data: new Uint8Array(new Float32Array([v, v]).buffer),
});
const weightMap = { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' };

/** models--org--name/{blobs/sha-1, sha-2; snapshots/rev/ links to them + index}; returns the paths. */
function hfCache(): { repo: string; snap: string } {
  const repo = join(tempDir(), 'models--org--name');
  const snap = join(repo, 'snapshots', 'rev1');
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  writeSafetensorsFile(join(repo, 'blobs', 'sha-1'), [f32('a', 1), f32('b', 2)]);
  writeSafetensorsFile(join(repo, 'blobs', 'sha-2'), [f32('c', 3)]);
  symlinkSync('../../blobs/sha-1', join(snap, 'model-00001-of-00002.safetensors'));
  symlinkSync('../../blobs/sha-2', join(snap, 'model-00002-of-00002.safetensors'));
  writeFileSync(join(snap, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 24 }, weight_map: weightMap }));
  return { repo, snap };
}

function readC(snap: string): number[] {
  const m = openModel(snap);
  const r = new TensorReader();
  try {
    const out = new Float32Array(2);
    r.readF32(m.tensors.get('c')!, 0, 2, out);
    return [...out];
  } finally {
    r.close();
  }
}

describe('a Hugging Face cache layout', () => {
  it('reads shards through snapshot links into the real blobs dir (control)', () => {
    expect(readC(hfCache().snap)).toEqual([3, 3]);
  });

  it('refuses a blobs/ that is itself a symlink to anywhere: it does not become an allowed root', () => {
    const { repo, snap } = hfCache();
    const elsewhere = join(tempDir(), 'elsewhere');
    cpSync(join(repo, 'blobs'), elsewhere, { recursive: true });
    rmSync(join(repo, 'blobs'), { recursive: true });
    symlinkSync(elsewhere, join(repo, 'blobs'));
    const err = catchDarekit(() => openModel(snap));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/shard "model-0000[12]-of-00002\.safetensors" is really .*elsewhere.*, outside the model dir/);
  });

  it('refuses a shard swapped for an outside symlink after validation: the read finds another file and stops', () => {
    const { snap } = hfCache();
    const m = openModel(snap);
    // swap: the same bytes, but another file outside the repo, behind the same name
    const outside = join(tempDir(), 'outside.safetensors');
    writeSafetensorsFile(outside, [f32('c', 666)]);
    const link = join(snap, 'model-00002-of-00002.safetensors');
    unlinkSync(link);
    symlinkSync(outside, link);
    const r = new TensorReader();
    try {
      const err = catchDarekit(() => r.readF32(m.tensors.get('c')!, 0, 2, new Float32Array(2)));
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain('changed since it was validated');
    } finally {
      r.close();
    }
  });

  it('refuses a plain model file replaced (rename over it) between opening the model and reading it', () => {
    const dir = tempDir();
    writeSafetensorsFile(join(dir, 'model.safetensors'), [f32('w', 1)]);
    const m = openModel(dir);
    writeSafetensorsFile(join(dir, 'new.safetensors'), [f32('w', 9)]);
    renameSync(join(dir, 'new.safetensors'), join(dir, 'model.safetensors'));
    const r = new TensorReader();
    try {
      expect(catchDarekit(() => r.readF32(m.tensors.get('w')!, 0, 2, new Float32Array(2))).message).toContain(
        'changed since it was validated',
      );
    } finally {
      r.close();
    }
  });
});

describe('non-regular files are refused by type before any read (no blocking open)', () => {
  const mkfifo = (p: string): void => {
    execFileSync('mkfifo', [p]);
  };

  it('a FIFO as model.safetensors, as the only .safetensors, as a shard, as the index, given directly', () => {
    const a = tempDir();
    mkfifo(join(a, 'model.safetensors'));
    expect(catchDarekit(() => openModel(a)).message).toMatch(/model\.safetensors: the safetensors file is a FIFO/);
    const b = tempDir();
    mkfifo(join(b, 'weights.safetensors'));
    expect(catchDarekit(() => openModel(b)).message).toMatch(/weights\.safetensors: .*FIFO/);
    expect(catchDarekit(() => openModel(join(b, 'weights.safetensors'))).message).toMatch(/not a file or directory|FIFO/);
    expect(catchDarekit(() => readSafetensorsHeader(join(b, 'weights.safetensors'))).message).toMatch(/FIFO/);
    const { snap } = hfCache();
    unlinkSync(join(snap, 'model-00002-of-00002.safetensors'));
    mkfifo(join(snap, 'model-00002-of-00002.safetensors'));
    expect(catchDarekit(() => openModel(snap)).message).toMatch(/shard "model-00002-of-00002\.safetensors".* is a FIFO/);
    const c = hfCache().snap;
    unlinkSync(join(c, 'model.safetensors.index.json'));
    mkfifo(join(c, 'model.safetensors.index.json'));
    expect(catchDarekit(() => openModel(c)).message).toMatch(/index\.json: the sharded index is a FIFO/);
  });

  it('a character device as model.safetensors (reads would never end)', () => {
    const d = tempDir();
    symlinkSync('/dev/zero', join(d, 'model.safetensors'));
    expect(catchDarekit(() => openModel(d)).message).toMatch(/character device/);
  });
});
