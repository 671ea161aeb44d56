// The raw layer over the kernel: one method per wasm export, each with its native signature, derived from the
// declarations in abi.ts (so a signature is written once). Pointers are byte addresses in the kernel's linear memory;
// lengths are element counts.
import { KERNEL_ABI, type ExportDecl, type ExportGroup } from './abi.js';

export { KERNEL_DATA_BYTES, MODULE_EXPORTS } from './abi.js';

type Abi = typeof KERNEL_ABI;

/** A number per element of a parameter tuple. */
type Numbers<P extends readonly unknown[]> = { -readonly [I in keyof P]: number };

/** The host-side function of one export: a number per parameter, a number back unless the result is void. */
type HostFunction<D extends ExportDecl> = (...args: Numbers<D['params']>) => D['result'] extends 'void' ? void : number;

/** The exports of one group as host functions. */
export type KernelExportsOf<G extends ExportGroup> = {
  [K in keyof Abi as Abi[K]['group'] extends G ? K : never]: HostFunction<Abi[K]>;
};

/** The merge engine's entry points. */
export type MergeKernelExports = KernelExportsOf<'merge'>;
/** The analyzer's stats pass entry points. */
export type StatsKernelExports = KernelExportsOf<'stats'>;
/** The forward pass's entry points (f32 rows laid out by the caller). */
export type ModelKernelExports = KernelExportsOf<'model'>;

/** The names of one group's exports, in declaration order. */
function exportsOf<G extends ExportGroup>(group: G): (keyof KernelExportsOf<G>)[] {
  return (Object.keys(KERNEL_ABI) as (keyof Abi)[]).filter((k) => KERNEL_ABI[k].group === group) as (keyof KernelExportsOf<G>)[];
}

/** Every merge-kernel export, by name: the declared surface of build/kernel.wasm for merging. */
export const MERGE_KERNEL_EXPORTS = exportsOf('merge');
/** The analyzer's own kernel entry points (every `stats_*` export of build/kernel.wasm). */
export const STATS_KERNEL_EXPORTS = exportsOf('stats');
/** Every model-kernel export, by name: the declared surface of build/kernel.wasm for the forward pass. */
export const MODEL_KERNEL_EXPORTS = exportsOf('model');
