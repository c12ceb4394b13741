import { Readable } from 'node:stream';
import { StorageNotFoundError, type ByteRange, type StoredObjectInfo, type StoredObjectStream } from '../../storage/index.js';
import type { DeliverableBlobs } from '../src/module-delivery.js';

/** Modules in memory, by digest; signs URLs as an object store would, and records what was asked. */
export class FakeBlobs implements DeliverableBlobs {
  readonly modules = new Map<string, Buffer>();
  readonly signed: { digest: string; expiresInSeconds: number }[] = [];
  /** Null: a driver that cannot hand out URLs (the filesystem). */
  signingBase: string | null = 'https://bucket.example/';

  put(digest: string, bytes: Buffer): this {
    this.modules.set(digest, bytes);
    return this;
  }

  async open(digest: string, range?: ByteRange): Promise<StoredObjectStream> {
    const bytes = this.modules.get(digest);
    if (bytes === undefined) throw new StorageNotFoundError(digest);
    const part = range === undefined ? bytes : bytes.subarray(range.start, range.end + 1);
    return { body: Readable.from([part], { objectMode: false }), size: bytes.length, ...(range !== undefined ? { range } : {}) };
  }

  async stat(digest: string): Promise<StoredObjectInfo | null> {
    const bytes = this.modules.get(digest);
    return bytes === undefined ? null : { key: digest, size: bytes.length, lastModified: new Date(0) };
  }

  async signedUrl(digest: string, expiresInSeconds: number): Promise<string | null> {
    this.signed.push({ digest, expiresInSeconds });
    return this.signingBase === null ? null : `${this.signingBase}${digest}?expires=${expiresInSeconds}`;
  }
}
