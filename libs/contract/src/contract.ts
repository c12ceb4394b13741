import type { PluginMetadata } from '../../domain/index.js';

/**
 * A version's contract: what an operator needs to configure it, given by the
 * publisher with the module and immutable with it. Every document is served
 * byte for byte as stored, and its digest is listed in the version's signed
 * attestation.
 */

export type FilterType = 'http' | 'network';
/** istio.extensions.v1alpha1.PluginPhase (Higress uses the same names). */
export const ISTIO_PHASES = ['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'] as const;
export type IstioPhase = (typeof ISTIO_PHASES)[number];

/** Where the contract came from: our manifest, a Higress spec.yaml, a Kong <filter>.meta.json, or loose parts. */
export type ContractSource = 'manifest' | 'higress' | 'kong' | 'parts';

/** JSON Schema dialects a configuration schema may be written in. */
export type SchemaDialect = 'draft-07' | '2020-12';

/** What proxies need to know that the analysis cannot tell (or tells worse than the author). */
export interface HostHints {
  filterType: FilterType | null;
  /** Envoy root_id / Istio pluginName the plugin registers. */
  rootId: string | null;
  istioPhase: IstioPhase | null;
  /** Order within the phase, highest first (int32). */
  istioPriority: number | null;
  /** The oldest host versions it needs, e.g. { envoy: "1.26", istio: "1.18", higress: "1.4.0" }. */
  minHostVersions: Partial<Record<'envoy' | 'istio' | 'higress', string>>;
}

export const NO_HOST_HINTS: HostHints = { filterType: null, rootId: null, istioPhase: null, istioPriority: null, minHostVersions: {} };

export interface ConfigExample {
  /** [a-z0-9][a-z0-9-_.]{0,63}: used in URLs (?example=<name>). */
  name: string;
  description: string | null;
  configuration: unknown;
}

/**
 * What the publish request carried, parsed and bounded but not yet checked
 * against meta-schemas or rendered (that runs off the event loop).
 */
export interface ContractDraft {
  source: ContractSource;
  /** The README's Markdown, valid UTF-8. */
  readme: string | null;
  configSchema: { value: Record<string, unknown>; dialect: SchemaDialect } | null;
  examples: ConfigExample[];
  hostHints: HostHints;
  /** Plugin metadata the manifest sets; null when it sets none. */
  metadata: PluginMetadata | null;
  /**
   * Where the schema and each example came from, as the request fields a
   * problem names (`body.schema`, `body.manifest.examples[0].configuration`, …).
   * Absent: `body.schema` and `body.examples[i].configuration`.
   */
  origin?: { configSchema: string; examples: string[] };
}

/** A checked contract, as stored with the version. The JSON texts are what the API serves, byte for byte. */
export interface VersionContract {
  source: ContractSource;
  readme: { markdown: string; html: string; digest: string } | null;
  configSchema: { json: string; dialect: SchemaDialect; digest: string } | null;
  /** JSON text of the examples array. */
  examples: { json: string; names: string[]; digest: string } | null;
  hostHints: HostHints;
}

/** One way a configuration breaks the schema. */
export interface ConfigurationError {
  /** JSON Pointer into the configuration ("" for the whole of it; a missing field's own pointer). */
  pointer: string;
  /** The JSON Schema keyword broken: required, type, enum, pattern, minimum, additionalProperties, … */
  rule: string;
  /** A sentence a person understands, e.g. "issuer is required". */
  message: string;
}

export interface ConfigurationCheck {
  valid: boolean;
  errors: ConfigurationError[];
}
