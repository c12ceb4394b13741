import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { TtlCache } from '../../domain/index.js';
import { DATABASE } from './database.module.js';
import type { Database } from './database.js';

/** The PostgreSQL channel every API process listens on. */
export const INVALIDATION_CHANNEL = 'registry_invalidations';

/** A committed change that may make what a process cached wrong. */
export interface VersionDeleted {
  kind: 'version_deleted';
  namespace: string;
  plugin: string;
  version: string;
  versionId: string;
  digest: string;
}

/** A version left `pending` (ready, rejected or failed): an answer waiting for that can be given now. */
export interface VersionSettled {
  kind: 'version_settled';
  namespace: string;
  plugin: string;
  version: string;
  versionId: string;
}

/** What subscribers hear: a change, or `everything` when notifications may have been missed. */
export type Invalidation = VersionDeleted | VersionSettled | { kind: 'everything' };

/**
 * Announces `change` to every API process, this one included, when the caller's
 * transaction commits (PostgreSQL holds NOTIFYs until then, and drops them on rollback).
 */
export async function notifyInvalidation(
  tx: { $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number> },
  change: VersionDeleted | VersionSettled,
): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${INVALIDATION_CHANNEL}, ${JSON.stringify(change)})`;
}

export interface InvalidationTimings {
  /** How often the listening connection is probed; a silent stall is found within this plus the probe's timeout. */
  heartbeatMs: number;
  /** First wait before reconnecting; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
}

const DEFAULT_TIMINGS: InvalidationTimings = { heartbeatMs: 5_000, retryMs: 250, maxRetryMs: 10_000 };

/** Optional provider of other timings (tests). */
export const INVALIDATION_TIMINGS = Symbol('InvalidationTimings');

/**
 * The one seam through which caches hear that what they hold may be stale, and
 * long polls that the version they wait for has settled. API
 * processes share the database, so a change NOTIFYs inside its transaction and
 * each process LISTENs on a connection of its own (PGlite, one process, through
 * its listen(): the same path). While that connection is down, `live` is false
 * and caches keep nothing; losing it and getting it back both tell subscribers
 * `everything`, since notifications sent meanwhile are lost.
 */
@Injectable()
export class Invalidations implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Invalidations');
  private readonly subscribers = new Set<(event: Invalidation) => void>();
  private connected = false;
  private closing = false;
  private client: pg.Client | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private retryMs: number;
  private readonly timings: InvalidationTimings;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Optional() @Inject(INVALIDATION_TIMINGS) timings: InvalidationTimings | null = null,
  ) {
    this.timings = timings ?? DEFAULT_TIMINGS;
    this.retryMs = this.timings.retryMs;
  }

  /** Whether every committed change reaches this process now; caches keep nothing while it is false. */
  get live(): boolean {
    return this.connected;
  }

  subscribe(subscriber: (event: Invalidation) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /**
   * A long poll's alarm for one version: `next(ms)` resolves when the version may
   * have changed (settled, deleted, or notifications were lost) since the last
   * call, or after `ms`. Watch before reading the version, so that a change
   * between the read and the wait is not missed. Close it when done.
   */
  watchVersion(coordinates: { namespace: string; plugin: string; version: string }): { next(timeoutMs: number): Promise<void>; close(): void } {
    let changed = false;
    let wake: (() => void) | null = null;
    const unsubscribe = this.subscribe((event) => {
      const same = event.kind === 'everything' || (event.namespace === coordinates.namespace && event.plugin === coordinates.plugin && event.version === coordinates.version);
      if (same) {
        changed = true;
        wake?.();
      }
    });
    return {
      next: (timeoutMs) =>
        new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            wake = null;
            changed = false;
            resolve();
          };
          const timer = setTimeout(done, changed ? 0 : timeoutMs);
          wake = done;
        }),
      close: () => {
        unsubscribe();
        wake?.();
      },
    };
  }

  async onModuleInit(): Promise<void> {
    if (this.database.kind === 'pglite') {
      // Never unlistened: PGlite closes with the process, and an UNLISTEN racing its close can hang.
      await this.database.pglite.listen(INVALIDATION_CHANNEL, (payload) => this.deliver(payload));
      this.connected = true;
      return;
    }
    await this.listen(this.database.url);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.connected = false;
    if (this.retry !== null) clearTimeout(this.retry);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    await this.client?.end().catch(() => undefined);
  }

  /** Connects and LISTENs; false (and a retry scheduled) when that failed. */
  private async listen(url: string): Promise<boolean> {
    const client = new pg.Client({ connectionString: url, keepAlive: true, query_timeout: this.timings.heartbeatMs, application_name: 'registry-invalidations' });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === INVALIDATION_CHANNEL && message.payload !== undefined) this.deliver(message.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return false;
    }
    if (this.client !== client || this.closing) return false;
    this.connected = true;
    this.retryMs = this.timings.retryMs;
    // What was cached before (re)connecting may have missed a notification.
    this.emit({ kind: 'everything' });
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => this.lost(client, error));
    }, this.timings.heartbeatMs).unref();
    return true;
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.closing || this.client !== client) return;
    this.client = null;
    const wasConnected = this.connected;
    this.connected = false;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    void client.end().catch(() => undefined);
    this.emit({ kind: 'everything' });
    if (wasConnected) this.logger.warn(`lost the connection that hears of deletions in other processes (${String(error)}); caches are off until it is back`);
    if (this.database.kind !== 'postgres') return;
    const url = this.database.url;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.listen(url).then((ok) => ok && this.logger.log('listening for deletions in other processes again'));
    }, this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(this.retryMs * 2, this.timings.maxRetryMs);
  }

  private deliver(payload: string): void {
    if (this.closing) return;
    let event: Invalidation;
    try {
      event = JSON.parse(payload) as Invalidation;
    } catch {
      event = { kind: 'everything' };
    }
    this.emit(event);
  }

  private emit(event: Invalidation): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        this.logger.error(`an invalidation subscriber failed: ${String(error)}`);
      }
    }
  }
}

/**
 * A TtlCache that drops what an invalidation names (`stale` decides), keeps
 * nothing while invalidations could be missed, and never stores an answer whose
 * load overlapped an invalidation (it may have read the row before the change).
 */
export class InvalidatedCache<V> {
  private readonly cache: TtlCache<string, V>;
  private generation = 0;

  constructor(
    private readonly invalidations: Invalidations,
    maxEntries: number,
    ttlMs: number,
    stale: (key: string, change: VersionDeleted) => boolean,
  ) {
    this.cache = new TtlCache(maxEntries, ttlMs);
    invalidations.subscribe((event) => {
      // A version leaving pending changes nothing a cache may hold (only what cannot change is cached).
      if (event.kind === 'version_settled') return;
      this.generation += 1;
      if (event.kind === 'everything') this.cache.clear();
      else this.cache.deleteWhere((key) => stale(key, event));
    });
  }

  /** `keep` says whether a loaded value may be cached (what can change without a version deletion must not). */
  async getOrLoad(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const value = await load();
    if (this.invalidations.live && generation === this.generation && keep(value)) this.cache.set(key, value);
    return value;
  }

  forget(key: string): void {
    this.cache.delete(key);
  }
}
