// One escaper for text that comes from files (tensor names, model dir names, table contents) on its way to a
// terminal or a written file: C0/C1 controls (ESC sequences, BEL, CR, NUL), DEL, bidi embeddings, overrides,
// isolates and marks (U+061C, U+200E/F, U+202A–202E, U+2066–2069) and Unicode line/paragraph separators become
// visible \uXXXX escapes, so a name cannot clear the screen, set the title, reorder what follows it, or start a
// new line that spoofs darekit's own output.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same set without \t and \n, for multi-line text whose names were already escaped one by one.
const UNSAFE_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// What JSON.stringify leaves raw: C1 controls, bidi controls and line separators (C0 it escapes itself).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function hex(c: string): string {
  return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}

/** A name from a file as one safe line: every control, bidi and line-break character as a \uXXXX escape. */
export function safeName(text: string): string {
  return text.replace(UNSAFE, hex);
}

/** Multi-line output (lines and tab-separated columns kept): every other unsafe character escaped. */
export function safeLines(text: string): string {
  return text.replace(UNSAFE_IN_LINES, hex);
}

/** JSON text with the characters JSON.stringify leaves raw escaped as \uXXXX (it parses to the same value). */
export function safeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, hex);
}

const MARKUP: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an HTML/XML text node or quoted attribute: markup characters as entities, unsafe characters escaped. */
export function escapeMarkup(text: string, opts: { keepLines?: boolean } = {}): string {
  return (opts.keepLines ? safeLines(text) : safeName(text)).replace(/[&<>"']/g, (c) => MARKUP[c] ?? c);
}

/** A Markdown table cell or inline text: one line, HTML escaped, and Markdown's |, `, *, _, [, ], \ escaped. */
export function markdownText(text: string): string {
  return escapeMarkup(text).replace(/[|`*_[\]\\]/g, (c) => `\\${c}`);
}

/** A deep copy of plain data with every string passed through safeName (for views that print every field). */
export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return safeName(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeStrings(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, escapeStrings(v)])) as T;
  }
  return value;
}
