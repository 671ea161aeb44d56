import type { ReportData } from './data.js';
import { barChart, heatmap, histogram, lineChart } from './svg/index.js';

/** One chart of the report: an id, a caption that says what is drawn (with units), and its SVG. */
export interface ReportChart {
  id: string;
  caption: string;
  svg: string;
}

const layerLabel = (x: number) => (x < 0 ? 'other' : `L${x}`);

/** Build the report's charts from its data; charts without data are left out. */
export function reportCharts(data: ReportData): ReportChart[] {
  const charts: ReportChart[] = [];
  const models = data.models.map((m) => m.model);
  // Layer "null" (tensors outside the blocks) is drawn at x = −1 and labelled "other".
  const layerSeries = (pick: (l: ReportData['layers'][number]) => number) =>
    models.map((name) => ({
      name,
      points: data.layers.filter((l) => l.model === name).map((l) => ({ x: l.layer ?? -1, y: pick(l) })),
    }));
  if (data.layers.length) {
    charts.push({
      id: 'layer-rho',
      caption: 'Relative delta energy ρ = ‖Δ‖²/‖W_base‖² per layer (dimensionless; "other" = embeddings, final norm, lm_head).',
      svg: lineChart({ title: 'ρ per layer', xLabel: 'layer', yLabel: 'ρ', series: layerSeries((l) => l.rho), yIncludeZero: true, xTickLabel: layerLabel }),
    });
    if (data.layers.some((l) => Number.isFinite(l.safeDropRate))) {
      charts.push({
        id: 'layer-safe-p',
        caption: `Predicted safe DARE drop rate per layer at tolerance ${data.tolerance} (fraction of entries dropped, 0–1; density = 1 − p).`,
        svg: lineChart({ title: 'Safe drop rate per layer', xLabel: 'layer', yLabel: 'safe drop rate p', yDomain: [0, 1], series: layerSeries((l) => l.safeDropRate), xTickLabel: layerLabel }),
      });
    }
  }
  if (data.models.length) {
    charts.push({
      id: 'model-p',
      caption: 'Recommended drop rate and density per fine-tune (fractions of delta entries).',
      svg: barChart({
        title: 'Recommended drop rate / density',
        xLabel: 'fine-tune',
        yLabel: 'fraction',
        categories: models,
        series: [
          { name: 'drop rate p', values: data.models.map((m) => m.recommendedDropRate) },
          { name: 'density 1 − p', values: data.models.map((m) => m.recommendedDensity) },
        ],
      }),
    });
  }
  if (data.histograms.some((h) => h.bins.length)) {
    charts.push({
      id: 'abs-delta-hist',
      caption: 'Distribution of |Δ| per fine-tune: share of entries per log-spaced bin (x in weight units, log scale). BF16 deltas take few distinct values at small |Δ|, hence the saw-tooth there.',
      svg: histogram({ title: '|Δ| histogram', xLabel: '|Δ| (weight units, log scale)', logX: true, series: data.histograms.map((h) => ({ name: h.model, bins: h.bins })) }),
    });
  }
  if (data.pairs.length && models.length > 1) {
    const matrix = (pick: (p: ReportData['pairs'][number]) => number, diag: number) =>
      models.map((a) =>
        models.map((b) => {
          if (a === b) return diag;
          const p = data.pairs.find((q) => (q.a === a && q.b === b) || (q.a === b && q.b === a));
          return p ? pick(p) : NaN;
        }),
      );
    charts.push({
      id: 'pair-cosine',
      caption: 'Cosine similarity of deltas between fine-tunes (−1 to 1; 0 = orthogonal).',
      svg: heatmap({ title: 'Pairwise cosine of Δ', rowLabels: models, colLabels: models, values: matrix((p) => p.cosine, 1), domain: [-1, 1], low: '#b2182b', mid: '#f7f7f7', high: '#2166ac' }),
    });
    charts.push({
      id: 'pair-conflict',
      caption: 'Sign-conflict rate: share of entries with opposite signs where both deltas are non-zero (0–1; 0.5 = unrelated).',
      svg: heatmap({ title: 'Pairwise sign conflict', rowLabels: models, colLabels: models, values: matrix((p) => p.signConflict, 0), domain: [0, 1], low: '#fff5eb', high: '#7f2704' }),
    });
  }
  if (data.probe.length) {
    const probed = [...new Set(data.probe.map((r) => r.model))];
    charts.push({
      id: 'probe-retained',
      caption: `Measured share of each fine-tune's gain kept under DARE (darekit probe; exact match for prompt/completion examples, minus the loss for text; mean over mask seeds) against the drop rate p; the tolerance is ${data.tolerance}.`,
      svg: lineChart({
        title: 'Retained gain vs drop rate (measured)',
        xLabel: 'drop rate p',
        yLabel: 'retained share of the gain',
        yDomain: [0, 1.1],
        series: probed.map((name) => ({ name, points: data.probe.filter((r) => r.model === name).map((r) => ({ x: r.dropRate, y: r.retained })) })),
      }),
    });
  }
  if (data.trials.length) {
    charts.push({
      id: 'trials',
      caption: 'Tune trials: eval score per trial (higher is better; trial 0 is the data-free recipe; failed trials have no point).',
      svg: lineChart({
        title: 'Eval score per trial',
        xLabel: 'trial',
        yLabel: 'score',
        series: [{ name: 'score', points: data.trials.map((t) => ({ x: t.trial, y: t.score ?? NaN })) }],
      }),
    });
  }
  return charts;
}
