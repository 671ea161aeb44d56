import type { MergeKernelExports } from '../kernel/exports.js';
import { referenceKernel } from '../kernel/reference/index.js';
import { instantiateKernel, KERNEL_MAX_PAGES, type KernelInstance } from '../kernel/wasm.js';
import { ChunkEngine } from './engine.js';

/** Which implementation runs the math: the wasm SIMD kernel, or its scalar TypeScript reference (benchmarks). */
export type KernelKind = 'wasm' | 'js';

/** A chunk engine with the chosen kernel (one per thread): the wasm one on `wasm` (default: a fresh instance), or the reference on a fresh memory. */
export function createEngine(
  kind: KernelKind,
  chunkElements: number,
  maxTerms: number,
  wasm?: KernelInstance<MergeKernelExports>,
  maxRow = 0,
): ChunkEngine {
  if (kind === 'wasm') {
    const k = wasm ?? instantiateKernel<MergeKernelExports>();
    return new ChunkEngine(k.exports, k.memory, chunkElements, maxTerms, maxRow);
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: KERNEL_MAX_PAGES, shared: true });
  return new ChunkEngine(referenceKernel(memory), memory, chunkElements, maxTerms, maxRow);
}
