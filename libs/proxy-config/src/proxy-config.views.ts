import { ApiProperty } from '@nestjs/swagger';

/** The JSON form of the configuration endpoints (render.ts builds it); these classes document it. */

export class ConfigPluginView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  name!: string;
  @ApiProperty({ example: '1.0.0' })
  version!: string;
}

export class ConfigOciView {
  @ApiProperty({ example: 'registry.example.com/acme/jwt-auth:1.0.0', description: 'The OCI reference by tag (host of PUBLIC_URL, no scheme).' })
  reference!: string;
  @ApiProperty({ example: 'oci://registry.example.com/acme/jwt-auth:1.0.0', description: 'The url of the Istio WasmPlugin.' })
  url!: string;
  @ApiProperty({ pattern: '^sha256:[0-9a-f]{64}$', description: 'Digest of the OCI manifest (not of the module).' })
  manifestDigest!: string;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'What Istio\'s `sha256` is for the oci:// url: the manifest digest in hex.' })
  sha256!: string;
}

export class ConfigPinnedView {
  @ApiProperty({ example: 'https://registry.example.com/api/v1/blobs/sha256:3b1f…', description: 'The module by digest, absolute (from PUBLIC_URL).' })
  url!: string;
  @ApiProperty({
    pattern: '^[0-9a-f]{64}$',
    description: 'SHA-256 of the module bytes, hex: Envoy\'s vm_config.code.remote.sha256, and Istio\'s sha256 for the https:// url.',
  })
  sha256!: string;
  @ApiProperty({ type: ConfigOciView, nullable: true, description: 'The version over OCI; null when it is not served over OCI.' })
  oci!: ConfigOciView | null;
}

export class ConfigHostView {
  @ApiProperty({ example: 'envoy' })
  host!: string;
  @ApiProperty({ example: '>=1.17' })
  versions!: string;
  @ApiProperty()
  reason!: string;
}

export class ConfigCompatibilityView {
  @ApiProperty({ type: String, nullable: true, example: '0.2.1', description: 'The Proxy-Wasm ABI version the module declares (the one Envoy uses).' })
  abiVersion!: string | null;
  @ApiProperty({ enum: ['http', 'network'], isArray: true, description: 'Filter chains its callbacks fit.' })
  filterTypes!: string[];
  @ApiProperty({ description: 'Whether Envoy\'s Proxy-Wasm host would load and start the module.' })
  envoyLoads!: boolean;
  @ApiProperty({ type: [ConfigHostView] })
  hosts!: ConfigHostView[];
}

export class ConfigurationNoteView {
  @ApiProperty({ enum: ['given', 'example'] })
  source!: 'given' | 'example';
  @ApiProperty({ type: String, nullable: true, description: 'The example\'s name, when one was embedded.' })
  example!: string | null;
  @ApiProperty({ description: 'False when the version has no configuration schema: nothing could be checked.' })
  checked!: boolean;
  @ApiProperty({ type: String, nullable: true, pattern: '^sha256:[0-9a-f]{64}$' })
  schemaDigest!: string | null;
  @ApiProperty()
  summary!: string;
}

class ConfigSummaryView {
  @ApiProperty({ type: ConfigPluginView })
  plugin!: ConfigPluginView;
  @ApiProperty({ type: ConfigPinnedView, description: 'Which digest is which: the module\'s SHA-256 for https://, the manifest digest for oci://.' })
  pinned!: ConfigPinnedView;
  @ApiProperty({ type: ConfigCompatibilityView })
  compatibility!: ConfigCompatibilityView;
  @ApiProperty({ enum: ['http', 'network'], description: 'The filter chain the configuration is for.' })
  filter!: string;
  @ApiProperty({
    type: ConfigurationNoteView,
    nullable: true,
    description: 'The plugin configuration embedded (given, or an example), and whether the version\'s schema checked it; null when none is embedded.',
  })
  configuration!: ConfigurationNoteView | null;
  @ApiProperty({ type: [String], description: 'Yanked version, a module Envoy would not load, analysis warnings, a configuration no schema could check.' })
  warnings!: string[];
}

export class EnvoyConfigView extends ConfigSummaryView {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Envoy v3 configuration, snake_case field names: `http_filters` (HTTP) or `filters` (network) with the Wasm filter entry, ' +
      'and `clusters` with the cluster the module is fetched through. The filter\'s `capability_restriction_config.allowed_capabilities` ' +
      'lists the host functions the module imports and the callbacks it exports (Envoy 1.18 and later enforce it); it is absent when ' +
      'the analysis could not list them all.',
  })
  envoy!: object;
}

export class IstioConfigView extends ConfigSummaryView {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'A Kubernetes List of extensions.istio.io/v1alpha1 WasmPlugin resources (https:// first, then oci://); apply one of them.',
  })
  istio!: object;
}
