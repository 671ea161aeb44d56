import { defineConfig } from 'vitest/config';
import { LONG_TESTS, SHARED_TEST_OPTIONS } from './vitest.config.js';

/** `npm run test:long`: the fuzz, kill and determinism loops that `npm test` leaves out (see vitest.config.ts). */
export default defineConfig({
  test: {
    include: LONG_TESTS,
    ...SHARED_TEST_OPTIONS,
  },
});
