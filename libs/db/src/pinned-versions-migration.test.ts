import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrationsBefore } from '../../../testing/migrations-before.js';
import { startPostgres, type PostgresServer } from '../../../testing/postgres-server.js';
import { openDatabase, type Database } from './database.js';
import { applyMigrations } from './migrations.js';


/** What the pinned_versions migration derives from the data of a registry that ran before it. */
describe('the pinned_versions migration backfills marks and burned numbers', () => {
  let server: PostgresServer;
  let db: Database;
  let before: ReturnType<typeof migrationsBefore>;

  beforeAll(async () => {
    server = await startPostgres();
    db = await openDatabase({ kind: 'postgres', url: server.url }, { poolSize: 2 });
    // The migrations up to the one before it.
    before = migrationsBefore('pinned_versions');
    await applyMigrations(db, before.dir);
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
    before?.remove();
  });

  it('marks versions with counted downloads (on their first day) and burns numbers deleted before, unless published again', async () => {
    const sql = (query: string) => db.prisma.$executeRawUnsafe(query);
    await sql(`INSERT INTO namespaces (id, name) VALUES ('00000000-0000-7000-8000-000000000001', 'acme')`);
    await sql(`INSERT INTO plugins (id, namespace_id, name) VALUES ('00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000001', 'jwt')`);
    await sql(`INSERT INTO blobs (digest, size, storage_key) VALUES ('sha256:a', 1, 'a'), ('sha256:b', 1, 'b')`);
    await sql(`INSERT INTO versions (id, plugin_id, version, digest, size, status) VALUES
      ('00000000-0000-7000-8000-00000000000a', '00000000-0000-7000-8000-000000000002', '1.0.0', 'sha256:a', 1, 'ready'),
      ('00000000-0000-7000-8000-00000000000b', '00000000-0000-7000-8000-000000000002', '1.1.0', 'sha256:b', 1, 'ready'),
      ('00000000-0000-7000-8000-00000000000c', '00000000-0000-7000-8000-000000000002', '3.0.0', 'sha256:b', 1, 'ready')`);
    await sql(`INSERT INTO download_counts (version_id, day, count) VALUES
      ('00000000-0000-7000-8000-00000000000a', '2026-11-20', 3), ('00000000-0000-7000-8000-00000000000a', '2026-11-02', 1),
      ('00000000-0000-7000-8000-00000000000b', '2026-11-21', 0)`);
    await sql(`INSERT INTO audit_events (action, actor, namespace, plugin, version, details, at) VALUES
      ('version.deleted', 'admin', 'acme', 'jwt', '2.0.0', '{"digest": "sha256:old"}', '2026-11-10T00:00:00Z'),
      ('version.deleted', 'admin', 'acme', 'jwt', '2.0.0', '{"digest": "sha256:older"}', '2026-11-01T00:00:00Z'),
      ('version.deleted', 'admin', 'acme', 'jwt', '3.0.0', '{"digest": "sha256:b"}', '2026-11-05T00:00:00Z'),
      ('version.deleted', 'admin', 'gone', 'x', '1.0.0', '{"digest": "sha256:x"}', '2026-11-05T00:00:00Z')`);

    await applyMigrations(db, MIGRATIONS_DIR);

    const marks = await db.prisma.version.findMany({ select: { version: true, firstDownloadedAt: true }, orderBy: { version: 'asc' } });
    expect(marks).toEqual([
      { version: '1.0.0', firstDownloadedAt: new Date('2026-11-02T00:00:00Z') },
      { version: '1.1.0', firstDownloadedAt: null },
      { version: '3.0.0', firstDownloadedAt: null },
    ]);
    const burned = await db.prisma.deletedVersion.findMany({ select: { version: true, digest: true, deletedAt: true, actor: true } });
    // 3.0.0 was published again after its deletion: that version stays, its number is not burned.
    expect(burned).toEqual([{ version: '2.0.0', digest: 'sha256:old', deletedAt: new Date('2026-11-10T00:00:00Z'), actor: 'admin' }]);
  });
});
