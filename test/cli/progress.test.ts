// Progress on a non-terminal stderr (a log, CI): silent for short runs, a plain line every 10 s for long ones
// (`fixtures --preset bench` runs for minutes). A fake clock drives it: no wall-clock timing is measured.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressBar } from '../../src/cli/progress.js';

afterEach(() => vi.restoreAllMocks());

function capture(): string[] {
  const out: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  return out;
}

describe('progress on a non-terminal stderr', () => {
  it('prints nothing in the first 10 s, then one plain line (no \\r, no escape codes) every 10 s with adaptive units', () => {
    const saved = process.env.DAREKIT_NO_PROGRESS;
    delete process.env.DAREKIT_NO_PROGRESS;
    const isTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    try {
      const out = capture();
      let now = 1_000_000;
      const total = 4 * 1024 ** 3;
      const bar = new ProgressBar('fixtures', total, 'bytes', undefined, () => now);
      for (let s = 1; s <= 9; s++) {
        now += 1000;
        bar.update((total * s) / 40);
      }
      expect(out).toEqual([]);
      now += 1500; // 10.5 s
      bar.update(total / 4);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(/^fixtures: 25% 1\.00 GiB\/4\.00 GiB, 11 s so far, ETA 32 s\n$/);
      now += 5000;
      bar.update(total / 2);
      expect(out).toHaveLength(1);
      now += 5000;
      bar.update(total / 2);
      expect(out).toHaveLength(2);
      bar.done();
      expect(out.join('')).not.toMatch(/\r|\x1b/);
    } finally {
      Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
      if (saved !== undefined) process.env.DAREKIT_NO_PROGRESS = saved;
    }
  });

  it('DAREKIT_NO_PROGRESS silences it', () => {
    process.env.DAREKIT_NO_PROGRESS = '1';
    const out = capture();
    let now = 0;
    const bar = new ProgressBar('merge', 100, 'items', undefined, () => now);
    now += 60_000;
    bar.update(50);
    expect(out).toEqual([]);
  });
});
