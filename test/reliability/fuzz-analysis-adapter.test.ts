// Deterministic slices of the analysis-dir and adapter-config fuzz targets (`npm run fuzz` runs them longer).
import { describe, expect, it } from 'vitest';
import { describeFailures, runFuzz } from '../../tools/reliability/fuzz-loop.js';
import { adapterConfigTarget, analysisDirTarget } from '../../tools/reliability/targets.js';

const RUN_SEED = Number(process.env.DAREKIT_FUZZ_SEED ?? 20240601);

describe('adapter_config.json fuzzing', () => {
  it('600 mutated adapter configs end in an opened adapter or a one-line input error (never a crash)', () => {
    const target = adapterConfigTarget();
    try {
      const stats = runFuzz(target, { runSeed: RUN_SEED, maxCases: 600 });
      expect(describeFailures(stats.failures)).toBe('');
      expect(stats.byKind.valid?.accepted ?? 0).toBeGreaterThan(20);
      expect(stats.rejected).toBeGreaterThan(150);
    } finally {
      target.close?.();
    }
  });
});

describe('analysis dir fuzzing', () => {
  it('16 damaged or hostile analysis dirs through report/predict/dash/query end in exit 0 or one clean exit-2 line', () => {
    const target = analysisDirTarget();
    try {
      const stats = runFuzz(target, { runSeed: RUN_SEED, maxCases: 16 });
      expect(describeFailures(stats.failures)).toBe('');
      expect(stats.rejected).toBeGreaterThan(3);
    } finally {
      target.close?.();
    }
  }, 300_000);
});
