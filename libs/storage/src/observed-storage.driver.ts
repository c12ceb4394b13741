import type { Readable } from 'node:stream';
import { inSpan, instruments, SpanKind } from '../../telemetry/index.js';
import { StorageNotFoundError, type ByteRange, type PutOptions, type StorageDriver, type StoredObjectInfo, type StoredObjectStream } from './storage.driver.js';

type Operation = 'put' | 'get' | 'head' | 'delete' | 'move' | 'signed_url' | 'sweep' | 'check';

/**
 * Any driver, with a client span per call (when tracing) and `registry.storage.errors` counted by
 * kind and operation. A missing object or a range past the end is an answer, not an error. Keys go into spans (they name
 * digests, never secrets); signed URLs never do.
 */
export class ObservedStorageDriver implements StorageDriver {
  readonly kind;

  constructor(private readonly driver: StorageDriver) {
    this.kind = driver.kind;
  }

  put(key: string, body: Readable, options?: PutOptions): Promise<void> {
    // A body that failed (an upload refused while it streams, a client gone) is not storage's error.
    return this.observe('put', key, () => this.driver.put(key, body, options), () => body.errored !== null || body.destroyed);
  }
  get(key: string, range?: ByteRange): Promise<StoredObjectStream> {
    return this.observe('get', key, () => this.driver.get(key, range));
  }
  head(key: string): Promise<StoredObjectInfo | null> {
    return this.observe('head', key, () => this.driver.head(key));
  }
  delete(key: string): Promise<void> {
    return this.observe('delete', key, () => this.driver.delete(key));
  }
  move(from: string, to: string): Promise<void> {
    return this.observe('move', to, () => this.driver.move(from, to));
  }
  list(prefix: string): AsyncIterable<StoredObjectInfo> {
    return this.driver.list(prefix);
  }
  signedUrl(key: string, expiresInSeconds: number): Promise<string | null> {
    return this.observe('signed_url', key, () => this.driver.signedUrl(key, expiresInSeconds));
  }
  sweepPartialWrites(olderThanMs: number): Promise<number> {
    return this.observe('sweep', null, () => this.driver.sweepPartialWrites(olderThanMs));
  }
  check(): Promise<void> {
    return this.observe('check', null, () => this.driver.check());
  }
  close(): Promise<void> {
    return this.driver.close();
  }

  private async observe<T>(operation: Operation, key: string | null, call: () => Promise<T>, notStorage: () => boolean = () => false): Promise<T> {
    const attributes = { 'registry.storage.kind': this.kind, 'registry.storage.operation': operation, ...(key === null ? {} : { 'registry.storage.key': key }) };
    try {
      return await inSpan(`storage.${operation}`, { kind: SpanKind.CLIENT, attributes }, call);
    } catch (error) {
      if (!(error instanceof StorageNotFoundError) && !(error instanceof RangeError) && !notStorage()) instruments().storageErrors.add(1, { 'registry.storage.kind': this.kind, 'registry.storage.operation': operation });
      throw error;
    }
  }
}
