import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { STORAGE_DRIVER, streamThrough } from '../../blobs/index.js';
import { digestHex } from '../../domain/index.js';
import { blobKey, ociUploadChunkKey, ociUploadPrefix, uploadKey, type StorageDriver } from '../../storage/index.js';
import { DigestCounter } from './digest-counter.js';

/** Bytes written to storage, hashed on the way. */
export interface WrittenObject {
  key: string;
  size: number;
  digest: string;
}

export interface ByteLimit {
  maxBytes: number;
  tooLarge: () => Error;
}

/**
 * The storage side of OCI uploads (all I/O): chunks of a session, the
 * temporary object a finished upload is assembled in, and its move to the
 * content-addressed key `blobs/sha256/<hex>` that modules use too.
 */
@Injectable()
export class UploadObjects {
  constructor(@Inject(STORAGE_DRIVER) private readonly driver: StorageDriver) {}

  /** Stores one chunk of a session, hashed (a session of one chunk needs no second pass). */
  writeChunk(sessionId: string, chunk: number, body: Readable, limit: ByteLimit): Promise<WrittenObject> {
    return this.write(ociUploadChunkKey(sessionId, chunk), body, limit);
  }

  /** Streams a whole blob (a monolithic upload) into a temporary object. */
  receive(body: Readable, limit: ByteLimit): Promise<WrittenObject> {
    return this.write(uploadKey(randomUUID()), body, limit);
  }

  /** Assembles a session's chunks, then `tail` (the last request's body), into a temporary object. */
  assemble(sessionId: string, chunks: number, tail: Readable | null, limit: ByteLimit): Promise<WrittenObject> {
    const driver = this.driver;
    async function* parts(): AsyncGenerator<Buffer> {
      for (let chunk = 1; chunk <= chunks; chunk++) {
        const { body } = await driver.get(ociUploadChunkKey(sessionId, chunk));
        for await (const piece of body as AsyncIterable<Buffer>) yield piece;
      }
      if (tail !== null) for await (const piece of tail as AsyncIterable<Buffer>) yield piece;
    }
    // A client that goes away mid-tail fails the generator, hence the write.
    return this.write(uploadKey(randomUUID()), Readable.from(parts(), { objectMode: false }), limit);
  }

  /** The single chunk of a session, as the temporary object to promote (no copy). */
  chunkKey(sessionId: string, chunk: number): string {
    return ociUploadChunkKey(sessionId, chunk);
  }

  /**
   * Moves a verified temporary object to its content-addressed key, or drops it
   * when the same bytes are there already. Call holding the digest's lock.
   */
  async promote(key: string, digest: string, size: number): Promise<void> {
    const target = blobKey(digestHex(digest));
    const existing = await this.driver.head(target);
    if (existing !== null && existing.size === size) return this.driver.delete(key);
    await this.driver.move(key, target);
  }

  async discard(key: string): Promise<void> {
    await this.driver.delete(key);
  }

  /** Whether the content-addressed object of `digest` is in storage (a mount needs the bytes, not only a row). */
  async stored(digest: string): Promise<boolean> {
    return (await this.driver.head(blobKey(digestHex(digest)))) !== null;
  }

  /** Deletes every chunk of a session (what is left of it after it finished, was cancelled or expired). */
  async deleteChunks(sessionId: string): Promise<void> {
    for await (const object of this.driver.list(ociUploadPrefix(sessionId))) await this.driver.delete(object.key);
  }

  /** Deletes a blob's content-addressed object. Call holding the digest's lock, once nothing records it. */
  async removeBlob(digest: string): Promise<void> {
    await this.driver.delete(blobKey(digestHex(digest)));
  }

  /** Writes `body` to `key` through a DigestCounter; a client gone mid-body or a limit crossed leaves nothing at `key`. */
  private async write(key: string, body: Readable, limit: ByteLimit): Promise<WrittenObject> {
    const counter = new DigestCounter(limit.maxBytes, limit.tooLarge);
    await streamThrough(this.driver, key, body, counter, 'application/octet-stream');
    return { key, size: counter.size, digest: counter.digest };
  }
}
