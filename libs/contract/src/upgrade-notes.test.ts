import { Ajv, type AnySchema } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { JWT_AUTH_1_0_0, JWT_AUTH_1_1_0, JWT_AUTH_2_0_0 } from '../test/jwt-auth-contract.js';
import type { SchemaObject } from './schema-refs.js';
import { UPGRADE_NOTES_BOUNDS, upgradeNotes, type ContractSide, type UpgradeNote } from './upgrade-notes.js';

const side = (version: string, configSchema: SchemaObject | null, exampleNames: string[] = []): ContractSide => ({
  version,
  configSchema,
  examples: exampleNames.map((name) => ({ name, description: null, configuration: {} })),
});

/** The notes between two schemas, as (pointer, change, breaking) rows. */
function changes(before: SchemaObject, after: SchemaObject): [string, string, boolean][] {
  return upgradeNotes(side('1.0.0', before), side('2.0.0', after)).notes.map(({ pointer, change, breaking }) => [pointer, change, breaking]);
}

function messages(before: SchemaObject, after: SchemaObject): string[] {
  return upgradeNotes(side('1.0.0', before), side('2.0.0', after)).notes.map((note) => note.message);
}

const object = (properties: Record<string, unknown>, more: SchemaObject = {}): SchemaObject => ({ type: 'object', properties, ...more });

describe('the jwt-auth contract kit', () => {
  it('holds examples that are valid against their own version’s schema', () => {
    for (const contract of [JWT_AUTH_1_0_0, JWT_AUTH_1_1_0, JWT_AUTH_2_0_0]) {
      const schema = contract.configSchema!;
      const ajv = String(schema.$schema).includes('2020-12') ? new Ajv2020({ strict: false, allErrors: true }) : new Ajv({ strict: false, allErrors: true });
      addFormats.default(ajv);
      const validate = ajv.compile(schema as AnySchema);
      expect(contract.examples).toHaveLength(2);
      for (const example of contract.examples) expect([contract.version, example.name, validate(example.configuration), validate.errors ?? []]).toEqual([contract.version, example.name, true, []]);
    }
  });

  it('holds a 1.0.0 example that 2.0.0 refuses, as its upgrade notes say', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JWT_AUTH_2_0_0.configSchema as AnySchema);
    expect(JWT_AUTH_1_0_0.examples.map((example) => validate(example.configuration))).toEqual([false, false]);
  });
});

describe('upgrade notes between two real versions', () => {
  it('jwt-auth 1.0.0 → 2.0.0: the breaking changes first, each saying what is refused, then the rest by pointer', () => {
    const notes = upgradeNotes(JWT_AUTH_1_0_0, JWT_AUTH_2_0_0);
    expect({ from: notes.from, to: notes.to, breaking: notes.breaking, complete: notes.complete }).toEqual({ from: '1.0.0', to: '2.0.0', breaking: true, complete: true });
    expect(notes.notes).toEqual<UpgradeNote[]>([
      {
        pointer: '/algorithms/*',
        change: 'enum_narrowed',
        breaking: true,
        message: '`algorithms[]` no longer accepts "HS256": configurations that use it are refused.',
      },
      {
        pointer: '/clock_skew_seconds',
        change: 'constraint_tightened',
        breaking: true,
        message: '`clock_skew_seconds` must now be at most 60 (it had to be at most 300): configurations that break this are refused.',
      },
      {
        pointer: '/header',
        change: 'field_removed',
        breaking: true,
        message: '`header` was removed, and unknown fields are not accepted: configurations that set it are refused.',
      },
      { pointer: '/issuer', change: 'required_added', breaking: true, message: '`issuer` is now required (no default): configurations without it are refused.' },
      { pointer: '', change: 'example_removed', breaking: false, message: 'The example `custom-header` is no longer offered.' },
      { pointer: '', change: 'example_added', breaking: false, message: 'The example `from-headers` is new.' },
      { pointer: '/algorithms/*', change: 'enum_widened', breaking: false, message: '`algorithms[]` now also accepts "EdDSA".' },
      {
        pointer: '/cache_ttl',
        change: 'default_changed',
        breaking: false,
        message: 'The default of `cache_ttl` changed from 300 to 60: configurations that leave it out behave differently.',
      },
      {
        pointer: '/from_headers',
        change: 'field_added',
        breaking: false,
        message: '`from_headers` is a new optional field (default [{"name":"authorization","value_prefix":"Bearer "}]).',
      },
    ]);
  });

  it('jwt-auth 1.0.0 → 1.1.0 is compatible: an optional field and a wider type, nothing breaking', () => {
    const notes = upgradeNotes(JWT_AUTH_1_0_0, JWT_AUTH_1_1_0);
    expect(notes.breaking).toBe(false);
    expect(notes.notes).toEqual<UpgradeNote[]>([
      { pointer: '/audiences', change: 'type_widened', breaking: false, message: '`audiences` now also accepts a string.' },
      { pointer: '/forward_payload_header', change: 'field_added', breaking: false, message: '`forward_payload_header` is a new optional field (no default).' },
    ]);
  });

  it('a version compared with itself has no notes', () => {
    expect(upgradeNotes(JWT_AUTH_2_0_0, JWT_AUTH_2_0_0)).toEqual({ from: '2.0.0', to: '2.0.0', breaking: false, complete: true, notes: [] });
  });

  it('going back 2.0.0 → 1.0.0 loosens what 1.0.0 → 2.0.0 tightened', () => {
    const rows = upgradeNotes(JWT_AUTH_2_0_0, JWT_AUTH_1_0_0).notes.map(({ pointer, change, breaking }) => [pointer, change, breaking]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['/issuer', 'required_removed', false],
        ['/clock_skew_seconds', 'constraint_loosened', false],
        ['/algorithms/*', 'enum_widened', false],
        ['/header', 'field_added', false],
        // configurations that set from_headers are refused by 1.0.0, which closes unknown fields
        ['/from_headers', 'field_removed', true],
      ]),
    );
  });
});

describe('a schema appearing or going away', () => {
  it('a first schema is not called breaking, but asks that configurations be validated', () => {
    const notes = upgradeNotes(side('1.0.0', null), side('1.1.0', object({ a: { type: 'string' } })));
    expect(notes.notes).toEqual([
      {
        pointer: '',
        change: 'schema_added',
        breaking: false,
        message: 'Version 1.1.0 is the first to describe its configuration with a schema: configurations are now checked; validate yours.',
      },
    ]);
  });

  it('a schema dropped says nothing is checked any more', () => {
    const notes = upgradeNotes(side('1.0.0', object({})), side('1.1.0', null));
    expect(notes.notes.map(({ change, breaking, message }) => [change, breaking, message])).toEqual([
      ['schema_removed', false, 'Version 1.1.0 has no configuration schema: configurations are no longer checked by the registry.'],
    ]);
  });

  it('no schema on either side: only the examples are compared', () => {
    const notes = upgradeNotes(side('1.0.0', null, ['basic', 'old']), side('1.1.0', null, ['basic', 'new']));
    expect(notes.notes.map(({ change, message }) => [change, message])).toEqual([
      ['example_removed', 'The example `old` is no longer offered.'],
      ['example_added', 'The example `new` is new.'],
    ]);
  });
});

describe('fields', () => {
  it('a field newly required says whether it has a default, and names the object it lives in', () => {
    const before = object({ tls: object({ cert: { type: 'string' }, mode: { type: 'string', default: 'strict' } }) });
    const after = object({ tls: object({ cert: { type: 'string' }, mode: { type: 'string', default: 'strict' } }, { required: ['cert', 'mode'] }) });
    expect(messages(before, after)).toEqual([
      '`tls.cert` is now required (no default): configurations that set `tls` without it are refused.',
      '`tls.mode` is now required (default "strict"): configurations that set `tls` without it are refused.',
    ]);
  });

  it('a new required field is one breaking note, not also a field_added', () => {
    expect(changes(object({}), object({ id: { type: 'string' } }, { required: ['id'] }))).toEqual([['/id', 'required_added', true]]);
    expect(messages(object({}), object({ id: { type: 'string' } }, { required: ['id'] }))).toEqual([
      '`id` is new and required (no default): configurations without it are refused.',
    ]);
  });

  it('a field no longer required', () => {
    expect(changes(object({ a: { type: 'string' } }, { required: ['a'] }), object({ a: { type: 'string' } }))).toEqual([['/a', 'required_removed', false]]);
  });

  it('a removed field breaks configurations only where unknown fields are refused', () => {
    const open = changes(object({ a: {}, b: {} }), object({ a: {} }));
    const closed = changes(object({ a: {}, b: {} }, { additionalProperties: false }), object({ a: {} }, { additionalProperties: false }));
    const closedByUnevaluated = changes(object({ a: {}, b: {} }), object({ a: {} }, { unevaluatedProperties: false }));
    expect(open).toEqual([['/b', 'field_removed', false]]);
    expect(closed).toEqual([['/b', 'field_removed', true]]);
    expect(closedByUnevaluated).toEqual([
      ['', 'additional_properties_closed', true],
      ['/b', 'field_removed', true],
    ]);
    expect(messages(object({ a: {}, b: {} }), object({ a: {} }))).toEqual([
      '`b` was removed: the plugin no longer reads it, and configurations that set it are still accepted.',
    ]);
  });

  it('a removed field that a closed object still admits through patternProperties is not breaking', () => {
    const before = object({ x_trace: {} }, { additionalProperties: false, patternProperties: { '^x_': {} } });
    const after = object({}, { additionalProperties: false, patternProperties: { '^x_': {} } });
    expect(changes(before, after)).toEqual([['/x_trace', 'field_removed', false]]);
    const afterOtherPattern = object({}, { additionalProperties: false, patternProperties: { '^y_': {} } });
    expect(changes(before, afterOtherPattern)).toEqual([
      ['', 'rule_changed', true],
      ['/x_trace', 'field_removed', true],
    ]);
  });

  it('closing an object names the fields it still accepts; opening it is not breaking', () => {
    expect(messages(object({ a: {}, b: {} }), object({ a: {}, b: {} }, { additionalProperties: false }))).toEqual([
      'The configuration now accepts only `a`, `b`: configurations with other fields are refused.',
    ]);
    expect(changes(object({ a: {} }, { additionalProperties: false }), object({ a: {} }, { additionalProperties: true }))).toEqual([
      ['', 'additional_properties_opened', false],
    ]);
  });

  it('a map’s values (additionalProperties as a schema) are compared at /<map>/*', () => {
    const before = object({ headers: { type: 'object', additionalProperties: { type: 'string' } } });
    const after = object({ headers: { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } } });
    expect(changes(before, after)).toEqual([['/headers/*', 'constraint_tightened', true]]);
    expect(messages(before, after)).toEqual(['`headers.*` must now be at most 256 characters long: configurations that break this are refused.']);
  });
});

describe('types', () => {
  it.each([
    ['a type dropped', ['string', 'integer'], 'integer', 'type_narrowed', true, '`v` must now be an integer (it was a string or an integer): configurations that give a string are refused.'],
    ['number to integer', 'number', 'integer', 'type_narrowed', true, '`v` must now be an integer (it was a number): configurations that give a fractional number are refused.'],
    ['integer to number', 'integer', 'number', 'type_widened', false, '`v` now also accepts a fractional number.'],
    ['a type added', 'string', ['string', 'null'], 'type_widened', false, '`v` now also accepts null.'],
    ['one type for another', 'string', 'boolean', 'type_changed', true, '`v` must now be a boolean (it was a string): configurations that give a string are refused.'],
  ])('%s', (_name, before, after, change, breaking, message) => {
    const notes = upgradeNotes(side('1', object({ v: { type: before } })), side('2', object({ v: { type: after } }))).notes;
    expect(notes).toEqual([{ pointer: '/v', change, breaking, message }]);
  });

  it('a type given where any was accepted narrows; OpenAPI nullable counts as null', () => {
    expect(messages(object({ v: {} }), object({ v: { type: 'string' } }))).toEqual([
      '`v` must now be a string (any type was accepted): configurations that give null or a boolean or an object or an array or a number are refused.',
    ]);
    expect(changes(object({ v: { type: 'string', nullable: true } }), object({ v: { type: 'string' } }))).toEqual([['/v', 'type_narrowed', true]]);
  });

  it('a subschema that became false accepts nothing', () => {
    expect(changes(object({ v: { type: 'string' } }), object({ v: false }))).toEqual([['/v', 'type_narrowed', true]]);
  });
});

describe('enums', () => {
  it('values removed are named and breaking; values added are not', () => {
    const before = object({ mode: { enum: ['allow', 'deny', 'log', 'audit'] } });
    const after = object({ mode: { enum: ['allow', 'deny', 'dry-run'] } });
    expect(upgradeNotes(side('1', before), side('2', after)).notes).toEqual([
      { pointer: '/mode', change: 'enum_narrowed', breaking: true, message: '`mode` no longer accepts "log" and "audit": configurations that use them are refused.' },
      { pointer: '/mode', change: 'enum_widened', breaking: false, message: '`mode` now also accepts "dry-run".' },
    ]);
  });

  it('an enum given where there was none narrows; dropping it widens; object values compare by content', () => {
    expect(changes(object({ m: { type: 'string' } }), object({ m: { type: 'string', enum: ['a'] } }))).toEqual([['/m', 'enum_narrowed', true]]);
    expect(changes(object({ m: { enum: ['a'] } }), object({ m: {} }))).toEqual([['/m', 'enum_widened', false]]);
    expect(changes(object({ m: { enum: [{ a: 1, b: 2 }] } }), object({ m: { enum: [{ b: 2, a: 1 }] } }))).toEqual([]);
  });
});

describe('constraints', () => {
  it.each([
    ['minimum', { minimum: 1 }, { minimum: 5 }, 'constraint_tightened', true, '`v` must now be at least 5 (it had to be at least 1): configurations that break this are refused.'],
    ['minimum', { minimum: 5 }, { minimum: 1 }, 'constraint_loosened', false, '`v` must now be at least 1 (it had to be at least 5).'],
    ['maximum', { maximum: 10 }, { maximum: 20 }, 'constraint_loosened', false, '`v` must now be at most 20 (it had to be at most 10).'],
    ['exclusiveMaximum', {}, { exclusiveMaximum: 10 }, 'constraint_tightened', true, '`v` must now be less than 10: configurations that break this are refused.'],
    ['exclusiveMinimum', { exclusiveMinimum: 0 }, {}, 'constraint_loosened', false, '`v` no longer has to be greater than 0.'],
    ['minLength', { minLength: 1 }, { minLength: 8 }, 'constraint_tightened', true, '`v` must now be at least 8 characters long (it had to be at least 1 character long): configurations that break this are refused.'],
    ['maxLength', { maxLength: 64 }, { maxLength: 32 }, 'constraint_tightened', true, '`v` must now be at most 32 characters long (it had to be at most 64 characters long): configurations that break this are refused.'],
    ['minItems', {}, { minItems: 1 }, 'constraint_tightened', true, '`v` must now hold at least 1 item: configurations that break this are refused.'],
    ['maxItems', { maxItems: 3 }, { maxItems: 2 }, 'constraint_tightened', true, '`v` must now hold at most 2 items (it had to hold at most 3 items): configurations that break this are refused.'],
    ['multipleOf', { multipleOf: 10 }, { multipleOf: 5 }, 'constraint_loosened', false, '`v` must now be a multiple of 5 (it had to be a multiple of 10).'],
    ['multipleOf', { multipleOf: 5 }, { multipleOf: 10 }, 'constraint_tightened', true, '`v` must now be a multiple of 10 (it had to be a multiple of 5): configurations that break this are refused.'],
    ['pattern', { pattern: '^[a-z]+$' }, { pattern: '^[a-z0-9]+$' }, 'constraint_tightened', true, '`v` must now match the pattern "^[a-z0-9]+$" (it had to match the pattern "^[a-z]+$"): configurations that met the old rule may be refused.'],
    ['pattern', { pattern: '^[a-z]+$' }, {}, 'constraint_loosened', false, '`v` no longer has to match the pattern "^[a-z]+$".'],
    ['const', { const: 'v1' }, { const: 'v2' }, 'constraint_tightened', true, '`v` must now be exactly "v2" (it had to be exactly "v1"): configurations that met the old rule may be refused.'],
    ['uniqueItems', { uniqueItems: false }, { uniqueItems: true }, 'constraint_tightened', true, '`v` must now hold no item twice: configurations that break this are refused.'],
    ['format', {}, { format: 'uri' }, 'constraint_tightened', true, '`v` must now be a valid uri: configurations that break this are refused.'],
  ])('%s %j → %j', (_keyword, before, after, change, breaking, message) => {
    expect(upgradeNotes(side('1', object({ v: before })), side('2', object({ v: after }))).notes).toEqual([{ pointer: '/v', change, breaking, message }]);
  });

  it('a rule compared as a whole (oneOf, if/then) is breaking when it appears or changes, not when it goes', () => {
    const oneOf = (types: string[]): SchemaObject => object({ v: { oneOf: types.map((type) => ({ type })) } });
    expect(changes(oneOf(['string', 'integer']), oneOf(['string']))).toEqual([['/v', 'rule_changed', true]]);
    expect(changes(object({ v: {} }), oneOf(['string']))).toEqual([['/v', 'rule_added', true]]);
    expect(changes(oneOf(['string']), object({ v: {} }))).toEqual([['/v', 'rule_removed', false]]);
  });
});

describe('defaults', () => {
  it('a default added, changed or removed is shown, never as breaking', () => {
    const before = object({ a: { type: 'integer', default: 1 }, b: { type: 'integer' }, c: { type: 'integer', default: 3 } });
    const after = object({ a: { type: 'integer', default: 2 }, b: { type: 'integer', default: 2 }, c: { type: 'integer' } });
    expect(upgradeNotes(side('1', before), side('2', after)).notes).toEqual([
      { pointer: '/a', change: 'default_changed', breaking: false, message: 'The default of `a` changed from 1 to 2: configurations that leave it out behave differently.' },
      { pointer: '/b', change: 'default_added', breaking: false, message: '`b` now defaults to 2: configurations that leave it out may behave differently.' },
      { pointer: '/c', change: 'default_removed', breaking: false, message: '`c` no longer has a default (it was 3): configurations that leave it out may behave differently.' },
    ]);
  });

  it('defaults that are equal objects written in another key order are unchanged', () => {
    expect(changes(object({ a: { default: { x: 1, y: [1, 2] } } }), object({ a: { default: { y: [1, 2], x: 1 } } }))).toEqual([]);
  });
});

describe('$refs and nesting', () => {
  it('follows draft-07 definitions: a change inside a referenced definition is reported where configurations use it', () => {
    const routes = (path: SchemaObject): SchemaObject => ({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { rules: { type: 'array', items: { $ref: '#/definitions/rule' } } },
      definitions: {
        rule: { type: 'object', properties: { path, methods: { type: 'array', items: { $ref: '#/definitions/method' } } }, required: ['path'] },
        method: { enum: ['GET', 'POST', 'PUT'] },
      },
    });
    const before = routes({ type: 'string' });
    const after = { ...routes({ type: 'string', pattern: '^/' }), definitions: { ...(routes({ type: 'string', pattern: '^/' }).definitions as object), method: { enum: ['GET', 'POST'] } } };
    expect(upgradeNotes(side('1', before), side('2', after)).notes).toEqual([
      { pointer: '/rules/*/methods/*', change: 'enum_narrowed', breaking: true, message: '`rules[].methods[]` no longer accepts "PUT": configurations that use it are refused.' },
      { pointer: '/rules/*/path', change: 'constraint_tightened', breaking: true, message: '`rules[].path` must now match the pattern "^/": configurations that break this are refused.' },
    ]);
  });

  it('follows 2020-12 $defs, with the siblings of a $ref applying too, and compares a definition with an inline schema', () => {
    const before: SchemaObject = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { upstream: { $ref: '#/$defs/endpoint' }, fallback: { $ref: '#/$defs/endpoint', default: { host: 'localhost', port: 8080 } } },
      $defs: { endpoint: { type: 'object', properties: { host: { type: 'string' }, port: { $ref: '#/$defs/port' } }, required: ['host'] }, port: { type: 'integer', maximum: 65535 } },
    };
    const after: SchemaObject = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        upstream: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 } }, required: ['host', 'port'] },
        fallback: { $ref: '#/$defs/endpoint', default: { host: 'localhost', port: 9090 } },
      },
      $defs: { endpoint: { type: 'object', properties: { host: { type: 'string' }, port: { $ref: '#/$defs/port' } }, required: ['host'] }, port: { type: 'integer', maximum: 65535 } },
    };
    expect(changes(before, after)).toEqual([
      ['/upstream/port', 'required_added', true],
      ['/upstream/port', 'constraint_tightened', true],
      ['/fallback', 'default_changed', false],
    ]);
  });

  it('a definition used in two places is reported at both', () => {
    const schema = (max: number): SchemaObject => ({
      type: 'object',
      properties: { read_timeout: { $ref: '#/$defs/seconds' }, write_timeout: { $ref: '#/$defs/seconds' } },
      $defs: { seconds: { type: 'number', maximum: max } },
    });
    expect(changes(schema(60), schema(30))).toEqual([
      ['/read_timeout', 'constraint_tightened', true],
      ['/write_timeout', 'constraint_tightened', true],
    ]);
  });

  it('arrays of arrays of objects, and 2020-12 prefixItems, get pointers to items and positions', () => {
    const schema = (cellType: string, secondType: string): SchemaObject =>
      object({
        grid: { type: 'array', items: { type: 'array', items: object({ value: { type: cellType } }) } },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: secondType }], items: false },
      });
    expect(changes(schema('number', 'number'), schema('integer', 'integer'))).toEqual([
      ['/grid/*/*/value', 'type_narrowed', true],
      ['/pair/1', 'type_narrowed', true],
    ]);
  });

  it('draft-07 tuple items and additionalItems compare like prefixItems and items', () => {
    const schema = (rest: unknown): SchemaObject => object({ pair: { type: 'array', items: [{ type: 'string' }], additionalItems: rest } });
    expect(changes(schema({ type: 'string' }), schema(false))).toEqual([['/pair/*', 'type_narrowed', true]]);
  });

  it('a self-referential schema (a tree) ends, each change reported once where the recursion starts', () => {
    const tree = (maxLength: number): SchemaObject => ({
      $schema: 'http://json-schema.org/draft-07/schema#',
      $ref: '#/definitions/node',
      definitions: {
        node: { type: 'object', properties: { name: { type: 'string', maxLength }, children: { type: 'array', items: { $ref: '#/definitions/node' } } } },
      },
    });
    const notes = upgradeNotes(side('1', tree(64)), side('2', tree(32)));
    expect(notes.complete).toBe(true);
    expect(notes.notes.map(({ pointer, change }) => [pointer, change])).toEqual([['/name', 'constraint_tightened']]);
  });

  it('a schema that refers to itself through the root ("#") ends too', () => {
    const tree = (type: string): SchemaObject => object({ label: { type }, next: { $ref: '#' } });
    const notes = upgradeNotes(side('1', tree('string')), side('2', tree('number')));
    expect([notes.complete, notes.notes.map(({ pointer }) => pointer)]).toEqual([true, ['/label']]);
  });

  it('keys with "/" or "~" are escaped in pointers', () => {
    expect(changes(object({ 'a/b~c': { type: 'string' } }), object({ 'a/b~c': { type: 'integer' } }))).toEqual([['/a~1b~0c', 'type_changed', true]]);
  });
});

describe('a hostile pair of schemas', () => {
  /** 20 definitions, each with ten fields referring to the next: 10^20 paths through a schema of a few kilobytes. */
  function fanOut(type: string): SchemaObject {
    const definitions: Record<string, unknown> = { d20: { type } };
    for (let level = 0; level < 20; level++) {
      definitions[`d${level}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, { $ref: `#/definitions/d${level + 1}` }])) };
    }
    return { $ref: '#/definitions/d0', definitions };
  }

  it('a huge fan-out of $refs stops at the node bound, quickly, with one note saying where', () => {
    const started = performance.now();
    const notes = upgradeNotes(side('1', fanOut('string')), side('2', fanOut('string')));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(notes.complete).toBe(false);
    expect(notes.notes).toHaveLength(1);
    expect(notes.notes[0]!.change).toBe('comparison_stopped');
    expect(notes.notes[0]!.pointer).toMatch(/^(\/f\d){2,20}$/);
    expect(notes.notes[0]!.message).toMatch(
      /^The comparison stopped at `f\d(\.f\d)+` \(after comparing 5,000 subschemas\): changes from there on are not listed; validate your configuration against the new schema\.$/,
    );
  });

  it('the node bound counts every subschema pair compared: the root and its fields', () => {
    const wide = (fields: number): SchemaObject => object(Object.fromEntries(Array.from({ length: fields }, (_, i) => [`f${i}`, { type: 'string' }])));
    const justUnder = UPGRADE_NOTES_BOUNDS.nodes - 1;
    expect(upgradeNotes(side('1', wide(justUnder)), side('2', wide(justUnder)))).toMatchObject({ complete: true, notes: [] });
    const over = upgradeNotes(side('1', wide(justUnder + 1)), side('2', wide(justUnder + 1)));
    expect([over.complete, over.notes.map(({ pointer, change }) => [pointer, change])]).toEqual([false, [[`/f${justUnder}`, 'comparison_stopped']]]);
  });

  it('a fan-out where every leaf changed stops at the note bound', () => {
    const started = performance.now();
    const notes = upgradeNotes(side('1', fanOut('string')), side('2', fanOut('integer')));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(notes.complete).toBe(false);
    expect(notes.notes).toHaveLength(UPGRADE_NOTES_BOUNDS.notes + 1);
    expect(notes.notes.filter((note) => note.change === 'type_changed')).toHaveLength(UPGRADE_NOTES_BOUNDS.notes);
    expect(notes.notes.filter((note) => note.change === 'comparison_stopped').map((note) => note.message)).toEqual([
      expect.stringContaining('(after 1,000 notes)'),
    ]);
  });

  it('a chain of definitions deeper than the depth bound stops there', () => {
    const chain = (type: string): SchemaObject => {
      const definitions: Record<string, unknown> = { d60: { type } };
      for (let level = 0; level < 60; level++) definitions[`d${level}`] = object({ next: { $ref: `#/definitions/d${level + 1}` } });
      return { $ref: '#/definitions/d0', definitions };
    };
    const notes = upgradeNotes(side('1', chain('string')), side('2', chain('integer')));
    expect(notes.complete).toBe(false);
    expect(notes.notes.map(({ pointer, change }) => [pointer, change])).toEqual([['/next'.repeat(UPGRADE_NOTES_BOUNDS.depth), 'comparison_stopped']]);
    expect(notes.notes[0]!.message).toContain('(32 levels deep)');
  });

  it('enums too large to compare stop at the value bound', () => {
    const values = Array.from({ length: UPGRADE_NOTES_BOUNDS.values / 2 + 1 }, (_, i) => `v${i}`);
    const notes = upgradeNotes(side('1', object({ v: { enum: values } })), side('2', object({ v: { enum: values.slice(1) } })));
    expect(notes.notes.map(({ pointer, change }) => [pointer, change])).toEqual([['/v', 'comparison_stopped']]);
    expect(notes.complete).toBe(false);
  });
});
