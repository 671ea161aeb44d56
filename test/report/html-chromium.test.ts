import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tune } from '../../src/tune/tune.js';
import { writeReport } from '../../src/report/write.js';
import { familyS } from '../tune/family.js';
import { renderHtml } from '../../src/report/html.js';
import { reportCharts } from '../../src/report/charts.js';
import { sampleReportData } from './sample-data.js';
import { checkPageInChromium, chromiumUnavailable } from './chromium.js';

// Tests never install system packages: without Debian's chromium these tests skip, saying so loudly.
const unavailable = chromiumUnavailable();
beforeAll(() => {
  if (unavailable) console.warn(`\n*** SKIPPING the Chromium report tests: ${unavailable} ***\n`);
});

/** Viewport widths the page must fit: a desktop window and a narrow one (no horizontal scrolling at either). */
const WIDTHS = [1400, 800];

describe('HTML report in headless Chromium', () => {
  it('renders with no console errors, no network requests, and every chart drawn', async (ctx) => {
    if (unavailable) ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'darekit-report-'));
    try {
      const data = sampleReportData();
      const html = join(dir, 'report.html');
      writeFileSync(html, renderHtml(data));
      for (const width of WIDTHS) {
        const shot = join(dir, `report-${width}.png`);
        const page = await checkPageInChromium(html, shot, width);
        expect(page.consoleErrors).toEqual([]);
        expect(page.externalRequests).toEqual([]);
        expect(page.svgCount).toBe(reportCharts(data).length);
        expect(page.scrollWidth, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(page.innerWidth);
        for (const s of page.svgSizes) {
          expect(s.width).toBeGreaterThan(100);
          expect(s.height).toBeGreaterThan(100);
        }
        expect(page.title).toContain('darekit report');
        expect(statSync(shot).size).toBeGreaterThan(10_000);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the real report of family S in headless Chromium', () => {
  it('analyze + tune --eval + report: renders cleanly with every chart at 1400 and 800 px, screenshots in reports/report-WIDTH.png', async (ctx) => {
    if (unavailable) ctx.skip();
    const S = familyS();
    const dir = mkdtempSync(join(tmpdir(), 'darekit-report-'));
    try {
      const analysisDir = join(dir, 'analysis');
      // Analyze all four fine-tunes, then tune the SFT pair with a small eval search so the trials chart exists.
      await tune({
        base: join(S, 'base'),
        finetunes: [join(S, 'sft-up'), join(S, 'sft-shift')],
        out: join(dir, 'warmup'),
        analysisDir: join(dir, 'pair'),
        threads: 1,
      });
      const { analyze } = await import('../../src/app/analyze.js');
      await analyze({
        base: join(S, 'base'),
        finetunes: ['sft-up', 'sft-shift', 'cpt-code', 'cpt-code-brief'].map((m) => join(S, m)),
        outDir: analysisDir,
        threads: 1,
      });
      const score = resolve(__dirname, '../tune/scripts/score-distance.mjs');
      await tune({
        analysisDir,
        finetunes: [join(S, 'sft-up'), join(S, 'sft-shift')],
        out: join(dir, 'tuned'),
        threads: 1,
        eval: { command: `node '${score}' {model} '${join(dir, 'warmup')}'`, budget: 4 },
      });
      const { data, files } = await writeReport(analysisDir);
      expect(data.trials).toHaveLength(4);
      expect(data.models).toHaveLength(4);
      const html = files.find((f) => f.endsWith('.html'))!;
      const reportsDir = resolve(__dirname, '../../reports');
      mkdirSync(reportsDir, { recursive: true });
      // ρ and safe p per layer, p/density bars, |Δ| histograms, cosine and conflict heatmaps, trials.
      expect(reportCharts(data).map((c) => c.id)).toEqual([
        'layer-rho',
        'layer-safe-p',
        'model-p',
        'abs-delta-hist',
        'pair-cosine',
        'pair-conflict',
        'trials',
      ]);
      for (const width of WIDTHS) {
        const shot = join(reportsDir, `report-${width}.png`);
        const page = await checkPageInChromium(html, shot, width);
        expect(page.consoleErrors).toEqual([]);
        expect(page.externalRequests).toEqual([]);
        expect(page.svgCount).toBe(7);
        expect(page.scrollWidth, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(page.innerWidth);
        for (const s of page.svgSizes) expect(s.width * s.height).toBeGreaterThan(10_000);
        expect(statSync(shot).size).toBeGreaterThan(20_000);
      }
      expect(readFileSync(html, 'utf8')).toContain('recipe');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
