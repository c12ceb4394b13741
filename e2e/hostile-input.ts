/**
 * What a hostile client sends, and where: a corpus of strings, and every
 * place of every route of openapi.yaml that takes text (path and query
 * parameters, string fields of JSON bodies, text parts of multipart bodies).
 * Derived from the document, so a new route is covered without a change here.
 */

export interface Hostile {
  label: string;
  value: string;
  /** A character the text rule forbids everywhere (single-line or not): the answer must be a 400 naming the field. */
  forbidden?: boolean;
  /** Tab or line breaks: forbidden in single-line text (parameters, names), allowed in multi-line fields. */
  lineBreak?: boolean;
}

const overlong = (n: number): string => 'x'.repeat(n);

/** Strings for every text field; parameters and bodies both get them. */
export const CORPUS: readonly Hostile[] = [
  { label: 'NUL', value: '\u0000', forbidden: true },
  { label: 'NUL inside', value: 'jwt\u0000auth', forbidden: true },
  { label: 'lone high surrogate', value: 'a\ud800', forbidden: true },
  { label: 'lone low surrogate', value: '\udfffz', forbidden: true },
  { label: 'ESC sequence', value: '\u001b[31mred\u001b[0m', forbidden: true },
  { label: 'C0 control', value: 'a\u0001b', forbidden: true },
  { label: 'DEL', value: 'a\u007f', forbidden: true },
  { label: 'C1 control', value: 'a\u0085b', forbidden: true },
  { label: 'right-to-left override', value: 'evil\u202Etxt.exe', forbidden: true },
  { label: 'bidi isolate', value: '\u2066x\u2069', forbidden: true },
  { label: 'noncharacter', value: 'a\uffff', forbidden: true },
  { label: 'newline', value: 'line\nforged log line ERROR', lineBreak: true },
  { label: 'CRLF', value: 'a\r\nSet-Cookie: x=1', lineBreak: true },
  { label: 'tab', value: 'a\tb', lineBreak: true },
  { label: 'empty', value: '' },
  { label: 'space', value: ' ' },
  { label: 'whitespace', value: ' \u00a0\u2003 ' },
  { label: 'overlong 300', value: overlong(300) },
  { label: 'overlong 5000', value: overlong(5000) },
  { label: 'SQL quote', value: "' OR '1'='1" },
  { label: 'SQL statement', value: "x'; DROP TABLE plugins; --" },
  { label: 'SQL comment and LIKE', value: '%_\\%/*' },
  { label: 'HTML', value: '<script>alert(1)</script>' },
  { label: 'attribute break', value: '"><img src=x onerror=alert(1)>' },
  { label: 'path traversal', value: '../../../../etc/passwd' },
  { label: 'backslash traversal', value: '..\\..\\windows\\win.ini' },
  { label: 'absolute path', value: '/etc/passwd' },
  { label: 'huge number', value: '99999999999999999999999999999999' },
  { label: 'bigint overflow', value: '9223372036854775808' },
  { label: 'negative', value: '-1' },
  { label: 'float overflow', value: '1e309' },
  { label: 'NaN', value: 'NaN' },
  { label: 'hex', value: '0x10' },
  { label: 'zero', value: '0' },
  { label: 'year zero', value: '0000-01-01' },
  { label: 'impossible date', value: '2024-02-30' },
  { label: 'far date', value: '275760-09-13' },
  { label: 'JSON', value: '{"$gt":""}' },
  { label: 'prototype', value: '__proto__' },
  { label: 'constructor', value: 'constructor' },
  { label: 'emoji', value: '😀🇪🇺' },
  { label: 'combining marks', value: 'e\u0301\u0301\u0301' },
  { label: 'zero-width', value: 'a\u200bb\ufeff' },
  { label: 'percent literal', value: '%00' },
  { label: 'URL delimiters', value: '?#&=;/' },
];

/** Percent-encoding oddities, put into URLs as they are (query values and path segments). */
export const RAW_URL_PARTS: readonly Hostile[] = [
  { label: 'raw %00', value: '%00', forbidden: true },
  { label: 'raw overlong NUL', value: '%C0%80' },
  { label: 'raw lone surrogate (CESU-8)', value: '%ED%A0%80' },
  { label: 'raw invalid UTF-8', value: '%FF%FE' },
  { label: 'raw lone %', value: '%' },
  { label: 'raw bad escape', value: '%zz' },
  { label: 'raw encoded RLO', value: '%E2%80%AE', forbidden: true },
  { label: 'raw encoded slash', value: '..%2F..%2Fetc' },
  { label: 'raw plus', value: 'a+b' },
];

/** A path segment: the fewer the better, every path parameter of every route gets each of them. */
export const PATH_CORPUS: readonly Hostile[] = CORPUS.filter((h) =>
  ['NUL inside', 'lone high surrogate', 'ESC sequence', 'right-to-left override', 'newline', 'empty', 'space', 'overlong 300', 'SQL quote', 'HTML', 'path traversal', 'huge number', 'zero', 'emoji', 'URL delimiters'].includes(h.label),
);

/** Query strings and paths carry bytes: lone surrogates travel as the invalid UTF-8 a client would send. */
export function urlEncode(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const pair = unit >= 0xd800 && unit <= 0xdbff && value.charCodeAt(i + 1) >= 0xdc00 && value.charCodeAt(i + 1) <= 0xdfff;
    if (pair) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}%${(0x80 | (unit & 0x3f)).toString(16)}`.toUpperCase();
    } else {
      out += encodeURIComponent(value[i]!);
    }
  }
  return out;
}

// ---- openapi.yaml ----

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  allOf?: Schema[];
  anyOf?: Schema[];
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  example?: unknown;
  description?: string;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  security?: unknown[];
}

export interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Route {
  method: string;
  /** The template, e.g. /api/v1/plugins/{namespace}/{name}. */
  path: string;
  /** Every {name} of the template, declared or not. */
  pathParams: string[];
  query: string[];
  /** Query parameters the document says may be repeated (the rest must be refused when given twice). */
  repeatable: string[];
  /** Examples the document gives for path parameters. */
  examples: Record<string, string>;
  secured: boolean;
  /** Media types of the request body. */
  consumes: string[];
  /** The object schemas of the body per media type ($refs followed). */
  bodies: Record<string, Schema[]>;
}

const METHODS = ['get', 'head', 'put', 'post', 'delete', 'patch'];

export function routesOf(document: OpenApi): Route[] {
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const examples: Record<string, string> = {};
      for (const p of parameters) {
        const example = p.example ?? p.schema?.example;
        if (p.in === 'path' && typeof example === 'string') examples[p.name] = example;
      }
      const content = operation.requestBody?.content ?? {};
      const bodies: Record<string, Schema[]> = {};
      for (const [type, { schema }] of Object.entries(content)) bodies[type] = schema ? objectSchemas(document, schema) : [];
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        repeatable: parameters.filter((p) => p.in === 'query' && /may be repeated/i.test(p.description ?? '')).map((p) => p.name),
        examples,
        secured: (operation.security ?? []).length > 0,
        consumes: Object.keys(content),
        bodies,
      });
    }
  }
  return routes;
}

export function resolve(document: OpenApi, schema: Schema): Schema {
  let current = schema;
  for (let i = 0; current.$ref !== undefined && i < 20; i++) {
    const name = current.$ref.replace('#/components/schemas/', '');
    current = document.components?.schemas?.[name] ?? {};
  }
  return current;
}

/** The object shapes a body may take: oneOf/anyOf alternatives that are objects, allOf merged. */
function objectSchemas(document: OpenApi, schema: Schema): Schema[] {
  const resolved = resolve(document, schema);
  const alternatives = resolved.oneOf ?? resolved.anyOf;
  if (alternatives) return alternatives.flatMap((s) => objectSchemas(document, s));
  if (resolved.allOf) {
    const parts = resolved.allOf.map((s) => resolve(document, s));
    return [{ type: 'object', properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})), required: parts.flatMap((p) => p.required ?? []) }];
  }
  return resolved.type === 'object' || resolved.properties ? [resolved] : [];
}

/** A JSON location: a property path, `[]` standing for an array item. */
export type FieldPath = string[];

/** Every string leaf (binary excluded) of an object schema, following $refs and arrays. */
export function stringFields(document: OpenApi, schema: Schema, prefix: FieldPath = [], depth = 0): FieldPath[] {
  const resolved = resolve(document, schema);
  if (depth > 6) return [];
  if (resolved.type === 'string') return resolved.format === 'binary' ? [] : [prefix];
  if (resolved.type === 'array' && resolved.items) return stringFields(document, resolved.items, [...prefix, '[]'], depth + 1);
  const fields: FieldPath[] = [];
  for (const [name, property] of Object.entries(resolved.properties ?? {})) fields.push(...stringFields(document, property, [...prefix, name], depth + 1));
  return fields;
}

/** The top-level properties of an object schema. */
export function propertiesOf(document: OpenApi, schema: Schema): string[] {
  return Object.keys(resolve(document, schema).properties ?? {});
}

/** A plausible body for a schema: known values first, then examples, enums and defaults. */
export function baseValue(document: OpenApi, schema: Schema, known: Readonly<Record<string, unknown>>, name = ''): unknown {
  if (name in known) return known[name];
  const s = resolve(document, schema);
  if (s.example !== undefined) return s.example;
  if (s.enum !== undefined) return s.enum[0];
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case 'string':
      return s.format === 'date-time' ? '2099-01-01T00:00:00Z' : s.format === 'uri' ? 'https://example.com/x' : 'x';
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return 1;
    case 'array':
      return s.items ? [baseValue(document, s.items, known)] : [];
    default: {
      const out: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(s.properties ?? {})) out[key] = baseValue(document, property, known, key);
      return out;
    }
  }
}

/** A copy of `body` with the field at `path` set to `value` (`[]` sets the first item). */
export function withField(body: unknown, path: FieldPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (head === '[]') {
    const list = Array.isArray(body) && body.length > 0 ? [...body] : [undefined];
    list[0] = withField(list[0], rest, value);
    return list;
  }
  const object = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
  object[head!] = withField(object[head!], rest, value);
  return object;
}

/** How the server names a field: body.keywords[0]. */
export function fieldName(path: FieldPath): string {
  return `body${path.map((p) => (p === '[]' ? '[0]' : `.${p}`)).join('')}`;
}
