import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { HTTP_ABI, NETWORK_ABI } from '../test/fixtures.js';
import { MAX_CONFIGURATION_BYTES, parseEnvoyQuery, parseIstioQuery, resolveFilter } from './proxy-config-options.js';

const PLUGIN = { namespace: 'acme', plugin: 'jwt-auth', version: '1.0.0' };

/** The FieldProblems of the 400 that `run` throws. */
function problems(run: () => unknown): { field: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(400);
    return (error as RegistryError).extensions.errors as { field: string; message: string }[];
  }
  throw new Error('expected a 400');
}

describe('Envoy options', () => {
  it('default to YAML, v8, fail closed, cluster wasm_registry, a 30 s timeout and no configuration', () => {
    expect(parseEnvoyQuery({}, undefined)).toEqual({
      format: 'yaml',
      filter: null,
      rootId: null,
      failOpen: false,
      configuration: null,
      example: null,
      runtime: 'envoy.wasm.runtime.v8',
      vmId: null,
      cluster: 'wasm_registry',
      timeout: '30s',
    });
  });

  it('read every option', () => {
    expect(
      parseEnvoyQuery(
        { format: 'json', filter: 'network', root_id: 'r', vm_id: 'v', fail_open: 'true', configuration: ' {"a": 1} ', runtime: 'wamr', cluster: 'reg.tls', timeout: '500ms' },
        undefined,
      ),
    ).toEqual({
      format: 'json',
      filter: 'network',
      rootId: 'r',
      vmId: 'v',
      failOpen: true,
      configuration: { json: '{"a": 1}', value: { a: 1 } },
      example: null,
      runtime: 'envoy.wasm.runtime.wamr',
      cluster: 'reg.tls',
      timeout: '0.5s',
    });
  });

  it.each([
    ['10s', '10s'],
    ['2.5s', '2.5s'],
    ['1500ms', '1.5s'],
    ['3600s', '3600s'],
  ])('read timeout=%s as the Duration %s', (raw, duration) => {
    expect(parseEnvoyQuery({ timeout: raw }, undefined).timeout).toBe(duration);
  });

  it('take JSON from Accept unless format says otherwise, and YAML when Accept names both', () => {
    expect(parseEnvoyQuery({}, 'application/json').format).toBe('json');
    expect(parseEnvoyQuery({}, 'application/yaml, application/json;q=0.5').format).toBe('yaml');
    expect(parseEnvoyQuery({ format: 'yaml' }, 'application/json').format).toBe('yaml');
    expect(parseEnvoyQuery({}, '*/*').format).toBe('yaml');
  });

  it('refuse every bad value at once, each naming its field and what is allowed', () => {
    const found = problems(() =>
      parseEnvoyQuery(
        { format: 'xml', filter: 'tcp', runtime: 'wavm', fail_open: 'yes', configuration: '{nope', cluster: 'has space', timeout: '5m', root_id: '', vm_id: 'a\u0000b' },
        undefined,
      ),
    );
    expect(found.map((p) => p.field)).toEqual([
      'query.format',
      'query.filter',
      'query.root_id',
      'query.fail_open',
      'query.configuration',
      'query.runtime',
      'query.vm_id',
      'query.cluster',
      'query.timeout',
    ]);
    const message = (field: string) => found.find((p) => p.field === field)!.message;
    expect(message('query.format')).toContain('yaml, json');
    expect(message('query.filter')).toContain('http, network');
    expect(message('query.runtime')).toContain('envoy.wasm.runtime.v8, envoy.wasm.runtime.wamr, envoy.wasm.runtime.wasmtime');
    expect(message('query.runtime')).toContain('WAVM');
    expect(message('query.fail_open')).toContain('true or false');
    expect(message('query.configuration')).toContain('must be JSON');
    expect(message('query.timeout')).toContain('30s');
  });

  it.each([['0s'], ['0ms'], ['3601s'], ['1.5ms'], ['-1s'], ['1.2345s']])('refuse timeout=%s', (raw) => {
    expect(problems(() => parseEnvoyQuery({ timeout: raw }, undefined)).map((p) => p.field)).toEqual(['query.timeout']);
  });

  it('refuse the null runtime, which never runs a downloaded module', () => {
    expect(problems(() => parseEnvoyQuery({ runtime: 'envoy.wasm.runtime.null' }, undefined))[0]!.message).toContain('compiled into Envoy');
  });

  it('refuse a configuration over the size limit', () => {
    const big = JSON.stringify({ data: 'x'.repeat(MAX_CONFIGURATION_BYTES) });
    expect(problems(() => parseEnvoyQuery({ configuration: big }, undefined))).toEqual([
      { field: 'query.configuration', message: `is ${Buffer.byteLength(big)} bytes; at most ${MAX_CONFIGURATION_BYTES} bytes of JSON are accepted` },
    ]);
  });

  it('refuse an unknown option (a misspelling must not give the default) and an option given twice', () => {
    expect(problems(() => parseEnvoyQuery({ failOpen: 'true', timeout: ['1s', '2s'] }, undefined))).toEqual([
      { field: 'query.failOpen', message: expect.stringContaining('is not an option here; the options are format, filter, runtime, root_id') },
      { field: 'query.timeout', message: 'is given more than once; give it once' },
    ]);
  });

  it('do not take Istio options', () => {
    expect(problems(() => parseEnvoyQuery({ phase: 'AUTHN' }, undefined)).map((p) => p.field)).toEqual(['query.phase']);
  });
});

describe('Istio options', () => {
  it('read phase, priority, namespace, selector, source and an object configuration', () => {
    expect(
      parseIstioQuery(
        { phase: 'STATS', priority: '-2147483648', namespace: 'istio-system', selector: 'app=reviews,example.com/tier=,version=v1', source: 'oci', configuration: '{"a":true}' },
        undefined,
      ),
    ).toMatchObject({
      phase: 'STATS',
      priority: -2147483648,
      namespace: 'istio-system',
      selector: { app: 'reviews', 'example.com/tier': '', version: 'v1' },
      source: 'oci',
      configuration: { value: { a: true } },
    });
  });

  it('refuse bad values, naming each field', () => {
    const found = problems(() =>
      parseIstioQuery(
        { phase: 'authn', priority: '2147483648', namespace: 'Istio_System', selector: 'app', source: 'http', configuration: '[1,2]', runtime: 'v8' },
        undefined,
      ),
    );
    expect(found.map((p) => p.field)).toEqual([
      'query.runtime',
      'query.phase',
      'query.priority',
      'query.namespace',
      'query.selector',
      'query.source',
      'query.configuration',
    ]);
    expect(found.find((p) => p.field === 'query.configuration')!.message).toContain('must be a JSON object for Istio');
    expect(found.find((p) => p.field === 'query.phase')!.message).toContain('UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS');
  });

  it.each([['app=a,app=b'], ['-bad=x'], ['a=b c'], [`k=${'v'.repeat(64)}`], ['Example.com/x=y']])('refuse selector=%s', (raw) => {
    expect(problems(() => parseIstioQuery({ selector: raw }, undefined)).map((p) => p.field)).toEqual(['query.selector']);
  });
});

describe('the filter type', () => {
  it('defaults to what the module\'s callbacks fit: http, network for a TCP-only module, http when it has neither', () => {
    expect(resolveFilter(null, HTTP_ABI, PLUGIN)).toBe('http');
    expect(resolveFilter(null, NETWORK_ABI, PLUGIN)).toBe('network');
    expect(resolveFilter(null, { ...HTTP_ABI, filterTypes: ['http', 'network'] }, PLUGIN)).toBe('http');
    expect(resolveFilter(null, { ...HTTP_ABI, filterTypes: [] }, PLUGIN)).toBe('http');
    expect(resolveFilter('network', { ...HTTP_ABI, filterTypes: ['http', 'network'] }, PLUGIN)).toBe('network');
  });

  it('refuses network for an HTTP-only module, and http for a TCP-only one, saying why', () => {
    expect(problems(() => resolveFilter('network', HTTP_ABI, PLUGIN))).toEqual([
      { field: 'query.filter', message: expect.stringMatching(/acme\/jwt-auth@1\.0\.0 exports HTTP callbacks only \(proxy_on_request_headers\).*Use filter=http/) },
    ]);
    expect(problems(() => resolveFilter('http', NETWORK_ABI, PLUGIN))).toEqual([
      { field: 'query.filter', message: expect.stringMatching(/TCP callbacks only \(proxy_on_new_connection, proxy_on_downstream_data\).*Use filter=network/) },
    ]);
  });
});
