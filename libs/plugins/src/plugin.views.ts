import { AdvisoryBriefView } from '../../advisories/index.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CATEGORY_SLUGS } from '../../domain/index.js';
import { DeprecationView } from '../../catalog/index.js';
import { PIPELINE_STEPS, type PipelineStepName } from '../../versions/index.js';
import { ContractSummaryView } from './contract.views.js';
import { TrialSummaryView } from './trial.views.js';

/** Response and request shapes of the plugins API; the OpenAPI document is generated from them. */

export class VersionLinks {
  @ApiProperty({ description: 'This version.', example: 'https://registry.example.com/api/v1/plugins/acme/jwt-auth/versions/1.0.0' })
  self!: string;
  @ApiProperty({ description: 'The module bytes by version.' })
  module!: string;
  @ApiProperty({ description: 'The module bytes by digest: the URL to pin in proxy configuration.' })
  blob!: string;
  @ApiProperty({ description: 'The plugin this version belongs to.' })
  plugin!: string;
  @ApiProperty({ description: 'The full analysis report.' })
  analysis!: string;
  @ApiProperty({ description: 'The CycloneDX SBOM (JSON; XML with Accept: application/vnd.cyclonedx+xml).' })
  sbom!: string;
  @ApiProperty({ description: 'The Sigstore bundle signing the module.' })
  signature!: string;
  @ApiProperty({ description: 'The Sigstore DSSE attestations about the module (in-toto, the SBOM as predicate).' })
  attestations!: string;
  @ApiProperty({ description: 'This version, answered once it has left pending (long polling, up to 30 s).' })
  wait!: string;
  @ApiProperty({ description: 'Envoy configuration (YAML; JSON with format=json) pinning this version; 409 unless ready.' })
  envoyConfig!: string;
  @ApiProperty({ description: 'Istio WasmPlugin resources (https:// and oci://) pinning this version; 409 unless ready.' })
  istioConfig!: string;
  @ApiProperty({ description: 'Download statistics of the plugin, per version.' })
  stats!: string;
  @ApiProperty({ description: 'POST a configuration (JSON or YAML) to check it against the version\'s configuration schema.' })
  validateConfig!: string;
  @ApiProperty({ description: 'What changed in the configuration contract since the version before (?from=<version> for another).' })
  upgradeNotes!: string;
  @ApiProperty({ description: 'The trial in the Proxy-Wasm sandbox (GET); POST your own configuration to try it.' })
  trial!: string;
  @ApiProperty({ description: 'What this version may do that the ready version before it could not (?from=<version> for another).' })
  capabilityDiff!: string;
}

export class PipelineStepView {
  @ApiProperty({ enum: PIPELINE_STEPS, description: 'trial is skipped for what is not a Proxy-Wasm module; versions published before it existed have no trial.' })
  step!: PipelineStepName;
  @ApiProperty({ enum: ['pending', 'running', 'done', 'failed', 'skipped'] })
  state!: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  @ApiProperty({ description: 'How many times the step has been tried.' })
  attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The last error, while retrying or once failed.' })
  error!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;
}

export class FindingView {
  @ApiProperty({ example: 'unknown_host_import', description: 'Stable code; ANALYSIS_POLICY maps codes to reject or warn.' })
  code!: string;
  @ApiProperty({ enum: ['error', 'warning', 'info'] })
  severity!: 'error' | 'warning' | 'info';
  @ApiProperty({ example: 'Envoy will refuse to load this module: env.foo is not a Proxy-Wasm host function.' })
  message!: string;
  @ApiPropertyOptional({ example: 'envoy' })
  host?: string;
  @ApiPropertyOptional({ description: 'Byte offset in the module.' })
  offset?: number;
}

export class CompatibilityView {
  @ApiProperty({ example: 'envoy' })
  host!: string;
  @ApiProperty({ example: '>=1.17' })
  versions!: string;
}

export class SummaryOmittedView {
  @ApiPropertyOptional({ type: 'integer', minimum: 1 })
  warnings?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1 })
  rejections?: number;
}

/** The analysis in brief; the whole report is at links.analysis. */
export class AnalysisSummaryView {
  @ApiProperty({ enum: ['module', 'component'] })
  kind!: 'module' | 'component';
  @ApiProperty({ type: String, nullable: true, example: '0.2.1', description: 'The Proxy-Wasm ABI version Envoy would use.' })
  abiVersion!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Whether Envoy\'s C++ host loads it; null for modules that are not Proxy-Wasm plugins.' })
  envoyLoads!: boolean | null;
  @ApiProperty({ type: [String], enum: ['http', 'network'], isArray: true, description: 'Envoy filter chains it fits.' })
  filterTypes!: ('http' | 'network')[];
  @ApiProperty({ type: [CompatibilityView] })
  compatibility!: CompatibilityView[];
  @ApiProperty({ type: [String], example: ['http_calls', 'metrics'], description: 'Sensitive host functions it imports, by capability.' })
  capabilities!: string[];
  @ApiProperty({ type: [FindingView], description: 'Findings that did not reject the version: the first 5 (the analysis has them all).' })
  warnings!: FindingView[];
  @ApiProperty({ type: [FindingView], description: 'Findings that rejected the version, the first 5; empty unless rejected.' })
  rejections!: FindingView[];
  @ApiProperty({ type: SummaryOmittedView, description: 'Warnings and rejections left out of the lists above; a count is absent when none was.' })
  omitted!: SummaryOmittedView;
  @ApiProperty({ description: 'Whether the full report leaves something out (lists or strings cut to the registry\'s limits; see its truncated and omitted).' })
  truncated!: boolean;
  @ApiProperty({ format: 'date-time' })
  analyzedAt!: string;
}

export class OciPinView {
  @ApiProperty({ example: 'registry.example.com/acme/jwt-auth:1.0.0', description: 'The OCI reference by tag (host of PUBLIC_URL, no scheme).' })
  reference!: string;
  @ApiProperty({ example: 'registry.example.com/acme/jwt-auth@sha256:9f2c…', description: 'The reference pinned by manifest digest.' })
  pinnedReference!: string;
  @ApiProperty({ example: 'oci://registry.example.com/acme/jwt-auth:1.0.0', description: 'The url of an Istio WasmPlugin.' })
  url!: string;
  @ApiProperty({ pattern: '^sha256:[0-9a-f]{64}$', description: 'Digest of the OCI manifest (not of the module).' })
  manifestDigest!: string;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'What Istio\'s `sha256` must be for the oci:// url: the manifest digest in hex.' })
  sha256!: string;
}

/**
 * Where to fetch a ready version so that what runs is exactly what was checked.
 * Two different digests: Envoy's remote `sha256` and Istio's `sha256` for an
 * https:// url are the module's (`sha256`); for an oci:// url Istio compares
 * `sha256` with the OCI manifest's digest (`oci.sha256`).
 */
export class PinnedView {
  @ApiProperty({ example: 'https://registry.example.com/api/v1/blobs/sha256:3b1f…', description: 'Absolute, by digest: cacheable forever, never changes.' })
  url!: string;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the module bytes, hex: Envoy\'s remote.sha256, and Istio\'s sha256 for the https:// url.' })
  sha256!: string;
  @ApiProperty({ type: OciPinView, nullable: true, description: 'The version over OCI (/v2); null until its manifest is stored.' })
  oci!: OciPinView | null;
}

export class VersionView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  plugin!: string;
  @ApiProperty({ example: '1.0.0', description: 'Semantic version.' })
  version!: string;
  @ApiProperty({ example: 'sha256:3b1f0c…', pattern: '^sha256:[0-9a-f]{64}$', description: 'SHA-256 of the module bytes.' })
  digest!: string;
  @ApiProperty({ description: 'Module size in bytes.', example: 204800 })
  size!: number;
  @ApiProperty({
    enum: ['pending', 'ready', 'rejected', 'failed'],
    description: 'pending until the pipeline has analysed, described and signed the module; failed when it gave up (an admin can retry).',
  })
  status!: 'pending' | 'ready' | 'rejected' | 'failed';
  @ApiProperty({ type: String, nullable: true, description: 'Why the version was rejected.' })
  statusReason!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  readyAt!: string | null;
  @ApiProperty({ description: 'Downloads of this version, all time.' })
  downloads!: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When its module was first handed out (a download, a range, a 304, a redirect, an OCI pull; by digest, every version with the bytes). ' +
      'From then on deployments may pin it: it is never deleted.',
  })
  firstDownloadedAt!: string | null;
  @ApiProperty({ description: 'Yanked: never "latest", still downloadable by version and digest so that pinned deployments keep working.' })
  yanked!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  yankedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why it was yanked, as the publisher said.' })
  yankReason!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'WPR-2345-6789-cfgh', description: 'The advisory the publisher named when yanking it.' })
  yankAdvisory!: string | null;
  @ApiProperty({ type: [AdvisoryBriefView], description: 'Advisories in force that affect this version, most severe first.' })
  advisories!: AdvisoryBriefView[];
  @ApiProperty({ type: AnalysisSummaryView, nullable: true, description: 'Null while pending.' })
  analysis!: AnalysisSummaryView | null;
  @ApiProperty({ type: PinnedView, nullable: true, description: 'Pinned URLs and digests; null unless ready.' })
  pinned!: PinnedView | null;
  @ApiProperty({ type: [PipelineStepView], description: 'Each processing step, in order.' })
  pipeline!: PipelineStepView[];
  @ApiProperty({
    type: ContractSummaryView,
    nullable: true,
    description: 'The README, configuration schema, examples and host hints the publisher gave with the module; null when none.',
  })
  contract!: ContractSummaryView | null;
  @ApiProperty({ type: TrialSummaryView, nullable: true, description: 'The trial in the Proxy-Wasm sandbox, in brief (links.trial has the trace); null until run, or when skipped.' })
  trial!: TrialSummaryView | null;
  @ApiProperty({ type: VersionLinks })
  links!: VersionLinks;
}

export class AnalysisView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  plugin!: string;
  @ApiProperty({ example: '1.0.0' })
  version!: string;
  @ApiProperty({ pattern: '^sha256:[0-9a-f]{64}$' })
  digest!: string;
  @ApiProperty({ enum: ['ready', 'rejected'], description: 'What the registry\'s policy decided from the findings.' })
  status!: 'ready' | 'rejected';
  @ApiProperty({ format: 'date-time' })
  analyzedAt!: string;
  @ApiProperty({ type: [FindingView] })
  rejections!: FindingView[];
  @ApiProperty({ type: [FindingView] })
  warnings!: FindingView[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The full report: see the AnalysisReport schema.' })
  report!: object;
}

export class PluginLinks {
  @ApiProperty()
  self!: string;
  @ApiProperty({ description: 'Publish a version: PUT {versions}/{version}.' })
  versions!: string;
  @ApiProperty()
  namespace!: string;
}

export class PluginMetadataBody {
  @ApiPropertyOptional({ maxLength: 4000, example: 'Validates JWTs issued by your identity provider.' })
  description?: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'SPDX license expression.', example: 'Apache-2.0' })
  license?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'uri', description: 'http(s) URL.' })
  homepage?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'uri', description: 'http(s) URL of the source repository.' })
  repository?: string | null;
  @ApiPropertyOptional({ type: [String], maxItems: 20, example: ['jwt', 'oidc'], description: 'Lowercase words of 1-32 letters, digits and "-".' })
  keywords?: string[];
  @ApiPropertyOptional({ type: [String], maxItems: 6, enum: CATEGORY_SLUGS, isArray: true })
  categories?: string[];
}

export class PluginView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  name!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Apache-2.0' })
  license!: string | null;
  @ApiProperty({ type: String, nullable: true })
  homepage!: string | null;
  @ApiProperty({ type: String, nullable: true })
  repository!: string | null;
  @ApiProperty({ type: [String] })
  keywords!: string[];
  @ApiProperty({ type: [String] })
  categories!: string[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The highest ready, non-yanked release by semantic-version precedence (a pre-release only when there is no release); null hides the plugin from search.',
  })
  latestVersion!: string | null;
  @ApiProperty({ type: AnalysisSummaryView, nullable: true, description: 'The analysis of the latest version, in brief.' })
  latestAnalysis!: AnalysisSummaryView | null;
  @ApiProperty({ description: 'Downloads of all its versions, all time.' })
  downloads!: number;
  @ApiProperty({ type: DeprecationView, nullable: true, description: 'Set while the publisher advises against the plugin.' })
  deprecation!: DeprecationView | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
  @ApiProperty({ type: PluginLinks })
  links!: PluginLinks;
}

export class PluginDetailView extends PluginView {
  @ApiProperty({ type: [VersionView], description: 'Newest first by semantic-version precedence.' })
  versions!: VersionView[];
}

export class VersionListView {
  @ApiProperty({ type: [VersionView], description: 'Every version of the plugin (at most MAX_VERSIONS_PER_PLUGIN), newest first by semantic-version precedence.' })
  items!: VersionView[];
}

export class NamespaceView {
  @ApiProperty({ example: 'acme' })
  name!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: [PluginView] })
  plugins!: PluginView[];
}
