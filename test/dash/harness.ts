// Helpers to drive the ink dashboard in tests: key codes, frame access, and waiting for a frame to change.
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

/** Terminal key sequences as a terminal sends them. */
export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  tab: '\t',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
};

/** Remove ANSI escape sequences (colours, inverse) from a frame. */
export function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001B\[[0-9;]*m/g, '');
}

/** Render a dashboard and return helpers: the current plain frame, key writing, and waiting for a condition. */
export function mount(tree: ReactElement) {
  const r = render(tree);
  const frame = () => plain(r.lastFrame());
  /** Poll until pred(frame) holds (gives up after ~5 s with the last frame in the error; no timing is asserted). */
  const until = async (pred: (f: string) => boolean, what = 'condition'): Promise<string> => {
    for (let i = 0; i < 500; i++) {
      const f = frame();
      if (pred(f)) return f;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
  };
  /** Write keys one event at a time (each awaits a tick so ink parses them as separate presses). */
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      await new Promise((res) => setImmediate(res));
      await new Promise((res) => setTimeout(res, 5));
    }
  };
  return { ...r, frame, until, press };
}

/** Lines of the frame that are table body rows (they start with the risk marker column and a layer label). */
export function layerRowLines(frame: string): string[] {
  return frame.split('\n').filter((l) => /^[! ] (L\d+|other)\s/.test(l));
}

/** The label of a table body row line. */
export function rowLabel(line: string): string {
  return line.slice(2).trim().split(/\s+/)[0]!;
}
