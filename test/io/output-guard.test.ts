// The one check every writing command runs before any work: an output may not be, contain or lie inside an input,
// compared by real path (symlinks resolved, a not-yet-existing output through its nearest existing ancestor).
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertOutputApartFromInputs, realPathOf } from '../../src/io/output-guard.js';
import { catchDarekit, tempDir } from './helpers.js';

describe('realPathOf', () => {
  it('resolves symlinked ancestors of a path that does not exist yet, and dangling links by their text', () => {
    const d = realpathSync(tempDir());
    mkdirSync(join(d, 'real'));
    symlinkSync(join(d, 'real'), join(d, 'link'));
    expect(realPathOf(join(d, 'link', 'a', 'b'))).toBe(join(d, 'real', 'a', 'b'));
    symlinkSync(join(d, 'real', 'not-yet'), join(d, 'dangling'));
    expect(realPathOf(join(d, 'dangling', 'x'))).toBe(join(d, 'real', 'not-yet', 'x'));
  });

  it('ends a dangling symlink loop with an input error, not a stack overflow', () => {
    const d = tempDir();
    symlinkSync(join(d, 'loop'), join(d, 'loop'));
    expect(catchDarekit(() => realPathOf(join(d, 'loop', 'out'))).message).toMatch(/too many levels of symbolic links/);
  });
});

describe('assertOutputApartFromInputs', () => {
  function layout(): { d: string; model: string; file: string } {
    const d = realpathSync(tempDir());
    const model = join(d, 'models', 'base');
    mkdirSync(model, { recursive: true });
    const file = join(model, 'model.safetensors');
    writeFileSync(file, 'x');
    return { d, model, file };
  }

  it('refuses is / contains / lies inside, naming the flag, the output and the input (exit 2)', () => {
    const { d, model, file } = layout();
    for (const [out, inputs, rel] of [
      [model, [model], 'is'],
      [file, [file], 'is'],
      [join(d, 'models'), [model], 'contains'],
      [d, [file], 'contains'],
      [join(model, 'sub', 'out'), [model], 'lies inside'],
    ] as const) {
      const err = catchDarekit(() => assertOutputApartFromInputs(out, inputs, '--out'));
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(`--out ${out} ${rel} the input ${inputs[0]}`);
    }
  });

  it('compares real paths: through a symlink to the input, or an input given through a link', () => {
    const { d, model } = layout();
    symlinkSync(join(d, 'models'), join(d, 'alias'));
    expect(catchDarekit(() => assertOutputApartFromInputs(join(d, 'alias', 'base'), [model])).message).toContain('is the input');
    expect(catchDarekit(() => assertOutputApartFromInputs(join(d, 'models'), [join(d, 'alias', 'base')])).message).toContain(
      `contains the input ${join(d, 'alias', 'base')} (${model})`,
    );
  });

  it('accepts siblings and name prefixes, and skips inputs that do not exist or are not given', () => {
    const { d, model } = layout();
    assertOutputApartFromInputs(join(d, 'models', 'base-merged'), [model, undefined, join(d, 'missing')]);
    assertOutputApartFromInputs(join(d, 'models', 'bas'), [model]);
  });
});
