import type { Model } from '../../src/io/model.js';
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
