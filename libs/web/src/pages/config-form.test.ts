import type { Element } from 'domhandler';
import { DomUtils, parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { pointerToken, type ConfigurationError, type SchemaObject } from '../../../contract/index.js';
import { inlineCode } from '../../test/inline-code.js';
import { CONFIG_FORM_LIMITS, configForm, configurationFromForm, fieldId, type ConfigFormInput } from './config-form.js';

// ---------------------------------------------------------------------------
// A browser, as far as a form goes: the HTML parsed by a real parser, then the
// entry list the HTML standard builds on submit ("constructing the entry
// list"), sent as application/x-www-form-urlencoded and read back the way the
// server's body parser reads it (a repeated name becomes an array).

type Fields = Record<string, string | string[]>;

const isElement = (node: unknown): node is Element => typeof node === 'object' && node !== null && (node as Element).type === 'tag';
/** HTML's "valid floating-point number": a number input's value is blanked (sanitized) unless it is one. */
const VALID_FLOAT = /^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?$/;

function parse(markup: string): Element[] {
  return DomUtils.findAll(() => true, parseDocument(markup).children);
}

function formIn(markup: string): Element {
  const form = parse(markup).find((e) => e.name === 'form');
  if (!form) throw new Error('no form rendered');
  return form;
}

function fieldsOf(markup: string): Fields {
  const entries: [string, string][] = [];
  for (const control of DomUtils.findAll((e) => ['input', 'select', 'textarea', 'button'].includes(e.name), formIn(markup).children)) {
    const name = control.attribs.name;
    if (!name || control.attribs.disabled !== undefined || control.name === 'button') continue; // no submitter is named
    if (control.name === 'input') {
      const type = (control.attribs.type ?? 'text').toLowerCase();
      if (['submit', 'image', 'reset', 'button', 'file'].includes(type)) continue;
      if (type === 'checkbox' || type === 'radio') {
        if (control.attribs.checked !== undefined) entries.push([name, control.attribs.value ?? 'on']);
        continue;
      }
      let value = control.attribs.value ?? '';
      if (type === 'number' && !VALID_FLOAT.test(value)) value = '';
      else value = value.replace(/[\r\n]/g, ''); // a text input's value never holds a line break
      entries.push([name, value]);
    } else if (control.name === 'select') {
      const options = DomUtils.findAll((e) => e.name === 'option', control.children);
      // The last option marked selected; without one, the first that is not disabled. A disabled choice submits nothing.
      const chosen = options.filter((o) => o.attribs.selected !== undefined).at(-1) ?? options.find((o) => o.attribs.disabled === undefined);
      if (chosen && chosen.attribs.disabled === undefined) entries.push([name, chosen.attribs.value ?? DomUtils.textContent(chosen)]);
    } else {
      // The HTML parser drops one line break right after <textarea>.
      entries.push([name, DomUtils.textContent(control).replace(/^\n/, '')]);
    }
  }
  const crlf = (text: string): string => text.replace(/\r\n|\r|\n/g, '\r\n');
  const body = new URLSearchParams(entries.map(([n, v]) => [crlf(n), crlf(v)])).toString();
  const fields: Fields = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const before = fields[name];
    fields[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return fields;
}

const render = (schema: SchemaObject, value: unknown, extra: Partial<ConfigFormInput> = {}): string =>
  configForm({ schema, value, errors: [], action: '/plugins/acme/jwt-auth/1.1.0/configure', examples: [], selectedExample: null, ...extra }).value;

const roundTrip = (schema: SchemaObject, value: unknown) => configurationFromForm(schema, fieldsOf(render(schema, value)));

const controlNamed = (markup: string, name: string): Element | undefined => parse(markup).find((e) => ['input', 'select', 'textarea'].includes(e.name) && e.attribs.name === name);
const byId = (markup: string, id: string): Element | undefined => parse(markup).find((e) => e.attribs.id === id);
/** The texts a control's aria-describedby points at. */
function descriptionsOf(markup: string, control: Element): string[] {
  return (control.attribs['aria-describedby'] ?? '').split(' ').filter(Boolean).map((id) => DomUtils.textContent(byId(markup, id)!));
}
const labelOf = (markup: string, control: Element): string => DomUtils.textContent(parse(markup).find((e) => e.name === 'label' && e.attribs.for === control.attribs.id)!);

// ---------------------------------------------------------------------------

const JWT_SCHEMA: SchemaObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'JWT authentication',
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'audiences', 'jwks'],
  properties: {
    issuer: { type: 'string', title: 'Issuer', format: 'uri', description: 'The iss claim every token must carry.' },
    audiences: { type: 'array', title: 'Audiences', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true },
    algorithm: { enum: ['RS256', 'ES256', 'HS256'], default: 'RS256', description: 'The signature algorithm.' },
    clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 300, default: 60 },
    leeway_ratio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    forward_payload: { type: 'boolean', default: false, description: 'Forward the verified payload upstream as a header.' },
    jwks: { $ref: '#/$defs/jwks' },
    rules: { type: 'array', title: 'Rules', items: { $ref: '#/$defs/rule' } },
  },
  $defs: {
    jwks: {
      type: 'object',
      title: 'Key set',
      required: ['source'],
      properties: {
        source: { enum: ['remote', 'inline'] },
        uri: { type: 'string', format: 'uri' },
        inline: { type: 'string', format: 'pem', description: 'PEM-encoded public keys.' },
        cache_seconds: { type: 'integer', minimum: 1, default: 600 },
      },
    },
    rule: {
      type: 'object',
      title: 'Rule',
      required: ['path'],
      properties: {
        path: { type: 'string', pattern: '^/', description: 'A path prefix.' },
        methods: { type: 'array', items: { enum: ['GET', 'POST', 'PUT', 'DELETE'] } },
        optional: { type: 'boolean', description: 'Let requests without a token through.' },
        headers: { type: 'object', properties: { claim: { type: 'string' }, header: { type: 'string' } }, required: ['claim', 'header'] },
      },
    },
  },
};

const FULL = {
  issuer: 'https://issuer.example/realms/acme?x=1&y="2"',
  audiences: ['api', 'admin <console>'],
  algorithm: 'ES256',
  clock_skew_seconds: 0,
  leeway_ratio: 0.25,
  forward_payload: false,
  jwks: { source: 'inline', inline: '\n-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n', cache_seconds: 600 },
  rules: [
    { path: '/public', methods: ['GET'], optional: true },
    { path: '/admin', methods: ['POST', 'DELETE'], optional: false, headers: { claim: 'sub', header: 'x-user' } },
    { path: '/ünïcødé ✓ ' },
  ],
};

describe('configForm and configurationFromForm: the round trip', () => {
  it.each([
    ['every field of a realistic JWT configuration', FULL],
    ['only what is required', { issuer: 'https://i.example', audiences: ['api'], jwks: { source: 'remote' } }],
    ['required parts left empty (the validator names what is missing inside them)', { audiences: [], jwks: {} }],
  ])('gives back %s', (_, value) => {
    const read = roundTrip(JWT_SCHEMA, value);
    expect(read.problems).toEqual([]);
    expect(read.value).toEqual(value);
  });

  it('gives back what a second submit of the re-rendered form gives (the form shows exactly what it read)', () => {
    const first = roundTrip(JWT_SCHEMA, FULL).value;
    expect(roundTrip(JWT_SCHEMA, first).value).toEqual(FULL);
  });

  it('uses the shapes a person expects: select for enum and boolean, number inputs with bounds, textarea for PEM, fieldsets for objects and items', () => {
    const markup = render(JWT_SCHEMA, FULL);
    expect(controlNamed(markup, '/algorithm')!.name).toBe('select');
    const skew = controlNamed(markup, '/clock_skew_seconds')!;
    expect(skew.attribs).toMatchObject({ type: 'number', min: '0', max: '300', step: '1', placeholder: '60', value: '0' });
    expect(controlNamed(markup, '/leeway_ratio')!.attribs).toMatchObject({ type: 'number', step: 'any', max: '1' });
    expect(controlNamed(markup, '/jwks/inline')!.name).toBe('textarea');
    const forward = controlNamed(markup, '/forward_payload')!;
    expect(DomUtils.findAll((e) => e.name === 'option', forward.children).map((o) => o.attribs.value)).toEqual(['', 'true', 'false']);
    const legends = parse(markup)
      .filter((e) => e.name === 'legend')
      .map((e) => DomUtils.textContent(e).trim());
    const rule = (label: string) => [label, 'methods', 'headers'];
    expect(legends).toEqual(['Audiences required', 'Key set required', 'Rules', ...rule('Rule 1'), ...rule('Rule 2'), ...rule('Rule 3'), ...rule('Rule 4 (new)')]);
    expect(controlNamed(markup, '/audiences/2')!.attribs.value).toBe(''); // one blank slot after the items
    expect(controlNamed(markup, '/rules/3/path')!.attribs.value).toBe(''); // and one blank item
    expect(descriptionsOf(markup, controlNamed(markup, '/issuer')!)).toEqual(['The iss claim every token must carry. Format: uri']);
    expect(descriptionsOf(markup, controlNamed(markup, '/rules/0/path')!).join(' ')).toContain('Pattern: ^/');
    expect(labelOf(markup, controlNamed(markup, '/issuer')!)).toBe('Issuer required');
  });

  it('keeps line breaks, a leading line break, markup characters, quotes and surrounding spaces in strings', () => {
    const schema: SchemaObject = { type: 'object', properties: { note: { type: 'string' }, script: { type: 'string', maxLength: 4096 } } };
    const value = { note: ' "quoted" & <b>bold</b> ', script: '\n\nfirst\r\nline </textarea><script>alert(1)</script>' };
    // CRLF inside a value reads back as LF: browsers send every line break as CRLF, so the two cannot be told apart.
    expect(roundTrip(schema, value).value).toEqual({ ...value, script: value.script.replace(/\r\n/g, '\n') });
  });

  it('names fields by JSON Pointer, escaping "/" and "~" in keys, and keeps a "__proto__" key a key', () => {
    const schema: SchemaObject = JSON.parse('{"type":"object","properties":{"a/b":{"type":"string"},"c~d":{"type":"object","properties":{"__proto__":{"type":"integer"}}}}}');
    const value = JSON.parse('{"a/b":"x","c~d":{"__proto__":7}}');
    const markup = render(schema, value);
    expect(controlNamed(markup, '/a~1b')).toBeDefined();
    expect(controlNamed(markup, '/c~0d/__proto__')).toBeDefined();
    const read = roundTrip(schema, value).value as Record<string, Record<string, unknown>>;
    expect(Object.hasOwn(read['c~d']!, '__proto__')).toBe(true);
    expect(read).toEqual(value);
  });

  it('drops blank slots and blank new items, so later items move up', () => {
    const fields = fieldsOf(render(JWT_SCHEMA, FULL));
    fields['/audiences/0'] = '';
    fields['/rules/0/path'] = '';
    fields['/rules/0/methods/0'] = '';
    fields['/rules/0/optional'] = '';
    const read = configurationFromForm(JWT_SCHEMA, fields);
    expect(read.value).toMatchObject({ audiences: ['admin <console>'], rules: [FULL.rules[1], FULL.rules[2]] });
    expect((read.value as typeof FULL).rules).toHaveLength(2);
  });

  it('leaves out blank optional fields and optional objects, and keeps an explicit false and 0', () => {
    const fields = fieldsOf(render(JWT_SCHEMA, { issuer: 'https://i.example', audiences: ['api'], jwks: { source: 'remote' }, forward_payload: false, clock_skew_seconds: 0 }));
    const read = configurationFromForm(JWT_SCHEMA, fields).value as Record<string, unknown>;
    expect(Object.keys(read).sort()).toEqual(['audiences', 'clock_skew_seconds', 'forward_payload', 'issuer', 'jwks']);
    expect(read.forward_payload).toBe(false);
    expect(read.clock_skew_seconds).toBe(0);
  });

  it('shows a required boolean and a required enum as a choice without "not set" once chosen, and a placeholder that submits nothing before', () => {
    const schema: SchemaObject = { type: 'object', required: ['enabled', 'mode'], properties: { enabled: { type: 'boolean', default: true }, mode: { enum: ['a', 'b'] } } };
    expect(roundTrip(schema, { enabled: false, mode: 'b' }).value).toEqual({ enabled: false, mode: 'b' });
    expect(roundTrip(schema, {}).value).toEqual({}); // not silently true or 'a': the validator says they are required
    const chosen = controlNamed(render(schema, { enabled: true }), '/enabled')!;
    expect(DomUtils.findAll((e) => e.name === 'option', chosen.children).map((o) => o.attribs.value)).toEqual(['true', 'false']);
  });

  it('reads enums of numbers, booleans, null and look-alike strings back as the member chosen', () => {
    const schema: SchemaObject = { type: 'object', properties: { level: { enum: [1, '1', '', null, true, 2.5] } } };
    for (const level of [1, '1', '', null, true, 2.5]) expect(roundTrip(schema, { level }).value).toEqual({ level });
    expect(roundTrip(schema, {}).value).toEqual({});
  });

  it('shows as JSON, and reads back, what fields cannot show: oneOf, free-form objects, tuples, extra keys, values of another type, nulls', () => {
    const schema: SchemaObject = {
      type: 'object',
      properties: {
        upstream: { type: 'object', properties: { cluster: { type: 'string' }, host: { type: 'string' } }, oneOf: [{ required: ['cluster'] }, { required: ['host'] }] },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] },
        extra: { type: 'object', properties: { known: { type: 'string' } } },
        port: { type: 'integer' },
        timeout: { type: ['string', 'null'] },
        anything: {},
      },
    };
    const value = { upstream: { cluster: 'outbound|443' }, labels: { team: 'a' }, pair: ['x', 1], extra: { known: 'k', unknown: [1] }, port: '8080', timeout: null, anything: [{ a: null }] };
    const markup = render(schema, value);
    for (const key of Object.keys(value)) expect(controlNamed(markup, `/${key}#json`), key).toBeDefined();
    const read = roundTrip(schema, value);
    expect(read.problems).toEqual([]);
    expect(read.value).toEqual(value);
  });

  it('shows objects nested deeper than the limit as JSON, and a recursive schema ends there', () => {
    const schema: SchemaObject = { type: 'object', properties: { name: { type: 'string' }, child: { $ref: '#' } } };
    let value: Record<string, unknown> = { name: 'leaf' };
    for (let i = 0; i < 10; i++) value = { name: `level ${i}`, child: value };
    const markup = render(schema, value);
    expect(controlNamed(markup, '/child/child/child/child/child/child/name')).toBeDefined();
    expect(controlNamed(markup, '/child/child/child/child/child/child/child#json')).toBeDefined();
    expect(controlNamed(markup, '/child/child/child/child/child/child/child/name')).toBeUndefined();
    expect(roundTrip(schema, value).value).toEqual(value);
  });
});

describe('configurationFromForm: values that are not of the schema type', () => {
  it('reports each with its pointer and rule, leaves it out of the value, and keeps what was typed so the form shows it again beside its error', () => {
    const fields = fieldsOf(render(JWT_SCHEMA, FULL));
    Object.assign(fields, { '/clock_skew_seconds': 'abc', '/jwks/cache_seconds': '1.5', '/leeway_ratio': '1e999', '/forward_payload': 'yes', '/algorithm': 'none' });
    const read = configurationFromForm(JWT_SCHEMA, fields);
    expect(read.problems.map(({ pointer, rule }) => [pointer, rule])).toEqual([
      ['/algorithm', 'enum'],
      ['/clock_skew_seconds', 'type'],
      ['/leeway_ratio', 'type'],
      ['/forward_payload', 'type'],
      ['/jwks/cache_seconds', 'type'],
    ]);
    expect(read.problems.find((p) => p.pointer === '/clock_skew_seconds')!.message).toBe('clock_skew_seconds must be a number.');
    expect(read.problems.find((p) => p.pointer === '/jwks/cache_seconds')!.message).toBe('cache_seconds must be a whole number.');
    expect(read.problems.find((p) => p.pointer === '/clock_skew_seconds')!.submitted).toBe('abc');
    expect(read.value).not.toHaveProperty('clock_skew_seconds');
    expect(read.value).not.toHaveProperty('forward_payload');

    const again = render(JWT_SCHEMA, read.value, { errors: read.problems });
    const skew = controlNamed(again, '/clock_skew_seconds')!;
    expect(skew.attribs).toMatchObject({ type: 'text', value: 'abc', 'aria-invalid': 'true' });
    expect(descriptionsOf(again, skew)).toContain('clock_skew_seconds must be a number.');
  });

  it('reports JSON that does not parse at the pointer of its textarea, and shows the text again there, even where fields would be drawn', () => {
    const schema: SchemaObject = { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } };
    const read = configurationFromForm(schema, { '/labels#json': '{"team": ' });
    expect(read.problems).toEqual([{ pointer: '/labels', rule: 'json', message: expect.stringMatching(/^labels is not valid JSON: /), submitted: '{"team": ' }]);
    const again = render(schema, read.value, { errors: read.problems });
    expect(fieldsOf(again)['/labels#json']).toBe('{"team": ');
    // A subtree shown as JSON because its value did not fit fields: broken JSON stays JSON, as typed.
    const fitted: SchemaObject = { type: 'object', properties: { extra: { type: 'object', properties: { known: { type: 'string' } } } } };
    const broken = { ...fieldsOf(render(fitted, { extra: { known: 'k', unknown: 1 } })), '/extra#json': '{"known": "k",' };
    const reread = configurationFromForm(fitted, broken);
    expect(fieldsOf(render(fitted, reread.value, { errors: reread.problems }))).toEqual({ '/extra#json': '{"known": "k",' });
  });

  it('refuses JSON nested deeper than the validator allows, without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const read = configurationFromForm({ type: 'object', properties: { x: {} } }, { '/x#json': deep });
    expect(read.problems.map((p) => p.rule)).toEqual(['json']);
  });

  it('ignores names the schema does not have, and bounds how many array items it reads', () => {
    const fields: Fields = { '/nope': 'x', '/issuer/deeper': 'y', '/__proto__': 'z' };
    for (let i = 0; i < CONFIG_FORM_LIMITS.items + 5; i++) fields[`/audiences/${i}`] = `a${i}`;
    const read = configurationFromForm(JWT_SCHEMA, fields);
    expect((read.value as { audiences: string[] }).audiences).toHaveLength(CONFIG_FORM_LIMITS.items);
    expect(Object.keys(read.value as object).sort()).toEqual(['audiences']);
    expect(read.problems.map((p) => [p.pointer, p.rule])).toEqual([['/audiences', 'maxItems']]);
  });
});

describe('configForm: errors beside their fields', () => {
  const errors: ConfigurationError[] = [
    { pointer: '/issuer', rule: 'format', message: 'issuer must be a URI.' },
    { pointer: '/audiences/1', rule: 'uniqueItems', message: 'audiences must not repeat api.' },
    { pointer: '/rules/1/path', rule: 'pattern', message: 'path must start with "/".' },
    { pointer: '/jwks/uri', rule: 'required', message: 'uri is required when source is remote.' },
    { pointer: '/jwks', rule: 'additionalProperties', message: 'jwks must not have other properties.' },
    { pointer: '', rule: 'additionalProperties', message: 'the configuration has an unknown property.' },
  ];
  const value = { ...FULL, audiences: ['api', 'api'], rules: [FULL.rules[0], { path: 'admin' }] };
  const markup = render(JWT_SCHEMA, value, { errors });

  it.each([
    ['/issuer', 'issuer must be a URI.'],
    ['/audiences/1', 'audiences must not repeat api.'],
    ['/rules/1/path', 'path must start with "/".'],
    ['/jwks/uri', 'uri is required when source is remote.'],
  ])('puts the error for %s in its field, described by it and marked invalid', (pointer, message) => {
    const control = controlNamed(markup, pointer)!;
    expect(control.attribs['aria-invalid']).toBe('true');
    expect(control.attribs['aria-describedby']!.split(' ')).toContain(`${fieldId(pointer)}--error`);
    expect(descriptionsOf(markup, control)).toContain(message);
    const field = control.parent as Element;
    expect(DomUtils.findAll((e) => e.attribs.class === 'field-error', field.children).map((e) => DomUtils.textContent(e))).toEqual([message]);
    expect(DomUtils.findAll((e) => e.attribs['aria-invalid'] === 'true', field.children)).toEqual([control]);
  });

  it('puts an error about an object on its fieldset, and one about the whole configuration at the top of the form', () => {
    const fieldset = parse(markup).find((e) => e.name === 'fieldset' && e.attribs['aria-invalid'] === 'true')!;
    expect(DomUtils.textContent(DomUtils.findOne((e) => e.name === 'legend', fieldset.children)!)).toContain('Key set');
    expect(descriptionsOf(markup, fieldset)).toContain('jwks must not have other properties.');
    const elements = parse(markup);
    const above = elements.findIndex((e) => e.name === 'ul' && e.attribs.class === 'field-errors');
    expect(DomUtils.textContent(elements[above]!)).toBe('(the whole configuration): the configuration has an unknown property.');
    expect(above).toBeLessThan(elements.findIndex((e) => e.attribs.name === '/issuer'));
  });

  it('shows each error once', () => {
    const shown = parse(markup).filter((e) => e.attribs.class === 'field-error' || (e.name === 'ul' && e.attribs.class === 'field-errors'));
    expect(shown.map((e) => DomUtils.textContent(e)).join('\n').split('\n')).toHaveLength(errors.length);
  });

  it('shows an error under a JSON textarea on the textarea', () => {
    const schema: SchemaObject = { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } };
    const withError = render(schema, { labels: { team: 3 } }, { errors: [{ pointer: '/labels/team', rule: 'type', message: 'team must be a string.' }] });
    expect(descriptionsOf(withError, controlNamed(withError, '/labels#json')!)).toContain('team must be a string.');
  });
});

describe('configForm: the form itself', () => {
  it('posts to the action with no browser check that could block it: novalidate, no required attribute; the label says required', () => {
    const markup = render(JWT_SCHEMA, FULL);
    const form = formIn(markup);
    expect(form.attribs).toMatchObject({ method: 'post', action: '/plugins/acme/jwt-auth/1.1.0/configure', novalidate: '' });
    expect(parse(markup).filter((e) => e.attribs.required !== undefined)).toEqual([]);
    expect(labelOf(markup, controlNamed(markup, '/rules/3/path')!)).toBe('path required');
  });

  it('offers each example as a link to the page that needs no script, the chosen one marked', () => {
    const markup = render(JWT_SCHEMA, FULL, { examples: ['basic', 'with rules'], selectedExample: 'with rules', page: '/plugins/acme/jwt-auth/1.1.0' });
    const links = parse(markup).filter((e) => e.name === 'a');
    expect(links.map((a) => [a.attribs.href, a.attribs['aria-current'] ?? null])).toEqual([
      ['/plugins/acme/jwt-auth/1.1.0?example=basic#config-form', null],
      ['/plugins/acme/jwt-auth/1.1.0?example=with%20rules#config-form', 'true'],
    ]);
    expect(formIn(markup).attribs.id).toBe('config-form');
    // Without the page (a relative link would go wrong after a POST), only the chosen one is named.
    const named = render(JWT_SCHEMA, FULL, { examples: ['basic'], selectedExample: 'basic' });
    expect(parse(named).filter((e) => e.name === 'a')).toEqual([]);
    expect(named).toContain('Starting from the example <strong>basic</strong>.');
  });

  it('writes no inline script or style (the CSP forbids them)', () => {
    expect(inlineCode(render(JWT_SCHEMA, FULL, { errors: [{ pointer: '/issuer', rule: 'format', message: 'x' }], examples: ['a'], selectedExample: 'a' }))).toEqual([]);
  });
});

describe('configForm: a hostile schema', () => {
  const attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
  const schema: SchemaObject = {
    type: 'object',
    properties: {
      [attack]: { type: 'string', title: attack, description: attack, default: attack, pattern: attack, format: attack },
      mode: { title: 'javascript:alert(3)', enum: [attack, 'b'], default: attack },
      long: { type: 'string', title: 'T'.repeat(100_000), description: 'D'.repeat(100_000) },
    },
  };

  it('shows titles, descriptions, enum values, defaults and keys as text, never as markup', () => {
    const markup = render(schema, { mode: attack }, { errors: [{ pointer: '/mode', rule: 'enum', message: attack }, { pointer: `/${attack}x`, rule: 'x', message: attack }], examples: [attack], selectedExample: null, page: attack });
    // Parsed, not matched: the attack text sits inside attribute values, where a pattern would see "onerror=".
    const elements = parse(markup);
    expect(elements.filter((e) => e.name === 'script' || e.name === 'img')).toEqual([]);
    expect(elements.flatMap((e) => Object.keys(e.attribs)).filter((a) => /^on|^style$/i.test(a))).toEqual([]);
    const field = controlNamed(markup, `/${pointerToken(attack)}`)!;
    expect(labelOf(markup, field)).toBe(attack);
    expect(field.attribs.placeholder).toBe(attack);
    expect(descriptionsOf(markup, field)[0]).toMatch(new RegExp(`^${attack.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
    const option = DomUtils.findAll((e) => e.name === 'option', controlNamed(markup, '/mode')!.children).find((o) => o.attribs.selected !== undefined)!;
    expect([option.attribs.value, DomUtils.textContent(option)]).toEqual([attack, attack]);
    expect(roundTrip(schema, { [attack]: attack, mode: attack }).value).toEqual({ [attack]: attack, mode: attack });
  });

  it('bounds long titles and descriptions', () => {
    const markup = render(schema, {});
    const field = controlNamed(markup, '/long')!;
    expect(labelOf(markup, field).length).toBeLessThanOrEqual(CONFIG_FORM_LIMITS.titleChars);
    expect(descriptionsOf(markup, field)[0]!.length).toBeLessThanOrEqual(CONFIG_FORM_LIMITS.descriptionChars);
    expect(descriptionsOf(markup, field)[0]).toMatch(/^D+…$/);
    expect(markup.length).toBeLessThan(10_000);
  });

  it('shows a 10,000-property schema as one JSON textarea, quickly, and reads it back', () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) properties[`p${i}`] = { type: 'string', title: `Property ${i}`, description: 'x'.repeat(200) };
    const huge: SchemaObject = { type: 'object', properties };
    const started = performance.now();
    const markup = render(huge, { p1: 'a', p9999: 'b' });
    expect(performance.now() - started).toBeLessThan(500);
    expect(parse(markup).filter((e) => ['input', 'select', 'textarea'].includes(e.name)).map((e) => e.attribs.name)).toEqual(['#json']);
    expect(markup.length).toBeLessThan(5_000);
    expect(roundTrip(huge, { p1: 'a', p9999: 'b' }).value).toEqual({ p1: 'a', p9999: 'b' });
  });

  it('keeps to the field limit: a part that would pass it is JSON, the parts before it stay fields', () => {
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 150; i++) wide[`w${i}`] = { type: 'integer' };
    const schema: SchemaObject = { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, wide: { type: 'object', properties: wide } } };
    const value = { name: 'n', tags: Array.from({ length: 60 }, (_, i) => `t${i}`), wide: { w0: 1 } };
    const markup = render(schema, value);
    const names = parse(markup)
      .filter((e) => ['input', 'select', 'textarea'].includes(e.name))
      .map((e) => e.attribs.name!);
    expect(names.length).toBeLessThanOrEqual(CONFIG_FORM_LIMITS.fields);
    expect(names).toContain('/name');
    expect(names).toContain('/tags/60');
    expect(names).toContain('/wide#json');
    expect(roundTrip(schema, value).value).toEqual(value);
  });

  it('renders a schema whose references fan out exponentially (30^5 leaves) within the limits, quickly', () => {
    const $defs: Record<string, unknown> = { d0: { type: 'string' } };
    for (let i = 1; i <= 5; i++) $defs[`d${i}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`k${k}`, { $ref: `#/$defs/d${i - 1}` }])) };
    for (const schema of [{ $ref: '#/$defs/d5', $defs }, { type: 'object', properties: { list: { type: 'array', items: { $ref: '#/$defs/d5' } } }, $defs }]) {
      const started = performance.now();
      const markup = render(schema, {});
      expect(performance.now() - started).toBeLessThan(500);
      expect(parse(markup).filter((e) => ['input', 'select', 'textarea'].includes(e.name)).length).toBeLessThanOrEqual(CONFIG_FORM_LIMITS.fields);
    }
  });
});

// The form's first tests (from main), on the same browser-faithful fieldsOf.

const JWT: SchemaObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['issuer'],
  definitions: { rule: { type: 'object', required: ['path'], properties: { path: { type: 'string', pattern: '^/' }, allow_anonymous: { type: 'boolean', default: false } } } },
  properties: {
    issuer: { type: 'string', title: 'Issuer', description: 'Expected iss claim.', format: 'uri' },
    audiences: { type: 'array', items: { type: 'string' } },
    algorithm: { enum: ['RS256', 'ES256'], default: 'RS256' },
    clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 300, default: 60 },
    forward: { type: 'object', properties: { header: { type: 'string' }, strip: { type: 'boolean' } } },
    rules: { type: 'array', items: { $ref: '#/definitions/rule' } },
    weights: { type: 'array', items: { type: 'number' } },
    extra: { oneOf: [{ type: 'string' }, { type: 'object' }] },
  },
};

const form = (schema: SchemaObject, value: unknown, errors: { pointer: string; rule: string; message: string }[] = []) =>
  configForm({ schema, value, errors, action: '/configure', examples: [], selectedExample: null }).value;

describe('the configuration form', () => {
  it.each([
    ['a full JWT configuration', { issuer: 'https://id.example', audiences: ['api', 'web'], algorithm: 'ES256', clock_skew_seconds: 30, forward: { header: 'x-sub', strip: true }, rules: [{ path: '/health', allow_anonymous: true }, { path: '/admin' }], weights: [0.5, 2], extra: { any: ['thing'] } }],
    ['only what is required', { issuer: 'https://id.example' }],
    ['a oneOf subtree as a string', { issuer: 'x', extra: 'text' }],
  ])('gives back what it was filled with: %s', (_name, value) => {
    expect(configurationFromForm(JWT, fieldsOf(form(JWT, value))).value).toEqual(value);
  });

  it('names fields by JSON Pointer, and draws one blank item after the existing ones that adds nothing when left blank', () => {
    const fields = fieldsOf(form(JWT, { issuer: 'x', rules: [{ path: '/a' }] }));
    expect(fields['/issuer']).toBe('x');
    expect(fields['/rules/0/path']).toBe('/a');
    expect(fields['/rules/1/path']).toBe('');
    expect(fields['/audiences/0']).toBe('');
    expect(fields['/extra#json']).toBe('');
    expect(configurationFromForm(JWT, { ...fields, '/rules/1/path': '/b', '/audiences/0': 'api' }).value).toEqual({ issuer: 'x', rules: [{ path: '/a' }, { path: '/b' }], audiences: ['api'] });
  });

  it('types values by the schema and reports what cannot be read at its pointer', () => {
    const { value, problems } = configurationFromForm(JWT, { '/issuer': 'x', '/clock_skew_seconds': '1.5', '/weights/0': 'abc', '/forward/strip': 'maybe', '/extra#json': '{nope' });
    expect(value).toEqual({ issuer: 'x' });
    expect(problems.map((p) => `${p.pointer} ${p.rule}`)).toEqual(['/clock_skew_seconds type', '/forward/strip type', '/weights/0 type', '/extra json']);
  });

  it('shows each error beside its field and lists the ones without a field above the form', () => {
    const markup = form(JWT, { issuer: '' }, [
      { pointer: '/issuer', rule: 'required', message: 'issuer is required' },
      { pointer: '/nowhere', rule: 'additionalProperties', message: 'nowhere is not allowed' },
    ]);
    const id = fieldId('/issuer');
    expect(markup).toMatch(new RegExp(`<input id="${id}" name="/issuer" type="text" value="" placeholder="" aria-describedby="${id}--help ${id}--error" aria-invalid="true">`));
    expect(markup).toContain(`<p class="field-error" id="${id}--error">issuer is required</p>`);
    expect(markup).toMatch(/<ul class="field-errors" role="alert"><li><code>\/nowhere<\/code>: nowhere is not allowed<\/li><\/ul>/);
  });

  it('escapes and shortens every text the schema gives', () => {
    const hostile: SchemaObject = {
      type: 'object',
      properties: { a: { type: 'string', title: '<script>alert(1)</script>', description: `"><img src=x onerror=alert(1)>${'x'.repeat(1000)}`, enum: ['<b>'] } },
    };
    const markup = form(hostile, {});
    expect(markup).not.toMatch(/<script|<img|<b>/);
    expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markup.length).toBeLessThan(3000);
  });

  it('edits a schema too large to draw field by field as one JSON text area, at once', () => {
    const properties = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`p${i}`, { type: 'string' }]));
    const huge: SchemaObject = { type: 'object', properties };
    const markup = form(huge, { p1: 'x' });
    expect(markup.match(/<(input|select|textarea)\b/g)).toHaveLength(1);
    expect(configurationFromForm(huge, fieldsOf(markup)).value).toEqual({ p1: 'x' });
    expect(CONFIG_FORM_LIMITS.fields).toBeLessThan(10_000);
  });

  it('gives distinct ids to distinct pointers', () => {
    const pointers = ['/a/b', '/a_b', '/a~1b', '/a.b', '/a-b', '/a b'];
    expect(new Set(pointers.map(fieldId)).size).toBe(pointers.length);
  });
});
