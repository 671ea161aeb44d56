import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Install Debian's chromium with apt when it is missing; returns a reason string when that is impossible. */
export function ensureChromium(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return 'apt-get is not available';
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  if (sudo.length && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) return 'apt-get needs root and passwordless sudo is not available';
  const run = (args: string[]) => execFileSync(sudo[0] ?? args[0]!, [...sudo.slice(1), ...(sudo.length ? args : args.slice(1))], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  run(['apt-get', 'update']);
  run(['apt-get', 'install', '-y', 'chromium']);
  return existsSync(CHROMIUM) ? null : 'apt-get install chromium did not produce /usr/bin/chromium';
}

/** What a page load showed: console errors, failed or external requests, the SVGs and their drawn sizes. */
export interface PageCheck {
  consoleErrors: string[];
  externalRequests: string[];
  svgCount: number;
  svgSizes: { width: number; height: number }[];
  title: string;
}

/** Open a local HTML file in headless Chromium (fresh profile, no network), check it, and save a full-page PNG. */
export async function checkPageInChromium(htmlPath: string, screenshotPath: string): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'darekit-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  // launchPersistentContext is how Playwright takes a --user-data-dir: a fresh dir per run.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args });
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
    const svgSizes = await page.$$eval('svg', (els) => els.map((e) => ({ width: e.getBoundingClientRect().width, height: e.getBoundingClientRect().height })));
    await page.screenshot({ path: screenshotPath, fullPage: true });
    return { consoleErrors, externalRequests, svgCount: svgSizes.length, svgSizes, title: await page.title() };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
