import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { DatabaseConfig } from '../../config/index.js';
import { PrismaClient } from './generated/client.js';

/** An open database: the Prisma client plus what is needed to run migrations on it. */
export type Database = PostgresDatabase | PGliteDatabase;

interface DatabaseBase {
  readonly prisma: PrismaClient;
  /** Round trip to the database; rejects when it is unreachable. */
  ping(): Promise<void>;
  /** Disconnects Prisma and closes the pool or the PGlite instance. Safe to call twice. */
  close(): Promise<void>;
}

export interface PostgresDatabase extends DatabaseBase {
  readonly kind: 'postgres';
  readonly url: string;
  readonly pool: pg.Pool;
}

export interface PGliteDatabase extends DatabaseBase {
  readonly kind: 'pglite';
  /** A directory, or `memory://` for a database that lives only as long as the process. */
  readonly dataDir: string;
  readonly pglite: PGlite;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL only: connections in the pool. Default 10. */
  poolSize?: number;
  /**
   * Defaults for `prisma.$transaction`. PGlite runs one transaction at a time,
   * so waiting to start one is normal there: its maxWait defaults to 10 s.
   */
  transactionOptions?: { maxWait?: number; timeout?: number };
  /**
   * PGlite only: how often to run maintainPGlite (CHECKPOINT, GIN pending
   * lists). PGlite never checkpoints by itself, and 0.4 stops answering once
   * about 530 MB of WAL has piled up since the last one (a busy download
   * counter gets there in hours). Default 60 s.
   */
  checkpointIntervalMs?: number;
}

const PGLITE_CHECKPOINT_INTERVAL_MS = 60_000;

/**
 * What PostgreSQL's background processes would do, which PGlite has none of:
 * merge the pending lists of GIN indexes into the indexes (autovacuum's
 * analyze does that; until then every search scans the whole list, up to
 * 4 MB per index), then CHECKPOINT (the checkpointer's job).
 */
export async function maintainPGlite(pglite: PGlite): Promise<void> {
  await pglite.exec(`
    SELECT gin_clean_pending_list(i.indexrelid)
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am am ON am.oid = c.relam
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE am.amname = 'gin' AND n.nspname = current_schema()`);
  await pglite.exec('CHECKPOINT');
}

export const IN_MEMORY = 'memory://';

export function isInMemory(dataDir: string): boolean {
  return dataDir.startsWith(IN_MEMORY);
}

/**
 * Starts a PGlite instance with the extensions the registry relies on. Used
 * for the embedded database and for the migration shadow database, so that
 * both accept the same migration SQL.
 */
export async function createPGlite(dataDir: string): Promise<PGlite> {
  // One options object: PGlite.create(undefined, options) silently ignores the options.
  return PGlite.create({ dataDir, extensions: { pg_trgm }, startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] });
}

/**
 * PGlite keeps PostgreSQL's shared_buffers of 128 MB, all of it touched at
 * start inside the Wasm memory: about 110 MiB of the API's RSS (issue 18).
 * 16 MB (and the wal_buffers PostgreSQL derives from it) holds an embedded
 * registry's hot pages; beyond it PGlite reads from the OS page cache.
 */
export const PGLITE_SETTINGS = ['-c', 'shared_buffers=16MB'];

export async function openDatabase(config: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  return config.kind === 'postgres' ? openPostgres(config.url, options) : openPGlite(config.dataDir, options);
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<PostgresDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client dropped by the server must not crash the process.
  pool.on('error', () => {});
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    ...(options.transactionOptions ? { transactionOptions: options.transactionOptions } : {}),
  });
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    url,
    pool,
    prisma,
    ping: () => ping(prisma),
    close: () =>
      (closed ??= (async () => {
        try {
          await prisma.$disconnect();
        } finally {
          await pool.end();
        }
      })()),
  };
}

async function openPGlite(dataDir: string, options: OpenDatabaseOptions): Promise<PGliteDatabase> {
  let releaseLock = (): void => {};
  if (!isInMemory(dataDir)) {
    mkdirSync(dataDir, { recursive: true });
    releaseLock = lockDataDir(dataDir);
  }
  let pglite: PGlite;
  try {
    if (!isInMemory(dataDir)) await initDataDir(dataDir);
    pglite = await createPGlite(dataDir);
  } catch (error) {
    releaseLock();
    throw error;
  }
  // The in-process adapter is used on purpose: PGlite has a single session,
  // and its transaction() holds a mutex that makes every other query wait, so
  // concurrent interactive transactions are serialized rather than interleaved.
  const prisma = new PrismaClient({
    adapter: new PrismaPGlite(pglite),
    transactionOptions: { maxWait: 10_000, ...options.transactionOptions },
  });
  // Runs between other statements: PGlite's single session queues it like any query.
  const checkpoints = setInterval(() => {
    maintainPGlite(pglite).catch(() => undefined);
  }, options.checkpointIntervalMs ?? PGLITE_CHECKPOINT_INTERVAL_MS).unref();
  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    dataDir,
    pglite,
    prisma,
    ping: () => ping(prisma),
    close: () =>
      (closed ??= (async () => {
        clearInterval(checkpoints);
        try {
          await prisma.$disconnect();
          await pglite.close();
        } finally {
          releaseLock();
        }
      })()),
  };
}

/**
 * Creates the database cluster in an empty data directory, in a process of its
 * own, and says whether it had to. PGlite runs initdb in a second Wasm instance
 * that stays referenced after it is closed: about 170 MiB of the API's RSS on a
 * first start (issue 18). The caller then opens a directory that exists, as on
 * every later start.
 */
export async function initDataDir(dataDir: string): Promise<boolean> {
  // What PGlite itself checks before it runs initdb.
  if (existsSync(join(dataDir, 'PG_VERSION'))) return false;
  const child = spawn(process.execPath, [initdbScript(), dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  if (code !== 0 || !existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(`creating the PGlite database at ${dataDir} failed (exit ${code ?? signal}):\n${stderr.trim()}`);
  }
  return true;
}

/** The compiled process entry: next to this file in dist/, or in dist/ when this file runs from the sources (tests). */
function initdbScript(): string {
  const beside = fileURLToPath(new URL('./pglite-initdb.worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../dist/libs/db/src/pglite-initdb.worker.js', import.meta.url));
}

async function ping(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRawUnsafe('SELECT 1');
}

/**
 * PGlite does not lock its data directory, and two instances on one directory
 * (e.g. `npm run db:migrate` while the server runs) corrupt it. A pid file
 * next to the directory refuses the second opener.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir.replace(/\/+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(lockPath);
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      // An empty file is a lock being written right now.
      if (!(Number.isInteger(holder) && holder > 0) || isAlive(holder)) {
        const who = holder === process.pid ? 'this process' : holder > 0 ? `process ${holder}` : 'another process';
        throw new Error(
          `the PGlite database at ${dataDir} is already open in ${who}; PGlite allows one opener at a time ` +
            `(remove ${lockPath} if that process is gone)`,
        );
      }
      // Left behind by a process that died: take it over.
      unlinkSync(lockPath);
    }
  }
  throw new Error(`could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
