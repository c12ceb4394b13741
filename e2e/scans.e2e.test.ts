import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLivenessProbe } from '../testing/liveness-probe.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter, rejectedFilter } from '../testing/wasm-fixtures.js';
import { JWT_SCHEMA_V1, manifestYaml, publishWithParts, README, V1_EXAMPLES } from './contract-fixtures.js';
import { api, expectProblem, settledVersion, type Json } from './support.js';

const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

let registry: RunningRegistry;
let admin: string;

const scanYaml = (text: string, query = '') =>
  api(registry.url, 'POST', `/api/v1/scans${query}`, { body: Buffer.from(text), contentType: 'application/yaml' });
const findings = (reference: Json): string[] => reference.findings.map((f: Json) => `${f.level} ${f.code}`);
const codes = (reference: Json): string[] => reference.findings.map((f: Json) => f.code);

describe('scans of deployed configuration, built from the registry\'s own and broken on purpose', () => {
  let envoyYaml: string;
  let istioDocs: Json[];
  let v100: Json;
  let v110: Json;
  let rejected: Json;

  beforeAll(async () => {
    registry = await startRegistry();
    admin = registry.adminToken;
    const [m1, m2] = await Promise.all([proxyWasmFilter('scan-1'), proxyWasmFilter('scan-2')]);
    for (const [version, module] of [['1.0.0', m1], ['1.1.0', m2]] as const) {
      const published = await publishWithParts(registry.url, admin, { namespace: 'ops', plugin: 'jwt-guard', version }, module!, {
        manifest: { filename: 'wasm-plugin.yaml', text: manifestYaml(version, JWT_SCHEMA_V1, V1_EXAMPLES) },
        readme: { filename: 'README.md', text: README },
      });
      expect(published.status, published.text).toBe(202);
    }
    v100 = await settledVersion(registry.url, 'ops', 'jwt-guard', '1.0.0');
    v110 = await settledVersion(registry.url, 'ops', 'jwt-guard', '1.1.0');
    expect([v100.status, v110.status]).toEqual(['ready', 'ready']);
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/ops/broken/versions/1.0.0', { body: await rejectedFilter('scan'), token: admin })).status).toBe(202);
    rejected = await settledVersion(registry.url, 'ops', 'broken', '1.0.0');
    expect(rejected.status).toBe('rejected');

    const example = encodeURIComponent('basic');
    envoyYaml = (await api(registry.url, 'GET', `/api/v1/plugins/ops/jwt-guard/versions/1.0.0/config/envoy?example=${example}`)).text;
    istioDocs = parseAllDocuments((await api(registry.url, 'GET', '/api/v1/plugins/ops/jwt-guard/versions/1.0.0/config/istio')).text).map((d) => d.toJS() as Json);
    expect(istioDocs.map((d) => d.spec.url.split(':')[0])).toEqual(['http', 'oci']);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('knows the registry\'s own Envoy configuration: the version, its signature and attestation, the newer version, the host', async () => {
    const response = await scanYaml(envoyYaml, '?envoy=1.31');
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [reference] = response.json.references;
    expect(response.json.references).toHaveLength(1);
    expect(reference).toMatchObject({ host: 'envoy', file: 'configuration.yaml', version: { namespace: 'ops', plugin: 'jwt-guard', version: '1.0.0', digest: v100.digest, status: 'ready' } });
    expect(findings(reference)).toEqual([
      'ok known_version',
      'info newer_version',
      'ok signature_verified',
      'ok attestation_verified',
      'ok host_compatible',
    ]);
    expect(reference.findings[1].message).toMatch(/^ops\/jwt-guard 1\.1\.0 is out, same major: .+; its contract has no breaking change\.$/);
    expect(reference.level).toBe('info');
    expect(envoyYaml.split('\n')[reference.line - 1]).toMatch(/remote:/);
  });

  it('says what hosts only log: a missing sha256, and each digest given where the other belongs', async () => {
    const config = parse(envoyYaml) as Json;
    const remote = config.http_filters[0].typed_config.config.vm_config.code.remote;
    delete remote.sha256;
    const [https, oci] = istioDocs;
    const swapped = [
      { ...https, metadata: { name: 'https-with-manifest' }, spec: { ...https!.spec, sha256: oci!.spec.sha256 } },
      { ...oci, metadata: { name: 'oci-with-module' }, spec: { ...oci!.spec, sha256: https!.spec.sha256 } },
      { ...oci, metadata: { name: 'oci-right' } },
    ];
    const response = await api(registry.url, 'POST', '/api/v1/scans', {
      json: { files: [{ name: 'envoy.yaml', content: stringify(config) }, { name: 'istio.yaml', content: swapped.map((d) => stringify(d)).join('---\n') }] },
    });
    expect(response.status, response.text).toBe(200);
    const [envoy, httpsManifest, ociModule, ociRight] = response.json.references as Json[];
    const moduleHex = v100.digest.slice('sha256:'.length);
    const manifestHex = v100.pinned.oci.sha256;
    expect(envoy!.findings.find((f: Json) => f.code === 'sha256_missing')).toEqual({ level: 'warning', code: 'sha256_missing', message: expect.stringContaining(`Pin it: sha256: ${moduleHex}`) });
    expect(httpsManifest!.findings.find((f: Json) => f.code === 'sha256_manifest_digest_with_http')).toEqual({ level: 'critical', code: 'sha256_manifest_digest_with_http', message: expect.stringContaining(`Use sha256: ${moduleHex}`) });
    expect(ociModule!.findings.find((f: Json) => f.code === 'sha256_module_digest_with_oci')).toEqual({ level: 'critical', code: 'sha256_module_digest_with_oci', message: expect.stringContaining(`Use sha256: ${manifestHex}`) });
    expect(codes(ociRight!).filter((c) => c.startsWith('sha256'))).toEqual([]);
    expect([envoy!.level, httpsManifest!.level, ociModule!.level]).toEqual(['warning', 'critical', 'critical']);
    expect([httpsManifest!.file, httpsManifest!.document, ociModule!.document]).toEqual(['istio.yaml', 0, 1]);
  });

  it('reads Envoy Gateway and Higress resources built from the pinned values, and names the digest each one needs', async () => {
    const moduleHex = v110.digest.slice('sha256:'.length);
    const manifestHex = v110.pinned.oci.sha256;
    const policy = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyExtensionPolicy',
      metadata: { name: 'jwt' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'backend' }],
        wasm: [
          { name: 'over-http', rootID: 'jwt_auth', code: { type: 'HTTP', http: { url: v110.pinned.url } }, config: V1_EXAMPLES[0]!.configuration },
          { name: 'image-with-module-digest', code: { type: 'Image', image: { url: v110.pinned.oci.reference, sha256: moduleHex } } },
        ],
      },
    };
    const higress = { apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'jwt' }, spec: { url: `oci://${v110.pinned.oci.pinnedReference}`, sha256: manifestHex, defaultConfig: V1_EXAMPLES[0]!.configuration } };
    const response = await scanYaml([policy, higress].map((d) => stringify(d)).join('---\n'));
    expect(response.status, response.text).toBe(200);
    const [http, image, pinned] = response.json.references as Json[];
    expect([http!.host, image!.host, pinned!.host]).toEqual(['envoy-gateway', 'envoy-gateway', 'higress']);
    for (const r of [http, image, pinned]) expect(r!.version).toMatchObject({ namespace: 'ops', plugin: 'jwt-guard', version: '1.1.0' });
    expect(http!.findings.find((f: Json) => f.code === 'sha256_missing').message).toContain(`Pin it: sha256: ${moduleHex}`);
    expect(image!.findings.find((f: Json) => f.code === 'sha256_module_digest_with_oci').message).toContain(`Use sha256: ${manifestHex}`);
    expect(codes(pinned!).filter((c) => c.startsWith('sha256') || c.startsWith('configuration'))).toEqual([]);
    expect(pinned!.level).toBe('ok');
  });

  it('reports yanked with reason and advisory, deprecated, advisories with the fix, rejected, unknown, incompatible hosts and bad configuration', async () => {
    const advisory = await api(registry.url, 'POST', '/api/v1/plugins/ops/jwt-guard/advisories', { token: admin, json: { summary: 'Unsigned tokens pass', severity: CRITICAL, affected: [{ introduced: '1.0.0', fixed: '1.1.0' }] } });
    expect(advisory.status).toBe(201);
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/ops/jwt-guard/versions/1.0.0/yank', { token: admin, json: { reason: 'unsigned tokens pass', advisory: advisory.json.id } })).status).toBe(200);
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/ops/jwt-guard/deprecation', { token: admin, json: { message: 'use ops/oidc' } })).status).toBe(200);
    const [https] = istioDocs;
    const badConfig = { ...https, metadata: { name: 'bad-config' }, spec: { ...https!.spec, pluginConfig: { issuer: 'not a uri', extra: true } } };
    const unknown = { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'elsewhere' }, spec: { url: 'https://other.example/m.wasm', sha256: 'c'.repeat(64) } };
    const rejectedRef = { apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'rejected' }, spec: { url: `https://mirror.example/broken.wasm`, sha256: rejected.digest.slice(7) } };
    const response = await scanYaml([badConfig, unknown, rejectedRef].map((d) => stringify(d)).join('---\n'), '?envoy=1.10');
    expect(response.status, response.text).toBe(200);
    const [jwt, other, broken] = response.json.references as Json[];
    expect(findings(jwt!)).toEqual(
      expect.arrayContaining(['ok known_version', 'warning version_yanked', 'warning plugin_deprecated', 'critical advisory', 'info newer_version', 'critical host_incompatible', 'critical configuration_invalid']),
    );
    const message = (code: string) => jwt!.findings.find((f: Json) => f.code === code).message as string;
    expect(message('version_yanked')).toBe(`ops/jwt-guard@1.0.0 is yanked: unsigned tokens pass (advisory ${advisory.json.id}).`);
    expect(message('plugin_deprecated')).toBe('ops/jwt-guard is deprecated: use ops/oidc.');
    expect(message('advisory')).toBe(`Advisory ${advisory.json.id} (critical, CVSS 9.8): Unsigned tokens pass. Fixed in 1.1.0.`);
    expect(message('host_incompatible')).toMatch(/^envoy 1\.10 cannot run ops\/jwt-guard@1\.0\.0: it needs envoy >=/);
    expect(message('configuration_invalid')).toBe('The deployed configuration breaks the schema of ops/jwt-guard@1.0.0: /extra: extra is not a field this object accepts; /issuer: must be an absolute URI.');
    expect(findings(other!)).toEqual(['info unknown_module']);
    expect(other!.version).toBeNull();
    expect(findings(broken!)).toEqual(expect.arrayContaining(['ok known_version', 'critical version_rejected']));
    expect(response.json.summary).toMatchObject({ references: 3, critical: 2, info: 1, problems: 0 });
  });

  it('answers SARIF 2.1.0 for CI, with failOn reached', async () => {
    const config = parse(envoyYaml) as Json;
    delete config.http_filters[0].typed_config.config.vm_config.code.remote.sha256;
    const text = stringify(config);
    const response = await api(registry.url, 'POST', '/api/v1/scans?format=sarif&failOn=warning', { body: Buffer.from(text), contentType: 'application/yaml' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/sarif+json');
    const sarif = JSON.parse(response.text) as Json;
    expect(sarif.version).toBe('2.1.0');
    const [run] = sarif.runs;
    expect(run.invocations).toEqual([{ executionSuccessful: true, exitCode: 1, exitCodeDescription: 'a reference is at warning or worse' }]);
    const missing = run.results.find((r: Json) => r.ruleId === 'sha256_missing');
    expect(missing).toMatchObject({ level: 'warning', locations: [{ physicalLocation: { artifactLocation: { uri: 'configuration.yaml' }, region: { startLine: expect.any(Number) } } }] });
    expect(text.split('\n')[missing.locations[0].physicalLocation.region.startLine - 1]).toMatch(/remote:/);
    expect(run.tool.driver.rules.map((r: Json) => r.id)).toEqual(expect.arrayContaining(['sha256_missing', 'version_yanked', 'advisory']));
    expect(run.results.every((r: Json) => ['error', 'warning', 'note'].includes(r.level))).toBe(true);
    const json = await api(registry.url, 'POST', '/api/v1/scans?failOn=critical', { body: Buffer.from(text), contentType: 'application/yaml' });
    expect(json.json.failed).toBe(true);
  });

  it('neither stores nor logs what it was sent', async () => {
    const marker = 'scan-marker-7f3a9c';
    const doc = { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: marker }, spec: { url: `https://${marker}.example/m.wasm`, pluginConfig: { token: marker } } };
    expect((await scanYaml(stringify(doc))).status).toBe(200);
    expect((await scanYaml(`${stringify(doc)}\n: : bad ${marker}`)).status).toBe(200);
    expect(registry.output()).not.toContain(marker);
    const audit = await api(registry.url, 'GET', '/api/v1/audit?limit=100', { token: admin });
    expect(JSON.stringify(audit.json)).not.toContain(marker);
  });

  it('refuses a 5 MB configuration (413) and bounds hostile YAML while the API keeps answering', async () => {
    const big = await api(registry.url, 'POST', '/api/v1/scans', { body: Buffer.from(`# ${'x'.repeat(5 * 1024 * 1024)}\n`), contentType: 'application/yaml' });
    expect(big.status).toBe(413);
    const probe = await startLivenessProbe(`${registry.url}/health/live`);
    try {
      const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      const response = await api(registry.url, 'POST', '/api/v1/scans', { json: { files: [{ name: 'bomb.yaml', content: bomb }, { name: 'deep.yaml', content: deep }, { name: 'ok.yaml', content: envoyYaml }] } });
      expect(response.status, response.text).toBe(200);
      expect(response.json.problems.map((p: Json) => p.file)).toEqual(['bomb.yaml', 'deep.yaml']);
      expect(response.json.problems[0].message).toContain('alias');
      expect(response.json.references.map((r: Json) => r.file)).toEqual(['ok.yaml']);
      expectProblem(await api(registry.url, 'POST', '/api/v1/scans', { json: { files: [{ name: 'a', content: 1 }], other: 1 } }), 400, 'invalid_input');
      const deepJson = await api(registry.url, 'POST', '/api/v1/scans', { body: Buffer.from(`{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`), contentType: 'application/json' });
      expectProblem(deepJson, 400, 'invalid_input');
      expectProblem(await api(registry.url, 'POST', '/api/v1/scans?envoy=latest&failOn=never', { json: { files: [{ content: '' }] } }), 400, 'invalid_input');
    } finally {
      const result = await probe.stop();
      expect(result.failures).toEqual([]);
      expect(result.worstMs).toBeLessThan(1_000);
    }
  });
});
