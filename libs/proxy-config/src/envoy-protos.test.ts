import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLUSTER, HTTP_FILTER, LISTENER_FILTER, SNAPSHOT_FOLLOW, SNAPSHOT_ROOTS } from '../test/envoy-api-types.js';
import { formatSnapshot, loadEnvoyProtos, snapshotOf } from '../test/envoy-protos.js';
import { RESTRICTED_HTTP_ABI, sampleInput } from '../test/fixtures.js';
import { validateMessage, type ApiSnapshot } from '../test/proto-json.js';
import { buildEnvoyConfig, type EnvoyBuildOptions } from './envoy-config.js';
import { envoyYaml } from './render.js';

/**
 * Envoy's own .proto files, as the devDependencies @grpc/grpc-js-xds and
 * protobufjs ship them: the generated configuration is checked against them,
 * and the committed snapshot the other tests use must equal them
 * (`vitest run -u` rewrites it).
 */
const protos = loadEnvoyProtos();
const SNAPSHOT_SOURCE = "Envoy's v3 API protos as @grpc/grpc-js-xds ships them (deps/envoy-api); regenerate with envoy-protos.test.ts";

const OPTIONS: EnvoyBuildOptions = {
  filter: 'http',
  runtime: 'envoy.wasm.runtime.v8',
  rootId: 'my_root',
  vmId: null,
  failOpen: false,
  configuration: { json: '{"header":"x-id"}', value: { header: 'x-id' } },
  cluster: 'wasm_registry',
  timeout: '30s',
};

describe(`the generated Envoy configuration against Envoy's .proto files (${protos?.source ?? 'not installed'})`, () => {
  it('finds the .proto files (npm ci installs them as devDependencies)', () => {
    expect(protos).not.toBeNull();
  });

  it('the committed snapshot of the definitions equals the .proto files', async () => {
    const snapshot = snapshotOf(protos!.schema, SNAPSHOT_SOURCE, SNAPSHOT_ROOTS, SNAPSHOT_FOLLOW);
    expect(Object.keys(snapshot.messages)).toContain('envoy.config.core.v3.RemoteDataSource');
    await expect(formatSnapshot(snapshot)).toMatchFileSnapshot('../test/envoy-api.snapshot.json');
  });

  it.each([
    ['HTTP filter, https registry', 'https://registry.example.com', 'http'],
    ['HTTP filter, plain http registry on an IP address', 'http://127.0.0.1:8080', 'http'],
    ['network filter, https registry on an IP address and port', 'https://10.0.0.7:8443', 'network'],
  ] as const)('%s: every field exists in Envoy\'s protos with the right JSON type', (_label, publicUrl, filter) => {
    const yaml = parse(envoyYaml(sampleInput(publicUrl), { ...OPTIONS, filter }, buildEnvoyConfig(sampleInput(publicUrl), { ...OPTIONS, filter }), [])) as Record<string, unknown[]>;
    const filters = filter === 'http' ? yaml.http_filters! : yaml.filters!;
    expect(validateMessage(protos!.schema, filter === 'http' ? HTTP_FILTER : LISTENER_FILTER, filters[0])).toEqual([]);
    expect(validateMessage(protos!.schema, CLUSTER, yaml.clusters![0])).toEqual([]);
  });

  it('capability_restriction_config exists in Envoy\'s protos with the shape written', () => {
    const input = sampleInput('https://registry.example.com', { abi: RESTRICTED_HTTP_ABI });
    const config = buildEnvoyConfig(input, OPTIONS) as { http_filters: [{ typed_config: { config: Record<string, unknown> } }] };
    expect(config.http_filters[0].typed_config.config.capability_restriction_config).toBeDefined();
    expect(validateMessage(protos!.schema, HTTP_FILTER, config.http_filters[0])).toEqual([]);
  });

  it('catches a field Envoy does not have, so the check above can fail', () => {
    const config = buildEnvoyConfig(sampleInput(), OPTIONS) as { http_filters: [{ typed_config: { config: Record<string, unknown> } }] };
    config.http_filters[0].typed_config.config.failOpen = true;
    expect(validateMessage(protos!.schema, HTTP_FILTER, config.http_filters[0])).toEqual([
      expect.stringContaining('$.typed_config.config.failOpen: envoy.extensions.wasm.v3.PluginConfig has no field "failOpen"'),
    ]);
  });
});

describe('the committed snapshot of Envoy\'s definitions', () => {
  it('holds every message the configuration is made of', () => {
    const snapshot = JSON.parse(readFileSync(new URL('../test/envoy-api.snapshot.json', import.meta.url), 'utf8')) as ApiSnapshot;
    for (const name of [...SNAPSHOT_ROOTS, ...Object.keys(SNAPSHOT_FOLLOW)]) expect(snapshot.messages[name], name).toBeDefined();
    expect(snapshot.enums['envoy.config.cluster.v3.Cluster.DiscoveryType']).toEqual(expect.arrayContaining(['STATIC', 'LOGICAL_DNS', 'STRICT_DNS']));
  });
});
