import type { MergeKernelExports } from '../kernel/exports.js';
import { referenceKernel } from '../kernel/reference/index.js';
import { instantiateKernel, KERNEL_MAX_PAGES, kernelModule } from '../kernel/wasm.js';
import { ChunkEngine } from './engine.js';

/** Which implementation runs the math: the wasm SIMD kernel, or its scalar TypeScript reference (benchmarks). */
export type KernelKind = 'wasm' | 'js';

/** A chunk engine over a fresh memory with the chosen kernel (one per thread). */
export function createEngine(
  kind: KernelKind,
  chunkElements: number,
  maxTerms: number,
  module?: WebAssembly.Module,
  maxRow = 0,
): ChunkEngine {
  if (kind === 'wasm') {
    const k = instantiateKernel<MergeKernelExports>(undefined, module ?? kernelModule());
    return new ChunkEngine(k.exports, k.memory, chunkElements, maxTerms, maxRow);
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: KERNEL_MAX_PAGES, shared: true });
  return new ChunkEngine(referenceKernel(memory), memory, chunkElements, maxTerms, maxRow);
}
