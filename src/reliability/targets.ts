import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FuzzTarget } from './fuzz-loop.js';
import { generateSafetensorsCase } from './safetensors-cases.js';
import { checkSafetensorsFile, checkSafetensorsInMemory } from './safetensors-check.js';

/** parseHeader on in-memory bytes: the bulk of the cases. */
export function safetensorsMemoryTarget(): FuzzTarget {
  return {
    name: 'safetensors-memory',
    runCase(rng) {
      const c = generateSafetensorsCase(rng);
      const outcome = checkSafetensorsInMemory(c);
      return outcome && { kind: c.kind, outcome, input: c.bytes };
    },
  };
}

/** The same cases written to files and read through readSafetensorsHeader, openModel and TensorReader. */
export function safetensorsFileTarget(): FuzzTarget {
  const dir = mkdtempSync(join(tmpdir(), 'darekit-fuzz-st-'));
  return {
    name: 'safetensors-file',
    runCase(rng, index) {
      const c = generateSafetensorsCase(rng);
      const outcome = checkSafetensorsFile(c, dir, index % 64);
      return { kind: c.kind, outcome, input: c.bytes };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
