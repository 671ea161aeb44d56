// The error bounds the README states (section `analysis`, "Accuracy"), written out independently of the analyzer's
// code, and checks of a result against the exact float64 two-pass reference within them.
import { expect } from 'vitest';
import type { DeltaStats } from '../../src/schema/analysis.js';
import { nearestRank, type RefStats } from './reference.js';

const U = 2 ** -24;
/** Relative error bound (against Σ|term|) of a float sum whose term takes c roundings, scopes of ≤ 10⁹ elements. */
export const eps = (c: 0 | 1 | 2 | 3): number => (15 + c) * U + 1e-10;
/** ΣΔ, Σ|Δ| */
export const EPS0 = eps(0);
/** ΣΔ², Σbase², Σft², ΣΔa·Δb */
export const EPS1 = eps(1);
/** ΣΔ³ (against Σ|Δ|³) */
export const EPS2 = eps(2);
/** ΣΔ⁴ */
export const EPS3 = eps(3);

/** Hoeffding's rank error of a sampled scope: with probability ≥ 1 − δ the estimated CDF is within this of the true one. */
export function rankError(sampledGroups: number, delta = 1e-6): number {
  return sampledGroups === 0 ? 0 : Math.sqrt(Math.log(2 / delta) / (2 * sampledGroups));
}

function within(got: number, want: number, tol: number, what: string): void {
  if (Number.isNaN(want)) {
    expect(got, what).toBeNaN();
    return;
  }
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}, tol ${tol}`).toBeLessThanOrEqual(tol * (1 + 1e-9) + 1e-300);
}

/** Raw moments of the finite Δ of a reference scope: Σ|Δ|³ and ΣΔ⁴ / N (what the moment bounds scale with). */
function rawMoments(r: RefStats): { abs3: number; m4raw: number; m2raw: number } {
  let abs3 = 0,
    q = 0;
  for (let i = 0; i < r.numel; i++)
    if (r.finite[i]) {
      const d = r.deltas[i]!;
      abs3 += Math.abs(d) ** 3;
      q += d ** 4;
    }
  return { abs3, m4raw: q / r.n, m2raw: r.deltaL2 ** 2 / r.n };
}

/**
 * Check every sum-derived statistic of a scope against the exact reference within the stated bounds, the counts
 * exactly, and (when `quantiles` says so) the histogram statistics within half a bin at an exact rank.
 */
export function checkSums(s: DeltaStats, r: RefStats, what: string): void {
  expect(s.numel, what).toBe(r.numel);
  expect(s.nonFinite, what).toBe(r.nonFinite);
  for (const [k, v] of [
    ['positive', r.positive],
    ['negative', r.negative],
    ['zero', r.zero],
    ['le0002', r.le0002],
    ['le0005', r.le0005],
  ] as const)
    expect(s[k], `${what} ${k}`).toBe(v);
  expect(s.maxAbsDelta, what).toBe(r.maxAbs);
  const { m4raw, m2raw } = rawMoments(r);
  within(s.meanDelta, r.mean, EPS0 * r.meanAbs, `${what} mean`);
  within(s.meanAbsDelta, r.meanAbs, EPS0 * r.meanAbs, `${what} mean |Δ|`);
  within(s.deltaL2, r.deltaL2, (EPS1 / 2) * r.deltaL2, `${what} ‖Δ‖`);
  within(s.baseL2, r.baseL2, (EPS1 / 2) * r.baseL2, `${what} ‖base‖`);
  within(s.ftL2, r.ftL2, (EPS1 / 2) * r.ftL2, `${what} ‖ft‖`);
  if (Number.isFinite(r.rho)) within(s.rho, r.rho, 2.01 * EPS1 * r.rho, `${what} ρ`);
  else expect(s.rho, what).toBe(r.rho);
  // variance from raw moments: |var' − var| ≤ 3·ε₃·ΣΔ²/N
  const e2 = 3 * EPS3 * m2raw;
  within(s.stdDelta ** 2, r.std ** 2, e2, `${what} std²`);
  within(s.fracLe0002, r.le0002 / r.n, 1e-15, `${what} frac ≤ 0.002`);
  within(s.signBalance, r.signBalance, 1e-15, `${what} sign balance`);
  // kurtosis: m₄ within 45·ε₃·ΣΔ⁴/N and m₂ within e2, so m₄/m₂² − 3 within the interval they span
  const m2 = r.std ** 2,
    m4 = (r.kurtosis + 3) * m2 * m2,
    e4 = 45 * EPS3 * m4raw;
  if (Number.isNaN(r.kurtosis)) {
    if (!Number.isNaN(s.excessKurtosis)) expect(s.stdDelta ** 2, `${what}: kurtosis of a zero variance`).toBeLessThanOrEqual(e2);
  } else if (m2 > e2) {
    const lo = (m4 - e4) / (m2 + e2) ** 2 - 3,
      hi = (m4 + e4) / (m2 - e2) ** 2 - 3;
    expect(s.excessKurtosis, `${what} kurtosis`).toBeGreaterThanOrEqual(lo - 1e-12 * Math.abs(lo));
    expect(s.excessKurtosis, `${what} kurtosis`).toBeLessThanOrEqual(hi + 1e-12 * Math.abs(hi));
  }
}

/** Quantiles within half a bin of an entry whose rank is within `rank` (a share of N) of the nearest rank. */
export function checkQuantiles(s: DeltaStats, r: RefStats, rank: number, what: string): void {
  for (const [got, q] of [
    [s.q50Abs, 0.5],
    [s.q90Abs, 0.9],
    [s.q99Abs, 0.99],
    [s.q999Abs, 0.999],
  ] as const) {
    const lo = nearestRank(r.sortedAbs, Math.max(0, q - rank)),
      hi = nearestRank(r.sortedAbs, Math.min(1, q + rank));
    const tol = (x: number): number => x / 64 + 2 ** -131;
    expect(got, `${what} q${q}`).toBeGreaterThanOrEqual(lo - tol(lo));
    expect(got, `${what} q${q}`).toBeLessThanOrEqual(hi + tol(hi));
  }
}

/** The droppable share's stated interval (exact histogram): [share, share + err] holds the true share. */
export function checkDroppable(s: DeltaStats, r: RefStats, what: string): void {
  const trueShare = r.droppableK / r.n;
  if (r.deltaL2 === 0) {
    expect(s.droppableShare, what).toBe(1);
    return;
  }
  expect(s.droppableShare, what).toBeLessThanOrEqual(trueShare + 1 / r.n + 1e-12);
  expect(trueShare, what).toBeLessThanOrEqual(s.droppableShare + s.droppableShareErr + 1 / r.n + 1e-12);
}
