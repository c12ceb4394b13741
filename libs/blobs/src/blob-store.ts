import { randomUUID } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { checkWasmHeader, WASM_HEADER_LENGTH, type WasmBinaryKind } from '../../analysis/index.js';
import { digestHex, formatDigest } from '../../domain/index.js';
import { blobKey, StorageNotFoundError, uploadKey, type ByteRange, type StorageDriver, type StoredObjectInfo, type StoredObjectStream } from '../../storage/index.js';
import { invalidModule, ModuleInspector, moduleTooLarge } from './module-inspector.js';

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
    await streamThrough(this.driver, key, body, inspector, 'application/wasm');
    const { digestHex: hex, size, kind } = inspector.inspected;
    return { uploadKey: key, digest: formatDigest(hex), size, kind };
  }

  /**
   * Moves a received upload to its content-addressed key. Returns false when
   * identical bytes were already stored there (the upload is then discarded).
   */
  async promote(upload: ReceivedUpload): Promise<{ created: boolean; storageKey: string }> {
    const storageKey = blobKey(digestHex(upload.digest));
    // Adopted: the bytes are in their place already.
    if (upload.uploadKey === storageKey) return { created: false, storageKey };
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
    // An adopted object is content-addressed and recorded by its owner: never the upload's to delete.
    if (upload.uploadKey === blobKey(digestHex(upload.digest))) return;
    await this.driver.delete(upload.uploadKey);
  }

  /**
   * Takes bytes already stored under their digest (an OCI layer that is the module
   * itself) as a received upload, without copying them: checked for size and for a
   * WebAssembly header as `receive` would. The caller keeps the object recorded
   * (its pushed-blob row) while the upload is in use.
   */
  async adopt(digest: string, maxSize: number): Promise<ReceivedUpload> {
    const key = blobKey(digestHex(digest));
    const info = await this.driver.head(key);
    if (info === null) throw new StorageNotFoundError(key);
    if (info.size > maxSize) throw moduleTooLarge(maxSize);
    if (info.size < WASM_HEADER_LENGTH) throw invalidModule('the module ended inside its header');
    const { body } = await this.driver.get(key, { start: 0, end: WASM_HEADER_LENGTH - 1 });
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
    const check = checkWasmHeader(Buffer.concat(chunks));
    if (!check.ok) throw invalidModule(check.reason);
    return { uploadKey: key, digest, size: info.size, kind: check.kind };
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

/**
 * Streams `body` through `through` (which checks, hashes or counts it) into
 * `key`. Rejects with the first failure (the transform's, the body's, or the
 * client's disconnect: UploadAbortedError) and then leaves nothing at `key`;
 * the request stays open, so the client still gets the answer.
 */
export async function streamThrough(driver: StorageDriver, key: string, body: Readable, through: Transform, contentType: string): Promise<void> {
  const abort = new AbortController();
  let failure: unknown = null;
  const fail = (error: unknown): void => {
    failure ??= error;
    body.unpipe(through);
    if (!through.destroyed) through.destroy(error as Error);
    abort.abort(error);
  };
  const onClose = (): void => {
    if (!body.readableEnded) fail(new UploadAbortedError());
  };
  body.on('error', fail);
  body.on('close', onClose);
  through.on('error', fail);
  body.pipe(through);
  try {
    await driver.put(key, through, { signal: abort.signal, contentType });
    if (failure !== null) throw failure;
  } catch (error) {
    await driver.delete(key).catch(() => undefined);
    throw failure ?? error;
  } finally {
    body.off('error', fail);
    body.off('close', onClose);
  }
}

export class UploadAbortedError extends Error {
  constructor() {
    super('the client closed the connection before the module was fully sent');
    this.name = 'UploadAbortedError';
  }
}
