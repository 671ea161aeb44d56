import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { usageError } from '../errors.js';

/** The file darekit writes into every output dir: `--force` replaces only a dir holding it (or an empty one). */
export const OUTPUT_MARKER = '.darekit-output';
/** Markers of earlier darekit versions (the demo's), still accepted as "darekit wrote this". */
export const LEGACY_OUTPUT_MARKERS: readonly string[] = ['.darekit-demo'];

/** Whether a path exists as anything, a dangling symlink included (existsSync follows links). */
export function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The real path p has or would have: symlinks resolved in its nearest existing ancestor, the missing rest
 * appended (an existing p is resolved whole, a symlink included).
 */
export function realPathOf(p: string, depth = 0): string {
  // 40 links, as Linux's own limit (ELOOP): a dangling link loop ends in an error, not a stack overflow
  if (depth > 40) throw usageError(`${p}: too many levels of symbolic links`);
  const abs = resolve(p);
  const rest: string[] = [];
  let probe = abs;
  while (!existsSync(probe)) {
    // a dangling symlink: follow its text once so a link to a not-yet-existing target still compares by target
    if (lexists(probe) && lstatSync(probe).isSymbolicLink())
      return realPathOf(join(resolve(dirname(probe), readlinkSync(probe)), ...rest), depth + 1);
    const up = dirname(probe);
    if (up === probe) break;
    rest.unshift(basename(probe));
    probe = up;
  }
  return join(realpathSync(probe), ...rest);
}

function within(inner: string, outer: string): boolean {
  return inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/**
 * Refuse (exit 2) an output path that is, contains, or lies inside any of the inputs, comparing real paths
 * (symlinks resolved; for an output that does not exist yet, its nearest existing ancestor). Missing inputs
 * are skipped: whoever opens them reports that. Call it before any work, --force or not.
 */
export function assertOutputApartFromInputs(out: string, inputs: readonly (string | undefined)[], flag = '--out'): void {
  const realOut = realPathOf(out);
  for (const input of inputs) {
    if (input === undefined || input === '' || !existsSync(input)) continue;
    const realIn = realpathSync(input);
    let relation: string | undefined;
    if (realOut === realIn) relation = 'is';
    else if (within(realIn, realOut)) relation = 'contains';
    else if (within(realOut, realIn)) relation = 'lies inside';
    if (relation === undefined) continue;
    const shown = realIn === resolve(input) ? input : `${input} (${realIn})`;
    throw usageError(
      `${flag} ${out} ${relation} the input ${shown}; darekit never writes over or into its inputs, --force or not — choose an output path outside them`,
    );
  }
}

/** The paths a model spec names: itself and, for mergekit's `base+adapter`, both sides (missing ones are skipped by the check). */
export function specPaths(spec: string): string[] {
  const i = spec.lastIndexOf('+');
  return i > 0 && i < spec.length - 1 ? [spec, spec.slice(0, i), spec.slice(i + 1)] : [spec];
}

/** The first few entries of a dir, for messages ("a, b, c and 4 more"). */
export function describeEntries(dir: string, max = 3): string {
  const entries = readdirSync(dir).sort();
  const shown = entries
    .slice(0, max)
    .map((e) => JSON.stringify(e))
    .join(', ');
  return entries.length > max ? `${shown} and ${entries.length - max} more` : shown;
}

/** True when dir holds a darekit output marker (current or legacy). */
export function hasOutputMarker(dir: string): boolean {
  return [OUTPUT_MARKER, ...LEGACY_OUTPUT_MARKERS].some((m) => {
    try {
      return lstatSync(join(dir, m)).isFile();
    } catch {
      return false;
    }
  });
}
