// The forward pass against the family's reference logits and losses (reference/forward.safetensors: an
// independent float32 LlamaForCausalLM pass on the BF16 weights), with the weights as stored (BF16) and as F16 and
// F32 copies written by darekit's writer.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFromF32 } from '../../src/io/codec.js';
import type { OutDtype } from '../../src/io/dtypes.js';
import { openModel } from '../../src/io/model.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { forwardLogits, scoreSequences } from '../../src/model/forward.js';
import { modelWeightSource } from '../../src/model/weights.js';
import { readWholeTensor } from '../helpers/read.js';
import { familyS } from '../helpers/shared.js';

const S = familyS();
const MODELS = ['base', 'sft-up', 'sft-shift', 'cpt-code', 'cpt-code-brief'];
const REF = join(S, 'reference', 'forward.safetensors');

function rawTensor(name: string): { bytes: Uint8Array; shape: number[] } {
  const h = readSafetensorsHeader(REF);
  const t = h.tensors.find((x) => x.name === name)!;
  const buf = readFileSync(REF);
  return {
    bytes: new Uint8Array(buf.buffer.slice(buf.byteOffset + t.byteOffset, buf.byteOffset + t.byteOffset + t.byteLength)),
    shape: t.shape,
  };
}

const inputs = (() => {
  const { bytes, shape } = rawTensor('inputs');
  const all = new Int32Array(bytes.buffer);
  const [n, T] = shape as [number, number];
  return Array.from({ length: n }, (_, i) => all.slice(i * T, (i + 1) * T));
})();
const refF32 = (name: string): Float32Array => new Float32Array(rawTensor(name).bytes.buffer);

const tmp = mkdtempSync(join(tmpdir(), 'darekit-fwd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of a model dir with every tensor re-encoded as dtype by darekit's writer. */
function copyAs(model: string, dtype: OutDtype): string {
  const src = join(S, model),
    dst = join(tmp, `${model}-${dtype}`);
  mkdirSync(dst, { recursive: true });
  copyFileSync(join(src, 'config.json'), join(dst, 'config.json'));
  const m = openModel(src);
  writeSafetensorsFile(
    join(dst, 'model.safetensors'),
    m.names.map((name) => {
      const x = readWholeTensor(m, name);
      const data = new Uint8Array(x.length * (dtype === 'F32' ? 4 : 2));
      encodeFromF32(dtype, x, data, x.length);
      return { name, dtype, shape: m.tensors.get(name)!.shape, data };
    }),
  );
  return dst;
}

function relativeError(got: Float32Array, want: Float32Array): number {
  let err = 0,
    mag = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    mag = Math.max(mag, Math.abs(want[i]!));
  }
  return err / mag;
}

describe.each(MODELS)('forward pass of S/%s', (model) => {
  const wantLogits = refF32(`${model}.logits`);
  const wantLoss = refF32(`${model}.loss`);
  const V = 256,
    T = inputs[0]!.length;

  it.each(['stored', 'F16', 'F32'] as const)(
    'matches the reference logits (1e-4 relative) and losses (1e-4) with the weights %s',
    async (form) => {
      const dir = form === 'stored' ? join(S, model) : copyAs(model, form);
      const source = modelWeightSource(dir);
      try {
        const logits = await forwardLogits(source, inputs);
        for (let i = 0; i < inputs.length; i++) {
          const err = relativeError(logits[i]!, wantLogits.subarray(i * T * V, (i + 1) * T * V));
          expect(err, `input ${i}: max|Δ|/max|ref|`).toBeLessThan(1e-4);
        }
        const scores = await scoreSequences(
          source,
          inputs.map((tokens) => ({ tokens, scoreFrom: 1 })),
        );
        for (let i = 0; i < inputs.length; i++) {
          const loss = -scores[i]!.logprobs.reduce((a, b) => a + b, 0) / scores[i]!.logprobs.length;
          expect(Math.abs(loss - wantLoss[i]!) / wantLoss[i]!, `input ${i}: loss ${loss} vs ${wantLoss[i]}`).toBeLessThan(1e-4);
          // argmax hits agree with the reference logits' argmax wherever it is not a near-tie
          for (let k = 0; k < T - 1; k++) {
            const row = wantLogits.subarray((i * T + k) * V, (i * T + k + 1) * V);
            let best = 0;
            for (let j = 1; j < V; j++) if (row[j]! > row[best]!) best = j;
            const sorted = Array.from(row).sort((a, b) => b - a);
            if (sorted[0]! - sorted[1]! > 1e-3) expect(scores[i]!.argmaxHit[k]).toBe(best === inputs[i]![k + 1] ? 1 : 0);
          }
        }
      } finally {
        source.close();
      }
    },
  );
});
