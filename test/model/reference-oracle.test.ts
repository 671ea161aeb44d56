// The float64 reference is the oracle of the probe tests, so it is itself checked against the shared
// reference logits (an independent float32 implementation of Hugging Face Llama semantics).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { readFileSync } from 'node:fs';
import { readWholeTensor } from '../helpers/read.js';
import { familyS } from '../helpers/shared.js';
import { refConfig, refLogits, refWeights } from './probe-reference.js';

const S = familyS();
const REF = join(S, 'reference', 'forward.safetensors');

describe('float64 reference forward pass', () => {
  it.each(['base', 'sft-up', 'cpt-code'])('matches the shared reference logits of %s to 1e-4 relative', (model) => {
    const dir = join(S, model);
    const cfg = refConfig(dir);
    const w = refWeights(dir, openModel(dir).names);
    const it32 = openModel(REF).tensors.get('inputs')!;
    const inputs = new Int32Array(readFileSync(REF).buffer.slice(it32.byteOffset, it32.byteOffset + it32.byteLength));
    const logits = readWholeTensor(REF, `${model}.logits`);
    const shape = openModel(REF).tensors.get('inputs')!.shape;
    const [n, T] = [shape[0]!, shape[1]!];
    let maxDiff = 0;
    let maxRef = 0;
    for (let s = 0; s < n; s++) {
      const tokens = Array.from(inputs.subarray(s * T, s * T + T));
      const got = refLogits(cfg, w, tokens);
      for (let i = 0; i < T * cfg.vocab; i++) {
        const r = logits[s * T * cfg.vocab + i]!;
        maxDiff = Math.max(maxDiff, Math.abs(got[i]! - r));
        maxRef = Math.max(maxRef, Math.abs(r));
      }
    }
    expect(maxDiff / maxRef).toBeLessThan(1e-4);
  });
});
