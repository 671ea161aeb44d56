#!/usr/bin/env node
// Eval command for the tune tests, independent of darekit: score = −‖candidate − target‖₂ over all tensors of two
// single-file safetensors models (BF16/F16/F32), decoded here from the raw bytes. Also appends the candidate path
// it was given to $SCORE_LOG (to check quoting and clean-up), and fails on purpose when $SCORE_FAIL_ABOVE is set
// and the candidate's file name sorts after it.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function load(dir) {
  const buf = readFileSync(join(dir, 'model.safetensors'));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const data = buf.subarray(8 + n);
  const out = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [a, b] = t.data_offsets;
    const raw = data.subarray(a, b);
    const vals = new Float64Array(raw.length / (t.dtype === 'F32' ? 4 : 2));
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < vals.length; i++) {
      if (t.dtype === 'F32') vals[i] = dv.getFloat32(i * 4, true);
      else if (t.dtype === 'BF16') {
        const f = new DataView(new ArrayBuffer(4));
        f.setUint32(0, dv.getUint16(i * 2, true) << 16);
        vals[i] = f.getFloat32(0);
      } else throw new Error(`dtype ${t.dtype} not handled`);
    }
    out.set(name, vals);
  }
  return out;
}

const [cand, target] = process.argv.slice(2);
if (process.env.SCORE_LOG) appendFileSync(process.env.SCORE_LOG, cand + '\n');
if (process.env.SCORE_FAIL) {
  process.stderr.write('deliberate failure: SCORE_FAIL is set\n');
  process.exit(3);
}
const a = load(cand);
const b = load(target);
let sq = 0;
for (const [name, va] of a) {
  const vb = b.get(name);
  for (let i = 0; i < va.length; i++) sq += (va[i] - vb[i]) ** 2;
}
console.log(`candidate ${cand}`);
console.log(`distance ${Math.sqrt(sq)}`);
console.log(-Math.sqrt(sq));
