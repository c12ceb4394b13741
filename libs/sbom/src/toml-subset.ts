import { ParseFailure } from './model.js';

/**
 * The part of TOML that Cargo writes into Cargo.lock: `[table]` and
 * `[[array.of.tables]]` headers, bare or "quoted" keys, basic and literal
 * strings, integers, booleans and (multi-line) arrays. Anything else is refused
 * with its line rather than guessed at. Maps, not objects, so that keys such as
 * "__proto__" stay data.
 */
export type TomlValue = string | number | boolean | TomlValue[];

export interface TomlTable {
  /** Line of the header (1 for the root table). */
  line: number;
  values: Map<string, { value: TomlValue; line: number }>;
}

export interface TomlDocument {
  root: TomlTable;
  tables: Map<string, TomlTable>;
  arrays: Map<string, TomlTable[]>;
}

const MAX_ARRAY_DEPTH = 8;
const BARE_KEY = /[A-Za-z0-9_-]/;

export function parseTomlSubset(text: string): TomlDocument {
  let i = 0;
  let line = 1;
  const root: TomlTable = { line: 1, values: new Map() };
  const doc: TomlDocument = { root, tables: new Map(), arrays: new Map() };
  let current = root;

  const fail = (message: string, at = line): never => {
    throw new ParseFailure(message, at);
  };
  const peek = (): string => text[i] ?? '';

  const skipSpaces = (): void => {
    while (peek() === ' ' || peek() === '\t') i++;
  };
  const skipComment = (): void => {
    if (peek() === '#') while (i < text.length && peek() !== '\n') i++;
  };
  /** Spaces, comments and newlines: between statements and inside arrays. */
  const skipBlank = (): void => {
    for (;;) {
      skipSpaces();
      skipComment();
      if (peek() === '\r' && text[i + 1] === '\n') i++;
      if (peek() !== '\n') return;
      i++;
      line++;
    }
  };
  const endOfLine = (): void => {
    skipSpaces();
    skipComment();
    if (peek() === '\r' && text[i + 1] === '\n') i++;
    if (i < text.length && peek() !== '\n') fail(`unexpected ${JSON.stringify(peek())} after the value`);
  };

  const basicString = (): string => {
    if (text.startsWith('"""', i)) fail('multi-line strings are not used in Cargo.lock');
    i++;
    let out = '';
    for (;;) {
      const c = peek();
      if (c === '' || c === '\n') fail('unterminated string');
      i++;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = peek();
      i++;
      const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
      if (Object.hasOwn(simple, e)) out += simple[e];
      else if (e === 'u' || e === 'U') {
        const width = e === 'u' ? 4 : 8;
        const hex = text.slice(i, i + width);
        const code = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === width ? parseInt(hex, 16) : NaN;
        if (!(code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) fail(`invalid escape \\${e}${hex}`);
        out += String.fromCodePoint(code);
        i += width;
      } else fail(`invalid escape \\${e}`);
    }
  };
  const literalString = (): string => {
    if (text.startsWith("'''", i)) fail('multi-line strings are not used in Cargo.lock');
    const end = text.indexOf("'", i + 1);
    const newline = text.indexOf('\n', i + 1);
    if (end < 0 || (newline >= 0 && newline < end)) fail('unterminated string');
    const value = text.slice(i + 1, end);
    i = end + 1;
    return value;
  };

  const value = (depth: number): TomlValue => {
    const c = peek();
    if (c === '"') return basicString();
    if (c === "'") return literalString();
    if (c === '[') {
      if (depth >= MAX_ARRAY_DEPTH) fail('arrays nested too deeply');
      i++;
      const items: TomlValue[] = [];
      for (;;) {
        skipBlank();
        if (peek() === ']') break;
        if (i >= text.length) fail('unterminated array');
        items.push(value(depth + 1));
        skipBlank();
        if (peek() === ',') {
          i++;
          continue;
        }
        if (peek() !== ']') fail('expected "," or "]" in the array');
        break;
      }
      i++;
      return items;
    }
    if (c === '{') fail('inline tables are not used in Cargo.lock');
    const word = /^(true|false|[+-]?[0-9][0-9_]*)(?=[\s,\]#]|$)/.exec(text.slice(i, i + 32));
    if (!word) fail(`unsupported value starting with ${JSON.stringify(c)}`);
    i += word![0].length;
    if (word![1] === 'true' || word![1] === 'false') return word![1] === 'true';
    const n = Number(word![1]!.replace(/_/g, ''));
    if (!Number.isSafeInteger(n)) fail(`integer out of range: ${word![1]}`);
    return n;
  };

  const key = (): string => {
    if (peek() === '"') return basicString();
    if (peek() === "'") return literalString();
    const start = i;
    while (BARE_KEY.test(peek())) i++;
    if (i === start) fail(`expected a key, found ${JSON.stringify(peek())}`);
    return text.slice(start, i);
  };
  /** `package`, `patch.unused`: dotted bare keys, as table names only. */
  const tableName = (): string => {
    const parts: string[] = [];
    for (;;) {
      skipSpaces();
      parts.push(key());
      skipSpaces();
      if (peek() !== '.') return parts.join('.');
      i++;
    }
  };

  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (;;) {
    skipBlank();
    if (i >= text.length) break;
    const at = line;
    if (peek() === '[') {
      const isArray = text[i + 1] === '[';
      i += isArray ? 2 : 1;
      const name = tableName();
      if (isArray ? !text.startsWith(']]', i) : peek() !== ']') fail(`expected "${isArray ? ']]' : ']'}" after the table name`);
      i += isArray ? 2 : 1;
      endOfLine();
      current = { line: at, values: new Map() };
      if (isArray) {
        if (doc.tables.has(name)) fail(`[[${name}]] redefines the table [${name}]`);
        const list = doc.arrays.get(name) ?? [];
        list.push(current);
        doc.arrays.set(name, list);
      } else {
        if (doc.tables.has(name) || doc.arrays.has(name)) fail(`table [${name}] is defined twice`);
        doc.tables.set(name, current);
      }
      continue;
    }
    const k = key();
    skipSpaces();
    if (peek() === '.') fail('dotted keys are not used in Cargo.lock');
    if (peek() !== '=') fail(`expected "=" after the key ${JSON.stringify(k)}`);
    i++;
    skipSpaces();
    const v = value(0);
    endOfLine();
    if (current.values.has(k)) fail(`duplicate key ${JSON.stringify(k)}`, at);
    current.values.set(k, { value: v, line: at });
  }
  return doc;
}
