import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';

const PAGE = 65536;
/** The maximum memory the module declares (pages): 4 GiB of address space, reserved, not committed. */
export const KERNEL_MAX_PAGES = 65536;

let cachedModule: WebAssembly.Module | undefined;

/** Path of build/kernel.wasm at the package root. */
export function kernelWasmPath(): string {
  const candidate = join(PACKAGE_ROOT, 'build', 'kernel.wasm');
  if (!existsSync(candidate)) throw runtimeError(`kernel not built: ${candidate} is missing; run \`npm run build:kernel\``);
  return candidate;
}

/** The compiled kernel module (compiled once per thread; a Module can also be posted to workers). */
export function kernelModule(): WebAssembly.Module {
  cachedModule ??= new WebAssembly.Module(readFileSync(kernelWasmPath()));
  return cachedModule;
}

/** A kernel instance over a shared memory; views must be re-derived after memory.grow (use `bytes()`/`f32()`). */
export interface KernelInstance<E> {
  exports: E;
  memory: WebAssembly.Memory;
  /** Grow memory so at least `bytes` are addressable. */
  ensure(bytes: number): void;
  /** A fresh byte view of the whole memory (valid until the next grow). */
  bytes(): Uint8Array;
  /** A fresh float32 view of the whole memory (valid until the next grow). */
  f32(): Float32Array;
}

/** Instantiate the kernel with a (new or given) shared memory. */
export function instantiateKernel<E>(memory?: WebAssembly.Memory, module: WebAssembly.Module = kernelModule()): KernelInstance<E> {
  const mem = memory ?? new WebAssembly.Memory({ initial: 1, maximum: KERNEL_MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory: mem,
      abort: () => {
        throw runtimeError('kernel abort');
      },
    },
  });
  const exports = instance.exports as unknown as E & { _initialize?: () => void };
  exports._initialize?.();
  return {
    exports,
    memory: mem,
    ensure(bytes: number) {
      const have = mem.buffer.byteLength;
      if (bytes > have) mem.grow(Math.ceil((bytes - have) / PAGE));
    },
    bytes: () => new Uint8Array(mem.buffer),
    f32: () => new Float32Array(mem.buffer),
  };
}
