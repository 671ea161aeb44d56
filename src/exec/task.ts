// What an engine gives the executor: a task kind, named by the module that defines it. The executor never imports
// analysis, merge or model (DESIGN: engines depend on exec, not the reverse). A worker thread cannot receive a
// function, so each engine names its handler module by URL (`taskKind(import.meta.url, …)`) and the one worker
// entry (worker.ts) imports that module and looks the kind up by its export name. A task table inside exec would
// make exec import every engine; a registry filled by import side effects would be empty in a fresh worker.
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeError } from '../errors.js';
import { instantiateKernel, kernelModule, type KernelInstance } from '../kernel/wasm.js';
import { PACKAGE_ROOT } from '../package-root.js';

/** What a thread offers the handlers it runs: the kernel module, and one kernel instance on the thread's memory. */
export interface TaskEnv {
  /** The compiled kernel module (one compile, posted to every worker). */
  readonly module: WebAssembly.Module;
  /** The memory shared by every thread of the pool, when the pool was given one (the forward pass); else undefined. */
  readonly memory: WebAssembly.Memory | undefined;
  /** This thread's kernel instance: on the shared memory when there is one, else on a fresh memory of its own. */
  kernel<E>(): KernelInstance<E>;
}

/** Runs tasks of one kind on one thread; close releases what it holds (descriptors). */
export interface TaskHandler<T, R> {
  run(task: T): R;
  /** Buffers of a result to move (not copy) to the calling thread. */
  transfer?(result: R): ArrayBuffer[];
  close?(): void;
}

/** A kind of task: where its module is, the export that holds it, how to make a handler, and how to name a task in errors. */
export interface TaskKind<I, T, R> {
  /** The module's file URL (its import.meta.url); workers load its compiled JavaScript. */
  readonly url: string;
  /** The name of the export that holds this kind in that module. */
  readonly exportName: string;
  create(init: I, env: TaskEnv): TaskHandler<T, R>;
  /** A short description of a task for messages ("tensor "x", elements [0, 4096)"). */
  describe(task: T): string;
}

/** Declare a task kind in the module `url` (pass import.meta.url) under the export `exportName`. */
export function taskKind<I, T, R>(
  url: string,
  exportName: string,
  create: (init: I, env: TaskEnv) => TaskHandler<T, R>,
  describe: (task: T) => string,
): TaskKind<I, T, R> {
  return { url, exportName, create, describe };
}

/** A thread's environment over `memory` (or a fresh memory of its own); the kernel is instantiated on first use. */
export function taskEnv(module: WebAssembly.Module = kernelModule(), memory?: WebAssembly.Memory): TaskEnv {
  let kernel: KernelInstance<unknown> | undefined;
  return {
    module,
    memory,
    kernel<E>(): KernelInstance<E> {
      kernel ??= instantiateKernel<unknown>(memory, module);
      return kernel as KernelInstance<E>;
    },
  };
}

/**
 * The compiled JavaScript of a module URL, for a worker thread to load: the file itself when it is .js (dist/ or a
 * tools build), else its twin under dist/ when running from src/ (tests), which must have been built.
 */
export function compiledPath(url: string | URL): string {
  const file = fileURLToPath(url);
  const js = file.replace(/\.tsx?$/, '.js');
  if (js === file && existsSync(file)) return file;
  const src = join(PACKAGE_ROOT, 'src');
  const rel = relative(src, js);
  const dist = rel.startsWith('..') || rel.startsWith(sep) ? js : join(PACKAGE_ROOT, 'dist', rel);
  if (!existsSync(dist)) throw runtimeError(`worker code not built: ${dist} is missing; run \`npm run build\``);
  return dist;
}
