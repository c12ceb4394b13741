import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../testing/postgres-server.js';
import { openDatabase, type Database } from './database.js';
import {
  applyMigrations,
  createMigration,
  diffMigrationsToSchema,
  loadSchemaEngine,
  MIGRATE_ADVISORY_LOCK,
} from './migrations.js';

// Upgrading the engine (an internal Prisma API) must be a deliberate change:
// bump this together with package.json and rerun these tests.
const PINNED_ENGINE = '8.1.0-2.59be4fda12412a79eeb9c2ae727b6aa723593323';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const schemaPath = join(root, 'prisma/schema.prisma');
const migrationsDir = join(root, 'prisma/migrations');
const migrationNames = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
// Every model's table, as schema.prisma names it with @@map.
const modelTables = [...readFileSync(schemaPath, 'utf8').matchAll(/^model \w+ \{(?:(?!^\})[\s\S])*?@@map\("(\w+)"\)/gm)].map((m) => m[1]!).sort();

const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const query = <T>(db: Database, sql: string, ...params: unknown[]) => db.prisma.$queryRawUnsafe<T[]>(sql, ...params);

/** Checks the database the way `prisma migrate deploy` would have left it. */
async function expectDeployed(db: Database): Promise<void> {
  const tables = (await query<{ table_name: string }>(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).map(
    (t) => t.table_name,
  );
  expect(tables.sort()).toEqual([...modelTables, '_prisma_migrations'].sort());

  const columns = await query<{ column_name: string; data_type: string; max: number | null; is_nullable: string }>(
    db,
    `SELECT column_name, data_type, character_maximum_length AS max, is_nullable
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
  );
  expect(columns).toEqual([
    { column_name: 'id', data_type: 'character varying', max: 36, is_nullable: 'NO' },
    { column_name: 'checksum', data_type: 'character varying', max: 64, is_nullable: 'NO' },
    { column_name: 'finished_at', data_type: 'timestamp with time zone', max: null, is_nullable: 'YES' },
    { column_name: 'migration_name', data_type: 'character varying', max: 255, is_nullable: 'NO' },
    { column_name: 'logs', data_type: 'text', max: null, is_nullable: 'YES' },
    { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', max: null, is_nullable: 'YES' },
    { column_name: 'started_at', data_type: 'timestamp with time zone', max: null, is_nullable: 'NO' },
    { column_name: 'applied_steps_count', data_type: 'integer', max: null, is_nullable: 'NO' },
  ]);

  const rows = await query<{
    id: string;
    checksum: string;
    finished_at: Date | null;
    migration_name: string;
    logs: string | null;
    rolled_back_at: Date | null;
    started_at: Date;
    applied_steps_count: number;
  }>(db, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
  expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
  for (const row of rows) {
    const sql = readFileSync(join(migrationsDir, row.migration_name, 'migration.sql'));
    expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    expect(row.logs).toBeNull();
    expect(row.rolled_back_at).toBeNull();
    expect(row.applied_steps_count).toBe(1);
  }
}

/** The repository's migrations, then one with a plpgsql body, then one that fails halfway. */
function migrationsWithBrokenTail(): string {
  const dir = tempDir('migrations-broken-');
  cpSync(migrationsDir, dir, { recursive: true });
  mkdirSync(join(dir, '99990101000000_function'));
  writeFileSync(
    join(dir, '99990101000000_function/migration.sql'),
    // Semicolons inside a body and a literal: a script split on ';' breaks here.
    "CREATE FUNCTION answer() RETURNS text LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 'a;b';\nEND;\n$$;\n",
  );
  mkdirSync(join(dir, '99990102000000_broken'));
  writeFileSync(join(dir, '99990102000000_broken/migration.sql'), 'CREATE TABLE half_done (x int);\nSELECT * FROM no_such_table;\n');
  return dir;
}

async function expectBrokenTailHandled(db: Database, dir: string): Promise<void> {
  await expect(applyMigrations(db, dir)).rejects.toThrow(/no_such_table/);
  const [fn] = await query<{ answer: string }>(db, 'SELECT answer() AS answer');
  expect(fn!.answer).toBe('a;b');
  const rows = await query<{ migration_name: string; finished_at: Date | null; logs: string | null }>(
    db,
    'SELECT migration_name, finished_at, logs FROM _prisma_migrations ORDER BY migration_name',
  );
  expect(rows.map((r) => r.migration_name)).toEqual([...migrationNames, '99990101000000_function', '99990102000000_broken']);
  const broken = rows.at(-1)!;
  expect(broken.finished_at).toBeNull();
  expect(broken.logs).toMatch(/no_such_table/);
  // The failed script ran as one statement batch: its first statement is undone too.
  const [half] = await query<{ t: string | null }>(db, "SELECT to_regclass('half_done')::text AS t");
  expect(half!.t).toBeNull();
  // Like migrate deploy, a failed migration blocks further runs until resolved.
  await expect(applyMigrations(db, dir)).rejects.toThrow(/failed/i);
}

describe('schema engine', () => {
  it('is the pinned version', async () => {
    const require = createRequire(import.meta.url);
    const installed = JSON.parse(
      readFileSync(join(dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'package.json'), 'utf8'),
    ) as { version: string };
    const declared = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies['@prisma/schema-engine-wasm'];
    expect(installed.version).toBe(PINNED_ENGINE);
    expect(declared).toBe(PINNED_ENGINE);
    // version() reports the prisma-engines commit, the tail of the npm version.
    expect((await loadSchemaEngine()).version()).toBe(PINNED_ENGINE.split('.').at(-1));
  });
});

describe('migrations folder', () => {
  it('matches prisma/schema.prisma (run `npm run db:migration -- <name>` after editing the schema)', async () => {
    expect(await diffMigrationsToSchema({ schemaPath, migrationsDir })).toBeNull();
  });

  it('createMigration writes the Prisma layout, and nothing when there are no changes', async () => {
    const dir = join(tempDir('migrations-new-'), 'migrations');
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);

    const init = await createMigration('init', { schemaPath, migrationsDir: dir }, { log });
    expect(init!.name).toMatch(/^\d{14}_init$/);
    expect(readFileSync(init!.path, 'utf8')).toBe(init!.sql);
    expect(init!.sql).toContain('CREATE TABLE "namespaces"');
    expect(init!.sql).toContain('CREATE TYPE "version_status" AS ENUM');
    expect(readFileSync(join(dir, 'migration_lock.toml'), 'utf8')).toBe(
      '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
    );

    expect(await createMigration('noop', { schemaPath, migrationsDir: dir }, { log })).toBeNull();
    expect(lines.at(-1)).toMatch(/no changes/);
    expect(readdirSync(dir).sort()).toEqual([init!.name, 'migration_lock.toml'].sort());

    const changedSchema = join(tempDir('schema-'), 'schema.prisma');
    writeFileSync(changedSchema, readFileSync(schemaPath, 'utf8').replace(/model Blob \{\n/, 'model Blob {\n  mediaType String?\n'));
    const next = await createMigration('add blob media type', { schemaPath: changedSchema, migrationsDir: dir }, { log });
    expect(next!.name).toMatch(/^\d{14}_add_blob_media_type$/);
    expect(next!.name > init!.name).toBe(true);
    expect(next!.sql).toMatch(/ALTER TABLE "blobs" ADD COLUMN\s+"mediaType" TEXT;/);
  });
});

describe('applyMigrations on PGlite', () => {
  it('applies like prisma migrate deploy; a second run applies nothing', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = timers();
    try {
      // Two calls at once in one process (one PGlite session): one applies, the other sees its work.
      const both = await Promise.all([applyMigrations(db, migrationsDir), applyMigrations(db, migrationsDir)]);
      expect(both.map((r) => r.length).sort()).toEqual([0, migrationNames.length]);
      expect(both.flat()).toEqual(migrationNames);
      await expectDeployed(db);
      expect(await applyMigrations(db, migrationsDir)).toEqual([]);
      await expectDeployed(db);
      // The engine's own timers (10 s each) would keep the process alive.
      expect(timers()).toBeLessThanOrEqual(timersBefore);
    } finally {
      await db.close();
    }
  });

  it('records a failing migration as failed and keeps none of it', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      await expectBrokenTailHandled(db, migrationsWithBrokenTail());
    } finally {
      await db.close();
    }
  });
});

describe('applyMigrations on PostgreSQL', () => {
  let server: PostgresServer;
  let admin: pg.Client;
  const opened: Database[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Client(server.url);
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await admin?.end();
    await server?.stop();
  });

  let counter = 0;
  async function freshDatabase(): Promise<string> {
    const name = `test_${++counter}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(server.url);
    url.pathname = `/${name}`;
    return url.toString();
  }
  /**
   * Advisory locks held in the cluster. A backend releases its locks when it
   * exits, a moment after the client's disconnect resolves: poll briefly.
   */
  async function advisoryLocksOnceSettled(): Promise<number> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
      if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n as number;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function open(url: string): Promise<Database> {
    const db = await openDatabase({ kind: 'postgres', url });
    opened.push(db);
    return db;
  }

  it('applies like prisma migrate deploy; a second run applies nothing', async () => {
    const db = await open(await freshDatabase());
    expect(await applyMigrations(db, migrationsDir)).toEqual(migrationNames);
    await expectDeployed(db);
    expect(await applyMigrations(db, migrationsDir)).toEqual([]);
    await expectDeployed(db);
    // Our lock and the engine's die with the migration connection.
    expect(await advisoryLocksOnceSettled()).toBe(0);
  });

  it('accepts a bare driver adapter factory and closes what the engine opened', async () => {
    const url = await freshDatabase();
    expect(await applyMigrations(new PrismaPg({ connectionString: url }), migrationsDir)).toEqual(migrationNames);
    // The engine never releases its advisory lock itself; a leaked pool would hold it.
    expect(await advisoryLocksOnceSettled()).toBe(0);
    expect(await applyMigrations(new PrismaPg({ connectionString: url }), migrationsDir)).toEqual([]);
  });

  it('records a failing migration as failed and keeps none of it', async () => {
    const db = await open(await freshDatabase());
    await expectBrokenTailHandled(db, migrationsWithBrokenTail());
  });

  it('applies once when two processes start at the same time', async () => {
    const url = await freshDatabase();
    const [a, b] = [await open(url), await open(url)];
    const results = await Promise.all([applyMigrations(a, migrationsDir), applyMigrations(b, migrationsDir)]);
    expect(results.map((r) => r.length).sort()).toEqual([0, migrationNames.length]);
    expect(results.flat()).toEqual(migrationNames);
    await expectDeployed(a);
  });

  it('waits for another migrator holding the advisory lock', async () => {
    const url = await freshDatabase();
    const db = await open(url);
    const holder = new pg.Client(url);
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATE_ADVISORY_LOCK]);
      let settled = false;
      const applying = applyMigrations(db, migrationsDir).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 1500));
      expect(settled).toBe(false);
      const { rows } = await holder.query("SELECT to_regclass('_prisma_migrations')::text AS t");
      expect(rows[0].t).toBeNull();
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATE_ADVISORY_LOCK]);
      expect(await applying).toEqual(migrationNames);
    } finally {
      await holder.end();
    }
  });

  it('gives up after lockTimeoutMs', async () => {
    const url = await freshDatabase();
    const db = await open(url);
    const holder = new pg.Client(url);
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATE_ADVISORY_LOCK]);
      await expect(applyMigrations(db, migrationsDir, { lockTimeoutMs: 300 })).rejects.toThrow(/gave up after 300 ms/);
    } finally {
      await holder.end();
    }
  });
});
