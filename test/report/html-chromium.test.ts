import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml } from '../../src/report/html.js';
import { reportCharts } from '../../src/report/charts.js';
import { sampleReportData } from './sample-data.js';
import { checkPageInChromium, ensureChromium } from './chromium.js';

let unavailable: string | null = null;

beforeAll(() => {
  unavailable = ensureChromium();
  if (unavailable) console.warn(`\n*** SKIPPING the Chromium report test: ${unavailable} ***\n`);
}, 900_000);

describe('HTML report in headless Chromium', () => {
  it('renders with no console errors, no network requests, and every chart drawn', async (ctx) => {
    if (unavailable) ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), 'darekit-report-'));
    try {
      const data = sampleReportData();
      const html = join(dir, 'report.html');
      writeFileSync(html, renderHtml(data));
      const shot = join(dir, 'report.png');
      const page = await checkPageInChromium(html, shot);
      expect(page.consoleErrors).toEqual([]);
      expect(page.externalRequests).toEqual([]);
      expect(page.svgCount).toBe(reportCharts(data).length);
      for (const s of page.svgSizes) {
        expect(s.width).toBeGreaterThan(100);
        expect(s.height).toBeGreaterThan(100);
      }
      expect(page.title).toContain('darekit report');
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
