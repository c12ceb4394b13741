import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, Invalidations, type Invalidation, applyMigrations } from '../libs/db/index.js';
import { DownloadsRepository } from '../libs/downloads/index.js';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { VersionsRepository } from '../libs/versions/index.js';
import { VERSION_LIFECYCLE_HOOKS } from './version-hooks.js';

const migrationsDir = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
const actor = { name: 'admin', tokenId: null };

/** Deleting a version against a first download of it, on a real PostgreSQL server. */
describe('VersionsRepository.delete and the download mark (PostgreSQL)', () => {
  let server: PostgresServer;
  let db: Database;
  let versions: VersionsRepository;
  let downloads: DownloadsRepository;
  let invalidations: Invalidations;
  const heard: Invalidation[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    db = await openDatabase({ kind: 'postgres', url: server.url }, { poolSize: 4 });
    await applyMigrations(db, migrationsDir);
    versions = new VersionsRepository(db, VERSION_LIFECYCLE_HOOKS.map((Hook) => new Hook()));
    downloads = new DownloadsRepository(db);
    invalidations = new Invalidations(db);
    await invalidations.onModuleInit();
    invalidations.subscribe((event) => heard.push(event));
  });
  afterAll(async () => {
    await invalidations?.onApplicationShutdown();
    await db?.close();
    await server?.stop();
  });

  let seeded = 0;
  /** A ready version of its own plugin, with its own bytes unless `digest` is given. */
  async function readyVersion(version = '1.0.0', digest = `sha256:${String(++seeded).padStart(64, '0')}`) {
    const namespace = await db.prisma.namespace.upsert({ where: { name: 'race' }, create: { name: 'race' }, update: {} });
    const plugin = await db.prisma.plugin.upsert({
      where: { namespaceId_name: { namespaceId: namespace.id, name: `p${seeded}` } },
      create: { namespaceId: namespace.id, name: `p${seeded}` },
      update: {},
    });
    await db.prisma.blob.upsert({ where: { digest }, create: { digest, size: 8, storageKey: `blobs/sha256/${digest.slice(7)}` }, update: {} });
    const row = await db.prisma.version.create({ data: { pluginId: plugin.id, version, digest, size: 8, status: 'ready', readyAt: new Date() } });
    return { id: row.id, digest, key: { namespace: 'race', plugin: plugin.name, version } };
  }

  it('refuses to delete a version whose first download was marked, flushed counts or not', async () => {
    const version = await readyVersion();
    expect(await downloads.markVersionDownloaded(version.id)).toBe(true);
    expect(await versions.delete(version.key, actor)).toBe('downloaded');
    // Marking again is a no-op that still reports the version present.
    expect(await downloads.markVersionDownloaded(version.id)).toBe(true);
  });

  it('makes a first download that races a delete wait for it, then report the version gone', async () => {
    const version = await readyVersion();
    // The delete's first steps by hand: lock the row, delete it, and hold the transaction open.
    const deleting = new pg.Client({ connectionString: server.url });
    await deleting.connect();
    try {
      await deleting.query('BEGIN');
      await deleting.query('SELECT id FROM versions WHERE id = $1 FOR UPDATE', [version.id]);
      await deleting.query('DELETE FROM versions WHERE id = $1', [version.id]);
      let settled = false;
      const marking = downloads.markVersionDownloaded(version.id).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false);
      await deleting.query('COMMIT');
      expect(await marking).toBe(false);
    } finally {
      await deleting.end();
    }
  });

  it('makes a delete that races a first download wait for its mark, then refuse', async () => {
    const version = await readyVersion();
    // A first download's mark, written but not committed yet.
    const marking = new pg.Client({ connectionString: server.url });
    await marking.connect();
    try {
      await marking.query('BEGIN');
      await marking.query('UPDATE versions SET first_downloaded_at = now() WHERE id = $1', [version.id]);
      let settled = false;
      const deleting = versions.delete(version.key, actor).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false);
      await marking.query('COMMIT');
      expect(await deleting).toBe('downloaded');
      expect(await db.prisma.version.count({ where: { id: version.id } })).toBe(1);
    } finally {
      await marking.end();
    }
  });

  it('marks every version with the bytes on a download by digest, and reports them gone once none is left', async () => {
    const first = await readyVersion('1.0.0');
    const second = await readyVersion('2.0.0', first.digest);
    expect(await downloads.markDigestDownloaded(first.digest)).toBe(true);
    expect(await versions.delete(first.key, actor)).toBe('downloaded');
    expect(await versions.delete(second.key, actor)).toBe('downloaded');

    const lone = await readyVersion();
    expect(await versions.delete(lone.key, actor)).toMatchObject({ digest: lone.digest, blobOrphaned: true });
    expect(await downloads.markDigestDownloaded(lone.digest)).toBe(false);
    expect(await downloads.markVersionDownloaded(lone.id)).toBe(false);
  });

  it('burns the number and tells every process on commit', async () => {
    const version = await readyVersion();
    heard.length = 0;
    expect(await versions.delete(version.key, actor)).toMatchObject({ digest: version.digest });
    const burned = await db.prisma.deletedVersion.findFirst({ where: { version: version.key.version, plugin: { name: version.key.plugin } } });
    expect(burned).toMatchObject({ digest: version.digest, actor: 'admin', deletedAt: expect.any(Date) });
    await expect.poll(() => heard, { timeout: 5_000 }).toContainEqual({ kind: 'version_deleted', ...version.key, versionId: version.id, digest: version.digest });
    // A refused delete announces nothing.
    const downloaded = await readyVersion();
    await downloads.markVersionDownloaded(downloaded.id);
    heard.length = 0;
    expect(await versions.delete(downloaded.key, actor)).toBe('downloaded');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual([]);
  });
});
