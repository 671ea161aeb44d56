// An independent, minimal XML well-formedness checker for the SVG tests (no XML library is installed):
// balanced tags, one root, quoted attributes without raw '<', and '&' only as a known entity.
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

/** Throws with a reason when `xml` is not well-formed; returns the element names in document order. */
export function checkWellFormed(xml: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  let roots = 0;
  let i = 0;
  const checkText = (t: string, where: string) => {
    for (let k = t.indexOf('&'); k >= 0; k = t.indexOf('&', k + 1)) {
      if (!ENTITY.test(t.slice(k))) throw new Error(`bare & in ${where}: ${t.slice(k, k + 12)}`);
    }
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (text.includes('>')) throw new Error(`raw > in text: ${text.slice(0, 30)}`);
    checkText(text, 'text');
    if (text.trim() && stack.length === 0) throw new Error('text outside the root element');
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*$/.exec(body);
      if (!m) throw new Error(`malformed tag <${tag.slice(0, 60)}>`);
      const attrs = [...m[2]!.matchAll(/([\w:.-]+)="([^"]*)"/g)];
      const seen = new Set<string>();
      for (const a of attrs) {
        if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]}`);
        seen.add(a[1]!);
        checkText(a[2]!, `attribute ${a[1]}`);
      }
      if (stack.length === 0) roots++;
      names.push(m[1]!);
      if (!selfClosing) stack.push(m[1]!);
    }
    i = gt + 1;
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return names;
}
