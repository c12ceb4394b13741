import { describe, expect, it } from 'vitest';
import { JWT_AUTH_1_0_0, JWT_AUTH_2_0_0 } from '../test/jwt-auth-contract.js';
import type { SchemaObject } from './schema-refs.js';
import { UPGRADE_NOTES_LIMITS, upgradeNotes, type ContractSide } from './upgrade-notes.js';

function side(version: string, configSchema: SchemaObject | null, exampleNames: string[] = []): ContractSide {
  return { version, configSchema, examples: exampleNames.map((name) => ({ name, description: null, configuration: {} })) };
}

/** "change pointer" per note, in the order given. */
function summary(from: ContractSide, to: ContractSide): string[] {
  return upgradeNotes(from, to).notes.map((note) => `${note.change} ${note.pointer}`);
}

describe('upgradeNotes', () => {
  it('lists what breaks configurations of jwt-auth 1.0.0 (draft-07) under 2.0.0 (2020-12), breaking first', () => {
    const result = upgradeNotes(JWT_AUTH_1_0_0, JWT_AUTH_2_0_0);
    expect(result.from).toBe('1.0.0');
    expect(result.to).toBe('2.0.0');
    expect(result.breaking).toBe(true);
    expect(result.notes.map(({ change, pointer, breaking }) => ({ change, pointer, breaking }))).toEqual([
      { change: 'enum_narrowed', pointer: '/algorithms/*', breaking: true },
      { change: 'required_added', pointer: '/audiences', breaking: true },
      { change: 'constraint_tightened', pointer: '/clock_skew_seconds', breaking: true },
      { change: 'field_removed', pointer: '/header', breaking: true },
      { change: 'default_changed', pointer: '/clock_skew_seconds', breaking: false },
    ]);
    const message = (change: string) => result.notes.find((note) => note.change === change)?.message;
    expect(message('required_added')).toBe('`audiences` is now required (no default): configurations without it are refused.');
    expect(message('enum_narrowed')).toBe('`algorithms/*` no longer accepts "HS256": configurations using it are refused.');
    expect(message('constraint_tightened')).toBe('`clock_skew_seconds`: maximum is now 60 (was 300): configurations with a value above 60 are refused.');
    expect(message('default_changed')).toBe('`clock_skew_seconds` now defaults to 30 (was 60): configurations that leave it out behave differently.');
    expect(message('field_removed')).toBe('`header` was removed and undeclared fields are refused: configurations that set it are refused.');
  });

  it('finds nothing to say going back from a version to itself', () => {
    expect(upgradeNotes(JWT_AUTH_2_0_0, JWT_AUTH_2_0_0)).toEqual({ from: '2.0.0', to: '2.0.0', breaking: false, notes: [] });
  });

  it('labels a compatible upgrade (an optional field added, a type widened) as not breaking', () => {
    const before = side('1.0.0', {
      type: 'object',
      required: ['upstream'],
      properties: { upstream: { type: 'string' }, timeout: { type: 'integer', minimum: 1 }, mode: { type: 'string', enum: ['fast', 'safe'] } },
    });
    const after = side('1.1.0', {
      type: 'object',
      required: ['upstream'],
      properties: {
        upstream: { type: 'string' },
        timeout: { type: ['number', 'string'], minimum: 0.5 },
        mode: { type: 'string', enum: ['fast', 'safe', 'paranoid'] },
        retries: { type: 'integer', default: 2 },
      },
    });
    const result = upgradeNotes(before, after);
    expect(result.breaking).toBe(false);
    expect(summary(before, after)).toEqual(['enum_widened /mode', 'field_added /retries', 'type_widened /timeout', 'constraint_loosened /timeout']);
    expect(result.notes.find((note) => note.change === 'type_widened')?.message).toBe('`timeout` now also accepts a non-integer number or a string (was integer).');
  });

  it('labels number → integer, a type swap and a type appearing where any was accepted as breaking', () => {
    const before = side('1.0.0', { properties: { ratio: { type: 'number' }, port: { type: 'string' }, anything: {} } });
    const after = side('2.0.0', { properties: { ratio: { type: 'integer' }, port: { type: 'integer' }, anything: { type: 'object' } } });
    const result = upgradeNotes(before, after);
    expect(result.notes.map(({ change, pointer, breaking }) => `${change} ${pointer} ${breaking}`)).toEqual([
      'type_narrowed /anything true',
      'type_changed /port true',
      'type_narrowed /ratio true',
    ]);
    expect(result.notes[2]!.message).toContain('configurations with a non-integer number there are refused');
  });

  it('says a removed field is no longer read where undeclared fields are accepted, and refused where they are not', () => {
    const open = side('1.0.0', { type: 'object', properties: { legacy: { type: 'string' }, name: { type: 'string' } } });
    const stillOpen = side('1.1.0', { type: 'object', properties: { name: { type: 'string' } } });
    expect(upgradeNotes(open, stillOpen).notes).toEqual([
      { pointer: '/legacy', change: 'field_removed', breaking: false, message: '`legacy` is no longer read: configurations that set it stay valid, but it has no effect.' },
    ]);
    const closed = side('2.0.0', { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } });
    expect(summary(open, closed)).toEqual(['additional_properties_closed ', 'field_removed /legacy']);
    expect(upgradeNotes(open, closed).breaking).toBe(true);
  });

  it('says whether a newly required field has a default, which does not stand in for it', () => {
    const before = side('1.0.0', { type: 'object', properties: { region: { type: 'string', default: 'eu' } } });
    const after = side('2.0.0', { type: 'object', required: ['region', 'tenant'], properties: { region: { type: 'string', default: 'eu' }, tenant: { type: 'string' } } });
    const notes = upgradeNotes(before, after).notes;
    expect(notes.map((note) => `${note.change} ${note.pointer} ${note.breaking}`)).toEqual(['required_added /region true', 'required_added /tenant true']);
    expect(notes[0]!.message).toBe('`region` is now required (its default, "eu", does not stand in for it): configurations without it are refused.');
    expect(notes[1]!.message).toBe('`tenant` is new and required (no default): configurations without it are refused.');
    expect(summary(after, before)).toEqual(['required_removed /region', 'field_removed /tenant']);
  });

  it('tightens and loosens bounds, multipleOf, const and pattern by which values they refuse', () => {
    const before = side('1.0.0', {
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z]+$' },
        step: { type: 'number', multipleOf: 10, exclusiveMinimum: 0 },
        fixed: { const: 'v1' },
        tags: { type: 'array', maxItems: 5 },
      },
    });
    const after = side('2.0.0', {
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[a-z0-9]+$' },
        step: { type: 'number', multipleOf: 5, exclusiveMinimum: 1 },
        fixed: { const: 'v2' },
        tags: { type: 'array', maxItems: 5, uniqueItems: true },
      },
    });
    expect(upgradeNotes(before, after).notes.map((note) => `${note.change} ${note.pointer} ${note.breaking}`)).toEqual([
      'constraint_tightened /fixed true',
      'constraint_tightened /name true',
      'constraint_tightened /step true',
      'constraint_tightened /tags true',
      'constraint_loosened /name false',
      'constraint_loosened /step false',
    ]);
    expect(summary(after, before)).toEqual([
      'constraint_tightened /fixed',
      'constraint_tightened /name',
      'constraint_tightened /name',
      'constraint_tightened /step',
      'constraint_loosened /step',
      'constraint_loosened /tags',
    ]);
  });

  it('notes default added and removed, and a schema or examples appearing or going, as not breaking', () => {
    const before = side('1.0.0', { properties: { a: { type: 'string', default: 'x' }, b: { type: 'string' } } }, ['basic', 'old']);
    const after = side('1.1.0', { properties: { a: { type: 'string' }, b: { type: 'string', default: 'y' } } }, ['basic', 'new']);
    const result = upgradeNotes(before, after);
    expect(result.breaking).toBe(false);
    expect(summary(before, after)).toEqual(['example_removed ', 'example_added ', 'default_removed /a', 'default_added /b']);
    expect(upgradeNotes(side('1.0.0', null), after).notes).toEqual([
      expect.objectContaining({ pointer: '', change: 'schema_added', breaking: false, message: expect.stringContaining('configurations are now checked against it') }),
      expect.objectContaining({ change: 'example_added' }),
      expect.objectContaining({ change: 'example_added' }),
    ]);
    expect(upgradeNotes(before, side('2.0.0', null)).notes).toEqual([
      expect.objectContaining({ pointer: '', change: 'schema_removed', breaking: false, message: 'Version 2.0.0 has no configuration schema: nothing is checked any more.' }),
      expect.objectContaining({ change: 'example_removed' }),
      expect.objectContaining({ change: 'example_removed' }),
    ]);
    expect(upgradeNotes(side('1.0.0', null), side('2.0.0', null)).notes).toEqual([]);
  });

  it('follows $refs through definitions (draft-07) and $defs (2020-12), at every place a definition is used', () => {
    const before = side('1.0.0', {
      type: 'object',
      properties: { primary: { $ref: '#/definitions/upstream' }, fallback: { $ref: '#/definitions/upstream' } },
      definitions: { upstream: { type: 'object', properties: { host: { type: 'string' }, timeout_ms: { type: 'integer', maximum: 10000 } } } },
    });
    const after = side('2.0.0', {
      type: 'object',
      properties: { primary: { $ref: '#/$defs/upstream' }, fallback: { $ref: '#/$defs/upstream', default: { host: 'backup' } } },
      $defs: { upstream: { type: 'object', properties: { host: { type: 'string' }, timeout_ms: { type: 'integer', maximum: 5000 } } } },
    });
    expect(summary(before, after)).toEqual([
      'constraint_tightened /fallback/timeout_ms',
      'constraint_tightened /primary/timeout_ms',
      'default_added /fallback',
    ]);
  });

  it('walks arrays of objects, maps (additionalProperties) and tuples (items array, prefixItems)', () => {
    const before = side('1.0.0', {
      type: 'object',
      properties: {
        rules: { type: 'array', items: { type: 'object', required: ['path'], properties: { path: { type: 'string' }, methods: { type: 'array', items: { enum: ['GET', 'POST', 'PUT'] } } } } },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        range: { type: 'array', items: [{ type: 'integer' }, { type: 'integer' }] },
      },
    });
    const after = side('2.0.0', {
      type: 'object',
      properties: {
        rules: { type: 'array', items: { type: 'object', required: ['path'], properties: { path: { type: 'string', pattern: '^/' }, methods: { type: 'array', items: { enum: ['GET', 'POST'] } } } } },
        headers: { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } },
        range: { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'integer', minimum: 0 }] },
      },
    });
    expect(summary(before, after)).toEqual([
      'constraint_tightened /headers/*',
      'constraint_tightened /range/1',
      'enum_narrowed /rules/*/methods/*',
      'constraint_tightened /rules/*/path',
    ]);
    expect(upgradeNotes(before, after).notes[2]!.message).toBe('`rules/*/methods/*` no longer accepts "PUT": configurations using it are refused.');
  });

  it('ends on a self-referential tree schema, reporting a change once where it is first met', () => {
    const tree = (nameSchema: SchemaObject): SchemaObject => ({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $ref: '#/$defs/node',
      $defs: {
        node: {
          type: 'object',
          properties: { name: nameSchema, children: { type: 'array', items: { $ref: '#/$defs/node' } }, parent: { $ref: '#' } },
        },
      },
    });
    const notes = upgradeNotes(side('1.0.0', tree({ type: 'string' })), side('2.0.0', tree({ type: 'string', maxLength: 64 }))).notes;
    expect(notes.map((note) => `${note.change} ${note.pointer}`)).toEqual(['constraint_tightened /name']);
  });

  it('stops a hostile pair ($ref fan-out describing 10^30 subschemas) quickly with one comparison_truncated note', () => {
    const fanOut = (leaf: SchemaObject): SchemaObject => {
      const $defs: Record<string, SchemaObject> = { level30: leaf };
      for (let level = 29; level >= 0; level--) {
        const next = { $ref: `#/$defs/level${level + 1}` };
        $defs[`level${level}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, { ...next }])) };
      }
      return { $ref: '#/$defs/level0', $defs };
    };
    // Bounded by counting, not by time: the walk stops at the node limit and says so.
    const result = upgradeNotes(side('1.0.0', fanOut({ type: 'string' })), side('2.0.0', fanOut({ type: 'integer' })));
    const truncated = result.notes.filter((note) => note.change === 'comparison_truncated');
    expect(truncated).toHaveLength(1);
    expect(truncated[0]!.breaking).toBe(true);
    expect(result.notes.length).toBeLessThanOrEqual(UPGRADE_NOTES_LIMITS.subschemas);
  });

  it('stops at the depth limit on a deeply nested pair', () => {
    const nested = (depth: number): SchemaObject => (depth === 0 ? { type: 'string' } : { type: 'object', properties: { n: nested(depth - 1) } });
    const deep = UPGRADE_NOTES_LIMITS.depth + 8;
    const result = upgradeNotes(side('1.0.0', nested(deep)), side('1.0.1', nested(deep)));
    expect(result.notes).toEqual([expect.objectContaining({ change: 'comparison_truncated', pointer: '/n'.repeat(UPGRADE_NOTES_LIMITS.depth + 1) })]);
    expect(upgradeNotes(side('1.0.0', nested(UPGRADE_NOTES_LIMITS.depth)), side('1.0.1', nested(UPGRADE_NOTES_LIMITS.depth))).notes).toEqual([]);
  });

  /** A schema under the 64 KiB publish limit whose one big keyword value is met at thousands of places through a $ref fan-out. */
  function sharedAtEveryLeaf(leaf: SchemaObject): SchemaObject {
    const definitions: Record<string, SchemaObject> = { leaf };
    for (let level = 0; level < 4; level++) {
      const next = { $ref: level === 3 ? '#/definitions/leaf' : `#/definitions/d${level + 1}` };
      definitions[`d${level}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, { ...next }])) };
    }
    return { $ref: '#/definitions/d0', definitions };
  }

  it.each([
    ['an enum of 9,000 values', (shift: number): SchemaObject => ({ enum: Array.from({ length: 9_000 }, (_, i) => i + shift) })],
    ['a default of 9,000 items', (shift: number): SchemaObject => ({ type: 'array', default: Array.from({ length: 9_000 }, (_, i) => i + shift) })],
  ])('stays quick on a 45 KB hostile pair: %s met at every leaf of a fan-out', (_name, leaf) => {
    const before = sharedAtEveryLeaf(leaf(0));
    expect(JSON.stringify(before).length).toBeLessThan(64 * 1024);
    // Not timed: before the value bound and the cache this took 8-81 s, past the test's own timeout.
    const result = upgradeNotes(side('1.0.0', before), side('2.0.0', sharedAtEveryLeaf(leaf(1))));
    expect(result.notes.filter((note) => note.change === 'comparison_truncated')).toHaveLength(1);
  });

  it('stops once the values it looks at (enum values, fields, required names) pass UPGRADE_NOTES_LIMITS.values', () => {
    const values = Array.from({ length: UPGRADE_NOTES_LIMITS.values / 2 }, (_, i) => `v${i}`);
    const under = upgradeNotes(side('1.0.0', { enum: values.slice(1) }), side('2.0.0', { enum: values.slice(1) }));
    expect(under.notes).toEqual([]);
    const over = upgradeNotes(side('1.0.0', { properties: { v: { enum: values } } }), side('2.0.0', { properties: { v: { enum: [...values, 'w'] } } }));
    expect(over.notes.map((note) => `${note.change} ${note.pointer}`)).toEqual(['comparison_truncated /v']);
  });

  it('labels a changed or added rule that is compared as a whole (oneOf, anyOf, if/then, patternProperties, …) as breaking, a removed one not', () => {
    const either = (types: string[]): SchemaObject => ({ type: 'object', properties: { port: { oneOf: types.map((type) => ({ type })) } } });
    expect(upgradeNotes(side('1.0.0', either(['integer', 'string'])), side('2.0.0', either(['integer']))).notes).toEqual([
      {
        pointer: '/port',
        change: 'rule_changed',
        breaking: true,
        message: 'The `oneOf` rule of `port` changed: configurations valid before may be refused; check yours against the new schema.',
      },
    ]);
    const open: SchemaObject = { type: 'object', properties: { port: {} } };
    expect(summary(side('1.0.0', open), side('2.0.0', either(['integer'])))).toEqual(['rule_added /port']);
    expect(upgradeNotes(side('1.0.0', either(['integer'])), side('2.0.0', open)).notes.map((note) => [note.change, note.breaking])).toEqual([['rule_removed', false]]);
    const conditional = (then: SchemaObject): SchemaObject => ({ type: 'object', if: { required: ['tls'] }, then });
    expect(summary(side('1.0.0', conditional({ required: ['cert'] })), side('2.0.0', conditional({ required: ['cert', 'key'] })))).toEqual(['rule_changed ']);
    const reordered = { type: 'object', properties: { port: { anyOf: [{ type: 'integer', minimum: 1 }] } } };
    expect(summary(side('1.0.0', reordered), side('2.0.0', { type: 'object', properties: { port: { anyOf: [{ minimum: 1, type: 'integer' }] } } }))).toEqual([]);
  });
});
