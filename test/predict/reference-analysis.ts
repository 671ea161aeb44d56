// A test-side float64 reference analysis: fills the AnalysisResult contract from model dirs with plain
// two-pass float64 arithmetic (exact quantiles by sorting). Small models only; it is the independent
// reference the predictor's tests and calibration use until/alongside the real streaming analyzer.
import { basename } from 'node:path';
import type { AnalysisResult, DeltaStats, DeltaSums, LayerStats, ModelStats, PairStats, TensorStats } from '../../src/schema/analysis.js';
import { openModel } from '../../src/io/model.js';
import { parseTensorName } from '../../src/io/tensor-names.js';
import { TensorReader } from '../../src/io/tensor-reader.js';

/** Read a whole tensor as float64. */
function readTensor(reader: TensorReader, t: Parameters<TensorReader['readF32']>[0]): Float64Array {
  const f = new Float32Array(t.numel);
  reader.readF32(t, 0, t.numel, f);
  return Float64Array.from(f);
}

function emptySums(): DeltaSums {
  return {
    numel: 0,
    nonFinite: 0,
    sumDelta: 0,
    sumSqDelta: 0,
    sumAbsDelta: 0,
    sumCubeDelta: 0,
    sumQuadDelta: 0,
    maxAbsDelta: 0,
    sumSqBase: 0,
    sumSqFt: 0,
    positive: 0,
    negative: 0,
    zero: 0,
    le0002: 0,
    le0005: 0,
  };
}

function addSums(into: DeltaSums, s: DeltaSums): void {
  for (const k of Object.keys(s) as (keyof DeltaSums)[]) {
    if (k === 'maxAbsDelta') into.maxAbsDelta = Math.max(into.maxAbsDelta, s.maxAbsDelta);
    else into[k] += s[k];
  }
}

function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Derived statistics from sums plus the sorted |Δ| of every finite element in the scope. */
function derive(s: DeltaSums, sortedAbs: Float64Array): DeltaStats {
  const n = s.numel - s.nonFinite;
  const mean = n > 0 ? s.sumDelta / n : 0;
  // central moments from raw power sums (float64; fine at these sizes)
  const m2 = n > 0 ? s.sumSqDelta / n - mean * mean : 0;
  const m4 = n > 0 ? s.sumQuadDelta / n - 4 * mean * (s.sumCubeDelta / n) + 6 * mean * mean * (s.sumSqDelta / n) - 3 * mean ** 4 : 0;
  let cum = 0;
  let droppable = 0;
  const budget = 0.01 * s.sumSqDelta;
  for (let i = 0; i < sortedAbs.length; i++) {
    cum += sortedAbs[i]! * sortedAbs[i]!;
    if (cum > budget) break;
    droppable++;
  }
  const signed = s.positive + s.negative;
  return {
    ...s,
    meanDelta: mean,
    stdDelta: Math.sqrt(Math.max(0, m2)),
    meanAbsDelta: n > 0 ? s.sumAbsDelta / n : 0,
    deltaL2: Math.sqrt(s.sumSqDelta),
    baseL2: Math.sqrt(s.sumSqBase),
    ftL2: Math.sqrt(s.sumSqFt),
    rho: s.sumSqBase > 0 ? s.sumSqDelta / s.sumSqBase : 0,
    q50Abs: quantileSorted(sortedAbs, 0.5),
    q90Abs: quantileSorted(sortedAbs, 0.9),
    q99Abs: quantileSorted(sortedAbs, 0.99),
    q999Abs: quantileSorted(sortedAbs, 0.999),
    fracLe0002: n > 0 ? s.le0002 / n : 0,
    fracLe0005: n > 0 ? s.le0005 / n : 0,
    droppableShare: n > 0 ? droppable / n : 0,
    droppableShareErr: 0,
    signBalance: signed > 0 ? (s.positive - s.negative) / signed : 0,
    excessKurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : 0,
  };
}

function concatSorted(parts: Float64Array[]): Float64Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Float64Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.sort();
}

/** A tensor held in memory: name, shape and float64 values. */
export interface ArrayTensor {
  name: string;
  shape: number[];
  dtype: string;
  data: Float64Array;
}

/** A fine-tune held in memory: its label, path and tensor values by name. */
export interface ArrayModel {
  model: string;
  path: string;
  tensors: Map<string, Float64Array>;
}

/** Float64 reference of `analyze`: base dir + fine-tune dirs → AnalysisResult (model names = dir basenames). */
export function referenceAnalysis(basePath: string, ftPaths: string[]): AnalysisResult {
  const reader = new TensorReader();
  try {
    const base = openModel(basePath);
    const baseTensors: ArrayTensor[] = base.names.map((n) => {
      const t = base.tensors.get(n)!;
      return { name: n, shape: t.shape, dtype: t.dtype, data: readTensor(reader, t) };
    });
    const fts: ArrayModel[] = ftPaths.map((p) => {
      const ft = openModel(p);
      const tensors = new Map<string, Float64Array>();
      for (const n of base.names) {
        const t = ft.tensors.get(n);
        if (!t) throw new Error(`${p}: missing ${n}`);
        tensors.set(n, readTensor(reader, t));
      }
      return { model: basename(p.replace(/\/+$/, '')), path: p, tensors };
    });
    return referenceAnalysisOfArrays(basePath, baseTensors, fts);
  } finally {
    reader.close();
  }
}

/** Float64 reference of `analyze` on in-memory tensors (synthetic fixtures with a known construction). */
export function referenceAnalysisOfArrays(baseLabel: string, base: ArrayTensor[], fts: ArrayModel[]): AnalysisResult {
  const result: AnalysisResult = { base: baseLabel, models: [], tensors: [], layers: [], pairs: [], histograms: [], densities: [] };
  const deltas = new Map<string, Map<string, Float64Array>>();
  for (const ft of fts) {
    const name = ft.model;
    const modelSums = emptySums();
    const modelAbs: Float64Array[] = [];
    const layerSums = new Map<number | null, { sums: DeltaSums; abs: Float64Array[]; tensors: number }>();
    const myDeltas = new Map<string, Float64Array>();
    deltas.set(name, myDeltas);
    for (const bt of base) {
      const b = bt.data;
      const f = ft.tensors.get(bt.name);
      if (!f) throw new Error(`${ft.path}: missing ${bt.name}`);
      const s = emptySums();
      s.numel = b.length;
      const abs: number[] = [];
      const d = new Float64Array(b.length);
      for (let i = 0; i < b.length; i++) {
        const dv = f[i]! - b[i]!;
        if (!Number.isFinite(b[i]!) || !Number.isFinite(f[i]!) || !Number.isFinite(dv)) {
          s.nonFinite++;
          continue;
        }
        d[i] = dv;
        const a = Math.abs(dv);
        s.sumDelta += dv;
        s.sumSqDelta += dv * dv;
        s.sumAbsDelta += a;
        s.sumCubeDelta += dv * dv * dv;
        s.sumQuadDelta += dv * dv * dv * dv;
        s.maxAbsDelta = Math.max(s.maxAbsDelta, a);
        s.sumSqBase += b[i]! * b[i]!;
        s.sumSqFt += f[i]! * f[i]!;
        if (dv > 0) s.positive++;
        else if (dv < 0) s.negative++;
        else s.zero++;
        if (a <= 0.002) s.le0002++;
        if (a <= 0.005) s.le0005++;
        abs.push(a);
      }
      myDeltas.set(bt.name, d);
      const sorted = Float64Array.from(abs).sort();
      const role = parseTensorName(bt.name);
      result.tensors.push({
        ...derive(s, sorted),
        model: name,
        tensor: bt.name,
        layer: role.layer,
        module: role.module,
        dtype: bt.dtype,
        shape: bt.shape,
      });
      addSums(modelSums, s);
      modelAbs.push(sorted);
      const ls = layerSums.get(role.layer) ?? { sums: emptySums(), abs: [], tensors: 0 };
      addSums(ls.sums, s);
      ls.abs.push(sorted);
      ls.tensors++;
      layerSums.set(role.layer, ls);
    }
    for (const [layer, ls] of layerSums) {
      const row: LayerStats = { ...derive(ls.sums, concatSorted(ls.abs)), model: name, layer, tensors: ls.tensors };
      result.layers.push(row);
    }
    const m: ModelStats = {
      ...derive(modelSums, concatSorted(modelAbs)),
      model: name,
      path: ft.path,
      tensors: base.length,
      loraRank: null,
    };
    result.models.push(m);
  }
  const names = [...deltas.keys()];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++)
      result.pairs.push(pairStats(names[i]!, names[j]!, deltas.get(names[i]!)!, deltas.get(names[j]!)!));
  }
  return result;
}

function pairStats(a: string, b: string, da: Map<string, Float64Array>, db: Map<string, Float64Array>): PairStats {
  let dot = 0,
    sqA = 0,
    sqB = 0,
    both = 0,
    conflicts = 0,
    minAll = 0,
    minConf = 0,
    numel = 0;
  for (const [t, x] of da) {
    const y = db.get(t)!;
    numel += x.length;
    for (let i = 0; i < x.length; i++) {
      const u = x[i]!,
        v = y[i]!;
      dot += u * v;
      sqA += u * u;
      sqB += v * v;
      if (u !== 0 && v !== 0) {
        both++;
        const m = Math.min(Math.abs(u), Math.abs(v));
        minAll += m;
        if (u > 0 !== v > 0) {
          conflicts++;
          minConf += m;
        }
      }
    }
  }
  return {
    a,
    b,
    scope: 'model',
    layer: null,
    tensor: null,
    dot,
    sqA,
    sqB,
    cosine: sqA > 0 && sqB > 0 ? dot / Math.sqrt(sqA * sqB) : 0,
    bothNonzero: both,
    conflicts,
    signConflict: both > 0 ? conflicts / both : 0,
    weightedConflict: minAll > 0 ? minConf / minAll : 0,
    numel,
    minBoth: minAll,
    minConflict: minConf,
    overlapExpected: [],
  };
}

/** The tensor rows of one model (a convenience for tests). */
export function tensorsOf(r: AnalysisResult, model: string): TensorStats[] {
  return r.tensors.filter((t) => t.model === model);
}
