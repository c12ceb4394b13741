/**
 * What the Envoy and Istio configuration builders need to know about one
 * version, and the caller's choices that both share. Plain data: the builders
 * are pure functions from these to plain objects.
 */

import { formatCoordinates, type VersionCoordinates } from '../../versions/index.js';

import type { FilterType } from '../../contract/index.js';

export type { FilterType };

/** The module by content: the pinned URL and the SHA-256 of its bytes. */
export interface PinnedModule {
  /** `<PUBLIC_URL>/api/v1/blobs/sha256:<hex>`, absolute. */
  url: string;
  /** Lowercase hex of the SHA-256 of the module bytes (what Envoy and Istio's https:// fetch compare). */
  sha256: string;
}

/** The same version served as an OCI artifact. */
export interface OciPin {
  /** `<host[:port]>/<namespace>/<name>:<version>`, without a scheme. */
  reference: string;
  /** `sha256:<hex>` of the OCI manifest (what Istio compares for oci:// URLs); not the module's SHA-256. */
  manifestDigest: string;
}

/** One host that can run the module, from the analysis. */
export interface HostSupport {
  host: string;
  versions: string;
  reason: string;
}

/** What the analysis says about running the module in a proxy. */
export interface AbiSummary {
  /** The Proxy-Wasm ABI version Envoy's C++ host would use; null when the module declares none it knows. */
  abiVersion: string | null;
  /** Filter chains the module's callbacks fit: HTTP callbacks → 'http', TCP callbacks → 'network'. */
  filterTypes: readonly FilterType[];
  /** The callbacks behind filterTypes, for explanations. */
  callbacks: { http: readonly string[]; tcp: readonly string[] };
  /** Would Envoy's C++ host load and start the module, and if not, why. */
  envoy: { loads: boolean; reasons: readonly string[] };
  compatibility: readonly HostSupport[];
  /** The analysis findings the registry's policy let through, as sentences. */
  warnings: readonly string[];
  /**
   * What the Envoy configuration's capability_restriction_config allows: the host functions the
   * module imports and the callbacks it exports, as Envoy's C++ host checks them (analysis
   * restrictableCapabilities). Null when the analysis lists only part of the imports or exports,
   * or nothing at all: an incomplete list would silently switch off the rest, and an empty one
   * allows everything.
   */
  allowedCapabilities: readonly string[] | null;
}

export interface ProxyConfigInput {
  coordinates: VersionCoordinates;
  module: PinnedModule;
  /** Null when the version is not served over OCI. */
  oci: OciPin | null;
  abi: AbiSummary;
  /** Set when the version is yanked: served, but not to be used for new deployments. */
  yanked: { reason: string | null } | null;
  /** The embedded configuration and what checked it; null when none is embedded. */
  configuration: ConfigurationNote | null;
}

/** Where the embedded configuration came from and whether the version's schema checked it. */
export interface ConfigurationNote {
  source: 'given' | 'example';
  example: string | null;
  /** False when the version has no configuration schema: nothing could be checked. */
  checked: boolean;
  schemaDigest: string | null;
  summary: string;
}

/** The hex part of `sha256:<hex>`. */
export const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');

/** Everything the reader should know before using the configuration; the same list goes into YAML comments, JSON and response headers. */
export function warningsFor(input: ProxyConfigInput): string[] {
  const warnings: string[] = [];
  if (input.yanked !== null) {
    warnings.push(
      `${formatCoordinates(input.coordinates)} is yanked${input.yanked.reason ? `: ${input.yanked.reason}` : ''}. ` +
        'It stays downloadable so that pinned deployments keep working; do not use it for new ones.',
    );
  }
  if (!input.abi.envoy.loads) {
    warnings.push(`Envoy's Proxy-Wasm host would not load this module: ${input.abi.envoy.reasons.join('; ') || 'see the analysis'}.`);
  }
  if (input.abi.filterTypes.length === 0) {
    warnings.push('The module exports neither HTTP nor TCP callbacks: as a filter it sees no traffic (it may still run timers or background work).');
  }
  warnings.push(...input.abi.warnings);
  if (input.configuration !== null && !input.configuration.checked) warnings.push(`${input.configuration.summary}.`);
  return warnings;
}

/** "envoy >=1.17, istio >=1.8", or a sentence saying that none is known. */
export function compatibilityLine(abi: AbiSummary): string {
  return abi.compatibility.length === 0 ? 'no known host runs it' : abi.compatibility.map((c) => `${c.host} ${c.versions}`).join(', ');
}

export function abiLine(abi: AbiSummary): string {
  const callbacks = [
    abi.callbacks.http.length > 0 ? `HTTP callbacks (${abi.callbacks.http.join(', ')})` : null,
    abi.callbacks.tcp.length > 0 ? `TCP callbacks (${abi.callbacks.tcp.join(', ')})` : null,
  ].filter((c) => c !== null);
  return `Proxy-Wasm ABI ${abi.abiVersion ?? 'none declared'}; ${callbacks.length > 0 ? callbacks.join(' and ') : 'no HTTP or TCP callbacks'}`;
}
