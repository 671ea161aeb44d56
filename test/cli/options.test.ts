import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intOption, numberOption, seedOption, threadsOption, toleranceOption } from '../../src/cli/options.js';
import { MAX_THREADS } from '../../src/limits.js';
import { familyS } from '../helpers/shared.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');

describe('command-line option parsers', () => {
  it('accept what they document and leave absent flags undefined', () => {
    expect(intOption('12', '--n', 1)).toBe(12);
    expect(intOption(undefined, '--n', 1)).toBeUndefined();
    expect(threadsOption(String(MAX_THREADS))).toBe(MAX_THREADS);
    expect(toleranceOption('0.9')).toBe(0.9);
    expect(seedOption('4294967295')).toBe(4294967295);
    expect(numberOption('1e-3', '--x', (n) => n > 0, 'positive')).toBe(0.001);
  });

  it('refuse junk, fractions, out-of-range values and trailing text with a usage error naming the flag', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => intOption('1.5', '--n', 1), /--n: "1.5" is not an integer ≥ 1/],
      [() => intOption('12abc', '--n', 1), /--n/],
      [() => intOption('', '--n', 1), /--n/],
      [
        () => threadsOption(String(MAX_THREADS + 1)),
        new RegExp(`--threads: "${MAX_THREADS + 1}" is not an integer from 1 to ${MAX_THREADS}`),
      ],
      [() => threadsOption('0'), /--threads/],
      [() => toleranceOption('1'), /--tolerance/],
      [() => toleranceOption('0.9x'), /--tolerance/],
      [() => seedOption('-1'), /--seed/],
      [() => numberOption('Infinity', '--x', () => true, 'finite'), /--x/],
    ];
    for (const [f, re] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toMatchObject({ kind: 'usage' });
      expect((err as Error).message).toMatch(re);
    }
  });

  it('tune --threads 100 is refused by the CLI (exit 2) before any analysis starts', () => {
    const S = familyS();
    const r = spawnSync(
      process.execPath,
      [CLI, 'tune', '--base', `${S}/base`, `${S}/sft-up`, '--out', '/nonexistent-dir/never', '--threads', '100'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--threads: "100" is not an integer from 1 to 64/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
