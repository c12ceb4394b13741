import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryError, type FieldProblem } from '../../domain/index.js';
import { ContractChecker } from './contract-checker.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import { NO_HOST_HINTS, type ContractDraft } from './contract.js';
import { readContract } from './read-contract.js';

// Runs the compiled worker (dist/), as the API does: `npm test` builds first.
const fixture = (path: string): Buffer => readFileSync(new URL(`../test/fixtures/${path}`, import.meta.url));
const part = (filename: string, content: string | Buffer) => ({ filename, bytes: Buffer.isBuffer(content) ? content : Buffer.from(content) });
const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
const JWT_SCHEMA = JSON.parse(fixture('jwt-auth/config.schema.json').toString('utf8')) as Record<string, unknown>;
const JWT_SCHEMA_JSON = JSON.stringify(JWT_SCHEMA, null, 2);

// The production deadline: a shorter one turns a busy machine's slow start into a false timeout.
const DEADLINE_MS = CONTRACT_LIMITS.taskDeadlineMs;
const checker = new ContractChecker({ deadlineMs: DEADLINE_MS });
afterAll(() => checker.close());

const draftWith = (configSchema: Record<string, unknown> | null, examples: ContractDraft['examples'] = []): ContractDraft => ({
  source: 'parts',
  readme: null,
  configSchema: configSchema === null ? null : { value: configSchema, dialect: 'draft-07' },
  examples,
  hostHints: NO_HOST_HINTS,
  metadata: null,
});

async function problemsOf(work: Promise<unknown>): Promise<FieldProblem[]> {
  const error = await work.then(
    () => {
      throw new Error('expected a 400');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).status).toBe(400);
  return (error as RegistryError).extensions.errors as FieldProblem[];
}

/** 40 levels of {anyOf: [next, next]} ending in a leaf nothing matches: 2^40 paths to fail. */
/** 2^levels leaf checks. anyOf over a failing value also piles up errors (memory); allOf over a passing one only takes time. */
function exponentialSchema(levels = 40, combinator: 'anyOf' | 'allOf' = 'anyOf'): Record<string, unknown> {
  const definitions: Record<string, unknown> = { leaf: { type: 'string', minLength: 2 } };
  for (let i = 0; i < levels; i++) {
    const next = i + 1 === levels ? '#/definitions/leaf' : `#/definitions/l${i + 1}`;
    definitions[`l${i}`] = { [combinator]: [{ $ref: next }, { $ref: next }] };
  }
  return { $ref: '#/definitions/l0', definitions };
}

describe('ContractChecker.prepare', () => {
  it('checks and stores the jwt-auth manifest: served texts and their digests', async () => {
    const draft = readContract(
      { manifest: part('wasm-plugin.yaml', fixture('jwt-auth/wasm-plugin.yaml')), readme: part('README.md', fixture('jwt-auth/README.md')), schema: part('s.json', fixture('jwt-auth/config.schema.json')) },
      '1.2.0',
    )!;
    const contract = await checker.prepare(draft);
    const examplesJson = JSON.stringify(draft.examples, null, 2);
    expect(contract).toEqual({
      source: 'manifest',
      readme: { markdown: draft.readme, html: expect.stringContaining('jwt-auth'), digest: sha256(draft.readme!) },
      configSchema: { json: JWT_SCHEMA_JSON, dialect: 'draft-07', digest: sha256(JWT_SCHEMA_JSON) },
      examples: { json: examplesJson, names: ['remote-jwks', 'inline-keys.hs256'], digest: sha256(examplesJson) },
      hostHints: draft.hostHints,
    });
  });

  it("checks a Higress spec (OpenAPI's nullable, example, scope, x-* keywords) and its example", async () => {
    const draft = readContract({ manifest: part('spec.yaml', fixture('higress-ip-guard.spec.yaml')) }, '2.1.0')!;
    const contract = await checker.prepare(draft);
    expect(contract.source).toBe('higress');
    expect(contract.examples?.names).toEqual(['default']);
    expect(JSON.parse(contract.configSchema!.json)).toEqual(draft.configSchema!.value);
  });

  it("checks a Kong meta.json, its draft-04 $schema as draft-07", async () => {
    const meta = { config_schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { limit: { type: 'integer' } } } };
    const contract = await checker.prepare(readContract({ manifest: part('limits.meta.json', JSON.stringify(meta)) }, '1.0.0')!);
    expect(contract.configSchema?.dialect).toBe('draft-07');
    expect(await checker.validate(contract.configSchema!.json, { limit: 'ten' })).toEqual({
      valid: false,
      errors: [{ pointer: '/limit', rule: 'type', message: 'must be an integer' }],
    });
  });

  it('refuses an example that breaks the schema, naming the example, the pointer and the rule', async () => {
    const draft = readContract(
      {
        manifest: part('wasm-plugin.yaml', 'manifest: 1\nexamples:\n  - name: ok\n    configuration: { issuer: https://a.example/, audiences: [x], jwks: { keys: [{ kty: oct }] } }\n  - name: broken\n    configuration: { audiences: [], jwks: { keys: [{ kty: oct }] }, clockSkewSeconds: 900 }\n'),
        schema: part('s.json', fixture('jwt-auth/config.schema.json')),
      },
      '1.0.0',
    )!;
    expect(await problemsOf(checker.prepare(draft))).toEqual([
      { field: 'body.manifest.examples[1].configuration/issuer', message: 'example "broken" breaks the schema (required): issuer is required' },
      { field: 'body.manifest.examples[1].configuration/audiences', message: 'example "broken" breaks the schema (minItems): must have at least 1 item' },
      { field: 'body.manifest.examples[1].configuration/clockSkewSeconds', message: 'example "broken" breaks the schema (maximum): must be at most 300' },
    ]);
  });

  it("refuses a schema that breaks its dialect's meta-schema, naming the pointer", async () => {
    const problems = await problemsOf(checker.prepare(draftWith({ type: 'object', properties: { port: { type: 'int' }, name: { minLength: -1 } } })));
    expect(problems.map((p) => p.field)).toEqual(expect.arrayContaining(['body.schema/properties/port/type', 'body.schema/properties/name/minLength']));
    expect(problems.find((p) => p.field === 'body.schema/properties/name/minLength')?.message).toBe('breaks the draft-07 meta-schema (minimum): must be at least 0');
    // The 2020-12 meta-schema is the one used for a 2020-12 schema.
    const draft2020: ContractDraft = { ...draftWith(null), configSchema: { value: { $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: 'no' }, dialect: '2020-12' } };
    expect(await problemsOf(checker.prepare(draft2020))).toEqual([{ field: 'body.schema/prefixItems', message: 'breaks the 2020-12 meta-schema (type): must be an array' }]);
  });

  it('refuses a pattern RE2 cannot run (backreference, lookahead), naming the schema pointer', async () => {
    const schema = {
      type: 'object',
      properties: { twice: { type: 'string', pattern: '^(ab)\\1$' } },
      patternProperties: { '^(?!internal_)': { type: 'string' } },
    };
    expect(await problemsOf(checker.prepare(draftWith(schema)))).toEqual([
      { field: 'body.schema/patternProperties/^(?!internal_)', message: expect.stringContaining('must be written in RE2 syntax') },
      { field: 'body.schema/properties/twice/pattern', message: expect.stringMatching(/^is not RE2 syntax \(invalid escape sequence: `\\1`\); .*RE2 syntax/) },
    ]);
  });

  it('refuses a remote $ref without fetching it', async () => {
    let requests = 0;
    const server = createServer((_request, response) => {
      requests++;
      response.end('{"type":"string"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/schema.json`;
    try {
      const schema = { type: 'object', properties: { a: { $ref: url }, b: { $ref: 'https://json-schema.org/draft-07/schema' } } };
      expect(await problemsOf(checker.prepare(draftWith(schema)))).toEqual([
        { field: 'body.schema/properties/b/$ref', message: expect.stringContaining('only local references ("#/…") are allowed') },
        { field: 'body.schema/properties/a/$ref', message: `${JSON.stringify(url)} refers outside this schema; only local references ("#/…") are allowed, since the registry never fetches anything` },
      ]);
      // A reference into nothing is refused as well, by the compiler.
      expect(await problemsOf(checker.prepare(draftWith({ $ref: '#/definitions/missing' })))).toEqual([
        { field: 'body.schema', message: expect.stringMatching(/^cannot be compiled: .*#\/definitions\/missing/) },
      ]);
    } finally {
      server.close();
    }
    expect(requests).toBe(0);
  });

  it('refuses a draft built without readContract that nests too deep, before it is copied to a thread', async () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 10_000; i++) deep = { items: deep };
    expect(await problemsOf(checker.prepare(draftWith(deep)))).toEqual([{ field: 'body.schema', message: 'nests objects and arrays deeper than 32 levels' }]);
  });

  it('refuses a README whose HTML would pass the limit: 400 naming body.readme, not a failed thread', async () => {
    const readme = `[r]: https://example.com/${'a'.repeat(4000)}\n\n${'[r] '.repeat(1_000)}`;
    expect(await problemsOf(checker.prepare({ ...draftWith(null), readme }))).toEqual([{ field: 'body.readme', message: expect.stringContaining('more than 2 MiB of HTML') }]);
  });

  it('stops a schema check past the deadline: 400 naming the schema', async () => {
    // A passing example under allOf: time grows, memory does not, so the deadline is what stops it.
    const draft = draftWith(exponentialSchema(40, 'allOf'), [{ name: 'x', description: null, configuration: 'xx' }]);
    expect(await problemsOf(checker.prepare(draft))).toEqual([
      { field: 'body.schema', message: expect.stringContaining(`checking the schema and validating the examples against it took longer than ${DEADLINE_MS} ms`) },
    ]);
  });
});

describe('ContractChecker.validate', () => {
  it('says a valid configuration is valid', async () => {
    const configuration = { issuer: 'https://login.example.com/', audiences: ['orders'], jwks: { cluster: 'idp', path: '/jwks' } };
    expect(await checker.validate(JWT_SCHEMA_JSON, configuration)).toEqual({ valid: true, errors: [] });
  });

  it('lists every error of a JWT-auth configuration with its pointer, rule and a sentence', async () => {
    const configuration = {
      audiences: ['orders', 'orders'],
      jwks: { cluster: 'idp' },
      fromHeaders: [{ valuePrefix: 'Bearer ' }],
      clockSkewSeconds: 1000,
      claimsToHeaders: { sub: 'X-User', 'Tenant ID': 'x-tenant' },
      phase: 'STATS',
      forwardToken: 'yes',
      audience: 'orders',
    };
    const check = await checker.validate(JWT_SCHEMA_JSON, configuration);
    expect(check.valid).toBe(false);
    expect(check.errors).toEqual([
      { pointer: '/issuer', rule: 'required', message: 'issuer is required' },
      { pointer: '/audience', rule: 'additionalProperties', message: 'audience is not a field this object accepts' },
      { pointer: '/audiences', rule: 'uniqueItems', message: 'must not hold the same item twice (items 0 and 1 are equal)' },
      { pointer: '/jwks/path', rule: 'required', message: 'path is required' },
      { pointer: '/jwks/keys', rule: 'required', message: 'keys is required' },
      { pointer: '/jwks', rule: 'oneOf', message: 'must match one of the forms the schema allows' },
      { pointer: '/fromHeaders/0/name', rule: 'required', message: 'name is required' },
      { pointer: '/clockSkewSeconds', rule: 'maximum', message: 'must be at most 300' },
      { pointer: '/claimsToHeaders/Tenant ID', rule: 'pattern', message: 'the field name "Tenant ID" must match the pattern ^[a-z][a-z0-9_]*$' },
      { pointer: '/claimsToHeaders/sub', rule: 'pattern', message: 'must match the pattern ^x-[a-z0-9-]+$' },
      { pointer: '/phase', rule: 'enum', message: 'must be one of: AUTHN, AUTHZ' },
      { pointer: '/forwardToken', rule: 'type', message: 'must be true or false' },
    ]);
  });

  it('reports at most 100 errors', async () => {
    const schema = JSON.stringify({ type: 'array', items: { type: 'integer' } });
    const check = await checker.validate(schema, Array.from({ length: 500 }, (_, i) => `item ${i}`));
    expect(check.errors).toHaveLength(100);
    expect(check.errors[99]).toEqual({ pointer: '/99', rule: 'type', message: 'must be an integer' });
  });

  it('runs a catastrophic-backtracking pattern in linear time (RE2)', async () => {
    const schema = JSON.stringify({ type: 'string', pattern: '^(a+)+$' });
    // A backtracking engine would still be at it when the deadline stops the task (configuration_check_timeout).
    const check = await checker.validate(schema, `${'a'.repeat(50_000)}b`);
    expect(check).toEqual({ valid: false, errors: [{ pointer: '', rule: 'pattern', message: 'must match the pattern ^(a+)+$' }] });
    expect(await checker.validate(schema, 'a'.repeat(50_000))).toEqual({ valid: true, errors: [] });
  });

  it('checks format: regex with RE2 too', async () => {
    const schema = JSON.stringify({ type: 'string', format: 'regex' });
    expect(await checker.validate(schema, '^[a-z]+$')).toEqual({ valid: true, errors: [] });
    expect((await checker.validate(schema, '(?=a)b')).errors).toEqual([{ pointer: '', rule: 'format', message: 'must be a regular expression in RE2 syntax' }]);
  });

  it('refuses a configuration nested 10,000 levels deep before it leaves the thread', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(await problemsOf(checker.validate('{}', deep, 'body.configuration'))).toEqual([
      { field: 'body.configuration', message: 'nests objects and arrays deeper than 64 levels' },
    ]);
  });

  it('aborts an exponential validation at the deadline (422) while the event loop keeps answering', async () => {
    const schema = JSON.stringify(exponentialSchema());
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const error = await checker.validate(schema, 'x').catch((e: unknown) => e);
    clearInterval(ticker);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 422, code: 'configuration_check_timeout' });
    // The main thread ran its timers meanwhile (one every 10 ms when idle; fewer on a busy machine, never none).
    expect(ticks).toBeGreaterThanOrEqual(10);
    // The pool replaced the terminated thread.
    expect(await checker.validate(JWT_SCHEMA_JSON, {})).toMatchObject({ valid: false });
  });

  it('counts the deadline from when a thread starts a task, not while it waits in the queue', async () => {
    const single = new ContractChecker({ deadlineMs: 1_500, maxThreads: 1 });
    try {
      const stuck = single.validate(JSON.stringify(exponentialSchema()), 'x').catch((e: unknown) => e);
      const waiting = single.validate(JWT_SCHEMA_JSON, { issuer: 'https://a.example/', audiences: ['x'], jwks: { keys: [{ kty: 'oct' }] } });
      expect(await stuck).toMatchObject({ code: 'configuration_check_timeout' });
      expect(await waiting).toEqual({ valid: true, errors: [] });
    } finally {
      await single.close();
    }
  });
});
