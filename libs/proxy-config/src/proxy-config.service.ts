import { Inject, Injectable } from '@nestjs/common';
import { restrictableCapabilities, type StoredAnalysis } from '../../analysis/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { digestHex, blobLink, invalidInput, RegistryError } from '../../domain/index.js';
import { OciService } from '../../oci/index.js';
import { ContractsService, PluginsService } from '../../plugins/index.js';
import { formatCoordinates, type VersionRecord } from '../../versions/index.js';
import { buildEnvoyConfig } from './envoy-config.js';
import { buildIstioPlugins, resolveIstioSources } from './istio-config.js';
import { isPlainObject, parseEnvoyQuery, parseIstioQuery, resolveFilter, type EnvoyOptions, type IstioOptions, type OutputFormat } from './proxy-config-options.js';
import { warningsFor, type AbiSummary, type ProxyConfigInput } from './proxy-config.js';
import { envoyJson, envoyYaml, istioJson, istioYaml, JSON_CONTENT_TYPE, YAML_CONTENT_TYPE, type EnvoyConfigJson, type IstioConfigJson } from './render.js';

/** A configuration ready to send: YAML text or the JSON document. */
export interface RenderedConfig {
  format: OutputFormat;
  contentType: string;
  body: string | EnvoyConfigJson | IstioConfigJson;
  /** Set when the version is yanked: the sentence for a Warning header. */
  yankWarning: string | null;
}

/**
 * Envoy and Istio configuration for a ready version, pinned by digest. Only
 * what the registry checked and accepted gets a configuration: pending,
 * rejected and failed versions are refused (409) with the reason, and so is a
 * module no proxy can load as a plugin.
 */
@Injectable()
export class ProxyConfigService {
  constructor(
    private readonly plugins: PluginsService,
    private readonly oci: OciService,
    private readonly contracts: ContractsService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async envoy(namespace: string, name: string, version: string, query: Readonly<Record<string, unknown>>, accept: string | undefined): Promise<RenderedConfig> {
    const asked = parseEnvoyQuery(query, accept);
    const { input, record } = await this.input(namespace, name, version);
    const options = await this.withContract(record, input, asked, false);
    const build = { ...options, filter: resolveFilter(options.filter, input.abi, input.coordinates) };
    const config = buildEnvoyConfig(input, build);
    const warnings = warningsFor(input);
    return options.format === 'json'
      ? this.rendered(input, 'json', envoyJson(input, build, config, warnings))
      : this.rendered(input, 'yaml', envoyYaml(input, build, config, warnings));
  }

  async istio(namespace: string, name: string, version: string, query: Readonly<Record<string, unknown>>, accept: string | undefined): Promise<RenderedConfig> {
    const asked = parseIstioQuery(query, accept);
    const { input, record } = await this.input(namespace, name, version);
    const withHints = await this.withContract(record, input, asked, true);
    const hints = record.contract?.hostHints;
    const options = { ...withHints, phase: asked.phase ?? hints?.istioPhase ?? null, priority: asked.priority ?? hints?.istioPriority ?? null };
    const build = {
      ...options,
      filter: resolveFilter(options.filter, input.abi, input.coordinates),
      sources: resolveIstioSources(options.source, input.oci, input.coordinates),
    };
    const documents = buildIstioPlugins(input, build);
    const warnings = warningsFor(input);
    return options.format === 'json'
      ? this.rendered(input, 'json', istioJson(input, build, documents, warnings))
      : this.rendered(input, 'yaml', istioYaml(input, build, documents, warnings));
  }

  private rendered(input: ProxyConfigInput, format: OutputFormat, body: RenderedConfig['body']): RenderedConfig {
    return {
      format,
      contentType: format === 'json' ? JSON_CONTENT_TYPE : YAML_CONTENT_TYPE,
      body,
      yankWarning: input.yanked === null ? null : warningsFor(input)[0]!,
    };
  }

  private async input(namespace: string, name: string, version: string): Promise<{ input: ProxyConfigInput; record: VersionRecord }> {
    const record = await this.plugins.findVersion(namespace, name, version);
    const analysis = await this.servableAnalysis(record);
    const input: ProxyConfigInput = {
      coordinates: { namespace: record.namespace, plugin: record.plugin, version: record.version },
      module: { url: blobLink(this.config.publicUrl, record.digest), sha256: digestHex(record.digest) },
      oci: await this.oci.pinnedReference(record.namespace, record.plugin, record.version),
      abi: abiSummary(analysis),
      yanked: record.yankedAt === null ? null : { reason: record.yankReason },
      configuration: null,
    };
    return { input, record };
  }

  /**
   * The caller's options completed from the version's contract: the
   * configuration to embed (given or an example) checked against the schema
   * (422 when it breaks it), and the publisher's host hints as defaults.
   * Records the check on `input` for the answer.
   */
  private async withContract<T extends EnvoyOptions | IstioOptions>(record: VersionRecord, input: ProxyConfigInput, options: T, objectOnly: boolean): Promise<T> {
    const hints = record.contract?.hostHints;
    // A hint the module's callbacks cannot serve is ignored rather than refused: the caller did not ask for it.
    const hinted = hints?.filterType ?? null;
    const filter = options.filter ?? (hinted !== null && (input.abi.filterTypes.length === 0 || input.abi.filterTypes.includes(hinted)) ? hinted : null);
    const asked = options.example !== null ? { example: options.example } : options.configuration !== null ? { configuration: options.configuration.value } : null;
    const embedded = await this.contracts.configurationFor(record, asked);
    let configuration = options.configuration;
    if (embedded !== null) {
      if (options.example !== null) {
        if (objectOnly && !isPlainObject(embedded.configuration)) {
          throw invalidInput([{ field: 'query.example', message: 'is not a JSON object, and Istio\'s pluginConfig (a google.protobuf.Struct) takes only objects' }]);
        }
        configuration = { json: JSON.stringify(embedded.configuration), value: embedded.configuration };
      }
      input.configuration = {
        source: options.example !== null ? 'example' : 'given',
        example: options.example,
        checked: embedded.check.checked,
        schemaDigest: embedded.check.schemaDigest,
        summary: embedded.check.summary,
      };
    }
    return { ...options, filter, rootId: options.rootId ?? hints?.rootId ?? null, configuration };
  }

  /** The version's analysis, when the version may be configured; a 409 saying why not otherwise. */
  private async servableAnalysis(record: VersionRecord): Promise<StoredAnalysis> {
    const id = formatCoordinates(record);
    const analysisUrl = `${this.config.publicUrl}/api/v1/plugins/${record.namespace}/${record.plugin}/versions/${record.version}/analysis`;
    if (record.status === 'pending') {
      throw new RegistryError(409, 'version_pending', 'Version pending', `${id} is still being checked; its configuration is given once its status is "ready"`, {
        retryAfterSeconds: 1,
      });
    }
    if (record.status === 'failed') {
      throw new RegistryError(409, 'version_failed', 'Version failed', `processing ${id} failed, so it has no configuration: ${record.statusReason ?? 'see its pipeline'}`);
    }
    if (record.status === 'rejected') {
      throw new RegistryError(
        409,
        'version_rejected',
        'Version rejected',
        `${id} was rejected by the registry's checks, so no proxy configuration is given for it: ${record.statusReason ?? 'see its analysis'}`,
        { analysis: analysisUrl },
      );
    }
    const analysis = await this.plugins.storedAnalysis(record);
    if (analysis === null) {
      throw new RegistryError(409, 'analysis_pending', 'Analysis pending', `${id} has no analysis report yet`, { analysis: analysisUrl });
    }
    const { report } = analysis;
    if (report.kind === 'component' || report.proxyWasm === null) {
      throw new RegistryError(
        409,
        'not_a_proxy_wasm_plugin',
        'Not a Proxy-Wasm plugin',
        report.kind === 'component'
          ? `${id} is a WebAssembly component; Envoy and Istio load Proxy-Wasm core modules only, so there is no configuration to give`
          : `${id} is not a Proxy-Wasm plugin (no proxy_abi_version_* export, no proxy_* imports), so there is no proxy configuration to give`,
        { analysis: analysisUrl },
      );
    }
    return analysis;
  }
}

function abiSummary({ report, decision }: StoredAnalysis): AbiSummary {
  const proxyWasm = report.proxyWasm!;
  return {
    abiVersion: proxyWasm.abiVersion,
    filterTypes: proxyWasm.filterTypes,
    callbacks: { http: proxyWasm.callbacks.http, tcp: proxyWasm.callbacks.tcp },
    envoy: { loads: proxyWasm.envoy.loads, reasons: proxyWasm.envoy.reasons },
    compatibility: report.compatibility.map(({ host, versions, reason }) => ({ host, versions, reason })),
    warnings: decision.warnings.map((finding) => finding.message),
    allowedCapabilities: allowedCapabilities(report),
  };
}

/** Null when the report's lists are cut short (REPORT_LIMITS) or the module uses nothing the host checks. */
function allowedCapabilities(report: StoredAnalysis['report']): string[] | null {
  if ((report.omitted['imports'] ?? 0) > 0 || (report.omitted['exports'] ?? 0) > 0) return null;
  const names = restrictableCapabilities(report.imports, report.exports, report.proxyWasm!.abiVersion);
  return names.length === 0 ? null : names;
}
