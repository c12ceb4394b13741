import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RegistryError, type FieldProblem } from '../../domain/index.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import { readContract, type ContractParts } from './read-contract.js';

const fixture = (path: string): Buffer => readFileSync(new URL(`../test/fixtures/${path}`, import.meta.url));
const part = (filename: string, content: string | Buffer) => ({ filename, bytes: Buffer.isBuffer(content) ? content : Buffer.from(content) });

const jwtParts = (): ContractParts => ({
  manifest: part('wasm-plugin.yaml', fixture('jwt-auth/wasm-plugin.yaml')),
  readme: part('README.md', fixture('jwt-auth/README.md')),
  schema: part('config.schema.json', fixture('jwt-auth/config.schema.json')),
});

/** The problems of the 400 `read` throws. */
function problemsOf(read: () => unknown): FieldProblem[] {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(400);
    return (error as RegistryError).extensions.errors as FieldProblem[];
  }
  throw new Error('expected a 400');
}
const fieldsOf = (read: () => unknown): string[] => problemsOf(read).map((p) => p.field);

describe('readContract: the formats authors keep', () => {
  it('returns null when the request carries no contract part', () => {
    expect(readContract({}, '1.0.0')).toBeNull();
  });

  it('reads our manifest (YAML) with its README and schema parts', () => {
    const draft = readContract(jwtParts(), '1.2.0')!;
    expect(draft.source).toBe('manifest');
    expect(draft.readme).toContain('# jwt-auth');
    expect(draft.configSchema?.dialect).toBe('draft-07');
    expect(draft.configSchema?.value.required).toEqual(['issuer', 'audiences', 'jwks']);
    expect(draft.examples.map((e) => e.name)).toEqual(['remote-jwks', 'inline-keys.hs256']);
    expect(draft.examples[0]).toEqual({
      name: 'remote-jwks',
      description: "Keys fetched from the identity provider's cluster",
      configuration: { issuer: 'https://login.example.com/', audiences: ['orders-api'], jwks: { cluster: 'outbound|443||login.example.com', path: '/.well-known/jwks.json' } },
    });
    expect(draft.hostHints).toEqual({ filterType: 'http', rootId: 'jwt_auth', istioPhase: 'AUTHN', istioPriority: 1000, minHostVersions: { envoy: '1.26', istio: '1.18' } });
    expect(draft.metadata).toEqual({
      description: expect.stringContaining('Verifies JSON Web Tokens at the proxy'),
      license: 'Apache-2.0',
      homepage: 'https://plugins.example.com/jwt-auth',
      repository: 'https://github.com/acme/jwt-auth',
      keywords: ['jwt', 'oidc', 'auth'],
      categories: ['authentication-authorization', 'security'],
    });
    expect(draft.origin).toEqual({ configSchema: 'body.schema', examples: ['body.manifest.examples[0].configuration', 'body.manifest.examples[1].configuration'] });
  });

  it('reads our manifest as JSON with the schema inline (2020-12), and no metadata when it sets none', () => {
    const manifest = {
      manifest: 1,
      configSchema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { level: { enum: ['debug', 'info'] } } },
      examples: [{ name: 'quiet', configuration: { level: 'info' } }],
    };
    const draft = readContract({ manifest: part('wasm-plugin.json', JSON.stringify(manifest)) }, '0.1.0')!;
    expect(draft.configSchema?.dialect).toBe('2020-12');
    expect(draft.metadata).toBeNull();
    expect(draft.readme).toBeNull();
    expect(draft.origin?.configSchema).toBe('body.manifest.configSchema');
    expect(draft.examples).toEqual([{ name: 'quiet', description: null, configuration: { level: 'info' } }]);
  });

  it("reads a Higress spec.yaml unchanged: info, phase, priority, openAPIV3Schema and its example", () => {
    const draft = readContract({ manifest: part('spec.yaml', fixture('higress-ip-guard.spec.yaml')) }, '2.1.0')!;
    expect(draft.source).toBe('higress');
    expect(draft.metadata).toEqual({
      description: 'Lets requests through or turns them away by the client address, read from the peer or from a header.',
      license: null,
      homepage: null,
      repository: null,
      keywords: [],
      categories: ['security'],
    });
    expect(draft.hostHints).toEqual({ filterType: 'http', rootId: null, istioPhase: 'AUTHZ', istioPriority: 210, minHostVersions: { higress: '1.4.0' } });
    expect(draft.configSchema?.dialect).toBe('draft-07');
    expect(Object.keys(draft.configSchema!.value.properties as object)).toEqual(['source', 'header', 'allow', 'deny', 'status']);
    expect(draft.examples).toEqual([
      { name: 'default', description: 'The example in spec.yaml', configuration: { source: 'header', header: 'x-real-ip', deny: ['10.0.0.0/8', '172.16.0.0/12'], status: 403 } },
    ]);
    expect(draft.origin).toEqual({
      configSchema: 'body.manifest.spec.configSchema.openAPIV3Schema',
      examples: ['body.manifest.spec.configSchema.openAPIV3Schema.example'],
    });
  });

  it('recognises a Higress spec by its shape under any file name, and maps its categories', () => {
    const spec = 'info:\n  category: auth\n  title: Basic Auth\nspec:\n  phase: AUTHN\n  priority: 320\n';
    const draft = readContract({ manifest: part('basic-auth.yaml', spec) }, '1.0.0')!;
    expect(draft.source).toBe('higress');
    expect(draft.metadata?.description).toBe('Basic Auth');
    expect(draft.metadata?.categories).toEqual(['authentication-authorization']);
    expect(draft.configSchema).toBeNull();
    expect(draft.examples).toEqual([]);
  });

  it('reads a Kong <filter>.meta.json: config_schema is the schema, the filter name the root_id', () => {
    const draft = readContract({ manifest: part('rate_limiter.meta.json', fixture('rate_limiter.meta.json')), readme: part('README.md', '# rate limiter') }, '0.3.0')!;
    expect(draft.source).toBe('kong');
    expect(draft.configSchema?.value.required).toEqual(['window_seconds', 'limit']);
    expect(draft.configSchema?.dialect).toBe('draft-07');
    expect(draft.hostHints).toMatchObject({ filterType: 'http', rootId: 'rate_limiter' });
    expect(draft.readme).toBe('# rate limiter');
    expect(draft.origin?.configSchema).toBe('body.manifest.config_schema');
  });

  it("accepts Kong's draft-04 $schema (checked as draft-07) but not from other sources", () => {
    const schema = { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' };
    expect(readContract({ manifest: part('f.meta.json', JSON.stringify({ config_schema: schema })) }, '1.0.0')!.configSchema?.dialect).toBe('draft-07');
    expect(problemsOf(() => readContract({ schema: part('s.json', JSON.stringify(schema)) }, '1.0.0'))).toEqual([
      { field: 'body.schema/$schema', message: expect.stringContaining('"http://json-schema.org/draft-04/schema#" is not a dialect the registry checks') },
    ]);
  });

  it('reads loose readme and schema parts without a manifest', () => {
    const draft = readContract({ readme: part('README.md', 'Hello'), schema: part('schema.yaml', 'type: object\nrequired: [a]\n') }, '1.0.0')!;
    expect(draft).toMatchObject({ source: 'parts', readme: 'Hello', configSchema: { value: { type: 'object', required: ['a'] }, dialect: 'draft-07' }, examples: [], metadata: null });
  });
});

describe('readContract: every refusal is a 400 naming the part', () => {
  it('refuses a README that is not UTF-8, holds NUL, or is too large', () => {
    expect(problemsOf(() => readContract({ readme: part('README.md', Buffer.from([0x23, 0x20, 0xc3, 0x28])) }, '1.0.0'))).toEqual([
      { field: 'body.readme', message: 'must be UTF-8 text (the bytes are not valid UTF-8)' },
    ]);
    expect(problemsOf(() => readContract({ readme: part('README.md', 'a\u0000b') }, '1.0.0'))[0]).toMatchObject({ field: 'body.readme', message: expect.stringContaining('U+0000') });
    expect(problemsOf(() => readContract({ readme: part('README.md', 'x'.repeat(CONTRACT_LIMITS.readmeBytes + 1)) }, '1.0.0'))).toEqual([
      { field: 'body.readme', message: `must be at most ${CONTRACT_LIMITS.readmeBytes} bytes (got ${CONTRACT_LIMITS.readmeBytes + 1})` },
    ]);
  });

  it('refuses a schema part that is not JSON, not an object, or too large', () => {
    expect(problemsOf(() => readContract({ schema: part('s.json', '{"type": "object",}') }, '1.0.0'))).toEqual([
      { field: 'body.schema', message: expect.stringMatching(/^is not valid JSON: /) },
    ]);
    expect(fieldsOf(() => readContract({ schema: part('s.json', '[1, 2]') }, '1.0.0'))).toEqual(['body.schema']);
    const big = JSON.stringify({ type: 'object', description: 'x'.repeat(CONTRACT_LIMITS.schemaBytes) });
    expect(problemsOf(() => readContract({ schema: part('s.json', big) }, '1.0.0'))[0]!.message).toMatch(/^must be at most 65536 bytes/);
  });

  it('refuses 10,000 levels of nesting, as JSON and as YAML, before anything recursive walks them', () => {
    const deepJson = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    expect(problemsOf(() => readContract({ schema: part('s.json', deepJson) }, '1.0.0'))).toEqual([
      { field: 'body.schema', message: `nests objects and arrays deeper than ${CONTRACT_LIMITS.schemaDepth} levels` },
    ]);
    // Compact nested block sequences: "- - - … x", one level per two bytes.
    const deepYaml = `manifest: 1\nexamples:\n  - name: deep\n    configuration:\n      ${'- '.repeat(10_000)}x\n`;
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.yaml', deepYaml) }, '1.0.0'))).toEqual([
      { field: 'body.manifest', message: expect.stringMatching(/^nests (objects and arrays )?deeper than/) },
    ]);
    const deepFlow = `manifest: 1\nconfigSchema: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
    expect(fieldsOf(() => readContract({ manifest: part('wasm-plugin.yaml', deepFlow) }, '1.0.0'))).toEqual(['body.manifest']);
    // Just past the limit is refused the same way, without relying on a stack overflow.
    const justTooDeep = `manifest: 1\nconfigSchema: ${'['.repeat(CONTRACT_LIMITS.manifestDepth)}${']'.repeat(CONTRACT_LIMITS.manifestDepth)}\n`;
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.yaml', justTooDeep) }, '1.0.0'))).toEqual([
      { field: 'body.manifest', message: `nests objects and arrays deeper than ${CONTRACT_LIMITS.manifestDepth} levels` },
    ]);
  });

  it('refuses a YAML alias flood ("billion laughs")', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [name, previous] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.yaml', `manifest: 1\n${laughs.join('\n')}\n`) }, '1.0.0'))).toEqual([
      { field: 'body.manifest', message: expect.stringContaining('Excessive alias count') },
    ]);
  });

  it('refuses YAML that is not one plain document', () => {
    expect(problemsOf(() => readContract({ manifest: part('m.yaml', 'manifest: 1\nmanifest: 1\n') }, '1.0.0'))[0]!.message).toMatch(/^is not valid YAML: Map keys must be unique/);
    expect(fieldsOf(() => readContract({ manifest: part('m.yaml', 'manifest: 1\n---\nmanifest: 1\n') }, '1.0.0'))).toEqual(['body.manifest']);
    expect(problemsOf(() => readContract({ manifest: part('m.yaml', 'manifest: 1\nx: !!js/function "return 1"\n') }, '1.0.0'))[0]!.message).toMatch(/^is not valid YAML: .*tag/i);
  });

  it('reports every problem of a manifest at once, each under body.manifest.<path>', () => {
    const manifest = [
      'manifest: 1',
      'version: 1.3.0',
      'license: Apache 2',
      'colour: red',
      'readme: README.md',
      'configSchema: config.schema.json',
      'examples:',
      '  - { name: basic, configuration: {} }',
      '  - { name: basic, configuration: {} }',
      '  - { name: Bad Name, configuration: {} }',
      'host: { filterType: tcp, istio: { phase: AUTH, priority: 1.5 }, minVersions: { envoy: latest } }',
    ].join('\n');
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.yaml', manifest) }, '1.2.0'))).toEqual([
      { field: 'body.manifest.colour', message: 'colour is not a field this object accepts' },
      { field: 'body.manifest.examples[2].name', message: 'must match the pattern ^[a-z0-9][a-z0-9._-]{0,63}$' },
      { field: 'body.manifest.host.filterType', message: 'must be one of: http, network' },
      { field: 'body.manifest.host.istio.phase', message: 'must be one of: UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS' },
      { field: 'body.manifest.host.istio.priority', message: 'must be an integer' },
      { field: 'body.manifest.host.minVersions.envoy', message: 'must match the pattern ^[0-9]+(\\.[0-9]+){0,2}$' },
    ]);
    const shapeOk = manifest.replace('colour: red\n', '').replace('Bad Name', 'advanced').replace(/^host: .*$/m, 'host: { filterType: http }');
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.yaml', shapeOk) }, '1.2.0'))).toEqual([
      { field: 'body.manifest.version', message: 'is "1.3.0" but the version being published is "1.2.0"' },
      { field: 'body.manifest.license', message: expect.stringContaining('Apache 2') },
      { field: 'body.readme', message: 'the manifest names "README.md" as the README: send that file as the readme part' },
      { field: 'body.schema', message: 'the manifest names "config.schema.json" as the configuration schema: send that file as the schema part' },
      { field: 'body.manifest.examples[1].name', message: '"basic" is already the name of examples[0]; names must be unique' },
    ]);
  });

  it('checks the plugin a manifest names, and reads the module and lockfile paths the CLI uses', () => {
    const manifest = JSON.stringify({ manifest: 1, name: 'acme/jwt', module: 'target/jwt.wasm', dependencies: ['Cargo.lock'] });
    expect(readContract({ manifest: part('wasm-plugin.json', manifest) }, '1.0.0', 'acme/jwt')).not.toBeNull();
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.json', manifest) }, '1.0.0', 'acme/other'))).toEqual([
      { field: 'body.manifest.name', message: 'is "acme/jwt" but the plugin being published is "acme/other"' },
    ]);
    const badName = JSON.stringify({ manifest: 1, name: 'jwt', dependencies: ['a', 'b', 'c', 'd', 'e'] });
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.json', badName) }, '1.0.0', 'acme/jwt')).map((p) => p.field)).toEqual(['body.manifest.name', 'body.manifest.dependencies']);
  });

  it('refuses more examples than the limit, or an example configuration that is too large', () => {
    const examples = Array.from({ length: CONTRACT_LIMITS.examples + 1 }, (_, i) => ({ name: `e${i}`, configuration: {} }));
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.json', JSON.stringify({ manifest: 1, examples })) }, '1.0.0'))).toEqual([
      { field: 'body.manifest.examples', message: `must have at most ${CONTRACT_LIMITS.examples} items` },
    ]);
    const large = { manifest: 1, examples: [{ name: 'large', configuration: { blob: 'x'.repeat(CONTRACT_LIMITS.exampleBytes) } }] };
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.json', JSON.stringify(large)) }, '1.0.0'))[0]).toMatchObject({
      field: 'body.manifest.examples[0].configuration',
      message: expect.stringMatching(/^must be at most 16384 bytes/),
    });
  });

  it('refuses a schema given twice, and a document no reader recognises', () => {
    const inline = JSON.stringify({ manifest: 1, configSchema: { type: 'object' } });
    expect(problemsOf(() => readContract({ manifest: part('wasm-plugin.json', inline), schema: part('s.json', '{}') }, '1.0.0'))).toEqual([
      { field: 'body.schema', message: 'the manifest holds the configuration schema inline: give it in one place only' },
    ]);
    expect(problemsOf(() => readContract({ manifest: part('plugin.yaml', 'name: jwt\n') }, '1.0.0'))).toEqual([
      { field: 'body.manifest', message: expect.stringContaining('is not a manifest the registry reads') },
    ]);
  });

  it("refuses a Higress spec whose version, phase or priority is wrong, naming spec.yaml's own fields", () => {
    const spec = readFileSync(new URL('../test/fixtures/higress-ip-guard.spec.yaml', import.meta.url), 'utf8').replace('phase: AUTHZ', 'phase: EARLY').replace('priority: 210', 'priority: high');
    expect(problemsOf(() => readContract({ manifest: part('spec.yaml', spec) }, '2.2.0'))).toEqual([
      { field: 'body.manifest.info.version', message: 'is "2.1.0" but the version being published is "2.2.0"' },
      { field: 'body.manifest.spec.phase', message: '"EARLY" must be one of: UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS' },
      { field: 'body.manifest.spec.priority', message: '"high" must be an integer (int32)' },
    ]);
  });

  it('reports problems from several parts together', () => {
    expect(fieldsOf(() => readContract({ readme: part('README.md', Buffer.from([0xff])), schema: part('s.json', 'nope'), manifest: part('wasm-plugin.yaml', 'manifest: 2') }, '1.0.0'))).toEqual([
      'body.readme',
      'body.schema',
      'body.manifest.manifest',
    ]);
  });
});
