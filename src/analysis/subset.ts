import type { AnalysisResult } from '../schema/analysis.js';

/** The analysis restricted to some fine-tunes (their rows, pairs and histograms only): what `analyze` gives when only they are passed. */
export function subsetAnalysis(result: AnalysisResult, models: string[]): AnalysisResult {
  const keep = new Set(models);
  return {
    ...result,
    models: result.models.filter((m) => keep.has(m.model)),
    tensors: result.tensors.filter((t) => keep.has(t.model)),
    layers: result.layers.filter((l) => keep.has(l.model)),
    pairs: result.pairs.filter((p) => keep.has(p.a) && keep.has(p.b)),
    histograms: result.histograms.filter((h) => keep.has(h.model)),
  };
}
