import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../blobs/index.js';
import type { RegistryConfig } from '../../config/index.js';
import { RegistryError } from '../../domain/index.js';
import type { PublishService } from '../../plugins/index.js';
import type { BlobUploadsRepository } from './blob-uploads.repository.js';
import { assertDigest, BlobUploadsService, MAX_CHUNKS, MAX_OPEN_SESSIONS, rangeHeader } from './blob-uploads.service.js';
import { ManifestPushService, MAX_DIGEST_MANIFESTS, versionForTag } from './manifest-push.service.js';
import type { PushedManifestsRepository } from './pushed-manifests.repository.js';
import type { UploadObjects } from './upload-objects.js';

function ociCodeOf(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).extensions.ociCode;
  }
  return null;
}

describe('the rules of a push that need no I/O', () => {
  it('reads a tag as a version, dropping a leading v, and refuses anything else with TAG_INVALID', () => {
    expect(versionForTag('1.2.0')).toBe('1.2.0');
    expect(versionForTag('v1.2.0-rc.1')).toBe('1.2.0-rc.1');
    for (const tag of ['latest', 'v', 'vv1.0.0', '1.2', '01.2.3', '1.2.3+build', 'main', 'V1.2.0']) expect(ociCodeOf(() => versionForTag(tag)), tag).toBe('TAG_INVALID');
  });

  it('takes sha256 digests only, and says so for other algorithms', () => {
    expect(ociCodeOf(() => assertDigest(`sha256:${'a'.repeat(64)}`))).toBeNull();
    for (const digest of [`sha512:${'a'.repeat(128)}`, `sha256:${'A'.repeat(64)}`, 'sha256:abc', 'plain']) expect(ociCodeOf(() => assertDigest(digest)), digest).toBe('DIGEST_INVALID');
    try {
      assertDigest(`sha512:${'a'.repeat(128)}`);
    } catch (error) {
      expect((error as RegistryError).detail).toContain('sha256 digests only');
    }
  });

  it('states what an upload holds as the inclusive range 0-<last byte>', () => {
    expect(rangeHeader(0)).toBe('0-0');
    expect(rangeHeader(1)).toBe('0-0');
    expect(rangeHeader(1024)).toBe('0-1023');
  });
});

describe('the bounds of a push', () => {
  const principal = { tokenId: 't1', tokenName: 'ci', admin: false, namespaces: new Set(['acme']) };
  const repository = { namespace: 'acme', plugin: 'p' };
  const config = { maxModuleSize: 1024 * 1024, ociPush: { uploadTtlMs: 60_000, unreferencedBlobTtlMs: 60_000, sweepIntervalMs: 1000 } } as RegistryConfig;

  it('refuses a chunk past MAX_CHUNKS before storing a byte of it, and a session past MAX_OPEN_SESSIONS', async () => {
    const session = { id: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b', ...repository, tokenId: 't1', received: MAX_CHUNKS, chunks: MAX_CHUNKS, chunkDigest: null, expiresAt: new Date(Date.now() + 60_000) };
    const written: string[] = [];
    const uploads = { findSession: async () => session, openSessions: async () => MAX_OPEN_SESSIONS } as unknown as BlobUploadsRepository;
    const objects = { writeChunk: async () => written.push('chunk') } as unknown as UploadObjects;
    const service = new BlobUploadsService(uploads, objects, config);
    const body = { stream: Readable.from([Buffer.from('x')]), declaredLength: 1 };
    await expect(service.append(principal, repository, session.id, undefined, body)).rejects.toMatchObject({ status: 416, extensions: { ociCode: 'BLOB_UPLOAD_INVALID' } });
    expect(written).toEqual([]);
    await expect(service.start(principal, repository, {}, { stream: null, declaredLength: 0 })).rejects.toMatchObject({ status: 429, extensions: { ociCode: 'TOOMANYREQUESTS' } });
  });

  it('refuses a manifest pushed by digest past MAX_DIGEST_MANIFESTS, unless it is one the repository holds', async () => {
    const stored: string[] = [];
    let held = { count: MAX_DIGEST_MANIFESTS, has: false };
    const manifests = {
      blobSizes: async (_r: unknown, digests: string[]) => new Map(digests.map((d) => [d, 2])),
      renewBlobs: async () => undefined,
      digestManifests: async () => held,
      storeDigestManifest: async (_r: unknown, m: { digest: string }) => void stored.push(m.digest),
    } as unknown as PushedManifestsRepository;
    const publishing = { ensurePlugin: async () => undefined } as unknown as PublishService;
    const service = new ManifestPushService(manifests, publishing, {} as BlobStore, config);
    const empty = `sha256:${createHash('sha256').update('{}').digest('hex')}`;
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 }, layers: [] }));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const push = () => service.push(principal, repository, digest, 'application/vnd.oci.image.manifest.v1+json', { stream: Readable.from([bytes]), declaredLength: bytes.length });
    await expect(push()).rejects.toMatchObject({ status: 403, extensions: { ociCode: 'DENIED' } });
    expect(stored).toEqual([]);
    held = { count: MAX_DIGEST_MANIFESTS, has: true };
    await expect(push()).resolves.toMatchObject({ digest });
    held = { count: MAX_DIGEST_MANIFESTS - 1, has: false };
    await expect(push()).resolves.toMatchObject({ digest });
    expect(stored).toEqual([digest, digest]);
  });
});
