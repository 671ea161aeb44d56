import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inputError } from '../../src/errors.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { describeFailures, runFuzz, type FuzzTarget } from '../../tools/reliability/fuzz-loop.js';
import { runCase, trackAllocations } from '../../tools/reliability/oracle.js';
import { assembleFile, generateSafetensorsCase, SAFETENSORS_MUTATIONS } from '../../tools/reliability/safetensors-cases.js';
import { checkAcceptedHeader } from '../../tools/reliability/safetensors-check.js';
import { safetensorsFileTarget, safetensorsMemoryTarget } from '../../tools/reliability/targets.js';

// Fixed seeds keep CI reproducible; DAREKIT_FUZZ_SEED explores other corners locally.
const RUN_SEED = Number(process.env.DAREKIT_FUZZ_SEED ?? 20240601);
const dir = mkdtempSync(join(tmpdir(), 'darekit-fuzz-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kindsCovered(byKind: Record<string, unknown>): Set<string> {
  return new Set(Object.keys(byKind).map((k) => k.split(':')[0]!));
}

describe('safetensors header fuzzing', () => {
  it('20,000 mutated headers parsed in memory each end in acceptance or a one-line input error naming the file', () => {
    const stats = runFuzz(safetensorsMemoryTarget(), { runSeed: RUN_SEED, maxCases: 20_000 });
    expect(describeFailures(stats.failures)).toBe('');
    expect(stats.cases).toBe(20_000);
    // both outcomes occur often, so the mutations neither all break nor all miss the validator
    expect(stats.accepted).toBeGreaterThan(2000);
    expect(stats.rejected).toBeGreaterThan(10_000);
    const covered = kindsCovered(stats.byKind);
    for (const m of SAFETENSORS_MUTATIONS) expect(covered.has(m.split(':')[0]!), m).toBe(true);
  });

  it('2,500 mutated files read through readSafetensorsHeader, openModel and TensorReader: typed errors, exact bytes, no allocation past the file size', () => {
    const target = safetensorsFileTarget();
    try {
      const stats = runFuzz(target, { runSeed: RUN_SEED + 1, maxCases: 2_500 });
      expect(describeFailures(stats.failures)).toBe('');
      expect(stats.accepted).toBeGreaterThan(250);
      expect(kindsCovered(stats.byKind).has('length-field')).toBe(true);
    } finally {
      target.close?.();
    }
  });
});

describe('length fields are checked before they size an allocation', () => {
  for (const claim of [90_000_000n, 99_999_999n, 2n ** 32n, 2n ** 64n - 1n]) {
    it(`a 100-byte file whose header length claims ${claim} bytes is refused without allocating it`, () => {
      const file = join(dir, `claim-${claim}.safetensors`);
      const bytes = assembleFile(new TextEncoder().encode('{}'), new Uint8Array(90), claim);
      expect(bytes.length).toBe(100);
      writeFileSync(file, bytes);
      const tracked = trackAllocations(() =>
        runCase('invalid', file, () => {
          readSafetensorsHeader(file);
          return undefined;
        }),
      );
      expect(tracked.value.status).toBe('rejected');
      expect(tracked.maxBytes).toBeLessThanOrEqual(100);
    });
  }

  it('the allocation tracker sees the reader allocate a real header (so the bound above is not vacuous)', () => {
    const header = new TextEncoder().encode(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`);
    const file = join(dir, 'real.safetensors');
    writeFileSync(file, assembleFile(header, new Uint8Array(4)));
    const tracked = trackAllocations(() => readSafetensorsHeader(file));
    expect(tracked.value.tensors.length).toBe(1);
    expect(tracked.maxBytes).toBeGreaterThanOrEqual(header.length);
  });
});

describe('the fuzz oracle itself', () => {
  const broken: FuzzTarget = {
    name: 'json-parse-validator',
    // a naive reader: JSON.parse, no checks, TypeErrors on odd shapes; the oracle must flag it
    runCase(rng) {
      const c = generateSafetensorsCase(rng);
      const outcome = runCase(c.expect, 'naive', () => {
        const len = Number(new DataView(c.bytes.buffer).getBigUint64(0, true));
        const json = JSON.parse(new TextDecoder().decode(c.bytes.subarray(8, 8 + len))) as Record<string, { shape: number[] }>;
        for (const v of Object.values(json)) v.shape.map((d) => d.toFixed());
        return undefined;
      });
      return { kind: c.kind, outcome, input: c.bytes };
    },
  };

  it('flags crashes and accepted-invalid files of a naive JSON.parse reader', () => {
    const stats = runFuzz(broken, { runSeed: 7, maxCases: 500 });
    const reasons = new Set(stats.failures.map((f) => f.violation.reason));
    expect(reasons.has('crash')).toBe(true);
    expect(reasons.has('accepted-invalid')).toBe(true);
  });

  it('flags a typed error whose message spans lines or lacks the file name', () => {
    const multi = runCase('either', 'f.safetensors', () => {
      throw Object.assign(inputError('f.safetensors: ok'), { message: 'f.safetensors: a\nb' });
    });
    expect(multi.status === 'violation' && multi.violation.reason).toBe('message-control-chars');
    const unnamed = runCase('either', 'f.safetensors', () => {
      throw inputError('something is wrong');
    });
    expect(unnamed.status === 'violation' && unnamed.violation.reason).toBe('message-unnamed');
  });

  it('checkAcceptedHeader refuses a catalog that does not tile the data', () => {
    const header = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const bad = checkAcceptedHeader(
      {
        file: 'x',
        fileSize: 8 + header.length + 4,
        headerLength: header.length,
        dataOffset: 8 + header.length,
        metadata: {},
        tensors: [{ name: 'a', dtype: 'F32', shape: [1], numel: 1, byteOffset: 9 + header.length, byteLength: 4, file: 'x' }],
      },
      header,
      8 + header.length + 4,
    );
    expect(bad?.reason).toBe('bad-catalog');
  });
});
