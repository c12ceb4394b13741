import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { WasmBinaryKind } from '../../analysis/index.js';
import { digestHex, formatDigest } from '../../domain/index.js';
import { blobKey, uploadKey, type ByteRange, type StorageDriver, type StoredObjectInfo, type StoredObjectStream } from '../../storage/index.js';
import { ModuleInspector } from './module-inspector.js';

/** An upload that was read to the end and checked, waiting in its temporary place. */
export interface ReceivedUpload {
  uploadKey: string;
  digest: string;
  size: number;
  kind: WasmBinaryKind;
}

/**
 * Content-addressed module storage: uploads land under `uploads/` and move to
 * `blobs/sha256/<hex>` only once their digest is known, so a blob key always
 * names exactly the bytes stored under it.
 */
export class BlobStore {
  constructor(private readonly driver: StorageDriver) {}

  get storageKind(): string {
    return this.driver.kind;
  }

  /**
   * Streams a module into a temporary object while hashing it. Rejects with the
   * inspector's error (too large, not Wasm) or the client's disconnect, and
   * then leaves nothing behind.
   */
  async receive(body: Readable, maxSize: number): Promise<ReceivedUpload> {
    const key = uploadKey(randomUUID());
    const inspector = new ModuleInspector(maxSize);
    const abort = new AbortController();
    let failure: unknown = null;
    const fail = (error: unknown): void => {
      failure ??= error;
      // Stop reading but leave the request open: the client still gets our answer.
      body.unpipe(inspector);
      if (!inspector.destroyed) inspector.destroy(error as Error);
      abort.abort(error);
    };
    const onClose = (): void => {
      if (!body.readableEnded) fail(new UploadAbortedError());
    };
    body.on('error', fail);
    body.on('close', onClose);
    inspector.on('error', fail);
    body.pipe(inspector);
    try {
      await this.driver.put(key, inspector, { signal: abort.signal, contentType: 'application/wasm' });
      if (failure !== null) throw failure;
      const { digestHex: hex, size, kind } = inspector.inspected;
      return { uploadKey: key, digest: formatDigest(hex), size, kind };
    } catch (error) {
      await this.driver.delete(key).catch(() => undefined);
      throw failure ?? error;
    } finally {
      body.off('error', fail);
      body.off('close', onClose);
    }
  }

  /**
   * Moves a received upload to its content-addressed key. Returns false when
   * identical bytes were already stored there (the upload is then discarded).
   */
  async promote(upload: ReceivedUpload): Promise<{ created: boolean; storageKey: string }> {
    const storageKey = blobKey(digestHex(upload.digest));
    const existing = await this.driver.head(storageKey);
    if (existing !== null && existing.size === upload.size) {
      await this.driver.delete(upload.uploadKey);
      return { created: false, storageKey };
    }
    await this.driver.move(upload.uploadKey, storageKey);
    return { created: true, storageKey };
  }

  /** Removes a temporary upload; a no-op once it was promoted. */
  async discard(upload: ReceivedUpload): Promise<void> {
    await this.driver.delete(upload.uploadKey);
  }

  async remove(digest: string): Promise<void> {
    await this.driver.delete(blobKey(digestHex(digest)));
  }

  async open(digest: string, range?: ByteRange): Promise<StoredObjectStream> {
    return this.driver.get(blobKey(digestHex(digest)), range);
  }

  /**
   * The whole blob in a buffer of its own (so that it can be moved to a worker
   * thread), checked against the size recorded for it.
   */
  async readAll(digest: string, size: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(size);
    const { body } = await this.open(digest);
    let offset = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (offset + chunk.length > size) {
        body.destroy();
        throw new Error(`blob ${digest} is larger than its recorded ${size} bytes`);
      }
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    if (offset !== size) throw new Error(`blob ${digest} has ${offset} bytes, ${size} recorded`);
    return bytes;
  }

  async stat(digest: string): Promise<StoredObjectInfo | null> {
    return this.driver.head(blobKey(digestHex(digest)));
  }

  async signedUrl(digest: string, expiresInSeconds: number): Promise<string | null> {
    return this.driver.signedUrl(blobKey(digestHex(digest)), expiresInSeconds);
  }

  /**
   * Deletes temporary uploads and the driver's partial writes older than
   * `olderThanMs`, left by crashed or killed processes.
   */
  async sweepAbandonedUploads(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = await this.driver.sweepPartialWrites(olderThanMs);
    for await (const object of this.driver.list('uploads/')) {
      if (now - object.lastModified.getTime() > olderThanMs) {
        await this.driver.delete(object.key);
        removed += 1;
      }
    }
    return removed;
  }
}

export class UploadAbortedError extends Error {
  constructor() {
    super('the client closed the connection before the module was fully sent');
    this.name = 'UploadAbortedError';
  }
}
