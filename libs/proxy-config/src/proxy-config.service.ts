import { Inject, Injectable } from '@nestjs/common';
import type { StoredAnalysis } from '../../analysis/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { digestHex, blobLink, RegistryError } from '../../domain/index.js';
import { OciService } from '../../oci/index.js';
import { type VersionRecord, PluginsService } from '../../plugins/index.js';
import { buildEnvoyConfig } from './envoy-config.js';
import { buildIstioPlugins, resolveIstioSources } from './istio-config.js';
import { parseEnvoyQuery, parseIstioQuery, resolveFilter, type OutputFormat } from './proxy-config-options.js';
import { coordinates, warningsFor, type AbiSummary, type ProxyConfigInput } from './proxy-config.js';
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
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async envoy(namespace: string, name: string, version: string, query: Readonly<Record<string, unknown>>, accept: string | undefined): Promise<RenderedConfig> {
    const options = parseEnvoyQuery(query, accept);
    const input = await this.input(namespace, name, version);
    const build = { ...options, filter: resolveFilter(options.filter, input.abi, input.plugin) };
    const config = buildEnvoyConfig(input, build);
    const warnings = warningsFor(input);
    return options.format === 'json'
      ? this.rendered(input, 'json', envoyJson(input, build, config, warnings))
      : this.rendered(input, 'yaml', envoyYaml(input, build, config, warnings));
  }

  async istio(namespace: string, name: string, version: string, query: Readonly<Record<string, unknown>>, accept: string | undefined): Promise<RenderedConfig> {
    const options = parseIstioQuery(query, accept);
    const input = await this.input(namespace, name, version);
    const build = {
      ...options,
      filter: resolveFilter(options.filter, input.abi, input.plugin),
      sources: resolveIstioSources(options.source, input.oci, input.plugin),
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

  private async input(namespace: string, name: string, version: string): Promise<ProxyConfigInput> {
    const record = await this.plugins.findVersion(namespace, name, version);
    const analysis = await this.servableAnalysis(record);
    return {
      plugin: { namespace: record.namespace, name: record.plugin, version: record.version },
      module: { url: blobLink(this.config.publicUrl, record.digest), sha256: digestHex(record.digest) },
      oci: await this.oci.pinnedReference(record.namespace, record.plugin, record.version),
      abi: abiSummary(analysis),
      yanked: record.yankedAt === null ? null : { reason: record.yankReason },
    };
  }

  /** The version's analysis, when the version may be configured; a 409 saying why not otherwise. */
  private async servableAnalysis(record: VersionRecord): Promise<StoredAnalysis> {
    const id = coordinates({ namespace: record.namespace, name: record.plugin, version: record.version });
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
  };
}
