import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { findModuleReferences, ociSource, SCAN_INPUT_LIMITS } from './module-references.js';

const HEX = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

const ENVOY_BOOTSTRAP = `static_resources:
  listeners:
  - name: main
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          http_filters:
          - name: acme.jwt
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: jwt
                root_id: jwt_root
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: '{"issuer": "https://id.example.com"}'
                vm_config:
                  vm_id: jwt_vm
                  runtime: envoy.wasm.runtime.v8
                  code:
                    remote:
                      http_uri:
                        uri: https://registry.example.com/api/v1/blobs/sha256:${HEX}
                        cluster: wasm_registry
                        timeout: 10s
                      sha256: ${HEX}
          - name: acme.local
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: local_root
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: 'not json'
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code:
                    local:
                      filename: /etc/envoy/local.wasm
          - name: envoy.filters.http.router
`;

describe('finding the Wasm modules a deployed configuration loads', () => {
  it('reads an Envoy bootstrap: remote and local modules, names, ids, the configuration, and where each is', () => {
    const { references, problems, truncated } = findModuleReferences([{ name: 'envoy.yaml', text: ENVOY_BOOTSTRAP }]);
    expect(problems).toEqual([]);
    expect(truncated).toBe(false);
    expect(references).toEqual([
      {
        file: 'envoy.yaml',
        document: 0,
        line: 23,
        path: '/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/http_filters/0/typed_config/config/vm_config/code/remote',
        host: 'envoy',
        name: 'jwt',
        source: { kind: 'http', url: `https://registry.example.com/api/v1/blobs/sha256:${HEX}` },
        sha256: HEX,
        configuration: { present: true, value: { issuer: 'https://id.example.com' }, problem: null },
        rootId: 'jwt_root',
        vmId: 'jwt_vm',
      },
      expect.objectContaining({
        line: 40,
        name: 'local_root',
        source: { kind: 'file', path: '/etc/envoy/local.wasm' },
        sha256: null,
        configuration: { present: true, value: 'not json', problem: expect.stringMatching(/^is not JSON: /) },
      }),
    ]);
    expect(ENVOY_BOOTSTRAP.split('\n')[22]).toContain('remote:');
    expect(ENVOY_BOOTSTRAP.split('\n')[39]).toContain('local:');
  });

  it('reads Envoy JSON with lowerCamelCase names and a Struct configuration, and an HCM fragment alone', () => {
    const json = JSON.stringify({
      httpFilters: [
        {
          name: 'w',
          typedConfig: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
            config: {
              rootId: 'r',
              configuration: { '@type': 'type.googleapis.com/google.protobuf.Struct', value: { a: 1 } },
              vmConfig: { vmId: 'v', code: { remote: { httpUri: { uri: 'https://x/m.wasm' }, sha256: `SHA256:${HEX.toUpperCase()}` } } },
            },
          },
        },
      ],
    });
    const [reference] = findModuleReferences([{ name: 'hcm.json', text: json }]).references;
    expect(reference).toMatchObject({ host: 'envoy', name: 'r', rootId: 'r', vmId: 'v', sha256: HEX, configuration: { present: true, value: { a: 1 }, problem: null }, path: '/httpFilters/0/typedConfig/config/vmConfig/code/remote' });
  });

  it('reads Istio, Higress and Envoy Gateway resources in one multi-document file, and ignores the rest', () => {
    const text = `apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: jwt-oci, namespace: istio-system}
spec:
  url: oci://registry.example.com:5000/acme/jwt-auth:1.2.0
  sha256: ${OTHER}
  pluginName: jwt_root
  pluginConfig: {issuer: "https://id.example.com"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {replicas: 2}
---
apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata: {name: mask}
spec:
  url: registry.example.com/acme/mask@sha256:${OTHER}
  matchRules:
  - ingress: [default/shop]
    config: {fields: [card]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: {name: policy}
spec:
  wasm:
  - name: by-http
    rootID: r1
    code: {type: HTTP, http: {url: "https://registry.example.com/api/v1/blobs/sha256:${HEX}"}}
    config: {a: 1}
  - name: by-image
    code: {type: Image, image: {url: "acme/filter:2.0.0", sha256: "${HEX}"}}
`;
    const { references, problems } = findModuleReferences([{ name: 'k8s.yaml', text }]);
    expect(problems).toEqual([]);
    expect(references.map((r) => [r.host, r.name, r.document, r.line, r.path, r.source, r.sha256, r.configuration, r.rootId])).toEqual([
      ['istio', 'jwt-oci', 0, 5, '/spec/url', { kind: 'oci', url: 'oci://registry.example.com:5000/acme/jwt-auth:1.2.0', registryHost: 'registry.example.com:5000', repository: 'acme/jwt-auth', tag: '1.2.0', digest: null }, OTHER, { present: true, value: { issuer: 'https://id.example.com' }, problem: null }, 'jwt_root'],
      ['higress', 'mask', 2, 19, '/spec/url', { kind: 'oci', url: `registry.example.com/acme/mask@sha256:${OTHER}`, registryHost: 'registry.example.com', repository: 'acme/mask', tag: null, digest: `sha256:${OTHER}` }, null, { present: true, value: { fields: ['card'] }, problem: null }, null],
      ['envoy-gateway', 'by-http', 3, 29, '/spec/wasm/0', { kind: 'http', url: `https://registry.example.com/api/v1/blobs/sha256:${HEX}` }, null, { present: true, value: { a: 1 }, problem: null }, 'r1'],
      ['envoy-gateway', 'by-image', 3, 33, '/spec/wasm/1', { kind: 'oci', url: 'acme/filter:2.0.0', registryHost: 'docker.io', repository: 'acme/filter', tag: '2.0.0', digest: null }, HEX, { present: false }, null],
    ]);
  });

  it('keeps a malformed sha256 as given, for the scan to report', () => {
    const text = `apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: x}\nspec: {url: "https://h/m.wasm", sha256: "sha256:abc"}\n`;
    expect(findModuleReferences([{ name: 'x.yaml', text }]).references[0]!.sha256).toBe('sha256:abc');
  });

  it('bounds hostile YAML: an alias bomb and deep nesting are problems of their document, quickly; the others are read', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const good = `apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: ok}\nspec: {url: "oci://r.example/a/b:1.0.0"}\n`;
    const started = performance.now();
    const { references, problems } = findModuleReferences([
      { name: 'bomb.yaml', text: `${bomb}\n---\n${good}` },
      { name: 'deep.yaml', text: deep },
      { name: 'deep.json', text: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}` },
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(problems).toEqual([
      { file: 'bomb.yaml', document: 0, message: `uses more than ${SCAN_INPUT_LIMITS.yamlAliases} aliases (an alias bomb is refused)` },
      { file: 'deep.yaml', document: null, message: expect.stringMatching(/nests deeper than 64 levels|is not valid YAML/) },
      { file: 'deep.json', document: null, message: 'nests deeper than 64 levels' },
    ]);
    expect(references.map((r) => `${r.file}#${r.document} ${r.name}`)).toEqual(['bomb.yaml#1 ok']);
  });

  it('refuses too many files (400) or too many bytes (413), and stops at the reference cap', () => {
    const refusal = (run: () => unknown): RegistryError => {
      try {
        run();
      } catch (error) {
        return error as RegistryError;
      }
      throw new Error('accepted');
    };
    expect(refusal(() => findModuleReferences(Array.from({ length: 21 }, (_, i) => ({ name: `${i}`, text: '' })))).status).toBe(400);
    expect(refusal(() => findModuleReferences([{ name: 'big', text: 'x'.repeat(SCAN_INPUT_LIMITS.totalBytes + 1) }]))).toMatchObject({ status: 413, code: 'payload_too_large' });
    const many = Array.from({ length: 5 }, (_, i) => `apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: p${i}}\nspec: {url: "oci://r.example/a/b:1.0.${i}"}`).join('\n---\n');
    const capped = findModuleReferences([{ name: 'many.yaml', text: many }], { ...SCAN_INPUT_LIMITS, references: 3 });
    expect(capped.references.map((r) => r.name)).toEqual(['p0', 'p1', 'p2']);
    expect(capped.truncated).toBe(true);
  });

  it('splits image references as Docker does', () => {
    expect(ociSource('oci://localhost:5000/a/b@sha256:' + HEX)).toEqual({ kind: 'oci', url: `oci://localhost:5000/a/b@sha256:${HEX}`, registryHost: 'localhost:5000', repository: 'a/b', tag: null, digest: `sha256:${HEX}` });
    expect(ociSource('ghcr.io/a/b:1.0@sha256:' + HEX)).toMatchObject({ registryHost: 'ghcr.io', repository: 'a/b', tag: '1.0', digest: `sha256:${HEX}` });
    expect(ociSource('library/b')).toMatchObject({ registryHost: 'docker.io', repository: 'library/b', tag: null });
  });
});

describe('finding modules: each host as deployed', () => {
  const wasmFilter = (name: string, config: Record<string, unknown>) => ({ name, typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm', config } });
  const BOOTSTRAP_JSON = JSON.stringify(
    {
      staticResources: {
        listeners: [
          {
            name: 'main',
            filterChains: [
              {
                filters: [
                  {
                    name: 'envoy.filters.network.http_connection_manager',
                    typedConfig: {
                      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                      httpFilters: [
                        wasmFilter('acme.jwt', {
                          name: 'jwt',
                          rootId: 'jwt_root',
                          configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"issuer":"https://id.example.com","leeway":30}' },
                          vmConfig: { vmId: 'jwt_vm', runtime: 'envoy.wasm.runtime.v8', code: { remote: { httpUri: { uri: 'https://registry.example.com/m.wasm', cluster: 'r', timeout: '10s' }, sha256: HEX } } },
                        }),
                        wasmFilter('acme.local', { rootId: 'local_root', vmConfig: { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: '/etc/envoy/local.wasm' } } } }),
                        { name: 'envoy.filters.http.router' },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    },
    null,
    2,
  );

  it('reads a bootstrap in JSON with lowerCamelCase names: both filters, exactly', () => {
    const { references, problems } = findModuleReferences([{ name: 'envoy.json', text: BOOTSTRAP_JSON }]);
    const hcm = '/staticResources/listeners/0/filterChains/0/filters/0/typedConfig/httpFilters';
    expect(problems).toEqual([]);
    expect(references).toEqual([
      {
        file: 'envoy.json',
        document: 0,
        line: 29,
        path: `${hcm}/0/typedConfig/config/vmConfig/code/remote`,
        host: 'envoy',
        name: 'jwt',
        source: { kind: 'http', url: 'https://registry.example.com/m.wasm' },
        sha256: HEX,
        configuration: { present: true, value: { issuer: 'https://id.example.com', leeway: 30 }, problem: null },
        rootId: 'jwt_root',
        vmId: 'jwt_vm',
      },
      {
        file: 'envoy.json',
        document: 0,
        line: 51,
        path: `${hcm}/1/typedConfig/config/vmConfig/code/local`,
        host: 'envoy',
        name: 'local_root',
        source: { kind: 'file', path: '/etc/envoy/local.wasm' },
        sha256: null,
        configuration: { present: false },
        rootId: 'local_root',
        vmId: null,
      },
    ]);
    const lines = BOOTSTRAP_JSON.split('\n');
    expect(lines[28]!.trim()).toBe('"remote": {');
    expect(lines[50]!.trim()).toBe('"local": {');
  });

  it('reads a lone HCM fragment, a network filter and a WasmService bootstrap extension; inline code is "(inline)"', () => {
    const text = `http_filters:
- name: acme.inline
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
    config:
      name: inline
      configuration: {"@type": type.googleapis.com/google.protobuf.BytesValue, value: AAAA}
      vm_config: {runtime: envoy.wasm.runtime.v8, code: {local: {inline_bytes: AGFzbQEAAAA=}}}
network_filter:
  name: acme.tcp
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm
    config:
      root_id: tcp_root
      vm_config: {vm_id: tcp, runtime: envoy.wasm.runtime.v8, code: {remote: {http_uri: {uri: "https://h.example/tcp.wasm"}, sha256: "not-a-digest"}}}
bootstrap_extensions:
- name: envoy.bootstrap.wasm
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.wasm.v3.WasmService
    singleton: true
    config:
      name: stats
      vm_config: {runtime: envoy.wasm.runtime.v8, code: {local: {filename: /etc/envoy/stats.wasm}}}
`;
    const { references, problems } = findModuleReferences([{ name: 'fragment.yaml', text }]);
    expect(problems).toEqual([]);
    expect(references.map((r) => [r.line, r.path, r.name, r.source, r.sha256, r.vmId, r.configuration])).toEqual([
      [8, '/http_filters/0/typed_config/config/vm_config/code/local', 'inline', { kind: 'file', path: '(inline)' }, null, null, { present: true, value: { '@type': 'type.googleapis.com/google.protobuf.BytesValue', value: 'AAAA' }, problem: 'an Any of type "type.googleapis.com/google.protobuf.BytesValue"; this scan reads StringValue (JSON text) and Struct' }],
      [15, '/network_filter/typed_config/config/vm_config/code/remote', 'tcp_root', { kind: 'http', url: 'https://h.example/tcp.wasm' }, 'not-a-digest', 'tcp', { present: false }],
      [23, '/bootstrap_extensions/0/typed_config/config/vm_config/code/local', 'stats', { kind: 'file', path: '/etc/envoy/stats.wasm' }, null, null, { present: false }],
    ]);
  });

  it('reads Istio WasmPlugins: OCI by tag, https with a sha256 (prefixed, upper case), a bare image, a file', () => {
    const plugin = (name: string, spec: string) => `apiVersion: extensions.istio.io/v1\nkind: WasmPlugin\nmetadata:\n  name: ${name}\n  namespace: istio-system\nspec:\n  selector: {matchLabels: {app: shop}}\n${spec}`;
    const text = [
      plugin('by-tag', '  url: oci://ghcr.io/acme/jwt-auth:1.2.0\n  phase: AUTHN\n  pluginName: jwt_root\n'),
      plugin('by-https', `  url: https://registry.example.com/api/v1/blobs/m.wasm\n  sha256: sha256:${OTHER.toUpperCase()}\n  pluginConfig:\n    issuer: https://id.example.com\n    audiences: [shop]\n`),
      plugin('bare', '  url: acme/mask\n'),
      plugin('file', '  url: file:///opt/filters/mask.wasm\n'),
    ].join('---\n');
    const { references, problems } = findModuleReferences([{ name: 'istio.yaml', text }]);
    expect(problems).toEqual([]);
    expect(references.map((r) => [r.host, r.name, r.document, r.line, r.source, r.sha256, r.rootId, r.configuration])).toEqual([
      ['istio', 'by-tag', 0, 8, { kind: 'oci', url: 'oci://ghcr.io/acme/jwt-auth:1.2.0', registryHost: 'ghcr.io', repository: 'acme/jwt-auth', tag: '1.2.0', digest: null }, null, 'jwt_root', { present: false }],
      ['istio', 'by-https', 1, 19, { kind: 'http', url: 'https://registry.example.com/api/v1/blobs/m.wasm' }, OTHER, null, { present: true, value: { issuer: 'https://id.example.com', audiences: ['shop'] }, problem: null }],
      ['istio', 'bare', 2, 32, { kind: 'oci', url: 'acme/mask', registryHost: 'docker.io', repository: 'acme/mask', tag: null, digest: null }, null, null, { present: false }],
      ['istio', 'file', 3, 41, { kind: 'file', path: '/opt/filters/mask.wasm' }, null, null, { present: false }],
    ]);
    expect(text.split('\n')[18]).toBe('  url: https://registry.example.com/api/v1/blobs/m.wasm');
  });

  it('reads a Higress WasmPlugin: defaultConfig is the configuration even when rules have their own', () => {
    const text = `apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata: {name: key-auth, namespace: higress-system}
spec:
  url: oci://higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/key-auth:1.0.0
  sha256: ${HEX}
  defaultConfig:
    keys: [x-api-key]
    global_auth: false
  matchRules:
  - domain: [shop.example.com]
    config: {allow: [consumer1]}
`;
    const [reference, ...rest] = findModuleReferences([{ name: 'higress.yaml', text }]).references;
    expect(rest).toEqual([]);
    expect(reference).toEqual({
      file: 'higress.yaml',
      document: 0,
      line: 5,
      path: '/spec/url',
      host: 'higress',
      name: 'key-auth',
      source: { kind: 'oci', url: 'oci://higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/key-auth:1.0.0', registryHost: 'higress-registry.cn-hangzhou.cr.aliyuncs.com', repository: 'plugins/key-auth', tag: '1.0.0', digest: null },
      sha256: HEX,
      configuration: { present: true, value: { keys: ['x-api-key'], global_auth: false }, problem: null },
      rootId: null,
      vmId: null,
    });
  });

  it('refuses a billion-laughs alias bomb (9 levels of 9 aliases) in well under a second, and reads the file on', () => {
    const letters = 'abcdefghi';
    const bomb = [`a: &a [${Array(9).fill('"lol"').join(', ')}]`, ...Array.from({ length: 8 }, (_, i) => `${letters[i + 1]}: &${letters[i + 1]} [${Array(9).fill(`*${letters[i]}`).join(', ')}]`)].join('\n');
    const policy = `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nmetadata: {name: after-the-bomb}\nspec:\n  wasm:\n  - code: {type: Image, image: {url: "oci://r.example/a/b@sha256:${HEX}"}}\n`;
    const started = performance.now();
    const { references, problems } = findModuleReferences([{ name: 'laughs.yaml', text: `${bomb}\n---\n${policy}` }]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(problems).toEqual([{ file: 'laughs.yaml', document: 0, message: 'uses more than 100 aliases (an alias bomb is refused)' }]);
    expect(references.map((r) => [r.document, r.line, r.name, r.source])).toEqual([[1, 16, 'after-the-bomb[0]', { kind: 'oci', url: `oci://r.example/a/b@sha256:${HEX}`, registryHost: 'r.example', repository: 'a/b', tag: null, digest: `sha256:${HEX}` }]]);
  });

  it('bounds nesting in every document: 64 levels are read, 65 are not, in YAML, JSON and resources; 10,000 nested maps do not throw', () => {
    // A Wasm plugin whose `local` object is at level `levels`: wrapping objects (and YAML's root map `x`), then the plugin, vm_config, code, local.
    const yamlAt = (levels: number) => `x: ${'{a: '.repeat(levels - 5)}{vm_config: {code: {local: {filename: /x.wasm}}}}${'}'.repeat(levels - 5)}`;
    const jsonAt = (levels: number) => `${'{"a":'.repeat(levels - 4)}{"vm_config":{"code":{"local":{"filename":"/x.wasm"}}}}${'}'.repeat(levels - 4)}`;
    const deepConfig = `apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: deep}\nspec:\n  url: oci://r.example/a/b:1.0.0\n  pluginConfig: ${'['.repeat(100)}${']'.repeat(100)}\n`;
    const { references, problems } = findModuleReferences([
      { name: 'at-the-limit.yaml', text: yamlAt(64) },
      { name: 'past-the-limit.yaml', text: yamlAt(65) },
      { name: 'at-the-limit.json', text: jsonAt(64) },
      { name: 'past-the-limit.json', text: jsonAt(65) },
      { name: 'deep-config.yaml', text: deepConfig },
      { name: 'ten-thousand.yaml', text: `x: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}` },
    ]);
    // A pointer to the level-64 object has 63 tokens.
    expect(references.map((r) => [r.file, r.path.split('/').length - 1])).toEqual([
      ['at-the-limit.yaml', 63],
      ['at-the-limit.json', 63],
    ]);
    expect(problems).toEqual([
      { file: 'past-the-limit.yaml', document: 0, message: 'nests deeper than 64 levels' },
      { file: 'past-the-limit.json', document: null, message: 'nests deeper than 64 levels' },
      { file: 'deep-config.yaml', document: 0, message: 'nests deeper than 64 levels' },
      { file: 'ten-thousand.yaml', document: 0, message: 'nests deeper than 64 levels' },
    ]);
  });
});
