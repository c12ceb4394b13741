import { createHash } from 'node:crypto';
import { instruments } from '../../telemetry/index.js';
import { LRUCache } from 'lru-cache';

/** How the cache reads a whole module from storage: exactly `size` bytes, or a rejection. */
export type ReadWholeModule = (digest: string, size: number) => Promise<Uint8Array>;

// One module may take at most this share of the budget, so that a large one cannot empty the cache.
const LARGEST_SHARE = 4;

/**
 * Modules by digest, in memory, within a byte budget (least recently used go
 * first). It rests on content addressing: the bytes stored under a digest never
 * change, so what is cached is never stale, and each module is checked against
 * its digest before it is kept. Whether a module may be served at all is not
 * decided here (the download target and its mark are): a deleted version's bytes
 * are dropped only to give the memory back. Entries are read again from storage
 * after `ttlMs`, so that an object storage lost is found (and answered 404) within it.
 */
export class ModuleBytesCache {
  private readonly cache: LRUCache<string, Buffer> | null;
  private readonly loading = new Map<string, Promise<Buffer | null>>();
  readonly largestModule: number;

  constructor(
    readonly budgetBytes: number,
    private readonly readWhole: ReadWholeModule,
    private readonly onMismatch: (digest: string) => void = () => undefined,
    ttlMs = 60_000,
  ) {
    this.largestModule = Math.floor(budgetBytes / LARGEST_SHARE);
    this.cache =
      budgetBytes > 0 ? new LRUCache<string, Buffer>({ maxSize: budgetBytes, sizeCalculation: (bytes) => Math.max(1, bytes.length), ttl: ttlMs, ttlAutopurge: false }) : null;
  }

  private readonly lookups = instruments().moduleCacheLookups;

  /** The cached bytes, or null (nothing read from storage). */
  peek(digest: string): Buffer | null {
    return this.cache?.get(digest) ?? null;
  }

  /**
   * The module's bytes from memory, read from storage first if they fit the
   * budget; null when they do not (the caller streams them instead). Concurrent
   * first requests share one read. Storage errors reject (StorageNotFoundError
   * for a missing object); bytes that do not hash to the digest are not cached, and
   * null is answered so that the caller streams as it did before the cache.
   */
  async get(digest: string, size: number): Promise<Buffer | null> {
    const cached = this.peek(digest);
    if (cached !== null) {
      this.lookups.add('hit');
      return cached;
    }
    if (this.cache === null || size > this.largestModule) return null;
    this.lookups.add('miss');
    let load = this.loading.get(digest);
    if (load === undefined) {
      load = this.load(digest, size).finally(() => this.loading.delete(digest));
      this.loading.set(digest, load);
    }
    return load;
  }

  forget(digest: string): void {
    this.cache?.delete(digest);
  }

  /** Bytes held now (what the budget bounds). */
  get heldBytes(): number {
    return this.cache?.calculatedSize ?? 0;
  }

  private async load(digest: string, size: number): Promise<Buffer | null> {
    const read = await this.readWhole(digest, size);
    const bytes = Buffer.from(read.buffer, read.byteOffset, read.byteLength);
    if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest) {
      this.onMismatch(digest);
      return null;
    }
    this.cache!.set(digest, bytes);
    return bytes;
  }
}
