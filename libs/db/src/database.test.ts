import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../testing/postgres-server.js';
import { initDataDir, openDatabase, type Database } from './database.js';
import { applyMigrations } from './migrations.js';

const migrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

async function seedVersion(db: Database, namespace: string): Promise<string> {
  const digest = `sha256:${namespace.padEnd(64, '0')}`;
  const version = await db.prisma.version.create({
    data: {
      version: '1.0.0',
      size: 3,
      plugin: { create: { name: 'demo', namespace: { create: { name: namespace } } } },
      blob: { create: { digest, size: 3, storageKey: `blobs/${digest}` } },
    },
  });
  return version.id;
}

describe('openDatabase with PostgreSQL', () => {
  let server: PostgresServer;
  let db: Database;

  beforeAll(async () => {
    server = await startPostgres();
    db = await openDatabase({ kind: 'postgres', url: server.url }, { poolSize: 4 });
    await applyMigrations(db, migrationsDir);
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it('pings and round-trips through Prisma', async () => {
    expect(db.kind).toBe('postgres');
    await db.ping();
    const versionId = await seedVersion(db, 'acme');
    const found = await db.prisma.version.findUniqueOrThrow({ where: { id: versionId }, include: { plugin: { include: { namespace: true } } } });
    expect(found.plugin.namespace.name).toBe('acme');
    expect(found.status).toBe('pending');
  });

  it('uses a pool of the requested size', async () => {
    if (db.kind !== 'postgres') throw new Error('expected postgres');
    const pool = db.pool;
    // Hold four connections at once; a fifth checkout must wait.
    const clients = await Promise.all([1, 2, 3, 4].map(() => pool.connect()));
    let gotFifth = false;
    const fifth = pool.connect().then((c) => ((gotFifth = true), c));
    await new Promise((r) => setTimeout(r, 200));
    expect(gotFifth).toBe(false);
    clients[0]!.release();
    (await fifth).release();
    for (const c of clients.slice(1)) c.release();
  });

  it('rejects ping when the server is unreachable', async () => {
    const unreachable = await openDatabase({ kind: 'postgres', url: 'postgresql://postgres@127.0.0.1:1/postgres' });
    try {
      await expect(unreachable.ping()).rejects.toThrow();
    } finally {
      await unreachable.close();
    }
  });
});

describe('openDatabase with PGlite', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps data on disk across a reopen, creating the directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pglite-test-'));
    dirs.push(root);
    const dataDir = join(root, 'nested', 'pglite');
    const first = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(first.kind).toBe('pglite');
      expect(existsSync(dataDir)).toBe(true);
      await first.ping();
      await applyMigrations(first, migrationsDir);
      await seedVersion(first, 'persisted');
      // A second opener of the same directory would corrupt it.
      await expect(openDatabase({ kind: 'pglite', dataDir })).rejects.toThrow(/already open/);
    } finally {
      await first.close();
    }
    expect(existsSync(`${dataDir}.lock`)).toBe(false);

    const second = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const namespaces = await second.prisma.namespace.findMany({ select: { name: true } });
      expect(namespaces).toEqual([{ name: 'persisted' }]);
      expect(await applyMigrations(second, migrationsDir)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  describe('an empty data directory', () => {
    afterEach(() => vi.restoreAllMocks());

    it('is created by initdb in a process of its own: this process starts one PGlite, not a second one for initdb', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pglite-initdb-'));
      dirs.push(dataDir);
      // PGlite runs initdb in another instance it makes with PGlite.create, which stays resident.
      const create = vi.spyOn(PGlite, 'create');
      const db = await openDatabase({ kind: 'pglite', dataDir });
      try {
        expect(create).toHaveBeenCalledTimes(1);
        expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
        await applyMigrations(db, migrationsDir);
        await seedVersion(db, 'initialised');
      } finally {
        await db.close();
      }
      // The second start finds the database and reuses it.
      expect(await initDataDir(dataDir)).toBe(false);
      const again = await openDatabase({ kind: 'pglite', dataDir });
      try {
        expect(await again.prisma.namespace.findMany({ select: { name: true } })).toEqual([{ name: 'initialised' }]);
      } finally {
        await again.close();
      }
    });

    it('says why when initdb fails', async () => {
      const root = mkdtempSync(join(tmpdir(), 'pglite-initdb-'));
      dirs.push(root);
      // A file where the directory should be: the child cannot create the database there.
      const dataDir = join(root, 'not-a-directory');
      writeFileSync(dataDir, 'x');
      await expect(initDataDir(dataDir)).rejects.toThrow(/creating the PGlite database at .*not-a-directory failed \(exit 1\)/);
    });
  });

  it('checkpoints on its own, so write-ahead log never piles up', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' }, { checkpointIntervalMs: 50 });
    try {
      const checkpointLsn = async () => (await db.pglite.query<{ lsn: string }>('SELECT checkpoint_lsn::text AS lsn FROM pg_control_checkpoint()')).rows[0]!.lsn;
      const before = await checkpointLsn();
      await db.pglite.exec('CREATE TABLE filler (x text); INSERT INTO filler SELECT repeat(md5(i::text), 20) FROM generate_series(1, 2000) AS i');
      await new Promise((r) => setTimeout(r, 300));
      expect(await checkpointLsn()).not.toBe(before);
    } finally {
      await db.close();
    }
  });

  it('merges GIN pending lists on its own, as autovacuum would', async () => {
    const pendingAfterInserts = async (maintenanceIntervalMs: number): Promise<number> => {
      const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' }, { checkpointIntervalMs: maintenanceIntervalMs });
      try {
        await db.pglite.exec(`CREATE TABLE docs (words text[]);
          CREATE INDEX docs_words_idx ON docs USING gin (words);
          INSERT INTO docs SELECT ARRAY[md5(i::text), md5((i + 1)::text)] FROM generate_series(1, 2000) AS i`);
        await new Promise((r) => setTimeout(r, 300));
        // Merges what is left and says how many pending pages that was.
        const { rows } = await db.pglite.query<{ pages: number }>(`SELECT gin_clean_pending_list('docs_words_idx') AS pages`);
        return Number(rows[0]!.pages);
      } finally {
        await db.close();
      }
    };
    expect(await pendingAfterInserts(3_600_000)).toBeGreaterThan(0);
    expect(await pendingAfterInserts(50)).toBe(0);
  });

  it('starts PostgreSQL with the small shared_buffers that keeps the API under its memory target', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      const { rows } = await db.pglite.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'shared_buffers'");
      // 8 kB pages: 2048 = 16 MB, where PGlite's default is 16384 (128 MB).
      expect(rows[0]!.setting).toBe('2048');
    } finally {
      await db.close();
    }
  });

  it('loads pg_trgm', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      await db.prisma.$executeRawUnsafe('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      const [row] = await db.prisma.$queryRawUnsafe<[{ s: number }]>("SELECT similarity('envoy', 'envoy-filter') AS s");
      expect(row.s).toBeGreaterThan(0.3);
      expect(row.s).toBeLessThan(1);
    } finally {
      await db.close();
    }
  });

  it('keeps concurrent interactive transactions apart; a rollback discards only its own writes', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      await applyMigrations(db, migrationsDir);
      const versionId = await seedVersion(db, 'counter');
      const day = new Date('2025-01-01T00:00:00Z');
      const key = { versionId_day: { versionId, day } };
      await db.prisma.downloadCount.create({ data: { versionId, day, count: 0 } });
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

      const increments = 8;
      // Read-modify-write with a pause in between: interleaved transactions
      // on one session would lose increments.
      const increment = (i: number) =>
        db.prisma.$transaction(async (tx) => {
          const row = await tx.downloadCount.findUniqueOrThrow({ where: key });
          await sleep(5 + (i % 3) * 5);
          await tx.downloadCount.update({ where: key, data: { count: row.count + 1 } });
          await tx.namespace.create({ data: { name: `tx-${i}` } });
        });
      const failing = db.prisma.$transaction(async (tx) => {
        const row = await tx.downloadCount.findUniqueOrThrow({ where: key });
        await tx.downloadCount.update({ where: key, data: { count: row.count + 1000 } });
        await tx.namespace.create({ data: { name: 'rolled-back' } });
        await sleep(20);
        throw new Error('boom');
      });
      // Writes outside any transaction, issued while the others run.
      const outside = [0, 1, 2].map((i) => db.prisma.namespace.create({ data: { name: `outside-${i}` } }));

      const results = await Promise.allSettled([
        ...Array.from({ length: increments / 2 }, (_, i) => increment(i)),
        failing,
        ...Array.from({ length: increments / 2 }, (_, i) => increment(i + increments / 2)),
        ...outside,
      ]);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(String((rejected[0] as PromiseRejectedResult).reason)).toMatch(/boom/);

      expect((await db.prisma.downloadCount.findUniqueOrThrow({ where: key })).count).toBe(increments);
      const names = (await db.prisma.namespace.findMany({ select: { name: true } })).map((n) => n.name).sort();
      expect(names).toEqual(
        ['counter', 'outside-0', 'outside-1', 'outside-2', ...Array.from({ length: increments }, (_, i) => `tx-${i}`)].sort(),
      );
    } finally {
      await db.close();
    }
  });
});
