import type { Serialize } from '@cyclonedx/cyclonedx-library';

type SimpleElement = Serialize.XML.Types.SimpleXml.Element;
type SimpleComment = Serialize.XML.Types.SimpleXml.Comment;

/** Characters XML 1.0 cannot carry at all, even escaped; lone surrogates too. */
const NOT_XML_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/**
 * Writes the library's XML tree. The library's own XmlSerializer needs the
 * optional xmlbuilder2 package, which is not installed; the tree it normalises
 * to is simple (elements, attributes, text, comments), so this is all it takes.
 * Characters XML cannot carry become U+FFFD rather than an unreadable document.
 */
export function stringifyXml(root: SimpleElement, indent = '  '): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  const write = (node: SimpleElement | SimpleComment, depth: number): void => {
    const pad = indent.repeat(depth);
    if (node.type === 'comment') {
      out.push(`${pad}<!--${clean(String(node.text ?? '')).replace(/--/g, '- -').replace(/-$/, '- ')}-->\n`);
      return;
    }
    if (!NAME.test(node.name)) throw new Error(`not an XML element name: ${node.name}`);
    let open = `${pad}<${node.name}`;
    if (node.namespace !== undefined) open += ` xmlns="${escapeAttribute(String(node.namespace))}"`;
    for (const [name, value] of Object.entries(node.attributes ?? {})) {
      if (value === undefined) continue;
      if (!NAME.test(name)) throw new Error(`not an XML attribute name: ${name}`);
      open += ` ${name}="${escapeAttribute(String(value))}"`;
    }
    const children = node.children;
    if (children === undefined) {
      out.push(`${open}/>\n`);
    } else if (typeof children === 'string' || typeof children === 'number') {
      out.push(`${open}>${escapeText(String(children))}</${node.name}>\n`);
    } else {
      const list = [...children];
      if (list.length === 0) {
        out.push(`${open}/>\n`);
        return;
      }
      out.push(`${open}>\n`);
      for (const child of list) write(child, depth + 1);
      out.push(`${pad}</${node.name}>\n`);
    }
  };
  write(root, 0);
  return out.join('');
}

function clean(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

function escapeText(text: string): string {
  return clean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

/** A parsed element: enough to check a document and to read it back in tests. */
export interface XmlElement {
  name: string;
  /** Null-prototype: attribute names are data. */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside, entities decoded. */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'XmlSyntaxError';
  }
}

/**
 * A well-formedness check (XML 1.0 without DTDs), not schema validation: one
 * root, matching tags, quoted and unique attributes, known entities, legal
 * characters. Iterative, so nesting depth cannot exhaust the stack.
 */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (message: string): never => {
    let line = 1;
    for (let k = 0; k < i && k < xml.length; k++) if (xml.charCodeAt(k) === 10) line++;
    throw new XmlSyntaxError(message, line);
  };
  const bad = xml.search(NOT_XML_CHAR);
  if (bad >= 0) {
    i = bad;
    fail(`character U+${xml.charCodeAt(bad).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
  }
  const nameAt = (): string => {
    const match = /^[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_.:\-\u00B7\u00C0-\uFFFF]*/.exec(xml.slice(i, i + 256));
    if (!match) fail('expected a name');
    i += match![0].length;
    return match![0];
  };
  const skipSpace = (): void => {
    while (i < xml.length && ' \t\r\n'.includes(xml[i]!)) i++;
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) fail(`"&" must start an entity reference such as &amp;`);
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (Object.hasOwn(named, ref)) return named[ref]!;
      const code = /^#x[0-9A-Fa-f]+$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]+$/.test(ref) ? parseInt(ref.slice(1), 10) : NaN;
      if (Number.isNaN(code)) fail(`unknown entity &${ref};`);
      const ch = code <= 0x10ffff ? String.fromCodePoint(code) : '';
      if (ch === '' || (ch.length === 1 && ch.replace(NOT_XML_CHAR, '') === '')) fail(`&${ref}; is not an XML character`);
      return ch;
    });
  /** Comments and processing instructions; true when one was skipped. */
  const skipMisc = (): boolean => {
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      if (xml.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
      i = end + 3;
      return true;
    }
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i + 2);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
      return true;
    }
    if (xml.startsWith('<!DOCTYPE', i)) fail('DOCTYPE is not accepted');
    return false;
  };

  if (xml.startsWith('<?xml', i)) {
    const end = xml.indexOf('?>', i);
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  for (;;) {
    skipSpace();
    if (!skipMisc()) break;
  }
  if (xml[i] !== '<') fail('expected the root element');

  let root: XmlElement | null = null;
  const stack: XmlElement[] = [];
  while (i < xml.length) {
    if (stack.length === 0 && root !== null) {
      skipSpace();
      if (i >= xml.length) break;
      if (!skipMisc()) fail('content after the root element');
      continue;
    }
    if (xml.startsWith('<!--', i) || xml.startsWith('<?', i) || xml.startsWith('<!DOCTYPE', i)) {
      skipMisc();
    } else if (xml.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail('CDATA outside the root element');
      const end = xml.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA section');
      stack[stack.length - 1]!.text += xml.slice(i + 9, end);
      i = end + 3;
    } else if (xml.startsWith('</', i)) {
      i += 2;
      const name = nameAt();
      skipSpace();
      if (xml[i] !== '>') fail(`expected ">" to close </${name}`);
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not match <${open?.name ?? '(nothing)'}>`);
    } else if (xml[i] === '<') {
      i++;
      const element: XmlElement = { name: nameAt(), attributes: Object.create(null) as Record<string, string>, children: [], text: '' };
      for (;;) {
        const before = i;
        skipSpace();
        if (xml[i] === '>' || xml.startsWith('/>', i)) break;
        if (i === before) fail(`expected whitespace, ">" or "/>" in <${element.name}>`);
        const attr = nameAt();
        skipSpace();
        if (xml[i] !== '=') fail(`attribute ${attr} has no value`);
        i++;
        skipSpace();
        const quote = xml[i];
        if (quote !== '"' && quote !== "'") fail(`value of ${attr} must be quoted`);
        const end = xml.indexOf(quote!, i + 1);
        if (end < 0) fail(`unterminated value of ${attr}`);
        const raw = xml.slice(i + 1, end);
        if (raw.includes('<')) fail(`"<" in the value of ${attr}`);
        if (Object.hasOwn(element.attributes, attr)) fail(`attribute ${attr} appears twice in <${element.name}>`);
        element.attributes[attr] = decode(raw);
        i = end + 1;
      }
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
      else if (root === null) root = element;
      else fail('a second root element');
      if (xml[i] === '>') {
        stack.push(element);
        i++;
      } else i += 2;
    } else {
      if (stack.length === 0) fail('text outside the root element');
      const end = xml.indexOf('<', i);
      const raw = xml.slice(i, end < 0 ? xml.length : end);
      if (raw.includes(']]>')) fail('"]]>" in text');
      stack[stack.length - 1]!.text += decode(raw);
      i = end < 0 ? xml.length : end;
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (root === null) fail('no root element');
  return root!;
}

/** Null when well-formed, else why not. */
export function checkXmlWellFormed(xml: string): string | null {
  try {
    parseXml(xml);
    return null;
  } catch (error) {
    if (error instanceof XmlSyntaxError) return error.message;
    throw error;
  }
}
