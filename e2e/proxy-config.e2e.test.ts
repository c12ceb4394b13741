import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CLUSTER, HTTP_FILTER, LISTENER_FILTER } from '../libs/proxy-config/test/envoy-api-types.js';
import { ISTIO_API, ISTIO_SHA256_PATTERN, WASM_PLUGIN_RESOURCE } from '../libs/proxy-config/test/istio-api.js';
import { snapshotSchema, validateMessage, type ApiSnapshot } from '../libs/proxy-config/test/proto-json.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter, rejectedFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, settledVersion, type Json } from './support.js';

const ENVOY_API = snapshotSchema(JSON.parse(readFileSync(new URL('../libs/proxy-config/test/envoy-api.snapshot.json', import.meta.url), 'utf8')) as ApiSnapshot);
const ISTIO = snapshotSchema(ISTIO_API);
const hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const config = (kind: 'envoy' | 'istio', plugin: string, query = '', headers: Record<string, string> = {}) =>
  api(registry.url, 'GET', `/api/v1/plugins/acme/${plugin}/versions/1.0.0/config/${kind}${query}`, { headers });

let registry: RunningRegistry;

describe('proxy configuration for published plugins, from a running registry', () => {
  let httpModule: Buffer;
  let tcpModule: Buffer;

  beforeAll(async () => {
    registry = await startRegistry();
    httpModule = await proxyWasmFilter('proxy-config');
    tcpModule = await proxyWasmFilter('proxy-config', 'network');
    const publish = async (name: string, body: Buffer): Promise<Json> => {
      const response = await api(registry.url, 'PUT', `/api/v1/plugins/acme/${name}/versions/1.0.0`, { body, token: registry.adminToken });
      expect(response.status, response.text).toBe(202);
      return settledVersion(registry.url, 'acme', name, '1.0.0');
    };
    expect((await publish('auth-filter', httpModule)).status).toBe('ready');
    expect((await publish('tcp-filter', tcpModule)).status).toBe('ready');
    expect((await publish('bad-filter', await rejectedFilter('unlinkable'))).status).toBe('rejected');
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('gives the Envoy HTTP filter as YAML whose pinned URL serves bytes with the configured sha256', async () => {
    const response = await config('envoy', 'auth-filter');
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/yaml');
    expect(response.headers.get('warning')).toBeNull();
    expect(response.text).toMatch(/^# Envoy configuration for acme\/auth-filter@1\.0\.0 \(HTTP filter\)\.\n# Proxy-Wasm ABI 0\.2\.1; HTTP callbacks \(proxy_on_request_headers\)\.\n# Runs on: envoy >=1\.17/);
    const parsed = parse(response.text) as { http_filters: Json[]; clusters: Json[] };
    expect(Object.keys(parsed)).toEqual(['http_filters', 'clusters']);
    expect(validateMessage(ENVOY_API, HTTP_FILTER, parsed.http_filters[0])).toEqual([]);
    expect(validateMessage(ENVOY_API, CLUSTER, parsed.clusters[0])).toEqual([]);

    const wasm = parsed.http_filters[0]!.typed_config;
    expect(wasm['@type']).toBe('type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
    expect(wasm.config).toMatchObject({ fail_open: false, vm_config: { runtime: 'envoy.wasm.runtime.v8' } });
    const remote = wasm.config.vm_config.code.remote;
    expect(remote.http_uri.uri).toBe(`${registry.url}/api/v1/blobs/sha256:${hex(httpModule)}`);
    const downloaded = await fetch(remote.http_uri.uri);
    expect(downloaded.status).toBe(200);
    expect(hex(Buffer.from(await downloaded.arrayBuffer()))).toBe(remote.sha256);
    expect(remote.sha256).toBe(hex(httpModule));

    // The cluster is the registry: plain TCP to PUBLIC_URL's address and port.
    const [cluster] = parsed.clusters;
    expect(cluster!.name).toBe(remote.http_uri.cluster);
    expect(cluster!.transport_socket).toBeUndefined();
    expect(cluster!.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: registry.port });
  });

  it('gives JSON for Accept: application/json or format=json: the same configuration beside the compatibility and digests', async () => {
    const yaml = parse((await config('envoy', 'auth-filter')).text) as unknown;
    for (const response of [await config('envoy', 'auth-filter', '', { accept: 'application/json' }), await config('envoy', 'auth-filter', '?format=json')]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.json.envoy).toEqual(yaml);
      expect(response.json.compatibility).toMatchObject({ abiVersion: '0.2.1', filterTypes: ['http'], envoyLoads: true });
      expect(response.json.compatibility.hosts.map((h: Json) => h.host)).toEqual(expect.arrayContaining(['envoy', 'istio']));
      expect(response.json.pinned.sha256).toBe(hex(httpModule));
      expect(response.json.warnings).toEqual([]);
    }
    // The version view shows the same pinned URL and digest.
    const version = await api(registry.url, 'GET', '/api/v1/plugins/acme/auth-filter/versions/1.0.0');
    expect(version.json.pinned.url).toBe((await config('envoy', 'auth-filter', '?format=json')).json.pinned.url);
  });

  it('passes the options through: runtime, root_id, vm_id, fail_open, cluster, timeout and the configuration as a StringValue', async () => {
    const configuration = '{"header":"x-tenant","required":true}';
    const query = new URLSearchParams({ runtime: 'wasmtime', root_id: 'auth', vm_id: 'shared', fail_open: 'true', cluster: 'plugins', timeout: '10s', configuration });
    const response = await config('envoy', 'auth-filter', `?${query}`);
    expect(response.status, response.text).toBe(200);
    const parsed = parse(response.text) as { http_filters: Json[]; clusters: Json[] };
    expect(validateMessage(ENVOY_API, HTTP_FILTER, parsed.http_filters[0])).toEqual([]);
    expect(parsed.http_filters[0]!.typed_config.config).toMatchObject({
      root_id: 'auth',
      fail_open: true,
      configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: configuration },
      vm_config: { vm_id: 'shared', runtime: 'envoy.wasm.runtime.wasmtime', code: { remote: { http_uri: { cluster: 'plugins', timeout: '10s' } } } },
    });
    expect(parsed.clusters[0]!.name).toBe('plugins');
  });

  it('gives a network filter for a plugin with TCP callbacks only', async () => {
    const response = await config('envoy', 'tcp-filter');
    expect(response.status, response.text).toBe(200);
    const parsed = parse(response.text) as { filters: Json[]; clusters: Json[] };
    expect(Object.keys(parsed)).toEqual(['filters', 'clusters']);
    expect(validateMessage(ENVOY_API, LISTENER_FILTER, parsed.filters[0])).toEqual([]);
    expect(parsed.filters[0]).toMatchObject({
      name: 'envoy.filters.network.wasm',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm', config: { vm_config: { code: { remote: { sha256: hex(tcpModule) } } } } },
    });
    const istio = parseAllDocuments((await config('istio', 'tcp-filter')).text).map((d) => d.toJS());
    expect(istio.map((d) => d.spec.type)).toEqual(['NETWORK', 'NETWORK']);
  });

  it('allows the published module exactly the host functions it imports and the callbacks it exports (capability_restriction_config)', async () => {
    const http = parse((await config('envoy', 'auth-filter')).text) as { http_filters: Json[] };
    expect(http.http_filters[0]!.typed_config.config.capability_restriction_config).toEqual({
      allowed_capabilities: { proxy_log: {}, proxy_on_context_create: {}, proxy_on_request_headers: {} },
    });
    const tcp = (await config('envoy', 'tcp-filter', '?format=json')).json;
    expect(tcp.envoy.filters[0].typed_config.config.capability_restriction_config).toEqual({
      allowed_capabilities: { proxy_log: {}, proxy_on_context_create: {}, proxy_on_downstream_data: {}, proxy_on_new_connection: {} },
    });
    const istio = await config('istio', 'auth-filter');
    expect(istio.text).toContain("# Istio's WasmPlugin has no capability_restriction_config");
  });

  it('gives two Istio WasmPlugins: https:// with the module bytes\' SHA-256, oci:// with the digest of the manifest /v2 serves', async () => {
    const response = await config('istio', 'auth-filter', '?phase=AUTHZ&priority=10&namespace=istio-system&selector=app%3Dgateway&configuration=%7B%22mode%22%3A%22on%22%7D');
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/yaml');
    const [https, oci] = parseAllDocuments(response.text).map((d) => d.toJS() as Json);
    for (const plugin of [https, oci]) {
      expect(validateMessage(ISTIO, WASM_PLUGIN_RESOURCE, plugin)).toEqual([]);
      expect(plugin!.spec.sha256).toMatch(ISTIO_SHA256_PATTERN);
      expect(plugin).toMatchObject({
        apiVersion: 'extensions.istio.io/v1alpha1',
        kind: 'WasmPlugin',
        metadata: { name: 'auth-filter', namespace: 'istio-system' },
        spec: { imagePullPolicy: 'IfNotPresent', phase: 'AUTHZ', priority: 10, selector: { matchLabels: { app: 'gateway' } }, pluginConfig: { mode: 'on' }, failStrategy: 'FAIL_CLOSE', type: 'HTTP' },
      });
    }
    const bytes = Buffer.from(await (await fetch(https!.spec.url)).arrayBuffer());
    expect(https!.spec.sha256).toBe(hex(bytes));
    expect(https!.spec.sha256).toBe(hex(httpModule));

    const host = new URL(registry.url).host;
    expect(oci!.spec.url).toBe(`oci://${host}/acme/auth-filter:1.0.0`);
    const manifest = await api(registry.url, 'GET', '/v2/acme/auth-filter/manifests/1.0.0');
    expect(manifest.status).toBe(200);
    const manifestDigest = manifest.headers.get('docker-content-digest')!;
    expect(manifestDigest).toBe(`sha256:${hex(manifest.bytes)}`);
    expect(oci!.spec.sha256).toBe(manifestDigest.slice('sha256:'.length));
    expect(oci!.spec.sha256).not.toBe(https!.spec.sha256);
    expect(response.text).toContain(`# and compares sha256 with the digest of the OCI manifest (${manifestDigest}),`);

    const json = await config('istio', 'auth-filter', '?format=json&source=oci');
    expect(json.json.istio).toEqual({ apiVersion: 'v1', kind: 'List', items: [expect.objectContaining({ spec: expect.objectContaining({ url: oci!.spec.url, sha256: oci!.spec.sha256 }) })] });
    expect(json.json.pinned.oci).toMatchObject({ manifestDigest, url: oci!.spec.url });
  });

  it('refuses a rejected version (409) with the reason and a link to its analysis', async () => {
    for (const kind of ['envoy', 'istio'] as const) {
      const response = await config(kind, 'bad-filter');
      expectProblem(response, 409, 'version_rejected');
      expect(response.json.detail).toContain('proxy_made_up');
      expect(response.json.analysis).toBe(`${registry.url}/api/v1/plugins/acme/bad-filter/versions/1.0.0/analysis`);
      expect((await api(registry.url, 'GET', new URL(response.json.analysis).pathname)).status).toBe(200);
    }
  });

  it.each([
    ['envoy', '?runtime=jvm', ['query.runtime']],
    ['envoy', '?fail_open=maybe&timeout=5m', ['query.fail_open', 'query.timeout']],
    ['envoy', '?configuration=%7Bnot%20json', ['query.configuration']],
    ['envoy', '?format=xml&failOpen=true', ['query.failOpen', 'query.format']],
    ['envoy', '?filter=network', ['query.filter']],
    ['envoy', '?timeout=1s&timeout=2s', ['query.timeout']],
    ['istio', '?priority=high&phase=LATE', ['query.phase', 'query.priority']],
    ['istio', '?configuration=%5B1%5D', ['query.configuration']],
    ['istio', '?namespace=Not_A_Namespace&selector=app', ['query.namespace', 'query.selector']],
    ['istio', '?vm_id=x', ['query.vm_id']],
  ] as const)('refuses bad options with 400 naming each field: %s %s', async (kind, query, fields) => {
    const response = await config(kind, 'auth-filter', query);
    expectProblem(response, 400, 'invalid_input');
    expect(response.json.errors.map((e: Json) => e.field)).toEqual(fields);
    for (const error of response.json.errors) expect(error.message.length).toBeGreaterThan(10);
  });

  it('explains why a network filter does not fit an HTTP-only plugin', async () => {
    const response = await config('envoy', 'auth-filter', '?filter=network');
    expect(response.json.errors[0].message).toContain('exports HTTP callbacks only (proxy_on_request_headers)');
  });

  it('answers 404 for an unknown plugin or version, and 400 for a malformed version', async () => {
    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/acme/nothing/versions/1.0.0/config/envoy'), 404, 'plugin_not_found');
    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/acme/auth-filter/versions/9.9.9/config/istio'), 404, 'version_not_found');
    const bad = await api(registry.url, 'GET', '/api/v1/plugins/acme/auth-filter/versions/v1/config/envoy');
    expectProblem(bad, 400, 'invalid_input');
    expect(bad.json.errors.map((e: Json) => e.field)).toEqual(['path.version']);
  });

  it('serves a yanked version with a Warning header and a warning in the YAML', async () => {
    const yank = await api(registry.url, 'PUT', '/api/v1/plugins/acme/tcp-filter/versions/1.0.0/yank', { json: { reason: 'CVE-2026-0042' }, token: registry.adminToken });
    expect(yank.status, yank.text).toBe(200);
    for (const kind of ['envoy', 'istio'] as const) {
      const response = await config(kind, 'tcp-filter');
      expect(response.status).toBe(200);
      expect(response.headers.get('warning')).toMatch(/^299 - "acme\/tcp-filter@1\.0\.0 is yanked: CVE-2026-0042\./);
      expect(response.text).toContain('# WARNING: acme/tcp-filter@1.0.0 is yanked: CVE-2026-0042.');
    }
    expect((await config('envoy', 'tcp-filter', '?format=json')).json.warnings[0]).toContain('is yanked: CVE-2026-0042');
  });
});
