import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { analyzeModule, decide, DEFAULT_POLICY, summarizeAnalysis, type StoredAnalysis } from '../../analysis/index.js';
import { loadConfig, type RegistryConfig } from '../../config/index.js';
import { notFound, RegistryError } from '../../domain/index.js';
import type { OciService } from '../../oci/index.js';
import type { ContractsService, PluginsService } from '../../plugins/index.js';
import type { VersionRecord } from '../../versions/index.js';
import { proxyWasmFilter, rejectedFilter } from '../../../testing/wasm-fixtures.js';
import { ProxyConfigService } from './proxy-config.service.js';
import type { EnvoyConfigJson, IstioConfigJson } from './render.js';

/**
 * The service with the catalog and the OCI side replaced by stand-ins, and
 * real analysis reports of modules compiled from WAT.
 */
const PUBLIC_URL = 'https://registry.example.com';
const MANIFEST_DIGEST = `sha256:${'c'.repeat(64)}`;

async function analysed(bytes: Buffer): Promise<StoredAnalysis> {
  const report = await analyzeModule(bytes);
  return { report, decision: decide(report.findings, DEFAULT_POLICY) };
}

/** Stored analyses by version id, as the repository would read them. */
const analyses = new Map<string, StoredAnalysis>();

function record(name: string, bytes: Buffer, analysis: StoredAnalysis | null, more: Partial<VersionRecord> = {}): VersionRecord {
  if (analysis !== null) analyses.set(`acme/${name}@1.0.0`, analysis);
  return {
    id: `acme/${name}@1.0.0`,
    namespace: 'acme',
    plugin: name,
    version: '1.0.0',
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
    status: 'ready',
    statusReason: null,
    createdAt: new Date(),
    readyAt: new Date(),
    kind: 'module',
    abiVersion: '0.2.1',
    analysisSummary: analysis && summarizeAnalysis(analysis),
    analyzedAt: new Date(),
    yankedAt: null,
    yankReason: null,
    ...more,
  };
}

describe('ProxyConfigService', () => {
  const versions = new Map<string, VersionRecord>();
  const servedOverOci = new Set<string>();
  let service: ProxyConfigService;
  let httpFilter: Buffer;

  beforeAll(async () => {
    httpFilter = await proxyWasmFilter('service');
    const tcp = await proxyWasmFilter('service', 'network');
    const unlinkable = await rejectedFilter('unlinkable');
    const httpAnalysis = await analysed(httpFilter);
    const add = (r: VersionRecord) => versions.set(`${r.namespace}/${r.plugin}@${r.version}`, r);
    add(record('http-filter', httpFilter, httpAnalysis));
    add(record('tcp-filter', tcp, await analysed(tcp)));
    add(record('yanked', httpFilter, httpAnalysis, { yankedAt: new Date(), yankReason: 'CVE-2026-0001' }));
    add(record('pending', httpFilter, null, { status: 'pending', readyAt: null, analyzedAt: null }));
    add(record('failed', httpFilter, null, { status: 'failed', statusReason: 'sbom: gave up after 3 attempts', readyAt: null }));
    const rejected = await analysed(unlinkable);
    expect(rejected.decision.status).toBe('rejected');
    add(record('rejected', unlinkable, rejected, { status: 'rejected', statusReason: 'imports env.proxy_made_up', readyAt: null }));
    add(record('not-a-plugin', httpFilter, { ...httpAnalysis, report: { ...httpAnalysis.report, proxyWasm: null } }));
    add(record('component', httpFilter, { ...httpAnalysis, report: { ...httpAnalysis.report, kind: 'component' } }));
    add(record('cut-short', httpFilter, { ...httpAnalysis, report: { ...httpAnalysis.report, truncated: true, omitted: { exports: 3 } } }));
    servedOverOci.add('acme/http-filter@1.0.0');
    servedOverOci.add('acme/tcp-filter@1.0.0');

    const plugins = {
      findVersion: async (namespace: string, name: string, version: string) => {
        const found = versions.get(`${namespace}/${name}@${version}`);
        if (found === undefined) throw notFound('version_not_found', `${namespace}/${name} has no version ${version}`);
        return found;
      },
      storedAnalysis: async (version: VersionRecord) => analyses.get(version.id) ?? null,
    } as unknown as PluginsService;
    const oci = {
      pinnedReference: async (namespace: string, name: string, version: string) =>
        servedOverOci.has(`${namespace}/${name}@${version}`) ? { reference: `registry.example.com/${namespace}/${name}:${version}`, manifestDigest: MANIFEST_DIGEST } : null,
    } as unknown as OciService;
    const config: RegistryConfig = { ...loadConfig({ PUBLIC_URL, DATA_DIR: '/tmp/unused' }) };
    // No version here has a contract: a given configuration is embedded unchecked, as ContractsService answers then.
    const contracts = {
      configurationFor: async (_record: VersionRecord, input: { configuration: unknown } | null) =>
        input === null ? null : { configuration: input.configuration, check: { checked: false, valid: false, errors: [], schemaDigest: null, summary: 'no schema, so nothing could be checked' } },
    } as unknown as ContractsService;
    service = new ProxyConfigService(plugins, oci, contracts, config);
  });

  const refusal = async (run: Promise<unknown>): Promise<RegistryError> => {
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  };

  it('gives a ready HTTP filter\'s Envoy configuration as YAML, pinned to the module\'s digest', async () => {
    const rendered = await service.envoy('acme', 'http-filter', '1.0.0', {}, undefined);
    expect(rendered).toMatchObject({ format: 'yaml', contentType: 'application/yaml', yankWarning: null });
    const hex = createHash('sha256').update(httpFilter).digest('hex');
    const config = parse(rendered.body as string) as { http_filters: any[]; clusters: any[] };
    expect(config.http_filters[0].typed_config.config.vm_config.code.remote).toMatchObject({
      http_uri: { uri: `${PUBLIC_URL}/api/v1/blobs/sha256:${hex}` },
      sha256: hex,
    });
    expect(rendered.body).toContain('# Proxy-Wasm ABI 0.2.1; HTTP callbacks (proxy_on_request_headers).');
    expect(rendered.body).toMatch(/# Runs on: envoy >=1\.17, istio >=1\.8/);
  });

  it('gives JSON with the compatibility from the analysis and both digests', async () => {
    const rendered = await service.envoy('acme', 'http-filter', '1.0.0', { format: 'json' }, undefined);
    const body = rendered.body as EnvoyConfigJson;
    expect(rendered.contentType).toBe('application/json');
    expect(body.compatibility).toMatchObject({ abiVersion: '0.2.1', filterTypes: ['http'], envoyLoads: true });
    expect(body.compatibility.hosts.map((h) => h.host)).toContain('envoy');
    expect(body.pinned.oci).toEqual({
      reference: 'registry.example.com/acme/http-filter:1.0.0',
      url: 'oci://registry.example.com/acme/http-filter:1.0.0',
      manifestDigest: MANIFEST_DIGEST,
      sha256: 'c'.repeat(64),
    });
  });

  it('configures a module with TCP callbacks only as a network filter, and refuses filter=http for it', async () => {
    const rendered = await service.envoy('acme', 'tcp-filter', '1.0.0', { format: 'json' }, undefined);
    expect((rendered.body as EnvoyConfigJson).filter).toBe('network');
    expect(Object.keys((rendered.body as EnvoyConfigJson).envoy)).toEqual(['filters', 'clusters']);
    const error = await refusal(service.envoy('acme', 'tcp-filter', '1.0.0', { filter: 'http' }, undefined));
    expect(error.status).toBe(400);
    expect(error.extensions.errors).toEqual([{ field: 'query.filter', message: expect.stringContaining('TCP callbacks only') }]);
  });

  it('restricts the plugin to the host functions it imports and the callbacks it exports, as the analysis lists them', async () => {
    const allowed = async (name: string) => {
      const body = (await service.envoy('acme', name, '1.0.0', { format: 'json' }, undefined)).body as EnvoyConfigJson;
      const [filter] = 'http_filters' in body.envoy ? body.envoy.http_filters : body.envoy.filters;
      return filter.typed_config.config.capability_restriction_config;
    };
    expect(await allowed('http-filter')).toEqual({ allowed_capabilities: { proxy_log: {}, proxy_on_context_create: {}, proxy_on_request_headers: {} } });
    expect(await allowed('tcp-filter')).toEqual({
      allowed_capabilities: { proxy_log: {}, proxy_on_context_create: {}, proxy_on_downstream_data: {}, proxy_on_new_connection: {} },
    });
    // A report that left exports out would give a list that switches the rest off: none is written.
    expect(await allowed('cut-short')).toBeUndefined();
    expect((await service.envoy('acme', 'cut-short', '1.0.0', {}, undefined)).body).toContain('# No capability_restriction_config');
  });

  it('refuses a network filter for an HTTP-only module (400, query.filter)', async () => {
    const error = await refusal(service.istio('acme', 'http-filter', '1.0.0', { filter: 'network' }, undefined));
    expect(error.extensions.errors).toEqual([{ field: 'query.filter', message: expect.stringContaining('HTTP callbacks only') }]);
  });

  it('serves a yanked version with the warning in the YAML and for the Warning header', async () => {
    const rendered = await service.envoy('acme', 'yanked', '1.0.0', {}, undefined);
    expect(rendered.yankWarning).toContain('acme/yanked@1.0.0 is yanked: CVE-2026-0001');
    expect(rendered.body).toContain('# WARNING: acme/yanked@1.0.0 is yanked: CVE-2026-0001');
    const json = await service.istio('acme', 'yanked', '1.0.0', {}, 'application/json');
    expect((json.body as IstioConfigJson).warnings[0]).toContain('is yanked');
  });

  it.each([
    ['pending', 'version_pending', 'still being checked'],
    ['failed', 'version_failed', 'sbom: gave up after 3 attempts'],
    ['rejected', 'version_rejected', 'imports env.proxy_made_up'],
    ['not-a-plugin', 'not_a_proxy_wasm_plugin', 'not a Proxy-Wasm plugin'],
    ['component', 'not_a_proxy_wasm_plugin', 'WebAssembly component'],
  ])('refuses %s with 409 %s, saying why', async (name, code, detail) => {
    for (const run of [service.envoy('acme', name, '1.0.0', {}, undefined), service.istio('acme', name, '1.0.0', {}, undefined)]) {
      const error = await refusal(run);
      expect({ status: error.status, code: error.code }).toEqual({ status: 409, code });
      expect(error.detail).toContain(detail);
    }
  });

  it('links a rejected version\'s analysis', async () => {
    const error = await refusal(service.envoy('acme', 'rejected', '1.0.0', {}, undefined));
    expect(error.extensions.analysis).toBe(`${PUBLIC_URL}/api/v1/plugins/acme/rejected/versions/1.0.0/analysis`);
  });

  it('gives the Istio https:// and oci:// documents, or only https:// when the version is not served over OCI', async () => {
    const both = parseAllDocuments((await service.istio('acme', 'http-filter', '1.0.0', {}, undefined)).body as string).map((d) => d.toJS());
    expect(both.map((d) => d.spec.url)).toEqual([expect.stringMatching(/^https:\/\/registry\.example\.com\/api\/v1\/blobs\/sha256:/), 'oci://registry.example.com/acme/http-filter:1.0.0']);
    expect(both[1].spec.sha256).toBe('c'.repeat(64));
    const yanked = parseAllDocuments((await service.istio('acme', 'yanked', '1.0.0', {}, undefined)).body as string);
    expect(yanked).toHaveLength(1);
    const error = await refusal(service.istio('acme', 'yanked', '1.0.0', { source: 'oci' }, undefined));
    expect(error.extensions.errors).toEqual([{ field: 'query.source', message: expect.stringContaining('not served over OCI') }]);
  });

  it('refuses bad options before looking the version up', async () => {
    const error = await refusal(service.envoy('acme', 'missing', '1.0.0', { runtime: 'jvm' }, undefined));
    expect(error.status).toBe(400);
    const missing = await refusal(service.envoy('acme', 'missing', '1.0.0', {}, undefined));
    expect({ status: missing.status, code: missing.code }).toEqual({ status: 404, code: 'version_not_found' });
  });
});
