import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { RegistryError } from '../../domain/index.js';
import { MANIFEST_DIGEST, MODULE_SHA256, NETWORK_ABI, sampleInput } from '../test/fixtures.js';
import { ISTIO_API, ISTIO_SHA256_PATTERN, WASM_PLUGIN_RESOURCE } from '../test/istio-api.js';
import { snapshotSchema, validateMessage } from '../test/proto-json.js';
import { buildIstioPlugins, resolveIstioSources, resourceName, type IstioBuildOptions } from './istio-config.js';
import { istioJson, istioYaml } from './render.js';

const ISTIO = snapshotSchema(ISTIO_API);
const MANIFEST_HEX = MANIFEST_DIGEST.slice('sha256:'.length);

const DEFAULTS: IstioBuildOptions = {
  filter: 'http',
  rootId: null,
  failOpen: false,
  configuration: null,
  phase: null,
  priority: null,
  namespace: null,
  selector: null,
  sources: ['https', 'oci'],
};

/** Both forms, parsed; the YAML documents must equal the JSON List's items. */
function generate(options: Partial<IstioBuildOptions> = {}, input = sampleInput()): { plugins: Record<string, any>[]; yaml: string } {
  const build = { ...DEFAULTS, ...options };
  const documents = buildIstioPlugins(input, build);
  const yaml = istioYaml(input, build, documents, []);
  const parsed = parseAllDocuments(yaml).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Record<string, any>;
  });
  const json = JSON.parse(JSON.stringify(istioJson(input, build, documents, []))) as { istio: { apiVersion: string; kind: string; items: unknown[] } };
  expect(json.istio.apiVersion).toBe('v1');
  expect(json.istio.kind).toBe('List');
  expect(parsed).toEqual(json.istio.items);
  for (const plugin of parsed) {
    expect(validateMessage(ISTIO, WASM_PLUGIN_RESOURCE, plugin)).toEqual([]);
    expect(plugin.spec.sha256).toMatch(ISTIO_SHA256_PATTERN);
  }
  return { plugins: parsed, yaml };
}

describe('the Istio WasmPlugin resources', () => {
  it('are two: https:// with the module bytes\' SHA-256, oci:// with the manifest digest; IfNotPresent, FAIL_CLOSE, HTTP', () => {
    const { plugins } = generate();
    expect(plugins).toEqual([
      {
        apiVersion: 'extensions.istio.io/v1alpha1',
        kind: 'WasmPlugin',
        metadata: { name: 'jwt-auth' },
        spec: {
          url: `https://registry.example.com/api/v1/blobs/sha256:${MODULE_SHA256}`,
          sha256: MODULE_SHA256,
          imagePullPolicy: 'IfNotPresent',
          failStrategy: 'FAIL_CLOSE',
          type: 'HTTP',
        },
      },
      {
        apiVersion: 'extensions.istio.io/v1alpha1',
        kind: 'WasmPlugin',
        metadata: { name: 'jwt-auth' },
        spec: {
          url: 'oci://registry.example.com/acme/jwt-auth:1.0.0',
          sha256: MANIFEST_HEX,
          imagePullPolicy: 'IfNotPresent',
          failStrategy: 'FAIL_CLOSE',
          type: 'HTTP',
        },
      },
    ]);
    expect(MANIFEST_HEX).not.toBe(MODULE_SHA256);
  });

  it('write phase, priority, pluginName (root id), pluginConfig as an object, FAIL_OPEN, namespace and selector', () => {
    const { plugins } = generate({
      phase: 'AUTHZ',
      priority: -5,
      rootId: 'auth_root',
      failOpen: true,
      configuration: { json: '{"mode":"on","limits":{"rps":10}}', value: { mode: 'on', limits: { rps: 10 } } },
      namespace: 'istio-ingress',
      selector: { istio: 'ingressgateway', 'app.kubernetes.io/name': 'gw' },
    });
    for (const plugin of plugins) {
      expect(plugin.metadata).toEqual({ name: 'jwt-auth', namespace: 'istio-ingress' });
      expect(plugin.spec).toMatchObject({
        selector: { matchLabels: { istio: 'ingressgateway', 'app.kubernetes.io/name': 'gw' } },
        phase: 'AUTHZ',
        priority: -5,
        pluginName: 'auth_root',
        // "on" stays a string: YAML 1.1 readers such as kubectl would take a bare on for true.
        pluginConfig: { mode: 'on', limits: { rps: 10 } },
        failStrategy: 'FAIL_OPEN',
      });
    }
  });

  it('quote strings Kubernetes\' YAML 1.1 reader would take for booleans or numbers', () => {
    const { yaml } = generate({ configuration: { json: '{"a":"on","b":"yes","c":"1:20"}', value: { a: 'on', b: 'yes', c: '1:20' } } });
    expect(yaml).toContain('a: "on"');
    expect(yaml).toContain('b: "yes"');
    expect(yaml).toContain('c: "1:20"');
  });

  it('are NETWORK for a network filter', () => {
    const { plugins } = generate({ filter: 'network' }, sampleInput('https://registry.example.com', { abi: NETWORK_ABI }));
    expect(plugins.map((p) => p.spec.type)).toEqual(['NETWORK', 'NETWORK']);
  });

  it('say in YAML comments which digest each sha256 is, that only one is to be applied, and the compatibility', () => {
    const { yaml } = generate();
    const [first, second] = yaml.split('\n---\n');
    expect(first).toContain('# Istio WasmPlugin for acme/jwt-auth@1.0.0 (HTTP).');
    expect(first).toContain('# Runs on: envoy >=1.17, istio >=1.8.');
    expect(first).toContain('apply ONE of them');
    expect(first).toContain(`# and compares sha256 with the SHA-256 of the module's bytes (${MODULE_SHA256}).`);
    expect(second).toContain(`# and compares sha256 with the digest of the OCI manifest (${MANIFEST_DIGEST}),`);
    expect(second).toContain(`# NOT with the SHA-256 of the module's bytes (${MODULE_SHA256}).`);
    expect(second).not.toContain('WASM_INSECURE_REGISTRIES');
  });

  it('say that a WasmPlugin cannot restrict host functions, and where the list is', () => {
    const { yaml, plugins } = generate();
    const [first, second] = yaml.split('\n---\n');
    expect(first).toContain("# Istio's WasmPlugin has no capability_restriction_config: the plugin may call every Proxy-Wasm host function.");
    expect(first).toContain('# The Envoy configuration (…/config/envoy) lists the ones it uses, for an EnvoyFilter of your own.');
    expect(second).not.toContain('capability_restriction_config');
    for (const plugin of plugins) expect(JSON.stringify(plugin)).not.toContain('capabilit');
  });

  it('tell how to pull over OCI from a registry on plain HTTP', () => {
    const { yaml } = generate({}, sampleInput('http://127.0.0.1:8080'));
    expect(yaml).toContain("list 127.0.0.1:8080 in the proxies' WASM_INSECURE_REGISTRIES");
  });

  it('are only the https one when the version is not served over OCI, and refuse source=oci then', () => {
    const input = sampleInput('https://registry.example.com', { oci: null });
    const sources = resolveIstioSources(null, null, input.coordinates);
    expect(sources).toEqual(['https']);
    const { plugins, yaml } = generate({ sources }, input);
    expect(plugins).toHaveLength(1);
    expect(yaml).toContain('Not served over OCI (yet)');
    expect(() => resolveIstioSources('oci', null, input.coordinates)).toThrow(RegistryError);
    expect(resolveIstioSources('oci', input.oci ?? sampleInput().oci, input.coordinates)).toEqual(['oci']);
  });

  it('name the resource as Kubernetes allows', () => {
    expect(resourceName('jwt-auth')).toBe('jwt-auth');
    expect(resourceName('edge-')).toBe('edge');
  });
});

describe('the check against the WasmPlugin API', () => {
  it('refuses snake_case names, unknown fields and values Istio does not know', () => {
    const [plugin] = JSON.parse(JSON.stringify(buildIstioPlugins(sampleInput(), DEFAULTS).map((d) => d.plugin))) as Record<string, any>[];
    plugin!.spec.image_pull_policy = 'IfNotPresent';
    plugin!.spec.phase = 'AUTH';
    plugin!.spec.failStrategy = 'FAIL_CLOSED';
    delete plugin!.spec.url;
    expect(validateMessage(ISTIO, WASM_PLUGIN_RESOURCE, plugin)).toEqual([
      '$.spec.image_pull_policy: istio.extensions.v1alpha1.WasmPlugin has no field "image_pull_policy"',
      '$.spec.url: required in istio.extensions.v1alpha1.WasmPlugin',
      expect.stringContaining('$.spec.phase: "AUTH" is not a value of istio.extensions.v1alpha1.PluginPhase'),
      expect.stringContaining('$.spec.failStrategy: "FAIL_CLOSED" is not a value of istio.extensions.v1alpha1.FailStrategy'),
    ]);
    expect(`sha256:${MODULE_SHA256}`).not.toMatch(ISTIO_SHA256_PATTERN);
  });
});
