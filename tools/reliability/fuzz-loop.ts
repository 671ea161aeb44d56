import type { Outcome, Violation } from './oracle.js';
import { caseSeed, createRng, type Rng } from './rng.js';

/** One generated case after it ran: its outcome and what reproduces it. */
export interface CaseResult {
  /** The mutation/generator name. */
  kind: string;
  outcome: Outcome;
  /** The exact input (file bytes or text), saved with a failure. */
  input: Uint8Array | string;
}

/** A fuzz target: generates and runs case `index` from its own PRNG; undefined when the case does not apply. */
export interface FuzzTarget {
  name: string;
  runCase(rng: Rng, index: number): CaseResult | undefined;
  /** Release temp files and handles. */
  close?(): void;
}

/** A failing case with everything needed to rerun it. */
export interface FuzzFailure {
  target: string;
  runSeed: number;
  index: number;
  caseSeed: number;
  kind: string;
  violation: Violation;
  input: Uint8Array | string;
}

/** Counts of a fuzz run. */
export interface FuzzStats {
  cases: number;
  accepted: number;
  rejected: number;
  byKind: Record<string, { accepted: number; rejected: number }>;
  failures: FuzzFailure[];
  /** The slowest case, for spotting work that grows with a hostile length. */
  slowest: { kind: string; index: number; ms: number };
}

/** Limits of a fuzz run: a case count, a deadline, or both (whichever comes first). */
export interface FuzzLimits {
  runSeed: number;
  maxCases?: number;
  /** Stop after this many milliseconds (a wall-clock budget for long runs, never an assertion). */
  maxMs?: number;
  /** First case index (for resuming or reproducing). */
  startIndex?: number;
}

/** Run a target's cases; each case i draws from createRng(caseSeed(runSeed, i)) so it can be rerun alone. */
export function runFuzz(target: FuzzTarget, limits: FuzzLimits): FuzzStats {
  const stats: FuzzStats = { cases: 0, accepted: 0, rejected: 0, byKind: {}, failures: [], slowest: { kind: '', index: -1, ms: 0 } };
  const start = performance.now();
  const maxCases = limits.maxCases ?? Number.POSITIVE_INFINITY;
  for (let i = limits.startIndex ?? 0; stats.cases < maxCases; i++) {
    if (limits.maxMs !== undefined && (stats.cases & 15) === 0 && performance.now() - start > limits.maxMs) break;
    const seed = caseSeed(limits.runSeed, i);
    const t0 = performance.now();
    const r = target.runCase(createRng(seed), i);
    const ms = performance.now() - t0;
    if (!r) continue;
    stats.cases++;
    if (ms > stats.slowest.ms) stats.slowest = { kind: r.kind, index: i, ms };
    const k = (stats.byKind[r.kind] ??= { accepted: 0, rejected: 0 });
    if (r.outcome.status === 'accepted') {
      stats.accepted++;
      k.accepted++;
    } else if (r.outcome.status === 'rejected') {
      stats.rejected++;
      k.rejected++;
    } else
      stats.failures.push({
        target: target.name,
        runSeed: limits.runSeed,
        index: i,
        caseSeed: seed,
        kind: r.kind,
        violation: r.outcome.violation,
        input: r.input,
      });
  }
  return stats;
}

/** A one-line summary of each failure (deduplicated by reason and kind) for test messages and logs. */
export function describeFailures(failures: FuzzFailure[]): string {
  const seen = new Map<string, FuzzFailure>();
  for (const f of failures) {
    const key = `${f.target}/${f.kind}/${f.violation.reason}`;
    if (!seen.has(key)) seen.set(key, f);
  }
  return [...seen.values()]
    .map(
      (f) =>
        `${f.target} case ${f.index} (runSeed ${f.runSeed}, caseSeed ${f.caseSeed}, ${f.kind}): ${f.violation.reason}: ${f.violation.detail}`,
    )
    .join('\n');
}
