import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type BucketLocationConstraint,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import type { StorageConfig } from '../../config/index.js';
import { assertSafeKey, assertSafePrefix, assertValidRange } from './storage-keys.js';
import {
  StorageNotFoundError,
  type ByteRange,
  type PutOptions,
  type StorageDriver,
  type StoredObjectInfo,
  type StoredObjectStream,
} from './storage.driver.js';

export type S3StorageConfig = Extract<StorageConfig, { kind: 's3' }>;

export interface S3StorageDriverOptions {
  /** A client built by createS3Client (e.g. with extra middleware); the caller then owns it. */
  client?: S3Client;
  /** ListObjectsV2 page size; small values let tests exercise pagination. */
  listPageSize?: number;
}

/** S3's multipart minimum; a put holds two such buffers, whatever the body's size. */
const PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
const MOVE_ATTEMPTS = 3;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** An S3 client with the settings that S3-compatible stores (MinIO, R2, s3rver) need. */
export function createS3Client(config: S3StorageConfig): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint ?? undefined,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    // Otherwise streamed bodies are sent aws-chunked with trailing checksums, which
    // some stores (s3rver) save verbatim as part of the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // An unreachable endpoint must fail readiness checks, not hang them.
    requestHandler: { connectionTimeout: 5_000 },
  });
}

/** Stores each object under its key in one bucket of an S3-compatible store. */
export class S3StorageDriver implements StorageDriver {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly listPageSize: number | undefined;

  constructor(private readonly config: S3StorageConfig, options: S3StorageDriverOptions = {}) {
    this.bucket = config.bucket;
    this.client = options.client ?? createS3Client(config);
    this.ownsClient = options.client === undefined;
    this.listPageSize = options.listPageSize;
  }

  /**
   * Streams of unknown length go up in 5 MiB parts through two reusable buffers:
   * one uploading while the other fills. @aws-sdk/lib-storage's Upload was not
   * used because it allocates a fresh buffer per part, and V8 collects those
   * late (RSS grew 46-62 MiB during a 50 MiB put, queueSize 1); its abort()
   * also returns before the requests it started have stopped.
   */
  async put(key: string, body: Readable, options: PutOptions = {}): Promise<void> {
    const { signal } = options;
    let sourceError: unknown = null;
    // Stays attached: a late error from a destroyed body must not become an uncaught exception.
    body.on('error', (error) => {
      sourceError ??= error;
    });
    try {
      assertSafeKey(key);
      signal?.throwIfAborted();
    } catch (error) {
      body.destroy();
      throw error;
    }
    const operation = new AbortController();
    const onAbort = (): void => {
      operation.abort(signal?.reason);
      body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('put aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const send = { abortSignal: operation.signal };
    const target = { Bucket: this.bucket, Key: key };
    const contentType = options.contentType ?? 'application/octet-stream';
    const reader = new ChunkReader(body);
    const running: Promise<unknown>[] = [];
    let uploadId: string | undefined;
    try {
      const buffers = [Buffer.allocUnsafe(PART_SIZE)];
      let part = await fillPart(reader, buffers[0]!);
      if (part.last) {
        const bytes = buffers[0]!.subarray(0, part.length);
        // The body has been read: from here on an abort is too late (see PutOptions.signal).
        await this.client.send(new PutObjectCommand({ ...target, Body: bytes, ContentLength: bytes.length, ContentType: contentType }));
        return;
      }
      ({ UploadId: uploadId } = await this.client.send(new CreateMultipartUploadCommand({ ...target, ContentType: contentType }), send));
      if (uploadId === undefined) throw new Error(`S3 CreateMultipartUpload for ${key} returned no UploadId`);
      const parts: CompletedPart[] = [];
      for (let number = 1, current = 0; ; number++, current ^= 1) {
        if (number > MAX_PARTS) throw new Error(`${key} needs more than ${MAX_PARTS} parts`);
        const bytes = buffers[current]!.subarray(0, part.length);
        const uploading = this.client
          .send(new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber: number, Body: bytes, ContentLength: bytes.length }), send)
          .then(({ ETag }) => {
            if (ETag === undefined) throw new Error(`S3 UploadPart ${number} for ${key} returned no ETag`);
            parts.push({ PartNumber: number, ETag });
          });
        running.push(uploading);
        if (part.last) {
          await uploading;
          break;
        }
        const next = (buffers[current ^ 1] ??= Buffer.allocUnsafe(PART_SIZE));
        const filling = fillPart(reader, next);
        running.push(filling);
        [, part] = await Promise.all([uploading, filling]);
        running.length = 0;
      }
      // Not abortable: a cancelled request might still complete on the server.
      await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      uploadId = undefined;
    } catch (error) {
      operation.abort();
      if (!body.destroyed) body.destroy();
      // Nothing may still be writing parts when the upload is aborted.
      await Promise.allSettled(running);
      if (uploadId !== undefined) {
        // Best effort (s3rver lacks AbortMultipartUpload); a bucket lifecycle rule catches the rest.
        await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).catch(() => undefined);
      }
      // Callers see their own abort reason, as with fetch(), whichever step noticed it.
      if (signal?.aborted) throw signal.reason;
      throw sourceError ?? error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObjectStream> {
    assertSafeKey(key);
    if (range) assertValidRange(range);
    let response;
    try {
      response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
    } catch (error) {
      if (isMissingObject(error)) throw new StorageNotFoundError(key);
      if (statusOf(error) === 416 || nameOf(error) === 'InvalidRange') {
        throw new RangeError(`range ${range?.start}-${range?.end} starts past the end of ${key}`);
      }
      throw error;
    }
    const body = response.Body;
    if (!(body instanceof Readable)) throw new Error(`S3 GetObject for ${key} returned no stream`);
    const length = response.ContentLength;
    if (!range) {
      if (length === undefined) {
        body.destroy();
        throw new Error(`S3 GetObject for ${key} returned no Content-Length`);
      }
      return { body, size: length };
    }

    // A server may ignore Range (200, whole object) or, like s3rver for bytes=0-0,
    // send more than asked: check what came back and cut it to the request.
    const served = parseContentRange(response.ContentRange) ?? (length === undefined ? null : { start: 0, end: length - 1, size: length });
    if (served === null) {
      body.destroy();
      throw new Error(`S3 GetObject for ${key} returned neither Content-Range nor Content-Length`);
    }
    if (range.start >= served.size) {
      body.destroy();
      throw new RangeError(`range ${range.start}-${range.end} starts past the end of ${served.size} bytes`);
    }
    const wanted = { start: range.start, end: Math.min(range.end, served.size - 1) };
    if (served.start !== wanted.start || served.end < wanted.end) {
      body.destroy();
      throw new Error(`S3 answered bytes ${served.start}-${served.end} for ${wanted.start}-${wanted.end} of ${key}`);
    }
    const out = served.end > wanted.end ? truncate(body, wanted.end - wanted.start + 1) : body;
    return { body: out, size: served.size, range: wanted };
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    assertSafeKey(key);
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: response.ContentLength ?? 0, lastModified: response.LastModified ?? new Date(0) };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * CopyObject is atomic for readers of `to`; the source is deleted afterwards.
   * Single-request copies are limited to 5 GiB, far above the module size cap.
   */
  async move(from: string, to: string): Promise<void> {
    assertSafeKey(from);
    assertSafeKey(to);
    if (from === to) {
      if ((await this.head(from)) === null) throw new StorageNotFoundError(from);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${encodeKey(from)}` }),
        );
        break;
      } catch (error) {
        if (nameOf(error) === 'NoSuchKey') throw new StorageNotFoundError(from);
        // s3rver fails concurrent copies onto one key. Moves promote content-addressed
        // uploads, so a destination holding as many bytes as the source already is the result.
        const [source, target] = await Promise.all([this.head(from), this.head(to)]);
        if (source === null) throw new StorageNotFoundError(from);
        if (target !== null && target.size === source.size) break;
        if (attempt >= MOVE_ATTEMPTS) throw error;
      }
    }
    await this.delete(from);
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    assertSafePrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix === '' ? undefined : prefix,
          ContinuationToken: continuationToken,
          MaxKeys: this.listPageSize,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async signedUrl(key: string, expiresInSeconds: number): Promise<string | null> {
    assertSafeKey(key);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`presigned URLs last 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${expiresInSeconds}`);
    }
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  /**
   * Aborts multipart uploads started longer ago than `olderThanMs`. Stores that
   * do not list multipart uploads (s3rver) report nothing to sweep; there, and
   * as a second line everywhere, a bucket lifecycle rule should abort them.
   */
  async sweepPartialWrites(olderThanMs: number): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    const now = Date.now();
    for (;;) {
      let page;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (error) {
        if (nameOf(error) === 'NotImplemented' || statusOf(error) === 501 || statusOf(error) === 405) return removed;
        throw error;
      }
      for (const upload of page.Uploads ?? []) {
        if (upload.Key && upload.UploadId && upload.Initiated && now - upload.Initiated.getTime() > olderThanMs) {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
          removed += 1;
        }
      }
      if (!page.IsTruncated) return removed;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /**
   * Creates the bucket when it is missing. For tests and the embedded/dev setup;
   * production only runs check(), so a typo in the bucket name fails loudly.
   */
  async ensureBucket(): Promise<void> {
    try {
      await this.check();
      return;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    const region = this.config.region;
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is the default and must not be named.
          CreateBucketConfiguration:
            region === '' || region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
        }),
      );
    } catch (error) {
      if (nameOf(error) !== 'BucketAlreadyOwnedByYou') throw error;
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

function nameOf(error: unknown): string | undefined {
  return (error as { name?: string } | null)?.name;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  return statusOf(error) === 404 || ['NotFound', 'NoSuchKey', 'NoSuchBucket'].includes(nameOf(error) ?? '');
}

/** A missing object, not a missing bucket: that one must surface as an error. */
function isMissingObject(error: unknown): boolean {
  return isMissing(error) && nameOf(error) !== 'NoSuchBucket';
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function parseContentRange(header: string | undefined): { start: number; end: number; size: number } | null {
  const match = header === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
  if (match === null) return null;
  return { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) };
}

/** Hands out a stream's chunks one at a time; the unused end of a chunk can be put back. */
class ChunkReader {
  private readonly chunks: AsyncIterator<unknown>;
  private leftover: Buffer | null = null;

  constructor(source: Readable) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** The next non-empty chunk, or null at the end of the stream. */
  async next(): Promise<Buffer | null> {
    if (this.leftover !== null) {
      const chunk = this.leftover;
      this.leftover = null;
      return chunk;
    }
    for (;;) {
      const { done, value } = await this.chunks.next();
      if (done) return null;
      const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array | string);
      if (chunk.length > 0) return chunk;
    }
  }

  putBack(chunk: Buffer): void {
    this.leftover = chunk;
  }
}

/** Fills `buffer` from the reader; `last` when the stream ended within or right after it. */
async function fillPart(reader: ChunkReader, buffer: Buffer): Promise<{ length: number; last: boolean }> {
  let length = 0;
  while (length < buffer.length) {
    const chunk = await reader.next();
    if (chunk === null) return { length, last: true };
    const copied = chunk.copy(buffer, length);
    length += copied;
    if (copied < chunk.length) reader.putBack(chunk.subarray(copied));
  }
  const following = await reader.next();
  if (following === null) return { length, last: true };
  reader.putBack(following);
  return { length, last: false };
}

/** The first `length` bytes of `source`; stops reading (and frees the socket) after them. */
function truncate(source: Readable, length: number): Readable {
  return Readable.from(
    (async function* () {
      let remaining = length;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= part.length;
        yield part;
        if (remaining === 0) break;
      }
    })(),
    { objectMode: false },
  );
}
