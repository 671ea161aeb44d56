// The calibration variants are real models made from a fine-tune's delta: each transform checked against what it
// must do by construction (independent arithmetic here), and one variant of family S written and analysed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import {
  lowRank,
  partOf,
  readF32,
  sparsify,
  variantDelta,
  variantLabel,
  variantWeights,
  writeVariant,
  VARIANTS,
} from '../../tools/calibrate/calibration-variants.js';
import { pointFeatures } from '../../tools/calibrate/calibration-data.js';
import { familyS } from '../helpers/shared.js';

const tmp = mkdtempSync(join(tmpdir(), 'darekit-variants-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Orthonormal vectors e_i scaled: Σ s_k u_k v_kᵀ with u, v unit coordinate-free vectors (Hadamard-like rows). */
function rankMatrix(rows: number, cols: number, sv: number[]): Float32Array {
  const m = new Float32Array(rows * cols);
  sv.forEach((s, k) => {
    // u_k: ±1/√rows by bit k of the row index (orthogonal across k for power-of-two sizes), v_k likewise
    const u = (i: number) => ((i >> k) & 1 ? -1 : 1) / Math.sqrt(rows);
    const v = (j: number) => ((j >> k) & 1 ? -1 : 1) / Math.sqrt(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m[i * cols + j]! += s * u(i) * v(j);
  });
  return m;
}
const energy = (a: Float32Array) => a.reduce((s, x) => s + x * x, 0);

describe('calibration variants', () => {
  test('low-rank truncation keeps the top singular directions: rank 2 of a rank-2 matrix is itself, rank 1 loses exactly σ₂²', () => {
    const m = rankMatrix(16, 32, [3, 1]);
    const two = lowRank(m, 16, 32, 2, 't');
    for (let i = 0; i < m.length; i++) expect(two[i]!).toBeCloseTo(m[i]!, 5);
    const one = lowRank(m, 16, 32, 1, 't');
    expect(energy(one)).toBeCloseTo(9, 4);
    expect(energy(m.map((x, i) => x - one[i]!))).toBeCloseTo(1, 4);
  });

  test('sparsify keeps the largest |Δ| share, ties by lower index', () => {
    const d = new Float32Array([0.1, -0.5, 0.5, 0.2, -0.05, 0.3, 0, 0.5, 0.01, -0.2]);
    // three |0.5| entries (indices 1, 2, 7) fill keep = 0.3 of 10; with 0.2 the tie at 0.5 goes to the lower indices
    expect(Array.from(sparsify(d, 0.3))).toEqual(Array.from(new Float32Array([0, -0.5, 0.5, 0, 0, 0, 0, 0.5, 0, 0])));
    expect(Array.from(sparsify(d, 0.2))).toEqual(Array.from(new Float32Array([0, -0.5, 0.5, 0, 0, 0, 0, 0, 0, 0])));
  });

  test('scale multiplies, "only" keeps one part and zeroes the rest; labels name each variant once', () => {
    const d = new Float32Array([1, -2, 3]);
    expect(Array.from(variantDelta({ kind: 'scale', alpha: 0.5 }, { name: 'x', shape: [3], data: d }, d))).toEqual([0.5, -1, 1.5]);
    expect(
      Array.from(variantDelta({ kind: 'only', part: 'mlp' }, { name: 'model.layers.0.mlp.up_proj.weight', shape: [3], data: d }, d)),
    ).toEqual([1, -2, 3]);
    expect(
      Array.from(variantDelta({ kind: 'only', part: 'mlp' }, { name: 'model.layers.0.self_attn.q_proj.weight', shape: [3], data: d }, d)),
    ).toEqual([0, 0, 0]);
    expect(partOf('lm_head.weight')).toBe('embeddings-head');
    expect(new Set(VARIANTS.map(variantLabel)).size).toBe(VARIANTS.length);
  });

  test('family S: scale-2 of sft-up doubles the block r; only-attention leaves the MLP and embeddings at the base; the bytes are deterministic', async () => {
    const S = familyS();
    const base = readF32(join(S, 'base'));
    const up = readF32(join(S, 'sft-up'));
    writeVariant(join(tmp, 'scale2'), variantWeights({ kind: 'scale', alpha: 2 }, base, up), join(S, 'sft-up'));
    writeVariant(join(tmp, 'attn'), variantWeights({ kind: 'only', part: 'attention' }, base, up), join(S, 'sft-up'));
    writeVariant(join(tmp, 'attn-again'), variantWeights({ kind: 'only', part: 'attention' }, base, up), join(S, 'sft-up'));
    expect(readFileSync(join(tmp, 'attn', 'model.safetensors')).equals(readFileSync(join(tmp, 'attn-again', 'model.safetensors')))).toBe(
      true,
    );
    const a = await analyzeModels({
      base: join(S, 'base'),
      finetunes: [join(S, 'sft-up'), join(tmp, 'scale2'), join(tmp, 'attn')],
      threads: 1,
    });
    const f = pointFeatures(a);
    expect(f.get('scale2')!.r / f.get('sft-up')!.r).toBeCloseTo(2, 3);
    for (const t of a.tensors.filter((x) => x.model === 'attn')) {
      if (partOf(t.tensor) === 'attention') expect(t.sumSqDelta, t.tensor).toBeGreaterThan(0);
      else expect(t.sumSqDelta, t.tensor).toBe(0);
    }
  });
});
