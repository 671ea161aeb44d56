// What the report's charts promise a reader: ρ on a log axis, "other" not joined to L0, one bar per fine-tune
// (not p and 1 − p twice), a neutral diagonal in the pair heatmaps, the best trial ringed, legends above the plot,
// no Markdown backticks in the HTML definitions, and a note when the recipe merges only some fine-tunes.
import { describe, expect, it } from 'vitest';
import { reportCharts } from '../../src/report/charts.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { recipeCoverage } from '../../src/report/format.js';
import { sampleReportData } from './sample-data.js';

const data = sampleReportData();
const charts = Object.fromEntries(reportCharts(data).map((c) => [c.id, c.svg]));

/** The numbers in the `d` attribute of each <path> (x,y pairs). */
const paths = (svg: string) =>
  [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) =>
    [...m[1]!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((p) => ({ x: Number(p[1]), y: Number(p[2]) })),
  );
/** Circles (data markers) with their tooltip text. */
const markers = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.-]+)" cy="([\d.-]+)" r="3"[^>]*><title>([^<]*)<\/title>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    title: m[3]!,
  }));

describe('report charts', () => {
  it('ρ per layer is on a log axis: decades as ticks, and a 10× larger ρ sits a fixed distance higher whatever its size', () => {
    const svg = charts['layer-rho']!;
    expect(svg).toContain('log scale');
    // sample data: model i has ρ = 0.01·(i+1)·(layer+1); for a model, L1 is 2× L0 and L2 3× L0 — equal ratios give equal steps
    const ms = markers(svg).filter((m) => m.title.startsWith('sft-up:'));
    const at = (label: string) => ms.find((m) => m.title.startsWith(`sft-up: ${label} `))!.y;
    const cpt = markers(svg).filter((m) => m.title.startsWith('cpt-code:'));
    const atC = (label: string) => cpt.find((m) => m.title.startsWith(`cpt-code: ${label} `))!.y;
    // ratio L1/L0 is 2 for both models (ρ 0.02/0.01 and 0.06/0.03): on a log axis the pixel step is the same
    expect(at('L0') - at('L1')).toBeCloseTo(atC('L0') - atC('L1'), 0);
    expect(at('L0') - at('L1')).toBeGreaterThan(5);
  });

  it('"other" is drawn but never joined by a line to L0', () => {
    const svg = charts['layer-rho']!;
    const otherXs = new Set(
      markers(svg)
        .filter((m) => / other /.test(m.title))
        .map((m) => m.x),
    );
    expect(otherXs.size).toBe(1);
    const [otherX] = [...otherXs];
    for (const p of paths(svg)) for (const pt of p) expect(pt.x).not.toBe(otherX);
  });

  it('the drop-rate chart draws one bar per fine-tune (p only; density 1 − p is not a second copy)', () => {
    const svg = charts['model-p']!;
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#[0-9A-Fa-f]{6}"><title>/g)];
    expect(bars).toHaveLength(data.models.length);
    expect(svg).not.toContain('density 1 − p');
  });

  it('pair heatmaps show "—" on the diagonal (a fine-tune against itself), never a 0 or 1 there', () => {
    for (const id of ['pair-cosine', 'pair-conflict']) {
      const svg = charts[id]!;
      const diag = [...svg.matchAll(/class="cell diagonal"/g)];
      expect(diag).toHaveLength(data.models.length);
      for (const m of data.models) expect(svg).toContain(`${m.model} × ${m.model}: itself`);
    }
  });

  it('the best trial is ringed and labelled', () => {
    const svg = charts['trials']!;
    const best = data.trials.find((t) => t.best)!;
    expect(svg).toContain(`best: trial ${best.trial}`);
    const ring = /<circle cx="([\d.]+)" cy="([\d.]+)" r="7"[^>]*class="highlight"/.exec(svg)!;
    const marker = markers(svg).find((m) => m.title.startsWith(`score: ${best.trial} `))!;
    expect(Number(ring[1])).toBeCloseTo(marker.x, 1);
    expect(Number(ring[2])).toBeCloseTo(marker.y, 1);
  });

  it('legends sit above the plot area: no legend swatch is lower than the highest data point', () => {
    for (const id of ['layer-rho', 'layer-safe-p', 'abs-delta-hist']) {
      const svg = charts[id]!;
      const swatches = [...svg.matchAll(/<g class="legend"><rect x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]) + 10);
      expect(swatches.length).toBeGreaterThan(1);
      const gridTop = Math.min(
        ...[...svg.matchAll(/<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="\1" stroke="#ddd"/g)].map((m) => Number(m[1])),
      );
      expect(Math.max(...swatches), id).toBeLessThan(gridTop);
    }
  });
});

describe('report text', () => {
  it('HTML definitions show code as <code>, never literal backticks', () => {
    const html = renderHtml(data);
    const defs = html.slice(html.indexOf('<h2>Definitions</h2>'));
    expect(defs).not.toContain('`');
    expect(defs).toContain('<code>density</code>');
  });

  it('a recipe that merges only some of the analysed fine-tunes says which (Markdown and HTML); one that merges all says nothing', () => {
    const some = {
      ...data,
      recipe: `merge_method: dare_ties\nmodels:\n  - model: ${data.models[0]!.path}\n  - model: ${data.models[1]!.path}\n`,
    };
    const note = recipeCoverage(some)!;
    expect(note).toContain(
      `merges 2 of the 3 analysed fine-tunes (${data.models[0]!.model}, ${data.models[1]!.model}); not in it: ${data.models[2]!.model}`,
    );
    expect(renderMarkdown(some)).toContain(note);
    expect(renderHtml(some)).toContain('not in it: cpt-code');
    const all = { ...data, recipe: `models:\n${data.models.map((m) => `  - model: ${m.path}`).join('\n')}\n` };
    expect(recipeCoverage(all)).toBeNull();
  });
});
