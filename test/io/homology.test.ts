import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertHomologous, checkHomology } from '../../src/io/homology.js';
import { openModel, type Model } from '../../src/io/model.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { catchDarekit, tempDir } from './helpers.js';

type Spec = [name: string, dtype: 'F32' | 'BF16' | 'F16', shape: number[]];
const BPE = { F32: 4, BF16: 2, F16: 2 };

function model(specs: Spec[]): Model {
  const dir = join(tempDir(), 'm');
  mkdirSync(dir);
  writeSafetensorsFile(
    join(dir, 'model.safetensors'),
    specs.map(([name, dtype, shape]) => ({ name, dtype, shape, data: new Uint8Array(shape.reduce((a, b) => a * b, 1) * BPE[dtype]) })),
  );
  return openModel(dir);
}

const BASE: Spec[] = [
  ['model.embed_tokens.weight', 'BF16', [8, 4]],
  ['model.layers.0.self_attn.q_proj.weight', 'BF16', [4, 4]],
  ['model.layers.0.mlp.up_proj.weight', 'BF16', [6, 4]],
  ['model.norm.weight', 'BF16', [4]],
  ['lm_head.weight', 'BF16', [8, 4]],
];

describe('homology check', () => {
  it('accepts identical names and shapes with mixed float dtypes', () => {
    const base = model(BASE);
    const ft = model(BASE.map(([n, , s]) => [n, 'F32', s] as Spec));
    const ft16 = model(BASE.map(([n, , s]) => [n, 'F16', s] as Spec));
    expect(checkHomology(base, [ft, ft16]).ok).toBe(true);
    expect(assertHomologous(base, [ft]).models[0]!.ok).toBe(true);
  });

  it('reports missing and extra tensors by name', () => {
    const base = model(BASE);
    const ft = model([...BASE.slice(0, 3), ['model.extra.weight', 'BF16', [2]]]);
    const r = checkHomology(base, [ft]).models[0]!;
    expect(r.missing).toEqual(['model.norm.weight', 'lm_head.weight']);
    expect(r.extra).toEqual(['model.extra.weight']);
    expect(r.ok).toBe(false);
    const err = catchDarekit(() => assertHomologous(base, [ft]));
    expect(err.kind).toBe('input');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(ft.path);
    expect(err.message).toContain('2 tensor(s) missing ("model.norm.weight", "lm_head.weight")');
    expect(err.message).toContain('1 extra tensor(s) not in the base ("model.extra.weight")');
  });

  it('names an enlarged vocabulary in embed_tokens with both shapes, strict by default', () => {
    const base = model(BASE);
    const ft = model(
      BASE.map(([n, d, s]) => (n.includes('embed_tokens') || n.startsWith('lm_head') ? [n, d, [10, 4]] : [n, d, s]) as Spec),
    );
    const r = checkHomology(base, [ft]).models[0]!;
    expect(r.shapeMismatches).toEqual([
      { name: 'model.embed_tokens.weight', shape: [10, 4], baseShape: [8, 4], vocabRows: true },
      { name: 'lm_head.weight', shape: [10, 4], baseShape: [8, 4], vocabRows: true },
    ]);
    const err = catchDarekit(() => assertHomologous(base, [ft]));
    expect(err.message).toContain(
      '"model.embed_tokens.weight" shape [10, 4] vs base [8, 4] (a different vocabulary size; pass --truncate-vocab',
    );
    expect(err.message).toContain("to use the base's 8 rows");
    // allowed when asked for (truncation to the base's rows: test/io/vocab-view.test.ts)
    expect(assertHomologous(base, [ft], { allowVocabMismatch: true }).ok).toBe(true);
  });

  it('still refuses other shape mismatches when vocabulary mismatches are allowed', () => {
    const base = model(BASE);
    const ft = model(
      BASE.map(([n, d, s]) => (n.includes('up_proj') ? [n, d, [7, 4]] : n.includes('embed') ? [n, d, [8, 5]] : [n, d, s]) as Spec),
    );
    const r = checkHomology(base, [ft], { allowVocabMismatch: true });
    expect(r.ok).toBe(false);
    expect(r.models[0]!.shapeMismatches.map((s) => [s.name, s.vocabRows])).toEqual([
      ['model.embed_tokens.weight', false],
      ['model.layers.0.mlp.up_proj.weight', false],
    ]);
  });

  it('summarizes long lists with a count instead of every name', () => {
    const base = model(BASE);
    const ft = model([['model.norm.weight', 'BF16', [4]]]);
    const err = catchDarekit(() => assertHomologous(base, [ft]));
    expect(err.message).toContain(
      '4 tensor(s) missing ("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.up_proj.weight" and 1 more)',
    );
    expect(err.message).not.toContain('\n');
  });

  it('refuses non-math dtypes (I8 here), naming the tensor and what to do', () => {
    const base = model(BASE);
    const dir = join(tempDir(), 'q');
    mkdirSync(dir);
    const entries = BASE.map(
      ([n, , s], i) =>
        `"${n}":{"dtype":"I8","shape":[${s.join(',')}],"data_offsets":[${BASE.slice(0, i).reduce((a, [, , t]) => a + t.reduce((x, y) => x * y, 1), 0)},${BASE.slice(0, i + 1).reduce((a, [, , t]) => a + t.reduce((x, y) => x * y, 1), 0)}]}`,
    );
    const json = new TextEncoder().encode(`{${entries.join(',')}}`);
    const total = BASE.reduce((a, [, , t]) => a + t.reduce((x, y) => x * y, 1), 0);
    const bytes = new Uint8Array(8 + json.length + total);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const q = openModel(dir);
    expect(checkHomology(base, [q]).models[0]!.dtypeIssues.length).toBe(BASE.length);
    expect(catchDarekit(() => assertHomologous(base, [q])).message).toMatch(
      /5 tensor\(s\) in dtypes darekit cannot compute with \(I8 in "model.embed_tokens.weight"\); dequantize/,
    );
    expect(checkHomology(q, [base]).baseDtypeIssues.length).toBe(BASE.length);
  });
});
