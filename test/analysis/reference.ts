// Exact float64 two-pass statistics: the independent reference the analyzer is tested against.

/** Reference statistics of Δ = ft − base over the concatenation of (base, ft) arrays. */
export interface RefStats {
  numel: number;
  nonFinite: number;
  n: number;
  mean: number;
  std: number;
  meanAbs: number;
  maxAbs: number;
  deltaL2: number;
  baseL2: number;
  ftL2: number;
  rho: number;
  positive: number;
  negative: number;
  zero: number;
  le0002: number;
  le0005: number;
  signBalance: number;
  kurtosis: number;
  /** |Δ| sorted ascending (finite entries). */
  sortedAbs: Float64Array;
  /** Largest k such that the k smallest Δ² sum to ≤ 1% of ΣΔ². */
  droppableK: number;
  deltas: Float64Array;
  finite: Uint8Array;
}

/** Nearest-rank quantile (rank ⌈q·N⌉) of sorted values. */
export function nearestRank(sorted: Float64Array, q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

/** Two-pass float64 statistics (mean first, then central moments). */
export function refStats(parts: { base: Float64Array; ft: Float64Array }[]): RefStats {
  const numel = parts.reduce((s, p) => s + p.base.length, 0);
  const deltas = new Float64Array(numel),
    finite = new Uint8Array(numel);
  let i = 0,
    nonFinite = 0,
    sb = 0,
    sf = 0;
  for (const p of parts) {
    for (let j = 0; j < p.base.length; j++, i++) {
      const d = p.ft[j]! - p.base[j]!;
      if (!Number.isFinite(d) || !Number.isFinite(p.base[j]!) || !Number.isFinite(p.ft[j]!)) {
        nonFinite++;
        continue;
      }
      finite[i] = 1;
      deltas[i] = d;
      sb += p.base[j]! ** 2;
      sf += p.ft[j]! ** 2;
    }
  }
  const fin: number[] = [];
  for (let k = 0; k < numel; k++) if (finite[k]) fin.push(deltas[k]!);
  const n = fin.length;
  const mean = fin.reduce((s, d) => s + d, 0) / n;
  let m2 = 0,
    m4 = 0,
    sq = 0,
    sa = 0,
    mx = 0,
    pos = 0,
    neg = 0,
    zero = 0,
    le2 = 0,
    le5 = 0;
  for (const d of fin) {
    const c = d - mean;
    m2 += c * c;
    m4 += c ** 4;
    sq += d * d;
    sa += Math.abs(d);
    mx = Math.max(mx, Math.abs(d));
    if (d > 0) pos++;
    else if (d < 0) neg++;
    else zero++;
    if (Math.abs(d) <= 0.002) le2++;
    if (Math.abs(d) <= 0.005) le5++;
  }
  m2 /= n;
  m4 /= n;
  const sortedAbs = Float64Array.from(fin.map(Math.abs)).sort();
  let cum = 0,
    k = 0;
  for (; k < n; k++) {
    if (cum + sortedAbs[k]! ** 2 > 0.01 * sq) break;
    cum += sortedAbs[k]! ** 2;
  }
  return {
    numel,
    nonFinite,
    n,
    mean,
    std: Math.sqrt(m2),
    meanAbs: sa / n,
    maxAbs: mx,
    deltaL2: Math.sqrt(sq),
    baseL2: Math.sqrt(sb),
    ftL2: Math.sqrt(sf),
    rho: sb === 0 ? (sq === 0 ? 0 : Infinity) : sq / sb,
    positive: pos,
    negative: neg,
    zero,
    le0002: le2,
    le0005: le5,
    signBalance: pos + neg === 0 ? 0 : (pos - neg) / (pos + neg),
    kurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : Number.NaN,
    sortedAbs,
    droppableK: k,
    deltas,
    finite,
  };
}

/** Reference pair sums over Δa, Δb (entries finite in either count as Δ = 0 there, as the analyzer masks them). */
export function refPair(a: RefStats, b: RefStats) {
  let dot = 0,
    both = 0,
    conf = 0,
    minBoth = 0,
    minConf = 0;
  for (let i = 0; i < a.numel; i++) {
    const x = a.finite[i] ? a.deltas[i]! : 0,
      y = b.finite[i] ? b.deltas[i]! : 0;
    dot += x * y;
    if (x !== 0 && y !== 0) {
      both++;
      const m = Math.min(Math.abs(x), Math.abs(y));
      minBoth += m;
      if (Math.sign(x) !== Math.sign(y)) {
        conf++;
        minConf += m;
      }
    }
  }
  const sqA = a.deltaL2 ** 2,
    sqB = b.deltaL2 ** 2;
  return {
    dot,
    sqA,
    sqB,
    bothNonzero: both,
    conflicts: conf,
    cosine: dot / Math.sqrt(sqA * sqB),
    signConflict: both ? conf / both : 0,
    weightedConflict: minBoth ? minConf / minBoth : 0,
  };
}
