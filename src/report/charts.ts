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
  // Layer "null" (tensors outside the blocks) is drawn at x = −1 and labelled "other"; a missing point at −0.5
  // keeps the line from joining it to L0, as if the embeddings, norms and lm_head were a layer before the first.
  const layerSeries = (pick: (l: ReportData['layers'][number]) => number) =>
    models.map((name) => {
      const rows = data.layers.filter((l) => l.model === name);
      const points = rows.map((l) => ({ x: l.layer ?? -1, y: pick(l) }));
      if (rows.some((l) => l.layer === null)) points.push({ x: -0.5, y: NaN });
      return { name, points };
    });
  if (data.layers.length) {
    charts.push({
      id: 'layer-rho',
      caption:
        'Relative delta energy ρ = ‖Δ‖²/‖W_base‖² per layer (dimensionless, log scale, so SFT and CPT-sized deltas both show; "other" = embeddings, final norm, lm_head, not joined to the layers).',
      svg: lineChart({
        title: 'ρ per layer (log scale)',
        xLabel: 'layer',
        yLabel: 'ρ',
        series: layerSeries((l) => l.rho),
        logY: true,
        xTickLabel: layerLabel,
      }),
    });
    if (data.layers.some((l) => Number.isFinite(l.safeDropRate))) {
      charts.push({
        id: 'layer-safe-p',
        caption: `Predicted safe DARE drop rate per layer at tolerance ${data.tolerance} (fraction of entries dropped, 0–1; density = 1 − p).`,
        svg: lineChart({
          title: 'Safe drop rate per layer',
          xLabel: 'layer',
          yLabel: 'safe drop rate p',
          yDomain: [0, 1],
          series: layerSeries((l) => l.safeDropRate),
          xTickLabel: layerLabel,
        }),
      });
    }
  }
  if (data.models.length) {
    charts.push({
      id: 'model-p',
      caption:
        'Recommended DARE drop rate p per fine-tune (fraction of delta entries dropped; the density kept is 1 − p, listed in the verdict table).',
      svg: barChart({
        title: 'Recommended drop rate p',
        xLabel: 'fine-tune',
        yLabel: 'drop rate p',
        categories: models,
        series: [{ name: 'drop rate p', values: data.models.map((m) => m.recommendedDropRate) }],
      }),
    });
  }
  if (data.histograms.some((h) => h.bins.length)) {
    charts.push({
      id: 'abs-delta-hist',
      caption:
        'Distribution of |Δ| per fine-tune: share of entries per log-spaced bin (x in weight units, log scale). BF16 deltas take few distinct values at small |Δ|, hence the saw-tooth there.',
      svg: histogram({
        title: '|Δ| histogram',
        xLabel: '|Δ| (weight units, log scale)',
        logX: true,
        series: data.histograms.map((h) => ({ name: h.model, bins: h.bins })),
      }),
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
      caption: 'Cosine similarity of deltas between fine-tunes (−1 to 1; 0 = orthogonal; — = a fine-tune against itself).',
      svg: heatmap({
        title: 'Pairwise cosine of Δ',
        rowLabels: models,
        colLabels: models,
        values: matrix((p) => p.cosine, NaN),
        domain: [-1, 1],
        low: '#b2182b',
        mid: '#f7f7f7',
        high: '#2166ac',
        diagonal: '—',
      }),
    });
    charts.push({
      id: 'pair-conflict',
      caption:
        'Sign-conflict rate: share of entries with opposite signs where both deltas are non-zero (0–1; 0.5 = unrelated; — = a fine-tune against itself).',
      svg: heatmap({
        title: 'Pairwise sign conflict',
        rowLabels: models,
        colLabels: models,
        values: matrix((p) => p.signConflict, NaN),
        domain: [0, 1],
        low: '#fff5eb',
        high: '#7f2704',
        diagonal: '—',
      }),
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
        series: probed.map((name) => ({
          name,
          points: data.probe.filter((r) => r.model === name).map((r) => ({ x: r.dropRate, y: r.retained })),
        })),
      }),
    });
  }
  if (data.trials.length) {
    const best = data.trials.find((t) => t.best && t.score !== null);
    charts.push({
      id: 'trials',
      caption:
        'Tune trials: eval score per trial (higher is better; trial 0 is the data-free recipe; failed trials have no point; the ringed point is the best trial, merged into the output).',
      svg: lineChart({
        title: 'Eval score per trial',
        xLabel: 'trial',
        yLabel: 'score',
        series: [{ name: 'score', points: data.trials.map((t) => ({ x: t.trial, y: t.score ?? NaN })) }],
        ...(best ? { highlight: { x: best.trial, label: `best: trial ${best.trial}` } } : {}),
      }),
    });
  }
  return charts;
}
