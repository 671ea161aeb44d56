import type { ModelKernelExports } from '../kernel/exports.js';

/** One model-kernel call as plain data (so it can be posted to a worker): the export's name and its arguments. */
export interface KernelCall {
  fn: keyof ModelKernelExports;
  args: number[];
}

/** Run calls in order on a kernel instance. */
export function runCalls(kernel: ModelKernelExports, calls: KernelCall[]): void {
  for (const c of calls) (kernel[c.fn] as (...a: number[]) => void)(...c.args);
}
