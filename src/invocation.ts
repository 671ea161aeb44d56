import { relative, resolve, isAbsolute } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

/** True when dir is the package root or inside it. */
function insidePackage(dir: string): boolean {
  const rel = relative(PACKAGE_ROOT, dir);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * How to type darekit in a command printed for the user to copy: `npx darekit` inside a clone (where npm resolves
 * the package's own bin without a download and darekit is usually not on PATH), `darekit` elsewhere (a global
 * install: `npm install -g .` or `npm link`).
 */
export function cliCommand(cwd: string = process.cwd()): string {
  return insidePackage(cwd) ? 'npx darekit' : 'darekit';
}

/** A path as a user should type it from cwd: relative when it lies inside cwd, else absolute. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const abs = resolve(path);
  const rel = relative(cwd, abs);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

/** Quote a word for a POSIX shell only when it needs it (paths stay readable and copy-pasteable). */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
