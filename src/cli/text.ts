// Terminal text layout: display widths, aligned tables, wrapped paragraphs and byte sizes. Only src/cli prints.

/** Code points that take no column: combining marks, zero-width joiners/spaces, variation selectors. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;

/** Code points that take two columns: East Asian wide and fullwidth ranges, and pictographic emoji. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Columns a string takes in a terminal (ANSI colour sequences take none). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(/\x1b\[[0-9;]*m/g, '')) {
    if (ZERO_WIDTH.test(ch)) continue;
    w += isWide(ch.codePointAt(0)!) ? 2 : 1;
  }
  return w;
}

/** Pad to a display width, on the right (text) or the left (numbers). */
export function padDisplay(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return align === 'left' ? s + fill : fill + s;
}

/** A column of a text table: its heading and alignment (numbers read best right-aligned). */
export interface Column {
  head: string;
  align?: 'left' | 'right';
}

/**
 * An aligned plain-text table: columns separated by two spaces, each as wide as its widest cell in display columns
 * (so ρ, Δ, wide CJK names and combining marks line up), no trailing spaces. `indent` prefixes every line.
 */
export function formatTable(columns: (Column | string)[], rows: string[][], indent = ''): string[] {
  const cols = columns.map((c) => (typeof c === 'string' ? { head: c } : c));
  const widths = cols.map((c, i) => Math.max(displayWidth(c.head), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => padDisplay(c, widths[i]!, cols[i]!.align))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.head)), ...rows.map(line)];
}

/** Words wrapped to `width` display columns; lines after the first start with `indent`. A word longer than a line stays whole. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = lines.length === 0 ? '' : indent;
    const candidate = line === '' ? word : `${line} ${word}`;
    if (line !== '' && displayWidth(prefix + candidate) > width) {
      lines.push(prefix + line);
      line = word;
    } else line = candidate;
  }
  if (line !== '' || lines.length === 0) lines.push((lines.length === 0 ? '' : indent) + line);
  return lines;
}

/** The width to wrap prose at: the terminal's, capped at 100 columns for reading; 100 when not a terminal. */
export function textWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns ? Math.max(40, Math.min(100, stream.columns)) : 100;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A byte count in the largest binary unit that keeps it ≥ 1: `512 B`, `1.87 MiB`, `1.10 GiB` (3 significant digits). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  let u = 0;
  let v = bytes;
  // 1023.7 KiB would print as "1024 KiB": move up a unit before rounding can reach 1024
  while (v >= 1023.5 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${bytes} B`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${BYTE_UNITS[u]}`;
}
