// darekit's package root (the dir holding its package.json), found by walking up from this file, so that the
// kernel, the bundled family and the version are found the same way from src/ (tests), dist/ (installed) and a
// tools build that compiles src/ a level deeper.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'darekit') return dir;
      } catch {
        // an unreadable package.json above us is not ours: keep looking
      }
    }
    if (dirname(dir) === dir) return join(start, '..');
  }
}

/** The darekit package root. */
export const PACKAGE_ROOT = findRoot();
