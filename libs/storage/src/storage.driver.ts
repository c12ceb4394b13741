import type { Readable } from 'node:stream';

/**
 * The only seam through which the registry talks to blob storage. Drivers move
 * bytes and know nothing about digests, versions or plugins; keys are relative
 * paths such as `blobs/sha256/<hex>` and are validated by every driver.
 */
export interface StorageDriver {
  /** "filesystem" or "s3", for logs and health reports. */
  readonly kind: StorageKind;

  /**
   * Writes the stream to `key`, replacing anything there. Resolves once the bytes
   * are durable; a put that fails leaves whatever was at `key` before.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<void>;

  /**
   * Opens `key` for reading, optionally a byte range. Rejects with StorageNotFoundError
   * when absent; an end past the last byte is clamped, a start at or past it is a RangeError.
   */
  get(key: string, range?: ByteRange): Promise<StoredObjectStream>;

  /** Size and modification time of `key`, or null when absent. */
  head(key: string): Promise<StoredObjectInfo | null>;

  /** Removes `key`; removing an absent key is not an error. */
  delete(key: string): Promise<void>;

  /**
   * Moves `from` to `to` so that a reader of `to` sees either nothing or the whole
   * object. Used to promote a verified upload into its content-addressed place.
   */
  move(from: string, to: string): Promise<void>;

  /** Every object whose key starts with `prefix` (a string prefix, as in S3), in no set order. */
  list(prefix: string): AsyncIterable<StoredObjectInfo>;

  /**
   * A short-lived URL from which a client can read `key` directly, or null when
   * the driver cannot hand out such URLs (the filesystem).
   */
  signedUrl(key: string, expiresInSeconds: number): Promise<string | null>;

  /**
   * Removes the driver's own partial writes (temporary files, unfinished
   * multipart uploads) older than `olderThanMs`: what a killed process leaves.
   * Returns how many were removed.
   */
  sweepPartialWrites(olderThanMs: number): Promise<number>;

  /** Throws when the storage cannot be reached; for readiness checks. */
  check(): Promise<void>;

  /** Releases sockets and handles. */
  close(): Promise<void>;
}

export type StorageKind = 'filesystem' | 's3';

export interface PutOptions {
  contentType?: string;
  /**
   * Aborting while the body is still being read stops the write: put rejects with
   * the signal's reason and leaves nothing new at `key`. An abort after the whole
   * body was read may come too late, and put then resolves.
   */
  signal?: AbortSignal;
}

/** Inclusive byte offsets, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface StoredObjectStream {
  body: Readable;
  /** Size of the whole object, not of the range. */
  size: number;
  range?: ByteRange;
}

export class StorageNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored object at ${key}`);
    this.name = 'StorageNotFoundError';
  }
}

export class UnsafeStorageKeyError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`refused storage key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'UnsafeStorageKeyError';
  }
}
