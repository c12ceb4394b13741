import type { StorageConfig } from '../../config/index.js';
import type { ByteRange, StoredObjectStream } from '../../storage/index.js';
import type { BlobStore } from './blob-store.js';
import { ModuleBytesCache } from './module-bytes-cache.js';

/** One stored module as a response sees it: a URL to send the client to, or the bytes to stream from here. */
export interface ModuleSource {
  /** A short-lived object-store URL to redirect a GET to, or null to stream the bytes from here. */
  redirectUrl(): Promise<string | null>;
  /** Rejects with StorageNotFoundError when storage has no object for the module. */
  open(range?: ByteRange): Promise<StoredObjectStream>;
  /** Whether storage has the object; HEAD asks this instead of opening it. */
  stored(): Promise<boolean>;
  /**
   * The whole module from memory (read and checked against its digest on first
   * use), or null when it is not kept in memory: then the caller opens a stream.
   */
  bytes(size: number): Promise<Buffer | null>;
}

/** What delivery needs of the blob store. */
export type DeliverableBlobs = Pick<BlobStore, 'open' | 'stat' | 'signedUrl' | 'readAll'>;

/**
 * How modules leave storage, decided in one place for every route that serves
 * them (/api/v1 by version or digest, /v2 layers): like Docker Distribution's
 * redirect middleware around its storage driver, handlers ask for a source and
 * never decide themselves whether to presign.
 */
export class ModuleDelivery {
  readonly memory: ModuleBytesCache;

  constructor(
    private readonly blobs: DeliverableBlobs,
    /** 0: always stream. Otherwise presigned URLs valid this long, when the driver can make them. */
    private readonly presignedTtlSeconds: number,
    /** What modules served from here may keep in memory (0 keeps none), and for how long before storage is read again. */
    cache: { bytes: number; ttlMs?: number; onMismatch?: (digest: string) => void } = { bytes: 0 },
  ) {
    this.memory = new ModuleBytesCache(cache.bytes, (digest, size) => this.blobs.readAll(digest, size), cache.onMismatch, cache.ttlMs);
  }

  static fromConfig(blobs: DeliverableBlobs, storage: StorageConfig, cache: { bytes: number; ttlMs: number; onMismatch?: (digest: string) => void }): ModuleDelivery {
    // Only S3 presigns; S3_PRESIGNED_DOWNLOAD_TTL=0 (the default) keeps every byte going through the registry.
    return new ModuleDelivery(blobs, storage.kind === 's3' ? storage.presignedDownloadTtlSeconds : 0, cache);
  }

  /** The module stored under `digest`. Nothing is asked of storage until the response needs it. */
  source(digest: string): ModuleSource {
    return {
      redirectUrl: () => (this.presignedTtlSeconds > 0 ? this.blobs.signedUrl(digest, this.presignedTtlSeconds) : Promise.resolve(null)),
      open: (range) => this.blobs.open(digest, range),
      stored: async () => this.memory.peek(digest) !== null || (await this.blobs.stat(digest)) !== null,
      bytes: (size) => this.memory.get(digest, size),
    };
  }
}
