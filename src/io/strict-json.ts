import { inputError } from '../errors.js';

/** A parsed JSON value where integers keep their source text so callers can check for overflow. */
export type JsonValue =
  | { t: 'object'; entries: Map<string, JsonValue> }
  | { t: 'array'; items: JsonValue[] }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number; text: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

const MAX_DEPTH = 64;
// the one-character escapes of JSON strings (\uXXXX is handled apart)
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
// sticky: matches at lastIndex without copying the rest of the text
const NUMBER_RE = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parse JSON strictly: duplicate keys are an error (JSON.parse keeps the last silently, which would hide a
 * tensor), nesting is bounded (no stack overflow on hostile input), numbers keep their text.
 * `where` names the file in error messages.
 */
export function parseStrictJson(text: string, where: string): JsonValue {
  return parse(text, where);
}

/**
 * Parse a JSON object strictly (as parseStrictJson) without keeping it: each top-level entry is handed to
 * `onEntry` as soon as it is parsed and then dropped, so a header of a million tensors never exists as one tree.
 * Duplicate top-level keys are still an error.
 */
export function parseStrictJsonEntries(text: string, where: string, onEntry: (key: string, value: JsonValue) => void): void {
  parse(text, where, onEntry);
}

function parse(text: string, where: string, onTopEntry?: (key: string, value: JsonValue) => void): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw inputError(`${where}: invalid JSON header: ${what} at character ${i}`);
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const parseString = (): string => {
    // text[i] === '"'; pieces are joined once at the end (repeated += on escapes builds deep ropes)
    i++;
    const parts: string[] = [];
    let start = i;
    let sawUnicodeEscape = false;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        parts.push(text.slice(start, i));
        i++;
        const out = parts.length === 1 ? parts[0]! : parts.join('');
        // \u escapes can spell a lone surrogate, which is not valid Unicode (serde_json refuses it too);
        // raw characters cannot (the text came from strict UTF-8), so only escaped strings need the scan
        if (sawUnicodeEscape && LONE_SURROGATE.test(out)) fail('lone UTF-16 surrogate in a \\u escape');
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        if (i > start) parts.push(text.slice(start, i));
        const e = text[i + 1];
        i += 2;
        if (e === 'u') {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          parts.push(String.fromCharCode(parseInt(hex, 16)));
          sawUnicodeEscape = true;
          i += 4;
        } else {
          const esc = e === undefined ? undefined : ESCAPES[e];
          if (esc === undefined) fail('bad escape');
          parts.push(esc!);
        }
        start = i;
        continue;
      }
      i++;
    }
  };
  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries = new Map<string, JsonValue>();
      // top level with a callback: keys only (for the duplicate check), values handed over and dropped
      const streamed = depth === 0 && onTopEntry !== undefined ? new Set<string>() : undefined;
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'object', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = parseString();
        if (entries.has(key) || streamed?.has(key))
          throw inputError(`${where}: duplicate key "${key}" in the JSON header; each name may appear once`);
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        if (streamed) {
          streamed.add(key);
          onTopEntry!(key, parseValue(depth + 1));
        } else entries.set(key, parseValue(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { t: 'object', entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'array', items };
      }
      for (;;) {
        items.push(parseValue(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { t: 'array', items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { t: 'string', v: parseString() };
    if (text.startsWith('true', i)) {
      i += 4;
      return { t: 'bool', v: true };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { t: 'bool', v: false };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { t: 'null' };
    }
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m) fail('unexpected character');
    const numText = m![0];
    i += numText.length;
    return { t: 'number', v: Number(numText), text: numText };
  };
  const value = parseValue(0);
  ws();
  if (i !== text.length) fail('trailing characters after the JSON value');
  return value;
}

/** Read a JSON number as a non-negative safe integer, or undefined when it is not one (fraction, sign, overflow). */
export function asNonNegativeInteger(v: JsonValue): number | undefined {
  if (v.t !== 'number') return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(v.text)) return undefined;
  if (!Number.isSafeInteger(v.v)) return undefined;
  return v.v;
}
