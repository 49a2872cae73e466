/**
 * A small strict XML well-formedness checker for the SVG tests (no npm
 * dependency): prolog, one root element, properly nested and closed tags,
 * quoted attributes without duplicates, no bare '<' or '&' in text, only the
 * predefined and numeric entities. Throws Error("line:col: …") on the first
 * problem; returns the element names in document order.
 */
export function checkXml(text: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  let i = 0;
  let roots = 0;
  const fail = (msg: string): never => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const col = i - before.lastIndexOf('\n');
    throw new Error(`${line}:${col}: ${msg}`);
  };
  const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const checkText = (s: string) => {
    if (s.includes('<')) fail('bare < in text');
    for (const m of s.matchAll(/&([^;]*);?/g)) {
      if (!/^&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) fail(`bad entity ${m[0].slice(0, 12)}`);
    }
  };
  const skipWs = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (stack.length === 0 && chunk.trim() !== '') fail('text outside the root element');
    checkText(chunk);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipWs();
      if (text[i] !== '>') fail('expected > after closing tag name');
      i++;
      const open = stack.pop();
      if (open !== name) fail(`</${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    i++;
    const name = readName();
    if (stack.length === 0 && roots++ > 0) fail('second root element');
    names.push(name);
    const attrs = new Set<string>();
    for (;;) {
      const hadWs = /\s/.test(text[i] ?? '');
      skipWs();
      if (text.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (text[i] === '>') {
        i++;
        stack.push(name);
        break;
      }
      if (i >= text.length) fail('unterminated tag');
      if (!hadWs) fail('expected whitespace before an attribute');
      const attr = readName();
      if (attrs.has(attr)) fail(`duplicate attribute ${attr}`);
      attrs.add(attr);
      skipWs();
      if (text[i] !== '=') fail(`expected = after ${attr}`);
      i++;
      skipWs();
      const q = text[i];
      if (q !== '"' && q !== "'") fail(`attribute ${attr} is not quoted`);
      const end = text.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute value');
      checkText(text.slice(i + 1, end));
      i = end + 1;
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]}> is never closed`);
  if (roots === 0) fail('no root element');
  return names;
}
