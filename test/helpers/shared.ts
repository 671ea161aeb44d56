// The one resolver for the shared data (../shared beside the repository, as CI lays it out). DAREKIT_SHARED
// overrides it. Policy: tests that need data only the shared dir has (golden merges, family N, the families'
// README claims) skip with a visible reason when it is missing; tests of family S fall back to the bundled copy
// in fixtures/families/S (identical bytes, refreshed from shared version 2).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '../..');

/** The shared data dir: $DAREKIT_SHARED, else ../shared next to the repository. */
export const SHARED_DIR = resolve(REPO, process.env.DAREKIT_SHARED ?? '../shared');

/** A path inside the shared dir. */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/** Whether the shared dir (or a path inside it) exists. */
export function hasShared(...parts: string[]): boolean {
  return existsSync(sharedPath(...parts));
}

/** The reason printed by tests skipped for lack of shared data. */
export function missingSharedReason(...parts: string[]): string {
  return `shared data missing: ${sharedPath(...parts)} (set DAREKIT_SHARED to the shared dir)`;
}

/** Family S: the shared copy when present, else the bundled copy (identical bytes). */
export function familyS(): string {
  const shared = sharedPath('families', 'S');
  return existsSync(join(shared, 'base', 'model.safetensors')) ? shared : join(REPO, 'fixtures', 'families', 'S');
}

/** Family N (calibration, hidden size 64): only in the shared dir. */
export function familyN(): string {
  return sharedPath('calibration', 'N');
}

/** The repository root. */
export const REPO_ROOT = REPO;
