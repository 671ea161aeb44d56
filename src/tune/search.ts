/** A point of the search: a global density scale and per-model weights. */
export interface SearchPoint {
  scale: number;
  weights: Record<string, number>;
}

/** Options of coordinateSearch. */
export interface SearchOptions {
  /** Total evaluations, the start point included. */
  budget: number;
  scaleStep?: number;
  weightStep?: number;
  /** Bounds of the scale and of each weight. */
  scaleRange?: [number, number];
  weightRange?: [number, number];
  /** Stop when both steps fall below these. */
  minScaleStep?: number;
  minWeightStep?: number;
}

const key = (p: SearchPoint) => JSON.stringify([p.scale.toFixed(6), Object.entries(p.weights).map(([k, v]) => [k, v.toFixed(6)])]);
const clamp = (x: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, x));

/**
 * Coordinate search maximizing `evaluate` (null = failed point, never best) from `start`, spending at most
 * `budget` evaluations: per coordinate try +step then −step, keep any improvement (and keep moving that way),
 * halve all steps after a pass without improvement. Each distinct point is evaluated at most once.
 */
export async function coordinateSearch(
  start: SearchPoint,
  evaluate: (p: SearchPoint) => Promise<number | null>,
  opts: SearchOptions,
): Promise<{ best: SearchPoint; bestScore: number | null; evaluations: number }> {
  const scaleRange = opts.scaleRange ?? [0.1, 3];
  const weightRange = opts.weightRange ?? [0, 3];
  let scaleStep = opts.scaleStep ?? 0.2;
  let weightStep = opts.weightStep ?? 0.25;
  const seen = new Map<string, number | null>();
  let used = 0;
  const tryPoint = async (p: SearchPoint): Promise<number | null | undefined> => {
    const k = key(p);
    if (seen.has(k)) return seen.get(k);
    if (used >= opts.budget) return undefined;
    used++;
    const s = await evaluate(p);
    seen.set(k, s);
    return s;
  };
  let best = start;
  let bestScore = (await tryPoint(start)) ?? null;
  const better = (s: number | null | undefined) => s !== null && s !== undefined && (bestScore === null || s > bestScore);
  const models = Object.keys(start.weights);
  type Coord = {
    get: (p: SearchPoint) => number;
    set: (p: SearchPoint, v: number) => SearchPoint;
    step: () => number;
    range: [number, number];
  };
  const coords: Coord[] = [
    { get: (p) => p.scale, set: (p, v) => ({ ...p, scale: v }), step: () => scaleStep, range: scaleRange },
    ...models.map((m) => ({
      get: (p: SearchPoint) => p.weights[m]!,
      set: (p: SearchPoint, v: number) => ({ ...p, weights: { ...p.weights, [m]: v } }),
      step: () => weightStep,
      range: weightRange,
    })),
  ];
  while (used < opts.budget) {
    let improved = false;
    let fresh = false;
    for (const c of coords) {
      for (const dir of [1, -1]) {
        if (used >= opts.budget) break;
        let moved = false;
        for (;;) {
          const v = Math.round(clamp(c.get(best) + dir * c.step(), c.range) * 1e6) / 1e6;
          if (v === c.get(best)) break;
          const cand = c.set(best, v);
          const wasSeen = seen.has(key(cand));
          const s = await tryPoint(cand);
          if (!wasSeen && s !== undefined) fresh = true;
          if (!better(s)) break;
          best = cand;
          bestScore = s!;
          improved = moved = true;
        }
        if (moved) break; // this direction helped: do not try the opposite one
      }
    }
    if (!improved) {
      if (!fresh && scaleStep < (opts.minScaleStep ?? 0.02) && weightStep < (opts.minWeightStep ?? 0.03)) break;
      scaleStep /= 2;
      weightStep /= 2;
      if (scaleStep < (opts.minScaleStep ?? 0.02) / 4 && weightStep < (opts.minWeightStep ?? 0.03) / 4) break;
    }
  }
  return { best, bestScore, evaluations: used };
}
