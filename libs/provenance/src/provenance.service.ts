import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { BLOB_STORE, type BlobStore, collectingYoungGarbage } from '../../blobs/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { digestHex, digestProblem, formatDigest, invalidInput, notFound, RegistryError, TtlCache } from '../../domain/index.js';
import { PipelineRepository, type SignatureKind } from '../../pipeline/index.js';
import { PluginsService, type VersionRecord } from '../../plugins/index.js';
import { CYCLONEDX_PREDICATE_TYPE, loadTrustedRoot, type TrustAnchors, StreamedArtifact, verifyBundle } from '../../signing/index.js';
import type { AttestationsView, PublicKeyView, VerificationView } from './provenance.views.js';

/** What provenance reads of the pipeline's results (PipelineRepository). */
export interface ProvenanceRecords {
  findSbom(versionId: string): Promise<{ json: unknown; xml: string } | null>;
  findSignatures(versionId: string): Promise<{ kind: SignatureKind; bundle: unknown }[]>;
  signingKeys(): Promise<{ keyId: string; algorithm: string; publicKeyPem: string; createdAt: Date }[]>;
}

/** Finds a version or throws its 400/404 (PluginsService). */
export interface VersionFinder {
  findVersion(namespace: string, name: string, version: string): Promise<VersionRecord>;
}

/** The stored modules a bundle is verified against (BlobStore). */
export type StoredModules = Pick<BlobStore, 'stat' | 'open'>;

// Stored modules never change, so a verification against one stands while the bundle and the keys do.
const STORED_VERIFICATIONS = 1000;
const STORED_VERIFICATION_TTL_MS = 10 * 60_000;

/** What the registry says about a version's origin and contents: signatures, attestations, SBOM, keys, verification. */
@Injectable()
export class ProvenanceService {
  private trustedRoot: Promise<TrustAnchors | undefined> | null = null;
  // Every view of a version's web page verifies its signature: read a stored module once, not per view.
  private readonly storedVerifications = new TtlCache<string, Promise<VerificationView>>(STORED_VERIFICATIONS, STORED_VERIFICATION_TTL_MS);

  constructor(
    @Inject(PluginsService) private readonly plugins: VersionFinder,
    @Inject(PipelineRepository) private readonly pipeline: ProvenanceRecords,
    @Inject(BLOB_STORE) private readonly blobs: StoredModules,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async signature(namespace: string, name: string, version: string): Promise<object> {
    const record = await this.readyVersion(namespace, name, version);
    return this.bundle(record, 'message_signature');
  }

  async attestations(namespace: string, name: string, version: string): Promise<AttestationsView> {
    const record = await this.readyVersion(namespace, name, version);
    return { items: [{ predicateType: CYCLONEDX_PREDICATE_TYPE, bundle: await this.bundle(record, 'attestation') }] };
  }

  async sbom(namespace: string, name: string, version: string): Promise<{ json: unknown; xml: string }> {
    const record = await this.readyVersion(namespace, name, version);
    const sbom = await this.pipeline.findSbom(record.id);
    if (sbom === null) throw notFound('sbom_not_found', `${namespace}/${name}@${version} has no SBOM`);
    return sbom;
  }

  async publicKeys(): Promise<PublicKeyView[]> {
    return (await this.pipeline.signingKeys()).map((k) => ({ ...k, createdAt: k.createdAt.toISOString() }));
  }

  /**
   * Checks a bundle against a module: one stored here (by digest) or one sent with the request, read
   * as it arrived. Either way the module is hashed as it streams and never held in memory.
   */
  async verify(bundle: unknown, module: { digest: string } | { artifact: StreamedArtifact }): Promise<VerificationView> {
    const publicKeys = await this.pipeline.signingKeys();
    if ('artifact' in module) return this.report(bundle, module.artifact, publicKeys);
    const problem = digestProblem('body.digest', module.digest);
    if (problem) throw invalidInput([problem]);
    // Asked every time, so that a module deleted since is not vouched for from the cache.
    const stored = await this.blobs.stat(module.digest);
    if (stored === null) throw notFound('blob_not_found', `no module with digest ${module.digest} is stored here`);
    const key = [module.digest, createHash('sha256').update(JSON.stringify(bundle) ?? '').digest('hex'), ...publicKeys.map((k) => k.keyId)].join('\n');
    const cached = this.storedVerifications.get(key);
    if (cached !== undefined) return cached;
    const verification = (async () => {
      const { body } = await this.blobs.open(module.digest);
      const artifact = await StreamedArtifact.read(collectingYoungGarbage(body as AsyncIterable<Uint8Array>));
      if (artifact.sha256Hex !== digestHex(module.digest)) {
        throw new Error(`blob ${module.digest} in storage has sha256 ${artifact.sha256Hex} (${artifact.size} bytes, ${stored.size} recorded)`);
      }
      return this.report(bundle, artifact, publicKeys);
    })();
    this.storedVerifications.set(key, verification);
    verification.catch(() => this.storedVerifications.delete(key));
    return verification;
  }

  private async report(bundle: unknown, artifact: StreamedArtifact, publicKeys: { keyId: string; publicKeyPem: string }[]): Promise<VerificationView> {
    const report = verifyBundle({ bundle, artifact, publicKeys, trustedRoot: await this.loadTrustedRoot() });
    return { ...report, signer: report.signer as object | null, digest: formatDigest(artifact.sha256Hex) };
  }

  private async readyVersion(namespace: string, name: string, version: string): Promise<VersionRecord> {
    const record = await this.plugins.findVersion(namespace, name, version);
    if (record.status === 'pending') {
      throw new RegistryError(409, 'version_pending', 'Version pending', `${namespace}/${name}@${version} is still being processed; wait for status "ready"`);
    }
    return record;
  }

  private async bundle(record: VersionRecord, kind: SignatureKind): Promise<object> {
    const signature = (await this.pipeline.findSignatures(record.id)).find((s) => s.kind === kind);
    if (signature === undefined) {
      throw notFound('signature_not_found', `${record.namespace}/${record.plugin}@${record.version} is ${record.status} and was not signed`);
    }
    return signature.bundle as object;
  }

  private loadTrustedRoot(): Promise<TrustAnchors | undefined> {
    const path = this.config.signing.keyless?.trustedRootPath ?? null;
    this.trustedRoot ??= path === null ? Promise.resolve(undefined) : loadTrustedRoot(path);
    return this.trustedRoot;
  }
}
