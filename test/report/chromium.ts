import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the Chromium tests cannot run here (no /usr/bin/chromium), or null. Tests never install system packages:
 * `.ci/run` installs Debian's chromium with apt; on a dev machine run `sudo apt-get install -y chromium`. */
export function chromiumUnavailable(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `${CHROMIUM} is missing (install it with: apt-get update && apt-get install -y chromium; .ci/run does this)`;
}

/** What a page load showed: console errors, failed or external requests, the SVGs and their drawn sizes. */
export interface PageCheck {
  consoleErrors: string[];
  externalRequests: string[];
  svgCount: number;
  svgSizes: { width: number; height: number }[];
  title: string;
  /** document.documentElement.scrollWidth and window.innerWidth: a page wider than its viewport overflows. */
  scrollWidth: number;
  innerWidth: number;
}

/** Open a local HTML file in headless Chromium (fresh profile, no network) at a viewport `width` px wide, check it,
 * and save a full-page PNG. */
export async function checkPageInChromium(htmlPath: string, screenshotPath: string, width = 1400): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'darekit-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  // launchPersistentContext is how Playwright takes a --user-data-dir: a fresh dir per run.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width, height: 900 },
  });
  try {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const externalRequests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      externalRequests.push(url);
      return route.abort();
    });
    await page.goto('file://' + htmlPath, { waitUntil: 'load' });
    const svgSizes = await page.$$eval('svg', (els) =>
      els.map((e) => ({ width: e.getBoundingClientRect().width, height: e.getBoundingClientRect().height })),
    );
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    await page.screenshot({ path: screenshotPath, fullPage: true });
    return { consoleErrors, externalRequests, svgCount: svgSizes.length, svgSizes, title: await page.title(), scrollWidth, innerWidth };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
