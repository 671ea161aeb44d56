// Limits shared by the engines and the command line, so a flag the CLI accepts is one the engine accepts.
import { availableParallelism } from 'node:os';

/** The most worker threads analyze, merge and the forward pass start. */
export const MAX_THREADS = 64;

/** Worker threads when none are asked for: one per core, at most MAX_THREADS. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
}
