import type { StorageConfig } from '../../config/index.js';
import type { ByteRange, StoredObjectStream } from '../../storage/index.js';
import type { BlobStore } from './blob-store.js';
import { LRUCache } from 'lru-cache';
import { ModuleBytesCache } from './module-bytes-cache.js';

// One URL per module served recently; a few hundred bytes each.
const SIGNED_URLS_KEPT = 10_000;

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
  /**
   * Presigned URLs handed out again for half their validity: signing (SigV4) costs more than the rest of a
   * redirect, and a URL reused late still leaves a client half the TTL to start its download.
   */
  private readonly signed: LRUCache<string, string> | null;

  constructor(
    private readonly blobs: DeliverableBlobs,
    /** 0: always stream. Otherwise presigned URLs valid this long, when the driver can make them. */
    private readonly presignedTtlSeconds: number,
    /** What modules served from here may keep in memory (0 keeps none), and for how long before storage is read again. */
    cache: { bytes: number; ttlMs?: number; onMismatch?: (digest: string) => void } = { bytes: 0 },
  ) {
    this.memory = new ModuleBytesCache(cache.bytes, (digest, size) => this.blobs.readAll(digest, size), cache.onMismatch, cache.ttlMs);
    this.signed = presignedTtlSeconds > 0 ? new LRUCache({ max: SIGNED_URLS_KEPT, ttl: (presignedTtlSeconds * 1000) / 2 }) : null;
  }

  static fromConfig(blobs: DeliverableBlobs, storage: StorageConfig, cache: { bytes: number; ttlMs: number; onMismatch?: (digest: string) => void }): ModuleDelivery {
    // Only S3 presigns; S3_PRESIGNED_DOWNLOAD_TTL=0 (the default) keeps every byte going through the registry.
    return new ModuleDelivery(blobs, storage.kind === 's3' ? storage.presignedDownloadTtlSeconds : 0, cache);
  }

  /** The module stored under `digest`. Nothing is asked of storage until the response needs it. */
  source(digest: string): ModuleSource {
    return {
      redirectUrl: () => this.redirectUrl(digest),
      open: (range) => this.blobs.open(digest, range),
      stored: async () => this.memory.peek(digest) !== null || (await this.blobs.stat(digest)) !== null,
      bytes: (size) => this.memory.get(digest, size),
    };
  }

  private async redirectUrl(digest: string): Promise<string | null> {
    if (this.signed === null) return null;
    const kept = this.signed.get(digest);
    if (kept !== undefined) return kept;
    const url = await this.blobs.signedUrl(digest, this.presignedTtlSeconds);
    if (url !== null) this.signed.set(digest, url);
    return url;
  }
}
