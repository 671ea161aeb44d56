import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OutDtype } from '../../src/io/dtypes.js';
import { openModel } from '../../src/io/model.js';
import { OutputDir } from '../../src/io/output-dir.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { indexJson, planShards, writeSafetensorsFile, type PlannedTensor } from '../../src/io/writer.js';
import { pseudoRandomBytes, tempDir } from './helpers.js';

const BPE: Record<OutDtype, number> = { BF16: 2, F16: 2, F32: 4 };

function tensorsOf(dtype: OutDtype): (PlannedTensor & { data: Uint8Array })[] {
  const shapes: [string, number[]][] = [
    ['a.weight', [7, 5]],
    ['b.bias', [3]],
    ['0', [2, 2]],
    ['scalar', []],
    ['empty', [0, 4]],
    ['c.weight', [33, 17]],
  ];
  return shapes.map(([name, shape], i) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    return { name, dtype, shape, data: pseudoRandomBytes(numel * BPE[dtype], 17 + i) };
  });
}

/** Write tensors through planShards + OutputDir the way the merge writer does, returns the final dir. */
function writeSharded(dir: string, tensors: (PlannedTensor & { data: Uint8Array })[], maxShardBytes: number): string {
  const plans = planShards(tensors, { maxShardBytes, metadata: { format: 'pt' } });
  const out = OutputDir.create(dir, { force: false });
  for (const p of plans) {
    const fd = out.openShard(p);
    for (const t of tensors) {
      const r = p.tensors.get(t.name);
      if (!r) continue;
      // write in two pieces to exercise positional writes at an offset
      const half = Math.floor(t.data.length / 2);
      out.writeAt(fd, t.data.subarray(half), r.byteOffset + half);
      out.writeAt(fd, t.data.subarray(0, half), r.byteOffset);
    }
  }
  if (plans.length > 1) out.writeFile('model.safetensors.index.json', indexJson(plans));
  out.commit();
  return dir;
}

function readBack(path: string): Map<string, Uint8Array> {
  const m = openModel(path);
  const r = new TensorReader();
  const out = new Map<string, Uint8Array>();
  for (const name of m.names) {
    const t = m.tensors.get(name)!;
    const buf = new Uint8Array(t.byteLength);
    r.readBytes(t, 0, t.numel, buf);
    out.set(name, buf);
  }
  r.close();
  return out;
}

describe('safetensors writer', () => {
  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    it(`round-trips identical bits for ${dtype}, single file`, () => {
      const ts = tensorsOf(dtype);
      const f = join(tempDir(), 'm.safetensors');
      writeSafetensorsFile(f, ts, { format: 'pt' });
      const got = readBack(f);
      expect([...got.keys()].sort()).toEqual(ts.map((t) => t.name).sort());
      for (const t of ts) expect(got.get(t.name)).toEqual(t.data);
      expect(readSafetensorsHeader(f).metadata).toEqual({ format: 'pt' });
    });

    it(`round-trips identical bits for ${dtype}, sharded with an index`, () => {
      const ts = tensorsOf(dtype);
      const dir = writeSharded(join(tempDir(), 'out'), ts, 40);
      const m = openModel(dir);
      expect(m.layout).toBe('sharded');
      expect(m.files.length).toBeGreaterThanOrEqual(3);
      const got = readBack(dir);
      for (const t of ts) expect(got.get(t.name)).toEqual(t.data);
    });
  }

  it('pads every header to a multiple of 8 with spaces and writes the length little-endian', () => {
    for (let extra = 0; extra < 9; extra++) {
      const [p] = planShards([{ name: 'x'.repeat(1 + extra), dtype: 'F32', shape: [1] }]);
      expect(p!.header.length % 8).toBe(0);
      const len = Number(new DataView(p!.header.buffer).getBigUint64(0, true));
      expect(len).toBe(p!.header.length - 8);
      const text = new TextDecoder().decode(p!.header.subarray(8));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(/^ *$/.test(text.slice(text.lastIndexOf('}') + 1))).toBe(true);
    }
  });

  it('keeps the given tensor order, never splits a tensor, and names shards model-0000i-of-0000n', () => {
    const ts: PlannedTensor[] = [100, 60, 60, 300, 10].map((n, i) => ({ name: `t${i}`, dtype: 'F32', shape: [n] }));
    const plans = planShards(ts, { maxShardBytes: 480 });
    // 400 | 240+240 | 1200 (alone, larger than the limit) | 40
    expect(plans.map((p) => [...p.tensors.keys()])).toEqual([['t0'], ['t1', 't2'], ['t3'], ['t4']]);
    expect(plans.map((p) => p.fileName)).toEqual([
      'model-00001-of-00004.safetensors',
      'model-00002-of-00004.safetensors',
      'model-00003-of-00004.safetensors',
      'model-00004-of-00004.safetensors',
    ]);
    const r = plans[1]!.tensors.get('t2')!;
    expect(r.byteOffset).toBe(plans[1]!.dataOffset + 240);
    expect(plans[1]!.fileSize).toBe(plans[1]!.dataOffset + 480);
    expect(planShards(ts).map((p) => p.fileName)).toEqual(['model.safetensors']);
  });

  it('writes an index with metadata.total_size equal to the tensor bytes and every name mapped once', () => {
    const ts: PlannedTensor[] = [3, 5, 7].map((n, i) => ({ name: `t${i}`, dtype: 'BF16', shape: [n, 2] }));
    const plans = planShards(ts, { maxShardBytes: 20 });
    const idx = JSON.parse(indexJson(plans, { merged_by: 'darekit' }));
    expect(idx.metadata.total_size).toBe((3 + 5 + 7) * 2 * 2);
    expect(idx.metadata.merged_by).toBe('darekit');
    expect(idx.weight_map).toEqual({ t0: plans[0]!.fileName, t1: plans[1]!.fileName, t2: plans[2]!.fileName });
  });

  it('a written file is byte-identical to the planned header followed by the data', () => {
    const ts = tensorsOf('F16');
    const f = join(tempDir(), 'm.safetensors');
    writeSafetensorsFile(f, ts);
    const bytes = readFileSync(f);
    const [p] = planShards(ts);
    expect(bytes.length).toBe(p!.fileSize);
    expect(new Uint8Array(bytes.subarray(0, p!.header.length))).toEqual(p!.header);
  });
});
