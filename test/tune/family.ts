import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Family S: the shared copy when present (as the issue names it), else the bundled one (identical bytes). */
export function familyS(): string {
  const shared = resolve(__dirname, '../../../shared/families/S');
  return existsSync(join(shared, 'base', 'model.safetensors')) ? shared : resolve(__dirname, '../../fixtures/families/S');
}

/** The built CLI entry (npm test builds before running vitest). */
export const CLI = resolve(__dirname, '../../dist/cli/main.js');
