import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import type { SchemaObject } from '../../../contract/index.js';
import { configForm, configurationFromForm, CONFIG_FORM_LIMITS, fieldId } from './config-form.js';

/** What a browser submits from the rendered form: named inputs, textareas and the selected option of each select. */
function fieldsOf(markup: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const existing = fields[name];
    fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  };
  let textarea: { name: string; text: string } | null = null;
  let select: { name: string; first: string | null; selected: string | null } | null = null;
  let option: { value: string | null; text: string; selected: boolean } | null = null;
  const parser = new Parser(
    {
      onopentag(tag, attributes) {
        if (tag === 'input' && attributes.name !== undefined) add(attributes.name, attributes.value ?? '');
        if (tag === 'textarea' && attributes.name !== undefined) textarea = { name: attributes.name, text: '' };
        if (tag === 'select' && attributes.name !== undefined) select = { name: attributes.name, first: null, selected: null };
        if (tag === 'option') option = { value: attributes.value ?? null, text: '', selected: 'selected' in attributes };
      },
      ontext(text) {
        if (textarea) textarea.text += text;
        if (option) option.text += text;
      },
      onclosetag(tag) {
        if (tag === 'textarea' && textarea) {
          add(textarea.name, textarea.text.replace(/^\n/, ''));
          textarea = null;
        }
        if (tag === 'option' && option && select) {
          const value = option.value ?? option.text;
          select.first ??= value;
          if (option.selected) select.selected = value;
          option = null;
        }
        if (tag === 'select' && select) {
          add(select.name, select.selected ?? select.first ?? '');
          select = null;
        }
      },
    },
    { decodeEntities: true },
  );
  parser.write(markup);
  parser.end();
  return fields;
}

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
