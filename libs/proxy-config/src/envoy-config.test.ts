import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CLUSTER, HTTP_FILTER, LISTENER_FILTER } from '../test/envoy-api-types.js';
import { MODULE_SHA256, NETWORK_ABI, RESTRICTED_HTTP_ABI, sampleInput } from '../test/fixtures.js';
import { snapshotSchema, validateMessage, type ApiSnapshot } from '../test/proto-json.js';
import { buildEnvoyConfig, type EnvoyBuildOptions } from './envoy-config.js';
import { envoyJson, envoyYaml } from './render.js';

const ENVOY_API = snapshotSchema(JSON.parse(readFileSync(new URL('../test/envoy-api.snapshot.json', import.meta.url), 'utf8')) as ApiSnapshot);

const DEFAULTS: EnvoyBuildOptions = {
  filter: 'http',
  runtime: 'envoy.wasm.runtime.v8',
  rootId: null,
  vmId: null,
  failOpen: false,
  configuration: null,
  cluster: 'wasm_registry',
  timeout: '30s',
};

interface Parsed {
  http_filters?: Record<string, any>[];
  filters?: Record<string, any>[];
  clusters: Record<string, any>[];
}

/** The YAML as Envoy would read it, checked to be the same as the JSON form's `envoy`. */
function generate(publicUrl: string, options: Partial<EnvoyBuildOptions> = {}, input = sampleInput(publicUrl)): { parsed: Parsed; yaml: string } {
  const build = { ...DEFAULTS, ...options };
  const config = buildEnvoyConfig(input, build);
  const yaml = envoyYaml(input, build, config, []);
  const documents = parseAllDocuments(yaml);
  expect(documents).toHaveLength(1);
  const parsed = parse(yaml) as Parsed;
  const json = JSON.parse(JSON.stringify(envoyJson(input, build, config, []))) as { envoy: Parsed };
  expect(parsed).toEqual(json.envoy);
  return { parsed, yaml };
}

function expectValidEnvoy(parsed: Parsed): void {
  for (const filter of parsed.http_filters ?? []) expect(validateMessage(ENVOY_API, HTTP_FILTER, filter)).toEqual([]);
  for (const filter of parsed.filters ?? []) expect(validateMessage(ENVOY_API, LISTENER_FILTER, filter)).toEqual([]);
  for (const cluster of parsed.clusters) expect(validateMessage(ENVOY_API, CLUSTER, cluster)).toEqual([]);
}

describe('the Envoy configuration', () => {
  it('is an HTTP Wasm filter fetching the pinned URL, sha256 = the module bytes\' SHA-256, runtime v8, fail_open false', () => {
    const { parsed } = generate('https://registry.example.com');
    expectValidEnvoy(parsed);
    expect(Object.keys(parsed)).toEqual(['http_filters', 'clusters']);
    const [filter] = parsed.http_filters!;
    expect(filter).toEqual({
      name: 'envoy.filters.http.wasm',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
        config: {
          name: 'acme/jwt-auth',
          root_id: '',
          vm_config: {
            vm_id: 'acme/jwt-auth',
            runtime: 'envoy.wasm.runtime.v8',
            code: {
              remote: {
                http_uri: { uri: `https://registry.example.com/api/v1/blobs/sha256:${MODULE_SHA256}`, cluster: 'wasm_registry', timeout: '30s' },
                sha256: MODULE_SHA256,
                retry_policy: { num_retries: 3, retry_back_off: { base_interval: '1s', max_interval: '10s' } },
              },
            },
          },
          fail_open: false,
        },
      },
    });
  });

  it('defines the cluster its http_uri names, with TLS, SNI and the host name checked when PUBLIC_URL is https', () => {
    const { parsed } = generate('https://registry.example.com');
    const [cluster] = parsed.clusters;
    expect(cluster!.name).toBe(parsed.http_filters![0]!.typed_config.config.vm_config.code.remote.http_uri.cluster);
    expect(cluster).toEqual({
      name: 'wasm_registry',
      type: 'LOGICAL_DNS',
      connect_timeout: '5s',
      load_assignment: {
        cluster_name: 'wasm_registry',
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'registry.example.com', port_value: 443 } } } }] }],
      },
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'registry.example.com',
          common_tls_context: {
            validation_context: {
              trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' },
              match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'registry.example.com' } }],
            },
          },
        },
      },
    });
  });

  it('uses plain TCP and the port of an http PUBLIC_URL, and a STATIC cluster for an IP address', () => {
    const { parsed } = generate('http://127.0.0.1:8080');
    expectValidEnvoy(parsed);
    const [cluster] = parsed.clusters;
    expect(cluster!.transport_socket).toBeUndefined();
    expect(cluster!.type).toBe('STATIC');
    expect(cluster!.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 8080 });
    expect(parsed.http_filters![0]!.typed_config.config.vm_config.code.remote.http_uri.uri).toBe(`http://127.0.0.1:8080/api/v1/blobs/sha256:${MODULE_SHA256}`);
  });

  it('checks an IP SAN and sends no SNI for an https PUBLIC_URL on an IPv6 address', () => {
    const { parsed } = generate('https://[2001:db8::7]:8443');
    expectValidEnvoy(parsed);
    const socket = parsed.clusters[0]!.transport_socket.typed_config;
    expect(socket.sni).toBeUndefined();
    expect(socket.common_tls_context.validation_context.match_typed_subject_alt_names).toEqual([{ san_type: 'IP_ADDRESS', matcher: { exact: '2001:db8::7' } }]);
    expect(parsed.clusters[0]!.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '2001:db8::7', port_value: 8443 });
  });

  it('passes the caller\'s configuration as a google.protobuf.StringValue holding the JSON text as given', () => {
    const json = '{"header": "x-id", "on": "yes", "limits": [1, 2.5, null]}';
    const { parsed } = generate('https://registry.example.com', { configuration: { json, value: JSON.parse(json) } });
    expectValidEnvoy(parsed);
    const configuration = parsed.http_filters![0]!.typed_config.config.configuration;
    expect(configuration).toEqual({ '@type': 'type.googleapis.com/google.protobuf.StringValue', value: json });
    expect(JSON.parse(configuration.value)).toEqual({ header: 'x-id', on: 'yes', limits: [1, 2.5, null] });
  });

  it('writes the chosen runtime, root_id, vm_id, fail_open, cluster name and timeout', () => {
    const { parsed } = generate('https://registry.example.com', {
      runtime: 'envoy.wasm.runtime.wasmtime',
      rootId: 'auth_root',
      vmId: 'shared-vm',
      failOpen: true,
      cluster: 'registry_tls',
      timeout: '2.5s',
    });
    expectValidEnvoy(parsed);
    const config = parsed.http_filters![0]!.typed_config.config;
    expect(config).toMatchObject({ root_id: 'auth_root', fail_open: true, vm_config: { vm_id: 'shared-vm', runtime: 'envoy.wasm.runtime.wasmtime' } });
    expect(config.vm_config.code.remote.http_uri).toMatchObject({ cluster: 'registry_tls', timeout: '2.5s' });
    expect(parsed.clusters[0]).toMatchObject({ name: 'registry_tls', load_assignment: { cluster_name: 'registry_tls' } });
  });

  it('is a network filter (envoy.filters.network.wasm) under `filters` for a TCP plugin', () => {
    const { parsed, yaml } = generate('https://registry.example.com', { filter: 'network' }, sampleInput('https://registry.example.com', { abi: NETWORK_ABI }));
    expectValidEnvoy(parsed);
    expect(Object.keys(parsed)).toEqual(['filters', 'clusters']);
    expect(parsed.filters![0]!.name).toBe('envoy.filters.network.wasm');
    expect(parsed.filters![0]!.typed_config['@type']).toBe('type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm');
    expect(parsed.filters![0]!.typed_config.config.vm_config.code.remote.sha256).toBe(MODULE_SHA256);
    expect(yaml).toContain('# Envoy configuration for acme/jwt-auth@1.0.0 (network filter).');
    expect(yaml).toContain("filter_chains[].filters");
  });

  it('says in YAML comments what it is, which digest sha256 is, the compatibility, warnings and where to paste', () => {
    const input = sampleInput('https://registry.example.com', { yanked: { reason: 'CVE-2026-0001\nupgrade' } });
    const build = { ...DEFAULTS };
    const yaml = envoyYaml(input, build, buildEnvoyConfig(input, build), ['acme/jwt-auth@1.0.0 is yanked: CVE-2026-0001\nupgrade']);
    const comments = yaml.split('\n').filter((line) => line.startsWith('#'));
    expect(yaml.startsWith('# Envoy configuration for acme/jwt-auth@1.0.0 (HTTP filter).\n')).toBe(true);
    expect(comments).toContain('# Proxy-Wasm ABI 0.2.1; HTTP callbacks (proxy_on_request_headers).');
    expect(comments).toContain('# Runs on: envoy >=1.17, istio >=1.8.');
    expect(comments).toContain(`# and checks sha256 (${MODULE_SHA256}) against the SHA-256 of the module's bytes.`);
    // A newline in the reason stays inside the comment.
    expect(comments).toContain('# WARNING: acme/jwt-auth@1.0.0 is yanked: CVE-2026-0001 upgrade');
    expect(comments.some((c) => c.includes("HttpConnectionManager's http_filters, before envoy.filters.http.router"))).toBe(true);
    expect(comments.some((c) => c.includes('static_resources.clusters'))).toBe(true);
    expect(yaml.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#') && !/^[ -]*[a-z_@'"]/.test(line))).toEqual([]);
  });

  it('gives the compatibility, the digests and the warnings beside the configuration in JSON', () => {
    const input = sampleInput();
    const json = envoyJson(input, DEFAULTS, buildEnvoyConfig(input, DEFAULTS), ['a warning']);
    expect(json).toMatchObject({
      plugin: { namespace: 'acme', name: 'jwt-auth', version: '1.0.0' },
      pinned: {
        url: `https://registry.example.com/api/v1/blobs/sha256:${MODULE_SHA256}`,
        sha256: MODULE_SHA256,
        oci: { reference: 'registry.example.com/acme/jwt-auth:1.0.0', url: 'oci://registry.example.com/acme/jwt-auth:1.0.0' },
      },
      compatibility: { abiVersion: '0.2.1', filterTypes: ['http'], envoyLoads: true, hosts: [{ host: 'envoy', versions: '>=1.17' }, { host: 'istio', versions: '>=1.8' }] },
      filter: 'http',
      warnings: ['a warning'],
    });
    expect(json.pinned.oci!.sha256).not.toBe(MODULE_SHA256);
  });
});

describe('capability_restriction_config', () => {
  it('allows exactly the host functions and callbacks the analysis lists, each mapped to an empty SanitizationConfig', () => {
    const { parsed, yaml } = generate('https://registry.example.com', {}, sampleInput('https://registry.example.com', { abi: RESTRICTED_HTTP_ABI }));
    expectValidEnvoy(parsed);
    const config = parsed.http_filters![0]!.typed_config.config;
    expect(config.capability_restriction_config).toEqual({
      allowed_capabilities: { proxy_log: {}, proxy_on_context_create: {}, proxy_on_request_headers: {} },
    });
    const comments = yaml.split('\n').filter((line) => line.startsWith('#'));
    expect(comments).toContain('# capability_restriction_config allows exactly the 3 host functions and callbacks this version uses (from the analysis).');
    expect(comments.some((c) => c.includes('Envoy 1.18 and later enforce it'))).toBe(true);
    expect(comments.some((c) => c.includes('Envoy 1.17 and earlier do not know the field'))).toBe(true);
  });

  it('is left out, and the comment says why, when the analysis cannot list every import and export', () => {
    const { parsed, yaml } = generate('https://registry.example.com');
    expect(parsed.http_filters![0]!.typed_config.config.capability_restriction_config).toBeUndefined();
    expect(yaml).toContain("# No capability_restriction_config: the analysis does not list all of this module's imports and exports");
  });

  it('goes into the network filter too', () => {
    const abi = { ...NETWORK_ABI, allowedCapabilities: ['proxy_on_new_connection'] };
    const { parsed } = generate('https://registry.example.com', { filter: 'network' }, sampleInput('https://registry.example.com', { abi }));
    expectValidEnvoy(parsed);
    expect(parsed.filters![0]!.typed_config.config.capability_restriction_config).toEqual({ allowed_capabilities: { proxy_on_new_connection: {} } });
  });

  it('is checked against Envoy\'s definition: a list where a map belongs, or a value in a SanitizationConfig, is refused', () => {
    const config = JSON.parse(JSON.stringify(buildEnvoyConfig(sampleInput('https://registry.example.com', { abi: RESTRICTED_HTTP_ABI }), DEFAULTS))) as Parsed;
    const plugin = config.http_filters![0]!.typed_config.config;
    plugin.capability_restriction_config.allowed_capabilities.proxy_log = { level: 'info' };
    expect(validateMessage(ENVOY_API, HTTP_FILTER, config.http_filters![0])).toEqual([
      '$.typed_config.config.capability_restriction_config.allowed_capabilities.proxy_log.level: envoy.extensions.wasm.v3.SanitizationConfig has no field "level"',
    ]);
    plugin.capability_restriction_config.allowed_capabilities = ['proxy_log'];
    expect(validateMessage(ENVOY_API, HTTP_FILTER, config.http_filters![0])).toEqual([
      '$.typed_config.config.capability_restriction_config.allowed_capabilities: must be a JSON object (map of envoy.extensions.wasm.v3.SanitizationConfig)',
    ]);
  });
});

describe('the check against Envoy\'s definitions', () => {
  // These show that the validation above can fail.
  const valid = () => JSON.parse(JSON.stringify(buildEnvoyConfig(sampleInput(), DEFAULTS))) as Parsed;

  it('refuses a field Envoy does not have, or a camelCase name', () => {
    const config = valid();
    config.http_filters![0]!.typed_config.config.vm_config.vmId = 'x';
    config.http_filters![0]!.typed_config.config.fail_opem = true;
    expect(validateMessage(ENVOY_API, HTTP_FILTER, config.http_filters![0])).toEqual([
      '$.typed_config.config.fail_opem: envoy.extensions.wasm.v3.PluginConfig has no field "fail_opem"',
      '$.typed_config.config.vm_config.vmId: envoy.extensions.wasm.v3.VmConfig has no field "vmId"',
    ]);
  });

  it('refuses a missing required http_uri, an empty sha256, a bad Duration, an unknown enum value and an unknown @type', () => {
    const config = valid();
    const remote = config.http_filters![0]!.typed_config.config.vm_config.code.remote;
    remote.sha256 = '';
    remote.retry_policy.retry_back_off.base_interval = 1000;
    delete remote.http_uri;
    config.clusters[0]!.type = 'DNS';
    config.clusters[0]!.transport_socket.typed_config['@type'] = 'type.googleapis.com/envoy.Nope';
    expect(validateMessage(ENVOY_API, HTTP_FILTER, config.http_filters![0])).toEqual([
      '$.typed_config.config.vm_config.code.remote.http_uri: required in envoy.config.core.v3.RemoteDataSource',
      '$.typed_config.config.vm_config.code.remote.sha256: must be at least 1 characters',
      '$.typed_config.config.vm_config.code.remote.retry_policy.retry_back_off.base_interval: a Duration is written as a string such as "1.5s"',
    ]);
    expect(validateMessage(ENVOY_API, CLUSTER, config.clusters[0])).toEqual([
      expect.stringContaining('$.type: "DNS" is not a value of envoy.config.cluster.v3.Cluster.DiscoveryType'),
      '$.transport_socket.typed_config["@type"]: unknown message envoy.Nope',
    ]);
  });

  it('refuses a StringValue configuration given as an object', () => {
    const config = valid();
    config.http_filters![0]!.typed_config.config.configuration = { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: { a: 1 } };
    expect(validateMessage(ENVOY_API, HTTP_FILTER, config.http_filters![0])).toEqual(['$.typed_config.config.configuration.value: must be a string']);
  });
});
