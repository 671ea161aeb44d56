import { inputError } from '../errors.js';
import { openModel, type Model } from '../io/model.js';
import type { TensorInfo } from '../io/safetensors.js';
import { mathDtypeOf, TensorReader } from '../io/tensor-reader.js';
import { KERNEL_DATA_BYTES, type MergeKernelExports } from '../kernel/exports.js';
import { instantiateKernel, type KernelInstance } from '../kernel/wasm.js';
import { Arena } from '../exec/arena.js';
import { decodeInArena } from '../exec/dtype.js';
import { loadLlamaConfig, type LlamaConfig } from './config.js';

/** Where the forward pass gets each weight tensor, as float32, when it needs it (layer by layer). */
export interface WeightSource {
  readonly config: LlamaConfig;
  /** Float32 values of HF tensor `name` in stored row-major order, e.g. 'model.layers.0.self_attn.q_proj.weight'. */
  tensor(name: string): Promise<Float32Array>;
  has(name: string): boolean;
  close(): void;
}

// decode in blocks so the raw-bytes area stays small whatever the tensor size
const DECODE_BLOCK = 1 << 20;

interface Decoder {
  kernel: KernelInstance<MergeKernelExports>;
  raw: number;
  dst: number;
}
let decoder: Decoder | undefined;

/** This thread's block decoder: the dtype loader over a private 6 MiB kernel memory (raw bytes, then f32). */
function blockDecoder(): Decoder {
  if (!decoder) {
    const kernel = instantiateKernel<MergeKernelExports>();
    const arena = new Arena(KERNEL_DATA_BYTES);
    const raw = arena.take(DECODE_BLOCK * 2),
      dst = arena.take(DECODE_BLOCK * 4);
    kernel.ensure(arena.end);
    decoder = { kernel, raw, dst };
  }
  return decoder;
}

/** Elements of tensor t as float32 into out: F32 read straight in, BF16/F16 decoded by the kernel a block at a time. */
function readTensorF32(reader: TensorReader, t: TensorInfo, out: Float32Array): void {
  const dtype = mathDtypeOf(t);
  for (let start = 0; start < t.numel; start += DECODE_BLOCK) {
    const count = Math.min(DECODE_BLOCK, t.numel - start);
    if (dtype === 'F32') {
      reader.readBytes(t, start, count, new Uint8Array(out.buffer, out.byteOffset + start * 4, count * 4));
    } else if (dtype === 'BF16' || dtype === 'F16') {
      const d = blockDecoder();
      const memory = d.kernel.memory;
      reader.readBytes(t, start, count, new Uint8Array(memory.buffer, d.raw, count * 2));
      decodeInArena(d.kernel.exports, memory, dtype, d.raw, d.dst, count);
      out.set(new Float32Array(memory.buffer, d.dst, count), start);
    } else {
      reader.readF32(t, start, count, out.subarray(start, start + count));
    }
  }
}

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
      readTensorF32(reader, t, out);
      return out;
    },
    close: () => reader.close(),
  };
}
