import { defineConfig } from 'vitest/config';

/** The long tests: fuzz loops (tens of thousands of mutated inputs), SIGKILL-at-random-points merges, the
 * threads × chunk-size determinism matrix and the probe's full sweep of family S. `npm run test:long` (vitest.long.config.ts) runs them; `.ci/run` runs both. */
export const LONG_TESTS = [
  'test/reliability/crash-safety.test.ts',
  'test/reliability/determinism.test.ts',
  'test/reliability/fuzz-safetensors.test.ts',
  'test/reliability/fuzz-index-config.test.ts',
  // a full probe sweep of family S (forward passes over 4 fine-tunes × 12 drop rates × 3 seeds, twice): over a minute alone
  'test/model/probe-family-s.test.ts',
  // fuzz slices over hostile analysis dirs and adapter configs, and peak-memory measurements of huge inputs
  'test/reliability/fuzz-analysis-adapter.test.ts',
  'test/reliability/bounded-memory.test.ts',
];

export const SHARED_TEST_OPTIONS = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  // both cores: vitest's default leaves one free, and most of the suite waits on the CLI processes it spawns
  maxWorkers: 2,
  // CLI runs in tests have a non-TTY stderr, where a run over 10 s (a loaded machine) would add progress lines to
  // the one-line errors tests check; progress itself is tested with a fake clock (test/cli/progress.test.ts).
  env: { DAREKIT_NO_PROGRESS: '1' },
};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['**/node_modules/**', ...LONG_TESTS],
    ...SHARED_TEST_OPTIONS,
  },
});
