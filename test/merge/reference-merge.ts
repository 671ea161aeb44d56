import { dropThreshold, maskHash, maskKey } from '../../src/kernel/reference/mask.js';

/** What the straightforward reference merge needs to know. */
export interface RefSpec {
  sparsify: 'none' | 'random' | 'magnitude' | 'breadcrumbs' | 'della';
  elect: boolean;
  normalize: boolean;
  lambda: number;
  hasBase: boolean;
  seed: number;
  weights: number[];
  densities: number[];
  gammas: number[];
  scale: (i: number) => number;
  /** DELLA: row length of the tensor and ε per model; survivors divided by their keep probability. */
  cols?: number;
  epsilons?: number[];
}

/** The reference spec of a DARE merge (dare_ties with elect, dare_linear without) of three models, unnormalized, with a base. */
export function dareSpec(elect: boolean, seed: number, weights: number[], densities: number[]): RefSpec {
  return {
    sparsify: 'random',
    elect,
    normalize: false,
    lambda: 1,
    hasBase: true,
    seed,
    weights,
    densities,
    gammas: weights.map(() => 0),
    scale: (i) => 1 / densities[i]!,
  };
}

/** A whole-tensor float64 merge written the obvious way (sorting for magnitude, direct hashing for DARE), rounded once to f32. */
export function referenceMergeTensor(name: string, base: number[], models: number[][], s: RefSpec): Float32Array {
  const n = base.length;
  const deltas = models.map((m, i) => {
    const d = m.map((v, j) => (s.hasBase ? Math.fround(v - base[j]!) : v));
    if (s.sparsify === 'random') {
      const key = maskKey(s.seed, i, name);
      const thr = dropThreshold(1 - s.densities[i]!);
      return d.map((v, j) => (thr >= 2 ** 32 || maskHash(key, j) < thr ? 0 : v));
    }
    if (s.sparsify === 'della') {
      const key = maskKey(s.seed, i, name);
      const dens = s.densities[i]!,
        eps = s.epsilons![i]!,
        cols = s.cols!;
      if (dens >= 1) return d;
      const out = d.slice();
      for (let r0 = 0; r0 < n; r0 += cols) {
        const order = Array.from({ length: cols }, (_, j) => r0 + j).sort((a, b) => Math.abs(d[a]!) - Math.abs(d[b]!) || a - b);
        order.forEach((j, rank) => {
          const p = cols === 1 ? dens : dens - eps + (rank / (cols - 1)) * 2 * eps;
          out[j] = maskHash(key, j) >= Math.floor((1 - p) * 2 ** 32 + 0.5) ? Math.fround(d[j]! / p) : 0;
        });
      }
      return out;
    }
    if (s.sparsify === 'magnitude' || s.sparsify === 'breadcrumbs') {
      const order = d.map((v, j) => j).sort((a, b) => Math.abs(d[b]!) - Math.abs(d[a]!) || a - b);
      const top = s.sparsify === 'breadcrumbs' ? Math.floor(s.gammas[i]! * n) : 0;
      const keep = Math.min(n, top + Math.floor(s.densities[i]! * n));
      const kept = new Set(order.slice(top, keep));
      return d.map((v, j) => (kept.has(j) ? v : 0));
    }
    return d;
  });
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const t = deltas.map((d, i) => s.weights[i]! * s.scale(i) * d[j]!);
    const sum = t.reduce((a, b) => a + b, 0);
    let num = sum;
    let den = s.weights.reduce((a, b) => a + b, 0);
    if (s.elect) {
      num = 0;
      den = 0;
      t.forEach((x, i) => {
        if (sum >= 0 ? x > 0 : x < 0) {
          num += x;
          den += s.weights[i]!;
        }
      });
    }
    const mixed = s.normalize ? (den !== 0 ? num / den : 0) : num;
    out[j] = s.hasBase ? base[j]! + s.lambda * mixed : s.lambda * mixed;
  }
  return out;
}
