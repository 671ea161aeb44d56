import { inputError } from '../errors.js';
import { openModel, type Model } from '../io/model.js';
import { TensorReader } from '../io/tensor-reader.js';
import { loadLlamaConfig, type LlamaConfig } from './config.js';

/** Where the forward pass gets each weight tensor, as float32, when it needs it (layer by layer). */
export interface WeightSource {
  readonly config: LlamaConfig;
  /** Float32 values of HF tensor `name` in stored row-major order, e.g. 'model.layers.0.self_attn.q_proj.weight'. */
  tensor(name: string): Promise<Float32Array>;
  has(name: string): boolean;
  close(): void;
}

// decode in blocks so the raw-bytes scratch stays small whatever the tensor size
const DECODE_BLOCK = 1 << 20;

/** A plain model dir (single file or sharded; F32/F16/BF16/F64) read through darekit's io, one tensor at a time. */
export function modelWeightSource(modelDir: string, config?: LlamaConfig): WeightSource {
  const cfg = config ?? loadLlamaConfig(modelDir);
  const model: Model = openModel(modelDir);
  const reader = new TensorReader();
  return {
    config: cfg,
    has: (name) => model.tensors.has(name),
    async tensor(name: string): Promise<Float32Array> {
      const t = model.tensors.get(name);
      if (!t) throw inputError(`${model.path}: tensor "${name}" is missing; the forward pass needs it for a ${cfg.modelType} model`);
      const out = new Float32Array(t.numel);
      for (let start = 0; start < t.numel; start += DECODE_BLOCK) {
        const count = Math.min(DECODE_BLOCK, t.numel - start);
        reader.readF32(t, start, count, out.subarray(start, start + count));
      }
      return out;
    },
    close: () => reader.close(),
  };
}
