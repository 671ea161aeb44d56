import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { reportJson } from '../../src/report/json.js';
import { reportCharts } from '../../src/report/charts.js';
import { DEFINITIONS } from '../../src/report/data.js';
import { sampleReportData } from './sample-data.js';
import { checkWellFormed } from './xml-check.js';

describe('report renderers', () => {
  const data = sampleReportData();
  const html = renderHtml(data);

  it('HTML is self-contained: no scripts, external links, fonts or URLs other than the SVG namespace', () => {
    expect(html).not.toMatch(/<script|<link|@import|@font-face|src=|href=/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('HTML escapes every user-provided string (paths, reasons, stderr)', () => {
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<boom>');
    expect(html).toContain('/tmp/analysis &lt;&amp;&gt;');
  });

  it('HTML puts the verdicts before the statistics and charts', () => {
    const v = html.indexOf('<h2>Verdicts</h2>');
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThan(html.indexOf('<h2>Delta statistics</h2>'));
    expect(v).toBeLessThan(html.indexOf('<svg'));
    for (const m of data.models) expect(html).toContain(`<td>${m.model}</td>`);
  });

  it('every chart is an inline, well-formed SVG with a caption, one per dataset kind', () => {
    const charts = reportCharts(data);
    expect(charts.map((c) => c.id)).toEqual([
      'layer-rho',
      'layer-safe-p',
      'model-p',
      'abs-delta-hist',
      'pair-cosine',
      'pair-conflict',
      'probe-retained',
      'trials',
    ]);
    for (const c of charts) checkWellFormed(c.svg);
    expect(html.match(/<svg /g)?.length).toBe(charts.length);
  });

  it('charts that have no data are left out rather than drawn empty', () => {
    const charts = reportCharts({ ...data, trials: [], pairs: [], histograms: [], probe: [] });
    expect(charts.map((c) => c.id)).toEqual(['layer-rho', 'layer-safe-p', 'model-p']);
  });

  it('Markdown has verdicts first, a row per model and trial, and every definition', () => {
    const md = renderMarkdown(data);
    expect(md.indexOf('## Verdicts')).toBeLessThan(md.indexOf('## Delta statistics'));
    // names from files are escaped for Markdown and HTML (issue 16): no raw "<x>", "_" as "\\_"
    expect(md).toContain(
      '| sft-up | sft | **ready** | 0.50 | predicted 0.50–0.80 | 0.50 | 0.40 | 0.50 | lm\\_head.weight &lt;x&gt; (safe 0.20) |',
    );
    expect(md).not.toContain('<x>');
    expect(md).toContain('| 2 (best) |');
    for (const d of DEFINITIONS) expect(md).toContain(d.term.replace(/\|/g, '\\|'));
  });

  it('JSON turns NaN into null and carries the definitions', () => {
    const j = reportJson(data) as { pairs: { cosine: number | null }[]; definitions: unknown[] };
    expect(j.pairs[2]!.cosine).toBeNull();
    expect(j.definitions.length).toBe(DEFINITIONS.length);
  });
});
