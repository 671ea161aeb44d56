import type { ReportData } from '../../src/report/data.js';

/** A hand-made report dataset shaped like family S (3 layers, 2 SFT + 1 CPT fine-tune) with a NaN and hostile text. */
export function sampleReportData(): ReportData {
  const models = ['sft-up', 'sft-shift', 'cpt-code'];
  const bins = (scale: number) =>
    Array.from({ length: 30 }, (_, i) => {
      const lo = 1e-5 * 1.5 ** i;
      const c = Math.exp(-(Math.log(lo / scale) ** 2) / 2);
      return { lo, hi: lo * 1.5, count: Math.round(1e4 * c) };
    });
  return {
    dir: '/tmp/analysis <&>',
    base: 'families/S/base',
    tolerance: 0.95,
    set: {
      verdict: 'caution',
      reasons: ['sign conflict 0.48 between sft-up and sft-shift → dare_ties', 'cpt-code is CPT-like <script>'],
      method: 'dare_ties',
      mergeMethod: 'dare_ties',
      normalize: false,
      models: models.map((m, i) => ({ model: m, weight: 1, density: [0.5, 0.7, 0.9][i]! })),
      reasonCodes: ['method-dare-ties-conflict'],
    },
    models: models.map((m, i) => ({
      model: m,
      path: `families/S/${m}`,
      kind: i === 2 ? 'cpt' : 'sft',
      verdict: i === 2 ? 'not-ready' : 'ready',
      reasons: [`ρ = ${0.05 * (i + 1)}`],
      recommendedDropRate: [0.5, 0.3, 0.1][i]!,
      recommendedDensity: [0.5, 0.7, 0.9][i]!,
      fromWeightsDropRate: [0.4, 0.3, 0.1][i]!,
      measuredDropRate: i === 0 ? 0.5 : null,
      predictedDropRate: [0.6, 0.4, 0.2][i]!,
      dropRateLow: [0.5, 0.3, 0.1][i]!,
      dropRateHigh: [0.8, 0.6, 0.4][i]!,
      basis: 'predicted',
      reasonCodes: ['predicted-safe-rate'],
      reasonDetails: [{ code: 'predicted-safe-rate', text: `ρ = ${0.05 * (i + 1)}`, numbers: { rho: 0.05 * (i + 1) } }],
      riskiestTensors: i === 0 ? [{ tensor: 'lm_head.weight <x>', safeDropRate: 0.2, errorAtRecommended: 0.3 }] : [],
      rho: 0.05 * (i + 1),
      meanAbsDelta: 0.004 * (i + 1),
      maxAbsDelta: 0.1,
      deltaL2: 2.5,
      fracLe0005: 0.6,
      droppableShare: 0.2,
      numel: 370000,
    })),
    layers: models.flatMap((m, i) =>
      [null, 0, 1, 2].map((layer) => ({
        model: m,
        layer,
        rho: 0.01 * (i + 1) * ((layer ?? 3) + 1),
        safeDropRate: layer === 1 && i === 1 ? NaN : 0.5 - 0.1 * i,
      })),
    ),
    pairs: [
      { a: 'sft-up', b: 'sft-shift', cosine: 0.12, signConflict: 0.46, weightedConflict: 0.4 },
      { a: 'sft-up', b: 'cpt-code', cosine: 0.02, signConflict: 0.5, weightedConflict: 0.49 },
      { a: 'sft-shift', b: 'cpt-code', cosine: NaN, signConflict: 0.51, weightedConflict: 0.5 },
    ],
    histograms: models.map((m, i) => ({ model: m, bins: bins(0.002 * (i + 1)) })),
    trials: [
      {
        trial: 0,
        densityScale: 1,
        weights: { 'sft-up': 1, 'sft-shift': 1 },
        densities: { 'sft-up': 0.5, 'sft-shift': 0.7 },
        score: -3.2,
        seconds: 1.2,
        status: 'ok',
        stderrTail: '',
        best: false,
      },
      {
        trial: 1,
        densityScale: 1.2,
        weights: { 'sft-up': 1, 'sft-shift': 1 },
        densities: { 'sft-up': 0.6, 'sft-shift': 0.84 },
        score: null,
        seconds: 0.3,
        status: 'failed',
        stderrTail: 'Traceback <boom> & "x"',
        best: false,
      },
      {
        trial: 2,
        densityScale: 0.8,
        weights: { 'sft-up': 1, 'sft-shift': 1 },
        densities: { 'sft-up': 0.4, 'sft-shift': 0.56 },
        score: -2.1,
        seconds: 1.1,
        status: 'ok',
        stderrTail: '',
        best: true,
      },
    ],
    probe: [0, 0.5, 0.9].map((p) => ({
      model: 'sft-up',
      path: 'families/S/sft-up',
      metric: 'exact_match',
      examplesFile: 'sft-up.jsonl',
      examples: 256,
      baseScore: 0,
      ftScore: 1,
      dropRate: p,
      loss: 0.01 + p,
      exactMatch: 1 - p * p,
      retained: 1 - p * p,
      retainedLow: 0.9 - p * p,
      retainedHigh: 1,
      retainedMin: 0.95 - p * p,
      retainedMax: 1,
      seeds: p === 0 ? 1 : 3,
      safeDropRate: 0.5,
      tolerance: 0.95,
    })),
    recipe: 'merge_method: dare_ties\n# density 0.5 = 1 − 0.5\n',
  };
}
