import { resolve } from 'node:path';

export { familyS } from '../helpers/shared.js';

/** The built CLI entry (npm test builds before running vitest). */
export const CLI = resolve(__dirname, '../../dist/cli/main.js');
