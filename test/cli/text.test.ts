// The terminal layout helpers: display widths, aligned tables, wrapping and byte units.
import { describe, expect, it } from 'vitest';
import { displayWidth, formatBytes, formatTable, wrapText } from '../../src/cli/text.js';

/** Display column where each cell of a line starts, found by walking the line with an independent width rule. */
function cellStarts(line: string, cells: string[]): number[] {
  // Independent of displayWidth: count columns from the code points by an explicit table for the test strings.
  const width = (ch: string): number => (/[\u0300-\u036f]/.test(ch) ? 0 : /[\u4e00-\u9fff]/.test(ch) ? 2 : 1);
  const starts: number[] = [];
  let col = 0;
  let i = 0;
  const chars = [...line];
  for (const cell of cells) {
    const first = [...cell][0]!;
    while (chars[i] !== first || (i > 0 && chars[i - 1] !== ' ')) col += width(chars[i++]!);
    starts.push(col);
    for (const ch of cell) ((col += width(ch)), i++);
  }
  return starts;
}

describe('text layout', () => {
  it('displayWidth counts wide CJK as 2, combining marks and colour codes as 0', () => {
    expect(displayWidth('ρ mean|Δ|')).toBe(9);
    expect(displayWidth('模型')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('\x1b[31mred\x1b[0m')).toBe(3);
  });

  it('formatTable lines every column up in display columns, whatever the names are made of', () => {
    const rows = [
      ['sft-up', '0.008852', 'ready'],
      ['模型-微调', '0.04', 'not-ready'],
      ['cafe\u0301', '-0.0003903', 'caution'],
    ];
    const lines = formatTable(['model', { head: 'ρ', align: 'right' }, 'verdict'], rows);
    const all = [['model', 'ρ', 'verdict'], ...rows];
    const verdictStarts = lines.map((l, i) => cellStarts(l, all[i]!)[2]);
    expect(new Set(verdictStarts).size).toBe(1);
    // right-aligned numbers end in the same column
    const ends = lines.map((l, i) => cellStarts(l, all[i]!)[1]! + displayWidth(all[i]![1]!));
    expect(new Set(ends).size).toBe(1);
    for (const l of lines) expect(l).toBe(l.trimEnd());
  });

  it('wrapText keeps every line within the width and loses no word', () => {
    const text =
      'low redundancy: every fine-tune needs more of its delta than any 4-way merge (linear, TIES or DARE) leaves it; merging is predicted to lose all 4 skills';
    const lines = wrapText(text, 40, '    ');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    expect(lines.slice(1).every((l) => l.startsWith('    '))).toBe(true);
    expect(lines.join(' ').split(/\s+/).filter(Boolean)).toEqual(text.split(' '));
  });

  it('formatBytes picks the unit that keeps the number readable', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1_960_000)).toBe('1.87 MiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.00 MiB');
    expect(formatBytes(1.1 * 1024 ** 3)).toBe('1.10 GiB');
    expect(formatBytes(150 * 1024 ** 2)).toBe('150 MiB');
  });
});
