/**
 * Process-wide cleanup registry: library code registers what must be undone if the process is interrupted
 * (an unfinished output's temp dir), and only the CLI (src/cli/signals.ts) decides when to run it — library
 * code never installs signal handlers or exits.
 */
const cleanups = new Set<() => void>();

/** Register fn to run on interruption; returns a function that unregisters it. */
export function registerCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}

/** Run every registered cleanup once (each is unregistered first; a throwing one does not stop the others). */
export function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort: the process is going away; the next run recovers whatever is left
    }
  }
}
