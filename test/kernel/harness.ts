import { instantiateKernel } from '../../src/kernel/wasm.js';
import type { MergeKernelExports } from '../../src/kernel/exports.js';
import { referenceKernel } from '../../src/kernel/reference/index.js';

const MEM_BYTES = 1 << 20;
const wasm = instantiateKernel<MergeKernelExports>();
wasm.ensure(MEM_BYTES);
const refMemory = new WebAssembly.Memory({ initial: MEM_BYTES / 65536, maximum: MEM_BYTES / 65536, shared: true });
const ref = referenceKernel(refMemory);

/** Lay out the same bytes in the wasm and the reference memory, run `call` on both, and return both memories' bytes. */
export function runBoth(
  setup: (u8: Uint8Array) => void,
  call: (k: MergeKernelExports) => number | void,
): { wasm: Uint8Array; ref: Uint8Array; wasmRet: number | void; refRet: number | void } {
  const a = new Uint8Array(wasm.memory.buffer, 0, MEM_BYTES);
  const b = new Uint8Array(refMemory.buffer, 0, MEM_BYTES);
  a.fill(0xa5);
  setup(a);
  b.set(a);
  const wasmRet = call(wasm.exports);
  const refRet = call(ref);
  return { wasm: a, ref: b, wasmRet, refRet };
}

/** The first index where two byte arrays differ, or -1. */
export function firstDiff(x: Uint8Array, y: Uint8Array): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Interesting f32 bit patterns: ±0, subnormals, ±Inf, NaNs with payloads, rounding boundaries of bf16/f16. */
export const EDGE_F32_BITS = [
  0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00400000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0x7fbfffff,
  0x3f808000, 0x3f818000, 0x3f808001, 0x3f7fffff, 0x477fe000, 0x477ff000, 0x477fefff, 0x38800000, 0x387fe000, 0x33800000, 0x33000000,
  0x33000001, 0x337fffff, 0x32ffffff, 0x7f7fffff, 0xff7fffff, 0x387fc000, 0x38000000, 0x3c000000, 0x7effffff, 0x7f7f8000,
];
