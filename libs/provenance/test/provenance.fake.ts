import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { VersionRecord } from '../../versions/index.js';
import type { SignatureKind } from '../../pipeline/index.js';
import { notFound } from '../../domain/index.js';
import { StorageNotFoundError, type StoredObjectInfo, type StoredObjectStream } from '../../storage/index.js';
import type { ProvenanceRecords, StoredModules, VersionFinder } from '../src/provenance.service.js';

export const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Versions, their pipeline results and stored modules in memory; counts reads of storage. */
export class FakeProvenance implements VersionFinder, ProvenanceRecords, StoredModules {
  readonly versions = new Map<string, VersionRecord>();
  readonly sboms = new Map<string, { json: unknown; xml: string }>();
  readonly signatures = new Map<string, { kind: SignatureKind; bundle: unknown }[]>();
  keys: { keyId: string; algorithm: string; publicKeyPem: string; createdAt: Date }[] = [];
  readonly modules = new Map<string, Buffer>();
  opened = 0;

  addVersion(version: string, status: VersionRecord['status'], digest = `sha256:${'0'.repeat(64)}`): VersionRecord {
    const record = { id: `acme/jwt@${version}`, namespace: 'acme', plugin: 'jwt', version, digest, status } as VersionRecord;
    this.versions.set(version, record);
    return record;
  }

  async findVersion(namespace: string, name: string, version: string): Promise<VersionRecord> {
    const record = this.versions.get(version);
    if (record === undefined) throw notFound('version_not_found', `${namespace}/${name} has no version ${version}`);
    return record;
  }

  async findSbom(versionId: string) {
    return this.sboms.get(versionId) ?? null;
  }

  async findSignatures(versionId: string) {
    return this.signatures.get(versionId) ?? [];
  }

  async signingKeys() {
    return this.keys;
  }

  async stat(digest: string): Promise<StoredObjectInfo | null> {
    const bytes = this.modules.get(digest);
    return bytes === undefined ? null : { key: digest, size: bytes.length, lastModified: new Date(0) };
  }

  async open(digest: string): Promise<StoredObjectStream> {
    this.opened += 1;
    const bytes = this.modules.get(digest);
    if (bytes === undefined) throw new StorageNotFoundError(digest);
    return { body: Readable.from([bytes], { objectMode: false }), size: bytes.length };
  }
}
