import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../../src/io/model.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import type { EncodedTensor } from '../../src/io/writer.js';
import { openModel } from '../../src/io/model.js';
import { TensorReader } from '../../src/io/tensor-reader.js';

/** Every element of one tensor of a model (a dir, or an already opened Model such as a LoRA view) as float32. */
export function readWholeTensor(model: string | Model, name: string): Float32Array {
  const m = typeof model === 'string' ? openModel(model) : model;
  const t = m.tensors.get(name);
  if (!t) throw new Error(`${m.path}: no tensor ${name}`);
  const out = new Float32Array(t.numel);
  const r = new TensorReader();
  try {
    r.readF32(t, 0, t.numel, out);
  } finally {
    r.close();
  }
  return out;
}

/** A single-file model's tensors with their stored bytes, ready to be edited and written back. */
export function readTensors(dir: string): EncodedTensor[] {
  const file = join(dir, 'model.safetensors');
  const bytes = readFileSync(file);
  return readSafetensorsHeader(file).tensors.map((t) => ({
    name: t.name,
    dtype: t.dtype as EncodedTensor['dtype'],
    shape: t.shape,
    data: new Uint8Array(bytes.subarray(t.byteOffset, t.byteOffset + t.byteLength)),
  }));
}
