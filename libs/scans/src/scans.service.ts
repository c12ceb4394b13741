import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import semver from 'semver';
import { AdvisoriesService, fixedVersionFor, type AdvisoryBrief } from '../../advisories/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { invalidInput, type FieldProblem } from '../../domain/index.js';
import { ContractsService, TrialsService } from '../../plugins/index.js';
import { ProvenanceService } from '../../provenance/index.js';
import { type DeploymentFile, type ModuleReference, type ScanInputProblem } from './module-references.js';
import { SCAN_LEVELS, VERIFIED_VERSIONS_PER_SCAN, findingsOf, levelRank, type ReferenceFacts, type ScanFinding, type ScanLevel } from './scan-findings.js';
import { ScanReader } from './scan-reader.js';
import { ScansRepository, type KnownVersion, type VersionLookup } from './scans.repository.js';

export interface ScanRequest {
  files: DeploymentFile[];
  envoy: string | null;
  istio: string | null;
  failOn: Exclude<ScanLevel, 'ok'> | null;
}

export interface ScannedReference {
  file: string;
  document: number;
  line: number;
  path: string;
  host: ModuleReference['host'];
  name: string;
  source: ModuleReference['source'];
  sha256: string | null;
  version: { namespace: string; plugin: string; version: string; digest: string; manifestDigest: string | null; status: string } | null;
  level: ScanLevel;
  findings: ScanFinding[];
}

export interface ScanReport {
  scannedAt: string;
  proxy: { envoy: string | null; istio: string | null };
  failOn: ScanLevel | null;
  /** True when a reference is at failOn or worse. */
  failed: boolean;
  summary: Record<ScanLevel, number> & { references: number; problems: number };
  truncated: boolean;
  references: ScannedReference[];
  problems: ScanInputProblem[];
}

const PROXY_VERSION = /^\d{1,3}\.\d{1,3}(\.\d{1,4})?$/;

type Provenance = { verified: boolean; detail: string } | 'not_checked' | null;

/**
 * A scan of deployed configuration: every Wasm module reference, what this
 * registry knows of it, and what is wrong with it, most of which hosts only
 * say in their logs. The configuration is read, never stored or logged.
 */
@Injectable()
export class ScansService implements OnModuleDestroy {
  private readonly reader = new ScanReader();

  constructor(
    @Inject(ScansRepository) private readonly scans: Pick<ScansRepository, 'lookup' | 'readyVersions'>,
    @Inject(AdvisoriesService) private readonly advisories: Pick<AdvisoriesService, 'activeForVersions'>,
    @Inject(ContractsService) private readonly contracts: Pick<ContractsService, 'validate' | 'upgradeNotes'>,
    @Inject(TrialsService) private readonly trials: Pick<TrialsService, 'capabilityDiff'>,
    @Inject(ProvenanceService) private readonly provenance: Pick<ProvenanceService, 'signature' | 'attestations' | 'verify'>,
    @Inject(REGISTRY_CONFIG) private readonly config: Pick<RegistryConfig, 'publicUrl'>,
  ) {}

  /** Reads the query's options; every problem at once. */
  static options(query: { envoy?: string | undefined; istio?: string | undefined; failOn?: string | undefined }): Omit<ScanRequest, 'files'> {
    const problems: FieldProblem[] = [];
    const proxy = (name: 'envoy' | 'istio'): string | null => {
      const value = query[name];
      if (value === undefined) return null;
      if (!PROXY_VERSION.test(value)) problems.push({ field: `query.${name}`, message: `must be a ${name} version such as 1.31 or 1.31.2` });
      return value;
    };
    const envoy = proxy('envoy');
    const istio = proxy('istio');
    let failOn: ScanRequest['failOn'] = null;
    if (query.failOn !== undefined) {
      if (['info', 'warning', 'critical'].includes(query.failOn)) failOn = query.failOn as ScanRequest['failOn'];
      else problems.push({ field: 'query.failOn', message: 'must be one of info, warning, critical' });
    }
    if (problems.length > 0) throw invalidInput(problems);
    return { envoy, istio, failOn };
  }

  async scan(request: ScanRequest): Promise<ScanReport> {
    const { references, problems, truncated } = await this.reader.read(request.files);
    const keys = references.map((r) => this.lookupKeys(r));
    const known = await this.scans.lookup({
      moduleDigests: unique(keys.flatMap((k) => k.moduleDigests)),
      manifestDigests: unique(keys.flatMap((k) => k.manifestDigests)),
      coordinates: keys.flatMap((k) => k.coordinates),
    });
    const identified = references.map((reference, i) => identify(reference, keys[i]!, known));
    const versions = uniqueBy(identified.flatMap((k) => (k === null ? [] : [k.version])), (v) => v.id);
    const [advisories, ready] = await Promise.all([this.advisories.activeForVersions(versions.map((v) => v.id)), this.scans.readyVersions(unique(versions.map((v) => v.pluginId)))]);
    const perVersion = new Map<string, Promise<{ newer: ReferenceFacts['newer']; signature: Provenance; attestation: Provenance }>>();
    const scanned: ScannedReference[] = [];
    for (const [i, reference] of references.entries()) {
      const match = identified[i]!;
      const version = match?.version ?? null;
      let facts: ReferenceFacts = { reference, known: match, advisories: [], newer: null, signature: null, attestation: null, proxy: { envoy: request.envoy, istio: request.istio }, configuration: null };
      if (version !== null) {
        // Each version's facts are gathered once; past the bound, its bundles are not verified (each reads the module).
        if (!perVersion.has(version.id)) perVersion.set(version.id, this.versionFacts(version, ready.get(version.pluginId) ?? [], perVersion.size < VERIFIED_VERSIONS_PER_SCAN));
        const shared = await perVersion.get(version.id)!;
        facts = {
          ...facts,
          ...shared,
          advisories: (advisories.get(version.id) ?? []).map((a: AdvisoryBrief) => ({ id: a.id, summary: a.summary, severity: a.severity.rating, score: a.severity.score, fixedIn: fixedVersionFor(version.version, a.affected) })),
          configuration: await this.checkConfiguration(version, reference),
        };
      }
      const findings = findingsOf(facts);
      const level = findings.reduce<ScanLevel>((worst, f) => (levelRank(f.level) > levelRank(worst) ? f.level : worst), 'ok');
      scanned.push({
        file: reference.file,
        document: reference.document,
        line: reference.line,
        path: reference.path,
        host: reference.host,
        name: reference.name,
        source: reference.source,
        sha256: reference.sha256,
        version: version && { namespace: version.namespace, plugin: version.plugin, version: version.version, digest: version.digest, manifestDigest: version.manifestDigest, status: version.status },
        level,
        findings,
      });
    }
    const summary = Object.fromEntries(SCAN_LEVELS.map((l) => [l, scanned.filter((r) => r.level === l).length])) as Record<ScanLevel, number>;
    const failed = request.failOn !== null && scanned.some((r) => levelRank(r.level) >= levelRank(request.failOn!));
    return {
      scannedAt: new Date().toISOString(),
      proxy: { envoy: request.envoy, istio: request.istio },
      failOn: request.failOn,
      failed,
      summary: { ...summary, references: scanned.length, problems: problems.length },
      truncated,
      references: scanned,
      problems,
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.reader.close();
  }

  /** What identifies a reference's module here: the registry's own URLs, and the sha256 it gives. */
  private lookupKeys(reference: ModuleReference): VersionLookup & { url: 'module' | 'manifest' | 'coordinates' | null } {
    const keys: VersionLookup & { url: 'module' | 'manifest' | 'coordinates' | null } = { moduleDigests: [], manifestDigests: [], coordinates: [], url: null };
    const publicUrl = this.config.publicUrl;
    const source = reference.source;
    if (source.kind === 'http' && source.url.startsWith(`${publicUrl}/`)) {
      const path = source.url.slice(publicUrl.length).split(/[?#]/)[0]!;
      const blob = /^\/api\/v1\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
      const module = /^\/api\/v1\/plugins\/([^/]+)\/([^/]+)\/versions\/([^/]+)\/module(?:\.wasm)?$/.exec(path);
      if (blob) {
        keys.moduleDigests.push(blob[1]!);
        keys.url = 'module';
      } else if (module) {
        keys.coordinates.push({ namespace: decodeURIComponent(module[1]!), plugin: decodeURIComponent(module[2]!), version: decodeURIComponent(module[3]!) });
        keys.url = 'coordinates';
      }
    }
    if (source.kind === 'oci' && source.registryHost === new URL(publicUrl).host) {
      const [namespace, plugin, ...rest] = source.repository.split('/');
      if (namespace && plugin && rest.length === 0) {
        if (source.digest !== null && /^sha256:[0-9a-f]{64}$/.test(source.digest)) {
          keys.manifestDigests.push(source.digest);
          keys.url = 'manifest';
        } else if (source.tag !== null && semver.valid(source.tag) === source.tag) {
          keys.coordinates.push({ namespace, plugin, version: source.tag });
          keys.url = 'coordinates';
        }
      }
    }
    if (reference.sha256 !== null && /^[0-9a-f]{64}$/.test(reference.sha256)) {
      keys.moduleDigests.push(`sha256:${reference.sha256}`);
      keys.manifestDigests.push(`sha256:${reference.sha256}`);
    }
    return keys;
  }

  private async versionFacts(version: KnownVersion, readyNumbers: readonly string[], verify: boolean): Promise<{ newer: ReferenceFacts['newer']; signature: Provenance; attestation: Provenance }> {
    if (!verify) return { newer: await this.newer(version, readyNumbers), signature: 'not_checked', attestation: 'not_checked' };
    const [newer, signature, attestation] = await Promise.all([this.newer(version, readyNumbers), this.verified(version, 'signature'), this.verified(version, 'attestation')]);
    return { newer, signature, attestation };
  }

  private async newer(version: KnownVersion, readyNumbers: readonly string[]): Promise<ReferenceFacts['newer']> {
    const major = semver.major(version.version);
    const candidate = readyNumbers.filter((n) => semver.major(n) === major && semver.gt(n, version.version) && semver.prerelease(n) === null).sort(semver.rcompare)[0];
    if (candidate === undefined) return null;
    const [diff, notes] = await Promise.all([
      this.trials.capabilityDiff(version.namespace, version.plugin, candidate, version.version).catch(() => null),
      this.contracts.upgradeNotes(version.namespace, version.plugin, candidate, version.version).catch(() => null),
    ]);
    return { version: candidate, capabilitySummary: diff?.summary ?? null, breaking: notes?.breaking ?? null, upgradeNotes: notes?.notes.length ?? null };
  }

  /** A Sigstore bundle of the version, verified against the stored module. Null when it has none. */
  private async verified(version: KnownVersion, kind: 'signature' | 'attestation'): Promise<Provenance> {
    if (version.status !== 'ready' || !version.signatureKinds.includes(kind === 'signature' ? 'message_signature' : 'attestation')) return null;
    try {
      const bundle = kind === 'signature' ? await this.provenance.signature(version.namespace, version.plugin, version.version) : (await this.provenance.attestations(version.namespace, version.plugin, version.version)).items[0]!.bundle;
      const result = await this.provenance.verify(bundle, { digest: version.digest });
      const failed = result.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      return { verified: result.verified, detail: failed.join('; ') || 'all checks passed' };
    } catch (error) {
      return { verified: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private async checkConfiguration(version: KnownVersion, reference: ModuleReference): Promise<ReferenceFacts['configuration']> {
    if (!reference.configuration.present || reference.configuration.problem !== null || version.status !== 'ready') return null;
    try {
      const check = await this.contracts.validate(version.namespace, version.plugin, version.version, { configuration: reference.configuration.value });
      return { checked: check.checked, valid: check.valid, errors: check.errors.map((e) => ({ pointer: e.pointer, message: e.message })) };
    } catch {
      return null;
    }
  }
}

/** The version a reference loads: what its URL names first, else what its sha256 is the digest of. */
function identify(reference: ModuleReference, keys: ReturnType<ScansService['lookupKeys']>, known: readonly KnownVersion[]): ReferenceFacts['known'] {
  const byUrl =
    keys.url === 'module'
      ? known.find((v) => keys.moduleDigests.includes(v.digest) && v.digest === keys.moduleDigests[0])
      : keys.url === 'manifest'
        ? known.find((v) => v.manifestDigest === keys.manifestDigests[0])
        : keys.url === 'coordinates'
          ? known.find((v) => keys.coordinates.some((c) => c.namespace === v.namespace && c.plugin === v.plugin && c.version === v.version))
          : undefined;
  if (byUrl !== undefined) return { version: byUrl, by: 'url' };
  if (reference.sha256 === null) return null;
  const digest = `sha256:${reference.sha256}`;
  const bySha = known.find((v) => v.digest === digest) ?? known.find((v) => v.manifestDigest === digest);
  return bySha === undefined ? null : { version: bySha, by: 'sha256' };
}

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];
const uniqueBy = <T>(items: readonly T[], key: (item: T) => string): T[] => [...new Map(items.map((i) => [key(i), i])).values()];
