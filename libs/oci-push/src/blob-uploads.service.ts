import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { Principal } from '../../auth/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { assertRepositoryName, OCI_DIGEST, ociError, type OciRepositoryName } from '../../oci/index.js';
import { BlobUploadsRepository, type UploadSession } from './blob-uploads.repository.js';
import type { UploadBody } from './upload-body.js';
import { UploadObjects, type ByteLimit, type WrittenObject } from './upload-objects.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SWEEP_BATCH = 100;
/** Sessions one token may have open at once: a client pushes a few layers in parallel, not thousands. */
export const MAX_OPEN_SESSIONS = 100;
/** Chunks in one session: each is a storage object, and finishing reads them all in order. */
export const MAX_CHUNKS = 1000;

export type StartedUpload = { kind: 'blob'; digest: string } | { kind: 'session'; session: UploadSession };

/**
 * OCI blob uploads (distribution spec v1.1): monolithic (POST with `digest`),
 * POST then PUT, and chunked (PATCH, resumable), with cross-repository mounts.
 * Bytes are hashed as they arrive and bounded by the publishing limit; a blob
 * becomes visible only once its digest is checked and its row committed.
 * A session belongs to the token that started it; any API process continues it.
 */
@Injectable()
export class BlobUploadsService {
  private readonly logger = new Logger('OciUploads');

  constructor(
    private readonly uploads: BlobUploadsRepository,
    private readonly objects: UploadObjects,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  /** POST /v2/<repo>/blobs/uploads/: a mount, a whole blob (`digest`), or a new session. */
  async start(principal: Principal, repository: OciRepositoryName, query: { digest?: string; mount?: string; from?: string }, body: UploadBody): Promise<StartedUpload> {
    assertRepositoryName(repository);
    if (query.mount !== undefined && query.mount !== '') {
      const mounted = await this.mount(repository, query.mount, query.from);
      if (mounted) return { kind: 'blob', digest: query.mount };
      // The spec's fallback when the source cannot be mounted: an ordinary upload session.
    } else if (query.digest !== undefined && query.digest !== '') {
      assertDigest(query.digest);
      this.assertFits(0, body.declaredLength);
      if (body.stream === null) throw uploadInvalid('a monolithic upload (POST with ?digest=) needs the blob as the request body');
      await this.store(repository, query.digest, await this.objects.receive(body.stream, this.limit(0)), null);
      return { kind: 'blob', digest: query.digest };
    }
    if ((await this.uploads.openSessions(principal.tokenId, new Date())) >= MAX_OPEN_SESSIONS) {
      throw ociError(429, 'TOOMANYREQUESTS', `this token has ${MAX_OPEN_SESSIONS} uploads open, the most it may: finish or cancel (DELETE) some, or wait for idle ones to expire`);
    }
    return { kind: 'session', session: await this.uploads.createSession(repository, principal.tokenId, this.expiry()) };
  }

  /** PATCH: one more chunk, in order. `Content-Range` (optional) must start where the session is. */
  async append(principal: Principal, repository: OciRepositoryName, sessionId: string, contentRange: string | undefined, body: UploadBody): Promise<UploadSession> {
    const session = await this.own(principal, repository, sessionId);
    const range = contentRange === undefined || contentRange === '' ? null : parseContentRange(contentRange);
    if (range !== null && range.start !== session.received) {
      throw ociError(416, 'BLOB_UPLOAD_INVALID', `the chunk starts at byte ${range.start}, but the upload has ${session.received} bytes: send the chunk that starts at ${session.received}`, {
        range: rangeHeader(session.received),
      });
    }
    if (range !== null && body.declaredLength !== null && body.declaredLength !== range.end - range.start + 1) {
      throw uploadInvalid(`Content-Range ${contentRange} is ${range.end - range.start + 1} bytes, Content-Length is ${body.declaredLength}`);
    }
    this.assertFits(session.received, body.declaredLength);
    if (body.stream === null) return session;
    if (session.chunks >= MAX_CHUNKS) {
      throw ociError(416, 'BLOB_UPLOAD_INVALID', `an upload takes at most ${MAX_CHUNKS} chunks: send the rest with the final PUT, or upload again in larger chunks`, { range: rangeHeader(session.received) });
    }
    const chunk = await this.objects.writeChunk(session.id, session.chunks + 1, body.stream, this.limit(session.received));
    if (range !== null && chunk.size !== range.end - range.start + 1) {
      await this.objects.discard(chunk.key);
      throw uploadInvalid(`Content-Range ${contentRange} announced ${range.end - range.start + 1} bytes, ${chunk.size} came`);
    }
    if (!(await this.uploads.addChunk(session, chunk.size, session.chunks === 0 ? chunk.digest : null, this.expiry()))) {
      await this.objects.discard(chunk.key);
      throw ociError(416, 'BLOB_UPLOAD_INVALID', 'another request continued this upload at the same time: ask for its status (GET) and send what follows', {});
    }
    return { ...session, chunks: session.chunks + 1, received: session.received + chunk.size, chunkDigest: session.chunks === 0 ? chunk.digest : null };
  }

  /** PUT ?digest=: the last chunk (optional), then the digest is checked and the blob recorded. */
  async finish(principal: Principal, repository: OciRepositoryName, sessionId: string, digest: string | undefined, body: UploadBody): Promise<string> {
    const session = await this.own(principal, repository, sessionId);
    if (digest === undefined || digest === '') throw ociError(400, 'DIGEST_INVALID', 'finishing an upload needs ?digest=sha256:<hex> of the whole blob');
    assertDigest(digest);
    this.assertFits(session.received, body.declaredLength);
    const tail = body.declaredLength === 0 ? null : body.stream;
    let written: WrittenObject;
    if (session.chunks === 1 && tail === null && session.chunkDigest !== null) {
      // The whole blob came in one PATCH (what skopeo and containerd do): its chunk is the blob, hashed already.
      written = { key: this.objects.chunkKey(session.id, 1), size: session.received, digest: session.chunkDigest };
    } else if (session.chunks === 0) {
      if (tail === null) written = await this.objects.receive(emptyStream(), this.limit(0));
      else written = await this.objects.receive(tail, this.limit(0));
    } else {
      written = await this.objects.assemble(session.id, session.chunks, tail, this.limit(0));
    }
    await this.store(repository, digest, written, session.id);
    await this.objects.deleteChunks(session.id).catch((error: unknown) => this.logger.warn(`could not delete the chunks of upload ${session.id}: ${String(error)}`));
    return digest;
  }

  /** GET: how far the session is. */
  async status(principal: Principal, repository: OciRepositoryName, sessionId: string): Promise<UploadSession> {
    return this.own(principal, repository, sessionId);
  }

  /** DELETE: the session and its chunks are gone. */
  async cancel(principal: Principal, repository: OciRepositoryName, sessionId: string): Promise<void> {
    const session = await this.own(principal, repository, sessionId);
    await this.uploads.deleteSession(session.id);
    await this.objects.deleteChunks(session.id);
  }

  /** Removes expired sessions with their chunks, and blobs no manifest named in time. */
  async sweep(now = new Date()): Promise<{ sessions: number; blobs: number }> {
    let sessions = 0;
    for (const id of await this.uploads.expiredSessions(now, SWEEP_BATCH)) {
      // Chunks first: a crash in between leaves a row the next sweep finds again, never chunks without a row.
      await this.objects.deleteChunks(id);
      await this.uploads.deleteSession(id);
      sessions += 1;
    }
    let blobs = 0;
    const cutoff = new Date(now.getTime() - this.config.ociPush.unreferencedBlobTtlMs);
    for (const row of await this.uploads.unreferencedBlobs(cutoff, SWEEP_BATCH)) {
      if (await this.uploads.removeBlob(row, cutoff, () => this.objects.removeBlob(row.digest))) blobs += 1;
    }
    return { sessions, blobs };
  }

  /** A blob `from` has (its bytes in storage) becomes this repository's too. */
  private async mount(repository: OciRepositoryName, digest: string, from: string | undefined): Promise<boolean> {
    assertDigest(digest);
    const source = /^([a-z0-9][a-z0-9-]{0,63})\/([a-z0-9][a-z0-9-]{0,63})$/.exec(from ?? '');
    if (source === null) return false;
    // Pulls are open to everyone, so whoever may push here may read the source.
    const size = await this.uploads.mountableBlob({ namespace: source[1]!, plugin: source[2]! }, digest);
    if (size === null || !(await this.objects.stored(digest))) return false;
    await this.uploads.recordBlob(repository, digest, size, async () => undefined);
    return true;
  }

  /** Records a received blob whose digest is what the client said, or refuses it and keeps nothing. */
  private async store(repository: OciRepositoryName, digest: string, written: WrittenObject, sessionId: string | null): Promise<void> {
    if (written.digest !== digest) {
      await this.objects.discard(written.key);
      if (sessionId !== null) {
        await this.uploads.deleteSession(sessionId);
        await this.objects.deleteChunks(sessionId).catch(() => undefined);
      }
      throw ociError(400, 'DIGEST_INVALID', `the blob's bytes have digest ${written.digest}, not ${digest} as the request said: nothing was stored; upload it again`, {
        expected: digest,
        computed: written.digest,
      });
    }
    try {
      await this.uploads.recordBlob(repository, digest, written.size, () => this.objects.promote(written.key, digest, written.size), sessionId);
    } catch (error) {
      await this.objects.discard(written.key).catch(() => undefined);
      throw error;
    }
  }

  private async own(principal: Principal, repository: OciRepositoryName, sessionId: string): Promise<UploadSession> {
    assertRepositoryName(repository);
    const session = UUID.test(sessionId) ? await this.uploads.findSession(sessionId) : null;
    if (session === null || session.tokenId !== principal.tokenId || session.namespace !== repository.namespace || session.plugin !== repository.plugin || session.expiresAt < new Date()) {
      throw ociError(404, 'BLOB_UPLOAD_UNKNOWN', `no upload ${sessionId} in ${repository.namespace}/${repository.plugin} for this token (sessions end ${Math.round(this.config.ociPush.uploadTtlMs / 60_000)} minutes after their last request): start a new one with POST`);
    }
    return session;
  }

  private assertFits(received: number, declaredLength: number | null): void {
    if (declaredLength !== null && received + declaredLength > this.config.maxModuleSize) throw this.tooLarge();
  }

  private limit(received: number): ByteLimit {
    return { maxBytes: this.config.maxModuleSize - received, tooLarge: () => this.tooLarge() };
  }

  private tooLarge(): Error {
    const max = this.config.maxModuleSize;
    return ociError(413, 'SIZE_INVALID', `the blob is larger than the limit of ${max} bytes (${(max / 1048576).toFixed(1)} MiB), the same as for publishing a module`, { maxSize: max });
  }

  private expiry(): Date {
    return new Date(Date.now() + this.config.ociPush.uploadTtlMs);
  }
}

export function assertDigest(digest: string): void {
  if (OCI_DIGEST.test(digest)) return;
  if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/.test(digest) && !digest.startsWith('sha256:')) {
    throw ociError(400, 'DIGEST_INVALID', `${JSON.stringify(digest.slice(0, 80))}: this registry stores sha256 digests only (sha256:<64 lowercase hex>)`);
  }
  throw ociError(400, 'DIGEST_INVALID', `${JSON.stringify(digest.slice(0, 80))} is not a digest: sha256:<64 lowercase hex>`);
}

/** `Content-Range: <start>-<end>` as the distribution spec writes it (inclusive; `bytes=` tolerated). */
function parseContentRange(value: string): { start: number; end: number } {
  const match = /^(?:bytes[= ])?(\d{1,15})-(\d{1,15})$/.exec(value.trim());
  const start = match === null ? NaN : Number(match[1]);
  const end = match === null ? NaN : Number(match[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw ociError(416, 'BLOB_UPLOAD_INVALID', `Content-Range ${JSON.stringify(value.slice(0, 80))} must be <start>-<end>, inclusive byte offsets (e.g. 0-1023)`);
  }
  return { start, end };
}

/** The `Range` header of an upload's status: the bytes it has, `0-<last>` (`0-0` when empty, as Distribution says). */
export function rangeHeader(received: number): string {
  return `0-${Math.max(received - 1, 0)}`;
}

function uploadInvalid(detail: string): Error {
  return ociError(400, 'BLOB_UPLOAD_INVALID', detail);
}

/** The body of a zero-length blob (OCI allows them): no request body at all. */
function emptyStream(): Readable {
  return Readable.from([]);
}
