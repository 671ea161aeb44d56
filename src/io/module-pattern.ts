import { inputError } from '../errors.js';

/**
 * PEFT's rank_pattern/alpha_pattern keys, matched the way PEFT does — a key matches a module when the whole
 * module name, or its part after any dot, matches the key as a regular expression (Python's
 * `re.match(rf"(.*\.)?({key})$", module)`) — but never with a backtracking engine: the key is compiled to a
 * Thompson NFA and simulated state-set by state-set, so the time is bounded by
 * (module length) × (states) × (dot positions) whatever the key (`([a-z_.0-9]+)+!` included). The supported
 * syntax is the regular part of Python's: literals, `.`, classes `[...]`, `\d \w \s` (and negations), groups
 * `(...)`/`(?:...)`, `|`, `* + ?`, `{m}`, `{m,}`, `{m,n}`, `^` at the start and `$` at the end; anything else
 * (lookaround, backreferences) is refused with a message.
 */
export interface ModulePattern {
  key: string;
  value: number;
  matches(module: string): boolean;
}

/** The longest key read, and the most NFA states one key may compile to. */
const MAX_KEY_LENGTH = 1000;
const MAX_STATES = 5000;

type Test = (c: number) => boolean;
type Node =
  { k: 'chr'; test: Test } | { k: 'cat'; items: Node[] } | { k: 'alt'; items: Node[] } | { k: 'rep'; node: Node; min: number; max: number };

const isDigit: Test = (c) => c >= 48 && c <= 57;
const isWord: Test = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace: Test = (c) => c === 32 || (c >= 9 && c <= 13);
const not =
  (t: Test): Test =>
  (c) =>
    !t(c);

class Parser {
  private i = 0;
  anchoredStart = false;
  constructor(
    private readonly src: string,
    private readonly fail: (why: string) => Error,
  ) {}

  parse(): Node {
    if (this.src.startsWith('^')) {
      this.anchoredStart = true;
      this.i = 1;
    }
    const n = this.alt();
    if (this.i < this.src.length) throw this.fail(`unexpected "${this.src[this.i]}" at position ${this.i}`);
    return n;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alt(): Node {
    const items = [this.cat()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.cat());
    }
    return items.length === 1 ? items[0]! : { k: 'alt', items };
  }

  private cat(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '$' && this.i === this.src.length - 1) {
        this.i++;
        break;
      }
      items.push(this.repeat());
    }
    return { k: 'cat', items };
  }

  private repeat(): Node {
    let node = this.atom();
    for (;;) {
      const c = this.peek();
      let min: number, max: number;
      if (c === '*') {
        min = 0;
        max = Infinity;
        this.i++;
      } else if (c === '+') {
        min = 1;
        max = Infinity;
        this.i++;
      } else if (c === '?') {
        min = 0;
        max = 1;
        this.i++;
      } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i))) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i))!;
        this.i += m[0].length;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (min > 100 || (max !== Infinity && (max > 100 || max < min)))
          throw this.fail(`repeat ${m[0]} is outside the supported {0..100}`);
      } else break;
      if (this.peek() === '?') this.i++; // lazy: the same language, and only whether it matches counts
      node = { k: 'rep', node, min, max };
    }
    return node;
  }

  private atom(): Node {
    const c = this.src[this.i++]!;
    if (c === '(') {
      if (this.src.startsWith('?:', this.i)) this.i += 2;
      else if (this.peek() === '?') throw this.fail('lookaround and other (?…) groups are not supported');
      const n = this.alt();
      if (this.src[this.i++] !== ')') throw this.fail('unbalanced "("');
      return n;
    }
    if (c === '[') return { k: 'chr', test: this.cls() };
    if (c === '.') return { k: 'chr', test: (x) => x !== 10 };
    if (c === '\\') return { k: 'chr', test: this.escape(false) };
    if (c === '*' || c === '+' || c === '?' || c === '{') throw this.fail(`"${c}" has nothing to repeat at position ${this.i - 1}`);
    if (c === '^' || c === '$') throw this.fail(`"${c}" is supported only at the start / end of a key`);
    const code = c.charCodeAt(0);
    return { k: 'chr', test: (x) => x === code };
  }

  private escape(inClass: boolean): Test {
    const e = this.src[this.i++];
    if (e === undefined) throw this.fail('a key cannot end with "\\"');
    switch (e) {
      case 'd':
        return isDigit;
      case 'D':
        return not(isDigit);
      case 'w':
        return isWord;
      case 'W':
        return not(isWord);
      case 's':
        return isSpace;
      case 'S':
        return not(isSpace);
      case 'n':
        return (x) => x === 10;
      case 't':
        return (x) => x === 9;
      default:
        if (/[A-Za-z0-9]/.test(e) && !(inClass && e === 'b')) throw this.fail(`escape "\\${e}" is not supported`);
        return (
          (code) => (x: number) =>
            x === code
        )(e.charCodeAt(0));
    }
  }

  private cls(): Test {
    const negate = this.peek() === '^';
    if (negate) this.i++;
    const parts: Test[] = [];
    let first = true;
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) throw this.fail('unbalanced "["');
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      this.i++;
      if (c === '\\') {
        parts.push(this.escape(true));
        continue;
      }
      const lo = c.charCodeAt(0);
      if (this.peek() === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        let hiChar = this.src[this.i++]!;
        if (hiChar === '\\') hiChar = this.src[this.i++] ?? '';
        const hi = hiChar.charCodeAt(0);
        if (!(hi >= lo)) throw this.fail(`bad range ${c}-${hiChar}`);
        parts.push((x) => x >= lo && x <= hi);
      } else {
        parts.push((x) => x === lo);
      }
    }
    const any: Test = (x) => parts.some((t) => t(x));
    return negate ? not(any) : any;
  }
}

/** A compiled NFA: state i is a char test with out1, a split (out1, out2), or the match state. */
class Nfa {
  tests: (Test | null)[] = [];
  out1: number[] = [];
  out2: number[] = [];
  readonly match: number;
  start = 0;
  private mark: Int32Array = new Int32Array(0);
  private gen = 0;

  constructor(private readonly fail: (why: string) => Error) {
    this.match = this.add(null, -1, -1);
  }

  add(test: Test | null, o1: number, o2: number): number {
    if (this.tests.length >= MAX_STATES) throw this.fail(`it compiles to more than ${MAX_STATES} states`);
    this.tests.push(test);
    this.out1.push(o1);
    this.out2.push(o2);
    return this.tests.length - 1;
  }

  /** The start state of node followed by next (continuation-passing Thompson construction). */
  compile(n: Node, next: number): number {
    switch (n.k) {
      case 'chr':
        return this.add(n.test, next, -1);
      case 'cat': {
        let s = next;
        for (let i = n.items.length - 1; i >= 0; i--) s = this.compile(n.items[i]!, s);
        return s;
      }
      case 'alt': {
        let s = this.compile(n.items[n.items.length - 1]!, next);
        for (let i = n.items.length - 2; i >= 0; i--) s = this.add(null, this.compile(n.items[i]!, next), s);
        return s;
      }
      case 'rep': {
        let tail: number;
        if (n.max === Infinity) {
          tail = this.add(null, -1, next);
          this.out1[tail] = this.compile(n.node, tail);
        } else {
          tail = next;
          for (let i = n.min; i < n.max; i++) tail = this.add(null, this.compile(n.node, tail), next);
        }
        for (let i = 0; i < n.min; i++) tail = this.compile(n.node, tail);
        return tail;
      }
    }
  }

  /** Add s and every state reachable from it by splits to into (once per step: mark/gen). */
  private close(s: number, into: number[]): void {
    const stack = [s];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x < 0 || this.mark[x] === this.gen) continue;
      this.mark[x] = this.gen;
      if (this.tests[x] === null && x !== this.match) {
        stack.push(this.out2[x]!, this.out1[x]!);
        continue;
      }
      into.push(x);
    }
  }

  /** Whether text[from..] matches the whole pattern. */
  fullMatch(text: string, from: number): boolean {
    if (this.mark.length !== this.tests.length) this.mark = new Int32Array(this.tests.length);
    let cur: number[] = [];
    this.gen++;
    this.close(this.start, cur);
    for (let i = from; i < text.length && cur.length > 0; i++) {
      const c = text.charCodeAt(i);
      const next: number[] = [];
      this.gen++;
      for (const s of cur) {
        const t = this.tests[s];
        if (t && t(c)) this.close(this.out1[s]!, next);
      }
      cur = next;
    }
    return cur.includes(this.match);
  }
}

/** Compile one rank_pattern/alpha_pattern key (refused with an input error naming `where` when unsupported). */
export function compileModulePattern(key: string, value: number, where: string): ModulePattern {
  const fail = (why: string): Error =>
    inputError(
      `${where}: key ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)} is not a supported module pattern (${why}); use module names or simple regular expressions`,
    );
  if (key.length === 0) throw fail('it is empty');
  if (key.length > MAX_KEY_LENGTH) throw fail(`it is longer than ${MAX_KEY_LENGTH} characters`);
  const parser = new Parser(key, fail);
  const ast = parser.parse();
  const nfa = new Nfa(fail);
  nfa.start = nfa.compile(ast, nfa.match);
  const anchored = parser.anchoredStart;
  return {
    key,
    value,
    matches(module: string): boolean {
      if (module === key) return true;
      if (nfa.fullMatch(module, 0)) return true;
      if (anchored) return false;
      for (let i = module.indexOf('.'); i >= 0; i = module.indexOf('.', i + 1)) if (nfa.fullMatch(module, i + 1)) return true;
      return false;
    },
  };
}
