import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { assemblyScriptProxyWasmFilter } from '../testing/sdk-fixtures.js';
import { compileWat, manyFunctionsModule, paddedModule, proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, settledVersion } from './support.js';

/** A 0.2.1 filter that also imports a function no Proxy-Wasm host provides. */
const UNKNOWN_IMPORT_WAT = `(module
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_make_coffee" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))`;

/** Decodes, but fails type checking: the function must return an i32 and returns nothing. */
const ILL_TYPED = Buffer.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type () -> i32
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // body: no locals, end
]);

describe('module analysis on publish', () => {
  let registry: RunningRegistry;
  let admin: string;
  const publish = async (name: string, body: Buffer, version = '1.0.0') => {
    const response = await api(registry.url, 'PUT', `/api/v1/plugins/acme/${name}/versions/${version}`, { body, token: admin });
    expect(response.status, response.text).toBe(202);
    return settledVersion(registry.url, 'acme', name, version);
  };

  beforeAll(async () => {
    registry = await startRegistry();
    admin = registry.adminToken;
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('makes a valid Proxy-Wasm filter ready and shows its analysis in brief and in full', async () => {
    const version = await publish('good-filter', await proxyWasmFilter('analysed'));
    expect(version.status).toBe('ready');
    expect(version.analysis).toMatchObject({ kind: 'module', abiVersion: '0.2.1', envoyLoads: true, filterTypes: ['http'], rejections: [] });
    expect(version.analysis.compatibility.map((c: { host: string }) => c.host)).toContain('envoy');
    const analysis = await api(registry.url, 'GET', '/api/v1/plugins/acme/good-filter/versions/1.0.0/analysis');
    expect(analysis.status).toBe(200);
    expect(analysis.json).toMatchObject({ status: 'ready', digest: version.digest, rejections: [] });
    expect(analysis.json.report.proxyWasm.hostImports).toEqual(['env.proxy_log']);
    expect(analysis.json.report.exports.map((e: { name: string }) => e.name)).toContain('proxy_on_request_headers');
    const plugin = await api(registry.url, 'GET', '/api/v1/plugins/acme/good-filter');
    expect(plugin.json.latestAnalysis).toMatchObject({ abiVersion: '0.2.1', envoyLoads: true });
  });

  it('publishes a plugin built with the AssemblyScript SDK and reports the ABI version the SDK declares', async () => {
    const version = await publish('as-filter', (await assemblyScriptProxyWasmFilter()).bytes);
    expect(version.status).toBe('ready');
    expect(version.analysis).toMatchObject({ kind: 'module', abiVersion: '0.2.0', envoyLoads: true, filterTypes: ['http'], warnings: [] });
  });

  it('decodes a component with wasm-tools in the worker and makes it ready with a warning that proxies cannot load it', async () => {
    const component = Buffer.from(
      await parse(`(component
        (import "wasi:cli/environment@0.2.0" (instance (export "get-arguments" (func (result (list string))))))
        (core module $m (func (export "answer") (result i32) (i32.const 42)))
        (core instance $i (instantiate $m))
        (func $answer (result u32) (canon lift (core func $i "answer")))
        (export "answer" (func $answer)))`),
    );
    const version = await publish('component', component);
    expect(version.status).toBe('ready');
    expect(version.analysis.kind).toBe('component');
    expect(version.analysis.warnings.map((f: { code: string }) => f.code)).toContain('component_not_loadable_by_proxies');
    const analysis = await api(registry.url, 'GET', '/api/v1/plugins/acme/component/versions/1.0.0/analysis');
    expect(analysis.json.report.component.imports).toEqual(['wasi:cli/environment@0.2.0']);
    expect(analysis.json.report.component.exports).toEqual(['answer']);
    expect(analysis.json.report.component.wit).toContain('world');
  });

  it('rejects a plugin that imports a function no host provides, says why, and does not serve it by version', async () => {
    const version = await publish('coffee', await compileWat(UNKNOWN_IMPORT_WAT));
    expect(version.status).toBe('rejected');
    expect(version.statusReason).toContain('env.proxy_make_coffee');
    expect(version.analysis.rejections.map((f: { code: string }) => f.code)).toEqual(['unknown_host_import']);
    const download = await api(registry.url, 'GET', '/api/v1/plugins/acme/coffee/versions/1.0.0/module.wasm');
    expectProblem(download, 409, 'version_rejected');
    expect(download.json.detail).toContain('env.proxy_make_coffee');
    // Still reachable by digest, for audit.
    expect((await api(registry.url, 'GET', `/api/v1/blobs/${version.digest}`)).status).toBe(200);
    // A rejected version is never "latest".
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/coffee')).json.latestVersion).toBeNull();
  });

  it('rejects a module that decodes but fails validation, naming the offset', async () => {
    const version = await publish('ill-typed', ILL_TYPED);
    expect(version.status).toBe('rejected');
    const analysis = await api(registry.url, 'GET', '/api/v1/plugins/acme/ill-typed/versions/1.0.0/analysis');
    expect(analysis.json.report.valid).toBe(false);
    expect(analysis.json.report.validationError.offset).toEqual(expect.any(Number));
    expect(analysis.json.rejections[0].code).toBe('invalid_module');
  });

  it('answers requests while a slow module is analysed, then makes it ready', async () => {
    const published = await api(registry.url, 'PUT', '/api/v1/plugins/acme/slow/versions/1.0.0', { body: manyFunctionsModule(900_000), token: admin });
    expect(published.status).toBe(202);
    // Were the analysis on the event loop, these would be answered only after it, and the version would read "ready".
    const [live, during] = await Promise.all([
      api(registry.url, 'GET', '/health/live'),
      api(registry.url, 'GET', '/api/v1/plugins/acme/slow/versions/1.0.0'),
    ]);
    expect(live.status).toBe(200);
    expect(during.json.status).toBe('pending');
    const settled = await settledVersion(registry.url, 'acme', 'slow', '1.0.0');
    expect(settled.status).toBe('ready');
    expect(settled.analysis.kind).toBe('module');
  });

  it('analyses a 50 MiB module', async () => {
    const version = await publish('large', await paddedModule(50 * 1024 * 1024, 'large'));
    expect(version.status).toBe('ready');
    const analysis = await api(registry.url, 'GET', '/api/v1/plugins/acme/large/versions/1.0.0/analysis');
    expect(analysis.json.report.customSections).toContainEqual(expect.objectContaining({ name: 'padding' }));
  });

  it('answers 409 for the analysis of a pending version', async () => {
    const published = await api(registry.url, 'PUT', '/api/v1/plugins/acme/queued/versions/1.0.0', { body: manyFunctionsModule(900_000), token: admin });
    expect(published.status).toBe(202);
    const early = await api(registry.url, 'GET', '/api/v1/plugins/acme/queued/versions/1.0.0/analysis');
    expectProblem(early, 409, 'analysis_pending');
    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/acme/queued/versions/1.0.0/module.wasm'), 409, 'version_pending');
  });
});

describe('the analysis policy is configuration', () => {
  it('makes an unknown host import a warning when ANALYSIS_POLICY says so', async () => {
    const registry = await startRegistry({ ANALYSIS_POLICY: 'unknown_host_import=warn' });
    try {
      const body = await compileWat(UNKNOWN_IMPORT_WAT);
      expect((await api(registry.url, 'PUT', '/api/v1/plugins/acme/coffee/versions/1.0.0', { body, token: registry.adminToken })).status).toBe(202);
      const version = await settledVersion(registry.url, 'acme', 'coffee', '1.0.0');
      expect(version.status).toBe('ready');
      expect(version.analysis.warnings.map((f: { code: string }) => f.code)).toContain('unknown_host_import');
      expect(version.analysis.envoyLoads).toBe(false);
    } finally {
      await registry.stop();
    }
  });

  it('refuses to start with an unknown finding code, naming ANALYSIS_POLICY', async () => {
    await expect(startRegistry({ ANALYSIS_POLICY: 'made_up=reject' })).rejects.toThrow(/ANALYSIS_POLICY.*made_up/);
  });
});
