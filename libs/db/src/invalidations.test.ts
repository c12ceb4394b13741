import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../testing/postgres-server.js';
import { openDatabase, type Database } from './database.js';
import { InvalidatedCache, Invalidations, notifyInvalidation, type Invalidation, type VersionDeleted } from './invalidations.js';
import { applyMigrations } from './migrations.js';

const migrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
const deleted: VersionDeleted = { kind: 'version_deleted', namespace: 'acme', plugin: 'jwt', version: '1.0.0', versionId: 'v1', digest: 'sha256:aa' };
// Short timings, so that a lost connection is found and replaced quickly.
const timings = { heartbeatMs: 200, retryMs: 50, maxRetryMs: 200 };

function listen(invalidations: Invalidations): Invalidation[] {
  const heard: Invalidation[] = [];
  invalidations.subscribe((event) => heard.push(event));
  return heard;
}

describe('Invalidations on PostgreSQL: every process hears a committed change', () => {
  let server: PostgresServer;
  let db: Database;
  let processes: Invalidations[];

  beforeAll(async () => {
    server = await startPostgres();
    db = await openDatabase({ kind: 'postgres', url: server.url }, { poolSize: 4 });
    await applyMigrations(db, migrationsDir);
    // Two API processes' listeners.
    processes = [new Invalidations(db, timings), new Invalidations(db, timings)];
    await Promise.all(processes.map((p) => p.onModuleInit()));
  });
  afterAll(async () => {
    await Promise.all((processes ?? []).map((p) => p.onApplicationShutdown()));
    await db?.close();
    await server?.stop();
  });

  it('delivers a change to every listener when its transaction commits, and nothing when it rolls back', async () => {
    const heard = processes.map(listen);
    await db.prisma.$transaction(async (tx) => {
      await notifyInvalidation(tx, deleted);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Not before the commit.
      expect(heard).toEqual([[], []]);
    });
    await expect.poll(() => heard, { timeout: 5_000 }).toEqual([[deleted], [deleted]]);
    await db.prisma
      .$transaction(async (tx) => {
        await notifyInvalidation(tx, { ...deleted, version: '2.0.0' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual([[deleted], [deleted]]);
  });

  it('tells subscribers "everything" when its connection is lost, keeps caches off until it is back, then hears changes again', async () => {
    const [process] = processes as [Invalidations, Invalidations];
    const heard: { event: Invalidation; live: boolean }[] = [];
    process.subscribe((event) => heard.push({ event, live: process.live }));
    const cache = new InvalidatedCache<string>(process, 10, 60_000, () => true);
    await cache.getOrLoad('k', async () => 'before');
    await db.prisma.$executeRawUnsafe("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'registry-invalidations'");
    // Once on losing it (caches off), once on getting it back.
    const everything = { kind: 'everything' };
    await expect.poll(() => heard, { timeout: 5_000 }).toEqual([{ event: everything, live: false }, { event: everything, live: true }]);
    expect(await cache.getOrLoad('k', async () => 'after')).toBe('after');
    heard.length = 0;
    await db.prisma.$transaction((tx) => notifyInvalidation(tx, deleted));
    await expect.poll(() => heard, { timeout: 5_000 }).toEqual([{ event: deleted, live: true }]);
  });
});

describe('Invalidations on PGlite', () => {
  it('delivers committed changes in-process through PGlite\'s listen', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    const invalidations = new Invalidations(db);
    try {
      await invalidations.onModuleInit();
      expect(invalidations.live).toBe(true);
      const heard = listen(invalidations);
      await db.prisma.$transaction((tx) => notifyInvalidation(tx, deleted));
      await db.prisma.$transaction(async (tx) => {
        await notifyInvalidation(tx, { ...deleted, version: '2.0.0' });
        throw new Error('roll back');
      }).catch(() => undefined);
      await expect.poll(() => heard, { timeout: 5_000 }).toEqual([deleted]);
    } finally {
      await invalidations.onApplicationShutdown();
      await db.close();
    }
  });
});

describe('watchVersion: the alarm of a long poll', () => {
  it('rings when its version settles or is deleted, not for another version; a change before next() is not lost', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    const invalidations = new Invalidations(db);
    const settled = (version: string) =>
      db.prisma.$transaction((tx) => notifyInvalidation(tx, { kind: 'version_settled', namespace: 'acme', plugin: 'jwt', version, versionId: `id-${version}` }));
    // Resolves to whether the alarm rang before `ms` (a minute: only a missed notice would take that long).
    const rings = (watch: { next(ms: number): Promise<void> }, ms = 60_000) => {
      const started = Date.now();
      return watch.next(ms).then(() => Date.now() - started < ms);
    };
    try {
      await invalidations.onModuleInit();
      const watch = invalidations.watchVersion({ namespace: 'acme', plugin: 'jwt', version: '1.0.0' });
      const ringing = rings(watch);
      await settled('1.0.0');
      expect(await ringing).toBe(true);

      // Another version's notice leaves it silent until its timeout.
      const other = rings(watch, 300);
      await settled('2.0.0');
      expect(await other).toBe(false);

      // Settled before the poll waits again: the next wait returns at once.
      await settled('1.0.0');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await rings(watch)).toBe(true);

      await db.prisma.$transaction((tx) => notifyInvalidation(tx, deleted));
      expect(await rings(watch)).toBe(true);
      watch.close();
    } finally {
      await invalidations.onApplicationShutdown();
      await db.close();
    }
  });

  it('does not make caches drop what they hold', async () => {
    const subscribers: ((event: Invalidation) => void)[] = [];
    const fake = { live: true, subscribe: (s: (event: Invalidation) => void) => subscribers.push(s) };
    const cache = new InvalidatedCache<string>(fake as unknown as Invalidations, 10, 60_000, () => true);
    await cache.getOrLoad('k', async () => 'kept');
    subscribers.forEach((s) => s({ kind: 'version_settled', namespace: 'acme', plugin: 'jwt', version: '1.0.0', versionId: 'v1' }));
    expect(await cache.getOrLoad('k', async () => 'reloaded')).toBe('kept');
  });
});

describe('InvalidatedCache', () => {
  /** A stand-in for the channel: tests emit by hand. */
  function channel() {
    const subscribers: ((event: Invalidation) => void)[] = [];
    const fake = { live: true, subscribe: (s: (event: Invalidation) => void) => subscribers.push(s), emit: (e: Invalidation) => subscribers.forEach((s) => s(e)) };
    return fake;
  }

  it('drops the entries a change names, and everything on "everything"', async () => {
    const invalidations = channel();
    const cache = new InvalidatedCache<string>(invalidations as unknown as Invalidations, 10, 60_000, (key, change) => key.startsWith(`${change.namespace}/`));
    await cache.getOrLoad('acme/a', async () => 'a');
    await cache.getOrLoad('edge/b', async () => 'b');
    invalidations.emit(deleted);
    expect(await cache.getOrLoad('acme/a', async () => 'a2')).toBe('a2');
    expect(await cache.getOrLoad('edge/b', async () => 'b2')).toBe('b');
    invalidations.emit({ kind: 'everything' });
    expect(await cache.getOrLoad('edge/b', async () => 'b3')).toBe('b3');
  });

  it('does not keep an answer whose load overlapped a change (it may have read the row before the delete)', async () => {
    const invalidations = channel();
    const cache = new InvalidatedCache<string>(invalidations as unknown as Invalidations, 10, 60_000, () => true);
    const stale = cache.getOrLoad('k', async () => {
      invalidations.emit(deleted);
      return 'read before the delete';
    });
    expect(await stale).toBe('read before the delete');
    expect(await cache.getOrLoad('k', async () => 'fresh')).toBe('fresh');
  });

  it('keeps nothing while changes could be missed', async () => {
    const invalidations = channel();
    const cache = new InvalidatedCache<string>(invalidations as unknown as Invalidations, 10, 60_000, () => true);
    invalidations.live = false;
    await cache.getOrLoad('k', async () => 'one');
    expect(await cache.getOrLoad('k', async () => 'two')).toBe('two');
  });
});
