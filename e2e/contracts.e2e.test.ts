import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { startLivenessProbe, type ProbeResult } from '../testing/liveness-probe.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { HIGRESS_SPEC, JWT_SCHEMA_V1, JWT_SCHEMA_V2, manifestYaml, publishWithParts, README, V1_EXAMPLES, V2_EXAMPLES } from './contract-fixtures.js';
import { api, expectProblem, settledVersion, type Json } from './support.js';

/**
 * A plugin's contract end to end on the embedded registry: published with our
 * manifest, a Higress spec.yaml and a Kong meta.json; served, signed, checked
 * against configurations, embedded in proxy configuration, compared between
 * versions; and hostile schemas refused while the API keeps answering.
 */

const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const KONG_META = JSON.stringify({
  config_schema: {
    type: 'object',
    properties: { header_name: { type: 'string', minLength: 1 }, limit: { type: 'integer', minimum: 1 } },
    required: ['limit'],
  },
});

let registry: RunningRegistry;

const publishParts = (plugin: string, version: string, module: Buffer, parts: Record<string, { filename: string; text: string }>) =>
  publishWithParts(registry.url, registry.adminToken, { namespace: 'acme', plugin, version }, module, parts);

const versionPath = (plugin: string, version: string): string => `/api/v1/plugins/acme/${plugin}/versions/${version}`;

function expectNoFreeze(result: ProbeResult): void {
  expect(result.failures).toEqual([]);
  expect(result.count).toBeGreaterThan(10);
  expect(result.worstMs).toBeLessThan(1_000);
}

describe('a plugin\'s contract on the embedded registry', () => {
  let modules: Buffer[];

  beforeAll(async () => {
    registry = await startRegistry();
    modules = await Promise.all(['c1', 'c2', 'c3', 'c4', 'c5'].map((tag) => proxyWasmFilter(tag)));
    const v1 = await publishParts('jwt-auth', '1.0.0', modules[0]!, {
      manifest: { filename: 'wasm-plugin.yaml', text: manifestYaml('1.0.0', JWT_SCHEMA_V1, V1_EXAMPLES) },
      readme: { filename: 'README.md', text: README },
    });
    expect(v1.status, v1.text).toBe(202);
    const v2 = await publishParts('jwt-auth', '2.0.0', modules[1]!, {
      manifest: { filename: 'wasm-plugin.yaml', text: manifestYaml('2.0.0', JWT_SCHEMA_V2, V2_EXAMPLES) },
      readme: { filename: 'README.md', text: README },
    });
    expect(v2.status, v2.text).toBe(202);
    const bare = await api(registry.url, 'PUT', versionPath('no-contract', '1.0.0'), { body: modules[2]!, token: registry.adminToken });
    expect(bare.status, bare.text).toBe(202);
    for (const [plugin, version] of [['jwt-auth', '1.0.0'], ['jwt-auth', '2.0.0'], ['no-contract', '1.0.0']] as const) {
      expect((await settledVersion(registry.url, 'acme', plugin, version)).status).toBe('ready');
    }
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
  });

  it('serves the README, schema and examples as published, with their digests on the version', async () => {
    const version = (await api(registry.url, 'GET', versionPath('jwt-auth', '1.0.0'))).json;
    expect(version.contract).toMatchObject({
      source: 'manifest',
      readme: { digest: sha256(README) },
      configSchema: { dialect: 'draft-07' },
      examples: { names: ['basic', 'strict'] },
      hostHints: { filterType: 'http', rootId: 'jwt_auth', istioPhase: 'AUTHN', istioPriority: 1000, minHostVersions: { envoy: '1.26' } },
    });
    const readme = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/readme`);
    expect(readme.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(readme.text).toBe(README);
    const schema = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/schema`);
    expect(schema.headers.get('content-type')).toContain('application/schema+json');
    expect(JSON.parse(schema.text)).toEqual(JWT_SCHEMA_V1);
    expect(sha256(schema.bytes)).toBe(version.contract.configSchema.digest);
    const examples = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/examples`);
    expect(examples.json.items.map((e: Json) => e.name)).toEqual(['basic', 'strict']);
    expect(examples.json.items[1].configuration).toEqual(V1_EXAMPLES[1]!.configuration);

    // The manifest set the plugin's metadata.
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth')).json.description).toBe('Validates JWTs at the edge, from the manifest.');
    // Without a contract there is nothing to serve.
    expect((await api(registry.url, 'GET', versionPath('no-contract', '1.0.0'))).json.contract).toBeNull();
    expectProblem(await api(registry.url, 'GET', `${versionPath('no-contract', '1.0.0')}/readme`), 404, 'readme_not_found');
    expectProblem(await api(registry.url, 'GET', `${versionPath('no-contract', '1.0.0')}/schema`), 404, 'schema_not_found');
  });

  it('serves the README rendered and sanitized: no script, no javascript: link, images as links', async () => {
    const rendered = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/readme`, { headers: { accept: 'text/html' } });
    expect(rendered.status).toBe(200);
    expect(rendered.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(rendered.text).toContain('<table>');
    expect(rendered.text).not.toMatch(/<script|href="javascript:|<img/i);
    expect(rendered.text).toMatch(/<a [^>]*href="https:\/\/images\.example\/diagram\.png"/);
  });

  it('signs the README, schema and examples: their digests are subjects of the version\'s attestation beside the module', async () => {
    const version = (await api(registry.url, 'GET', versionPath('jwt-auth', '1.0.0'))).json;
    const attestations = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/attestations`);
    expect(attestations.status).toBe(200);
    const envelope = attestations.json.items[0].bundle.dsseEnvelope;
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Json;
    const subjects = Object.fromEntries((statement.subject as Json[]).map((s) => [s.name, `sha256:${s.digest.sha256}`]));
    expect(subjects).toEqual({
      'acme/jwt-auth@1.0.0': version.digest,
      'acme/jwt-auth@1.0.0/README.md': version.contract.readme.digest,
      'acme/jwt-auth@1.0.0/config-schema.json': version.contract.configSchema.digest,
      'acme/jwt-auth@1.0.0/examples.json': version.contract.examples.digest,
    });
    // The registry's own verifier accepts the bundle for the module, whose digest is one of the subjects.
    const verified = await api(registry.url, 'POST', '/api/v1/verify', { json: { bundle: attestations.json.items[0].bundle, digest: version.digest } });
    expect(verified.json.verified, verified.text).toBe(true);
  });

  it('checks configurations (JSON, YAML, an example) and names every error by JSON Pointer and rule', async () => {
    const validate = `${versionPath('jwt-auth', '1.0.0')}/config/validate`;
    const good = await api(registry.url, 'POST', validate, { json: { issuer: 'https://issuer.example', audiences: ['api'] } });
    expect(good.json).toMatchObject({ checked: true, valid: true, errors: [] });

    const bad = await api(registry.url, 'POST', validate, { json: { audiences: 'api', clock_skew_seconds: 900, rules: [{ path: 'no-slash' }], extra: 1 } });
    expect(bad.status).toBe(200);
    expect(bad.json.valid).toBe(false);
    const byPointer = Object.fromEntries((bad.json.errors as Json[]).map((e) => [e.pointer, e.rule]));
    expect(byPointer).toMatchObject({ '/issuer': 'required', '/audiences': 'type', '/clock_skew_seconds': 'maximum', '/rules/0/path': 'pattern', '/extra': 'additionalProperties' });
    for (const error of bad.json.errors as Json[]) expect(error.message).toMatch(/\w+ \w+/);

    const yaml = await api(registry.url, 'POST', validate, { body: Buffer.from('issuer: https://issuer.example\nclock_skew_seconds: -1\n'), contentType: 'application/yaml' });
    expect(yaml.json.valid).toBe(false);
    expect(yaml.json.errors).toEqual([expect.objectContaining({ pointer: '/clock_skew_seconds', rule: 'minimum' })]);

    expect((await api(registry.url, 'POST', `${validate}?example=strict`)).json).toMatchObject({ checked: true, valid: true });
    const unknownExample = await api(registry.url, 'POST', `${validate}?example=nope`);
    expectProblem(unknownExample, 400, 'invalid_input');
    expect(JSON.stringify(unknownExample.json)).toContain('basic, strict');

    const unchecked = await api(registry.url, 'POST', `${versionPath('no-contract', '1.0.0')}/config/validate`, { json: { anything: true } });
    expect(unchecked.json).toMatchObject({ checked: false, valid: false, errors: [] });
    expect(unchecked.json.summary).toMatch(/without a configuration schema, so nothing could be checked/);
  });

  it('embeds a configuration in Envoy and Istio where each expects it, refusing one that breaks the schema (422)', async () => {
    const envoy = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/config/envoy?example=strict&format=json`);
    expect(envoy.status, envoy.text).toBe(200);
    const wasm = envoy.json.envoy.http_filters[0].typed_config.config;
    expect(wasm.configuration['@type']).toBe('type.googleapis.com/google.protobuf.StringValue');
    expect(JSON.parse(wasm.configuration.value)).toEqual(V1_EXAMPLES[1]!.configuration);
    expect(wasm.root_id).toBe('jwt_auth');
    expect(envoy.json.configuration).toMatchObject({ source: 'example', example: 'strict', checked: true });

    const istio = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/config/istio?configuration=${encodeURIComponent(JSON.stringify({ issuer: 'https://i.example' }))}`);
    expect(istio.status, istio.text).toBe(200);
    const [plugin] = parseAllDocuments(istio.text).map((d) => d.toJSON() as Json);
    expect(plugin!.spec).toMatchObject({ pluginConfig: { issuer: 'https://i.example' }, phase: 'AUTHN', priority: 1000, pluginName: 'jwt_auth' });

    const refused = await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/config/envoy?configuration=${encodeURIComponent('{"issuer":42}')}`);
    expectProblem(refused, 422, 'configuration_invalid');
    expect(refused.json.errors).toEqual([expect.objectContaining({ pointer: '/issuer', rule: 'type' })]);

    const unchecked = await api(registry.url, 'GET', `${versionPath('no-contract', '1.0.0')}/config/envoy?configuration=${encodeURIComponent('{"a":1}')}`);
    expect(unchecked.status).toBe(200);
    expect(parse(unchecked.text)).toBeTruthy();
    expect(unchecked.text).toMatch(/# .*without a configuration schema, so nothing could be checked/);
  });

  it('gives upgrade notes between two real versions, breaking changes labelled, and an old example the new schema refuses', async () => {
    const notes = await api(registry.url, 'GET', `${versionPath('jwt-auth', '2.0.0')}/upgrade-notes`);
    expect(notes.status, notes.text).toBe(200);
    expect(notes.json).toMatchObject({ from: '1.0.0', to: '2.0.0', breaking: true });
    const changes = (notes.json.notes as Json[]).map((n) => `${n.change} ${n.pointer} ${n.breaking}`);
    expect(changes).toEqual(
      expect.arrayContaining([
        'required_added /audiences true',
        'enum_narrowed /algorithms/* true',
        'constraint_tightened /clock_skew_seconds true',
        'field_removed /header true',
        'default_changed /clock_skew_seconds false',
      ]),
    );
    expect((notes.json.notes as Json[]).some((n) => n.change === 'example_broken' && /"basic"/.test(n.message))).toBe(true);
    expectProblem(await api(registry.url, 'GET', `${versionPath('jwt-auth', '1.0.0')}/upgrade-notes`), 404, 'previous_version_not_found');
  });

  it('reads a Higress spec.yaml and a Kong meta.json unchanged', async () => {
    const higress = await publishParts('key-auth', '1.0.0', modules[3]!, { manifest: { filename: 'spec.yaml', text: HIGRESS_SPEC } });
    expect(higress.status, higress.text).toBe(202);
    expect(higress.json.contract).toMatchObject({
      source: 'higress',
      configSchema: { dialect: 'draft-07' },
      examples: { names: ['default'] },
      hostHints: { istioPhase: 'AUTHN', istioPriority: 310 },
    });
    const check = await api(registry.url, 'POST', `${versionPath('key-auth', '1.0.0')}/config/validate`, { json: { keys: [] } });
    expect(check.json.errors).toEqual([expect.objectContaining({ pointer: '/keys', rule: 'minItems' })]);
    const plugin = await api(registry.url, 'GET', '/api/v1/plugins/acme/key-auth');
    expect(plugin.json.categories).toEqual(['authentication-authorization']);

    const kong = await publishParts('rate-limit', '1.0.0', modules[4]!, { manifest: { filename: 'rate-limit.meta.json', text: KONG_META } });
    expect(kong.status, kong.text).toBe(202);
    expect(kong.json.contract).toMatchObject({ source: 'kong', configSchema: { dialect: 'draft-07' } });
    const missing = await api(registry.url, 'POST', `${versionPath('rate-limit', '1.0.0')}/config/validate`, { json: { header_name: '' } });
    expect((missing.json.errors as Json[]).map((e) => `${e.pointer} ${e.rule}`).sort()).toEqual(['/header_name minLength', '/limit required']);
  });

  it('refuses a version whose manifest disagrees with the published version, naming the field, and stores nothing', async () => {
    const mismatch = await publishParts('jwt-auth', '3.0.0', modules[2]!, {
      manifest: { filename: 'wasm-plugin.yaml', text: manifestYaml('3.0.1', JWT_SCHEMA_V2, V2_EXAMPLES) },
    });
    expectProblem(mismatch, 400, 'invalid_input');
    expect(mismatch.text).toContain('body.manifest.version');
    expectProblem(await api(registry.url, 'GET', versionPath('jwt-auth', '3.0.0')), 404, 'version_not_found');
  });

  it('refuses hostile schemas with a 400 naming the part, defuses a catastrophic pattern, and /health/live keeps answering', async () => {
    const probe = await startLivenessProbe(`${registry.url}/health/live`);
    const publishSchema = (version: string, schema: string, examples: object[] = []) =>
      publishParts('hostile', version, modules[2]!, {
        manifest: { filename: 'wasm-plugin.yaml', text: `manifest: 1\nconfigSchema: config.schema.json\nexamples: ${JSON.stringify(examples)}\n` },
        schema: { filename: 'config.schema.json', text: schema },
      });
    // 10,000 levels within the size limits: as a JSON schema part, and as YAML flow sequences in the manifest.
    const nested = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const nestedYaml = `manifest: 1\nconfigSchema: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
    let exponential: Json = { $defs: { l40: { type: 'string', minLength: 5 } } };
    for (let i = 39; i >= 0; i--) exponential.$defs[`l${i}`] = { anyOf: [{ $ref: `#/$defs/l${i + 1}` }, { $ref: `#/$defs/l${i + 1}` }] };
    exponential = { $schema: 'https://json-schema.org/draft/2020-12/schema', ...exponential, $ref: '#/$defs/l0' };
    try {
      const refusals = await Promise.all([
        publishSchema('0.0.1', JSON.stringify({ type: 'object', properties: { a: { $ref: 'https://schemas.example/evil.json' } } })),
        publishSchema('0.0.2', nested),
        publishSchema('0.0.3', JSON.stringify({ type: 'string', pattern: '^(a)\\1$' })),
        publishSchema('0.0.4', JSON.stringify(exponential), [{ name: 'slow', configuration: 'abc' }]),
        publishSchema('0.0.5', '{"type": "object", "properties": '),
        publishParts('hostile', '0.0.6', modules[2]!, { manifest: { filename: 'wasm-plugin.yaml', text: nestedYaml } }),
      ]);
      for (const refusal of refusals) {
        expect(refusal.status, refusal.text).toBe(400);
        expect(refusal.json.code).toBe('invalid_input');
        expect(JSON.stringify(refusal.json.errors)).toMatch(/body\.(schema|manifest)/);
      }
      expect(JSON.stringify(refusals[0]!.json)).toMatch(/https:\/\/schemas\.example\/evil\.json/);
      expect(JSON.stringify(refusals[1]!.json)).toMatch(/deeper than 32 levels/);
      expect(JSON.stringify(refusals[5]!.json)).toMatch(/deeper than \d+ levels/);
      expect(JSON.stringify(refusals[2]!.json)).toMatch(/RE2|backreference|\\\\1/i);

      // Linear-time matching: the classic catastrophic pattern is accepted and checks a long value at once.
      const catastrophic = await publishSchema('0.1.0', JSON.stringify({ type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } }));
      expect(catastrophic.status, catastrophic.text).toBe(202);
      const check = await api(registry.url, 'POST', `${versionPath('hostile', '0.1.0')}/config/validate`, { json: { name: `${'a'.repeat(50_000)}b` } });
      expect(check.json.errors).toEqual([expect.objectContaining({ pointer: '/name', rule: 'pattern' })]);
    } finally {
      expectNoFreeze(await probe.stop());
    }
    for (const version of ['0.0.1', '0.0.2', '0.0.3', '0.0.4', '0.0.5', '0.0.6']) {
      expectProblem(await api(registry.url, 'GET', versionPath('hostile', version)), 404, 'version_not_found');
    }
  }, 120_000);
});
