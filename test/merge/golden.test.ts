import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { SHARED_DIR } from '../helpers/shared.js';

const SHARED = SHARED_DIR;
const GOLDEN = join(SHARED, 'golden');
const tmp = mkdtempSync(join(tmpdir(), 'darekit-golden-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function ordered(bits: number): number {
  return bits < 0 ? -2147483648 - bits : bits; // f32 bits → integers ordered like the floats
}

describe.skipIf(!existsSync(GOLDEN))('golden merges (independent float64 numpy reference) match within 1 ulp', () => {
  for (const name of ['task_arithmetic', 'ties', 'linear']) {
    it(name, async () => {
      // model paths in the golden configs are relative to shared/
      const cfg = parseMergeConfig(readFileSync(join(GOLDEN, `${name}.yml`), 'utf8'), { configDir: SHARED }, `${name}.yml`);
      const out = join(tmp, name);
      await merge(cfg, { out, threads: 2, chunkElements: 4096 });
      const got = openModel(out);
      const want = openModel(join(GOLDEN, `${name}.safetensors`));
      expect(got.names.slice().sort()).toEqual(want.names.slice().sort());
      const r = new TensorReader();
      let maxUlp = 0;
      for (const n of want.names) {
        const a = want.tensors.get(n)!,
          b = got.tensors.get(n)!;
        expect(b.dtype).toBe('F32');
        const x = new Uint8Array(a.byteLength),
          y = new Uint8Array(b.byteLength);
        r.readBytes(a, 0, a.numel, x);
        r.readBytes(b, 0, b.numel, y);
        const xi = new Int32Array(x.buffer),
          yi = new Int32Array(y.buffer);
        for (let i = 0; i < a.numel; i++) maxUlp = Math.max(maxUlp, Math.abs(ordered(xi[i]!) - ordered(yi[i]!)));
      }
      r.close();
      expect(maxUlp).toBeLessThanOrEqual(1);
    });
  }
});
