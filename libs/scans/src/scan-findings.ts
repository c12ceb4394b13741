import semver from 'semver';
import type { ModuleReference } from './module-references.js';
import type { KnownVersion } from './scans.repository.js';

/** How much a finding matters, lowest first; a reference's level is its worst finding's. */
export const SCAN_LEVELS = ['ok', 'info', 'warning', 'critical'] as const;
export type ScanLevel = (typeof SCAN_LEVELS)[number];
export const levelRank = (level: ScanLevel): number => SCAN_LEVELS.indexOf(level);

export interface ScanFinding {
  level: ScanLevel;
  /** Stable: SARIF rule ids, and what CI filters on. */
  code: string;
  message: string;
}

/** Verifying a version's bundles reads its module from storage: a scan does it for this many versions at most. */
export const VERIFIED_VERSIONS_PER_SCAN = 25;

/** What the registry could learn about one reference; the findings are read off it. */
export interface ReferenceFacts {
  reference: ModuleReference;
  /** The version the reference loads, when known, and how it was recognised. */
  known: { version: KnownVersion; by: 'url' | 'sha256' } | null;
  advisories: { id: string; summary: string; severity: string; score: number; fixedIn: string | null }[];
  /** The newest ready version of the same major above it, with what upgrading would change. */
  newer: { version: string; capabilitySummary: string | null; breaking: boolean | null; upgradeNotes: number | null } | null;
  /** Each Sigstore bundle of the version checked against the module (null: there is none). */
  signature: { verified: boolean; detail: string } | 'not_checked' | null;
  attestation: { verified: boolean; detail: string } | 'not_checked' | null;
  /** The proxy versions the caller named. */
  proxy: { envoy: string | null; istio: string | null };
  /** The deployed plugin configuration against the version's schema; null when not checked. */
  configuration: { checked: boolean; valid: boolean; errors: { pointer: string; message: string }[] } | null;
}

const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');
const coordinates = (v: KnownVersion): string => `${v.namespace}/${v.plugin}@${v.version}`;

/** Which digest the host compares `sha256` with: the module's bytes over HTTP(S) and files, the image manifest's over OCI. */
export function expectedDigestKind(reference: ModuleReference): 'module' | 'manifest' {
  return reference.source.kind === 'oci' ? 'manifest' : 'module';
}

export function findingsOf(facts: ReferenceFacts): ScanFinding[] {
  const { reference, known } = facts;
  const findings: ScanFinding[] = [];
  const where = reference.source.kind === 'file' ? reference.source.path : reference.source.url;
  const version = known?.version ?? null;

  if (version === null) {
    findings.push(
      reference.source.kind === 'file' && reference.sha256 === null
        ? { level: 'info', code: 'local_file', message: `Loads the local file ${where}: this registry cannot tell which module that is (give it a sha256, or load it from the registry by digest).` }
        : { level: 'info', code: 'unknown_module', message: `This registry does not know the module at ${where}${reference.sha256 !== null ? ` nor the sha256 ${reference.sha256}` : ''}.` },
    );
  } else {
    findings.push({ level: 'ok', code: 'known_version', message: `${coordinates(version)} (module ${version.digest}${version.manifestDigest ? `, image manifest ${version.manifestDigest}` : ''}).` });
  }

  findings.push(...digestFindings(reference, version));

  if (version !== null) {
    if (version.status === 'rejected') findings.push({ level: 'critical', code: 'version_rejected', message: `${coordinates(version)} was rejected by the registry's checks: ${version.statusReason ?? 'no reason recorded'}.` });
    else if (version.status !== 'ready') findings.push({ level: 'critical', code: 'version_not_ready', message: `${coordinates(version)} is ${version.status}: it never became ready${version.statusReason ? ` (${version.statusReason})` : ''}.` });
    if (version.yankedAt !== null) {
      findings.push({
        level: 'warning',
        code: 'version_yanked',
        message: `${coordinates(version)} is yanked: ${version.yankReason || 'no reason given'}${version.yankAdvisoryId ? ` (advisory ${version.yankAdvisoryId})` : ''}.`,
      });
    }
    if (version.deprecationMessage !== null) {
      findings.push({ level: 'warning', code: 'plugin_deprecated', message: `${version.namespace}/${version.plugin} is deprecated: ${version.deprecationMessage || 'no message given'}.` });
    }
    for (const advisory of facts.advisories) {
      const level: ScanLevel = advisory.severity === 'critical' || advisory.severity === 'high' ? 'critical' : advisory.severity === 'medium' ? 'warning' : 'info';
      findings.push({
        level,
        code: 'advisory',
        message: `Advisory ${advisory.id} (${advisory.severity}, CVSS ${advisory.score.toFixed(1)}): ${advisory.summary}. ${advisory.fixedIn ? `Fixed in ${advisory.fixedIn}.` : 'No fixed version yet.'}`,
      });
    }
    if (facts.newer !== null) {
      const parts = [
        // The capability summary is a sentence of its own; joined here, its full stop would sit before the ';'.
        facts.newer.capabilitySummary?.replace(/\.$/, '') ?? null,
        facts.newer.upgradeNotes === null ? null : facts.newer.breaking ? `its contract has breaking changes (${facts.newer.upgradeNotes} upgrade note(s))` : `its contract has no breaking change`,
      ].filter((p) => p !== null);
      findings.push({ level: 'info', code: 'newer_version', message: `${version.namespace}/${version.plugin} ${facts.newer.version} is out, same major${parts.length > 0 ? `: ${parts.join('; ')}` : ''}.` });
    }
    if (version.status === 'ready') findings.push(...provenanceFindings(facts));
    findings.push(...hostFindings(version, facts.proxy));
    if (facts.configuration !== null && reference.configuration.present) {
      const check = facts.configuration;
      if (!check.checked) findings.push({ level: 'info', code: 'configuration_unchecked', message: `${coordinates(version)} has no configuration schema: the deployed configuration was not checked.` });
      else if (!check.valid) {
        findings.push({
          level: 'critical',
          code: 'configuration_invalid',
          message: `The deployed configuration breaks the schema of ${coordinates(version)}: ${check.errors.map((e) => `${e.pointer || '(root)'}: ${e.message}`).join('; ')}.`,
        });
      }
    }
  }
  if (reference.configuration.present && reference.configuration.problem !== null) {
    findings.push({ level: 'critical', code: 'configuration_unreadable', message: `The plugin configuration ${reference.configuration.problem}: the plugin would get text it cannot parse.` });
  }
  return findings;
}

function digestFindings(reference: ModuleReference, version: KnownVersion | null): ScanFinding[] {
  const expected = expectedDigestKind(reference);
  const right = version === null ? null : expected === 'module' ? hexOf(version.digest) : version.manifestDigest && hexOf(version.manifestDigest);
  const fieldName = reference.host === 'envoy' ? 'sha256 (code.remote.sha256)' : 'sha256';
  if (reference.sha256 === null) {
    if (reference.source.kind === 'file') return [];
    return [
      {
        level: 'warning',
        code: 'sha256_missing',
        message: `No ${fieldName}: the proxy runs whatever the URL serves when it fetches, unchecked, and a changed module shows only in its logs (envoyproxy/gateway#4379).${right ? ` Pin it: sha256: ${right}` : ''}`,
      },
    ];
  }
  if (!/^[0-9a-f]{64}$/.test(reference.sha256)) {
    return [{ level: 'critical', code: 'sha256_malformed', message: `sha256 ${JSON.stringify(reference.sha256)} is not 64 hexadecimal digits: the host refuses the configuration or the module.${right ? ` It should be ${right}.` : ''}` }];
  }
  if (version === null) return [];
  const module = hexOf(version.digest);
  const manifest = version.manifestDigest === null ? null : hexOf(version.manifestDigest);
  if (reference.sha256 === right) return [];
  if (expected === 'manifest' && reference.sha256 === module) {
    return [
      {
        level: 'critical',
        code: 'sha256_module_digest_with_oci',
        message: `sha256 is the module's SHA-256, but with an oci:// image the host compares it with the image manifest digest, so it refuses the module and says so only in its logs (istio#38989).${manifest ? ` Use sha256: ${manifest}` : ''}`,
      },
    ];
  }
  if (expected === 'module' && reference.sha256 === manifest) {
    return [
      {
        level: 'critical',
        code: 'sha256_manifest_digest_with_http',
        message: `sha256 is the image manifest's digest, but over HTTP(S) the host compares it with the SHA-256 of the module's bytes, so it refuses the module (istio#38989). Use sha256: ${module}`,
      },
    ];
  }
  return [
    {
      level: 'critical',
      code: 'sha256_mismatch',
      message: `sha256 ${reference.sha256} is neither the module's nor the image manifest's digest of ${coordinates(version)}: the host will refuse it.${right ? ` Expected ${right}.` : ''}`,
    },
  ];
}

function provenanceFindings(facts: ReferenceFacts): ScanFinding[] {
  const findings: ScanFinding[] = [];
  const { signature, attestation } = facts;
  if (signature === 'not_checked' || attestation === 'not_checked') {
    return [{ level: 'info', code: 'provenance_not_checked', message: `Signature and attestation were not verified: one scan verifies those of at most ${VERIFIED_VERSIONS_PER_SCAN} versions.` }];
  }
  if (signature === null) findings.push({ level: 'warning', code: 'not_signed', message: 'The version has no registry signature.' });
  else if (!signature.verified) findings.push({ level: 'critical', code: 'signature_invalid', message: `The registry's signature does not verify against the module: ${signature.detail}.` });
  else findings.push({ level: 'ok', code: 'signature_verified', message: 'The registry signature verifies against the module (Sigstore bundle).' });
  if (attestation === null) findings.push({ level: 'info', code: 'no_attestation', message: 'The version has no SBOM attestation.' });
  else if (!attestation.verified) findings.push({ level: 'critical', code: 'attestation_invalid', message: `The SBOM attestation does not verify: ${attestation.detail}.` });
  else findings.push({ level: 'ok', code: 'attestation_verified', message: 'The SBOM attestation verifies (in-toto, Sigstore bundle).' });
  return findings;
}

/** Whether the analysis says the named proxy versions run it. */
function hostFindings(version: KnownVersion, proxy: ReferenceFacts['proxy']): ScanFinding[] {
  const findings: ScanFinding[] = [];
  for (const host of ['envoy', 'istio'] as const) {
    const wanted = proxy[host];
    if (wanted === null) continue;
    const row = version.compatibility.find((c) => c.host === host);
    const target = semver.coerce(wanted);
    if (row === undefined) {
      findings.push({ level: 'critical', code: 'host_incompatible', message: `The analysis found no ${host} version that runs ${coordinates(version)}.` });
    } else if (target === null || semver.validRange(row.versions) === null) {
      findings.push({ level: 'info', code: 'host_unconfirmed', message: `${host} ${wanted}: the analysis says "${row.versions}", which cannot be checked against it.` });
    } else if (!semver.satisfies(target, row.versions)) {
      findings.push({ level: 'critical', code: 'host_incompatible', message: `${host} ${wanted} cannot run ${coordinates(version)}: it needs ${host} ${row.versions}.` });
    } else {
      findings.push({ level: 'ok', code: 'host_compatible', message: `${host} ${wanted} runs it (${host} ${row.versions}).` });
    }
  }
  return findings;
}
