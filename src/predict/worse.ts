import type { Verdict } from './types.js';

const ORDER: Record<Verdict, number> = { ready: 0, caution: 1, 'not-ready': 2 };

/** The worse of two verdicts. */
export function worse(a: Verdict, b: Verdict): Verdict {
  return ORDER[a] >= ORDER[b] ? a : b;
}
