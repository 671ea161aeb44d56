import { runCleanups } from '../io/cleanup.js';

/** The conventional exit code 128 + signal number. */
const SIGNAL_EXIT: Record<'SIGHUP' | 'SIGINT' | 'SIGTERM', number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

let installed = false;

/**
 * Make SIGINT, SIGTERM and SIGHUP run the library's cleanups (unfinished outputs' temp dirs) and exit 128 + n,
 * and run them on any exit. Called once, by the CLI's entry point only.
 */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(signal, () => {
      runCleanups();
      process.exit(code);
    });
  }
  process.on('exit', () => runCleanups());
}
