import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type PostgresDatabase } from '../../db/index.js';
import { RegistryError } from '../../domain/index.js';
import { StorageNotFoundError } from '../../storage/index.js';
import { startPostgres, type PostgresServer } from '../../../testing/postgres-server.js';
import { startRedis } from '../../../testing/redis-server.js';
import { startTestS3Server } from '../../../testing/s3-server.js';
import { unavailableDependency, type Dependency } from './dependency-errors.js';
import { toProblem } from './problem.js';

/** The error `work` rejects with; fails the test when it does not reject. */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

const openPostgres = (server: PostgresServer, poolSize = 4): Promise<PostgresDatabase> =>
  openDatabase({ kind: 'postgres', url: server.url }, { poolSize, transactionOptions: { maxWait: 300 } }) as Promise<PostgresDatabase>;

// Every error below is provoked from a real server (PostgreSQL, s3rver, redis-server, an HTTP
// server answering as S3 does), never built by hand: the shapes are whatever the drivers throw.
describe('unavailableDependency over real errors', () => {
  const seen = new Map<string, unknown>();
  const expectDependency = (label: string, dependency: Dependency | null): void => {
    expect(seen.has(label), `${label} was not captured`).toBe(true);
    expect(unavailableDependency(seen.get(label)), label).toBe(dependency);
  };

  beforeAll(async () => {
    const postgres = await startPostgres();
    try {
      const db = await openPostgres(postgres, 2);
      const other = await openPostgres(postgres, 2);
      await db.prisma.$executeRawUnsafe('CREATE TABLE t (id int PRIMARY KEY)');
      await db.prisma.$executeRawUnsafe('INSERT INTO t VALUES (1)');
      seen.set('unique violation', await failureOf(() => db.prisma.$executeRawUnsafe('INSERT INTO t VALUES (1)')));
      seen.set('syntax error', await failureOf(() => db.prisma.$queryRawUnsafe('SELEC 1')));

      // Every connection busy: a transaction cannot start within maxWait.
      const busy = [0, 1].map(() => db.prisma.$transaction(async (tx) => tx.$executeRawUnsafe('SELECT pg_sleep(1)'), { timeout: 5000 }));
      await new Promise((resolve) => setTimeout(resolve, 150));
      seen.set('transaction could not start', await failureOf(() => db.prisma.$transaction(async (tx) => tx.$queryRawUnsafe('SELECT 1'))));
      await Promise.all(busy);

      // Two transactions taking two locks in opposite orders: PostgreSQL kills one (40P01).
      const lock = (tx: { $executeRawUnsafe(sql: string): Promise<number> }, key: number) => tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${key})`);
      const crossing = await Promise.allSettled([
        db.prisma.$transaction(async (tx) => {
          await lock(tx, 1);
          await new Promise((resolve) => setTimeout(resolve, 200));
          await lock(tx, 2);
        }, { timeout: 10_000 }),
        other.prisma.$transaction(async (tx) => {
          await lock(tx, 2);
          await new Promise((resolve) => setTimeout(resolve, 200));
          await lock(tx, 1);
        }, { timeout: 10_000 }),
      ]);
      seen.set('deadlock', crossing.find((r) => r.status === 'rejected')?.reason);

      // A session ended by the server shutting down (57P01), through Prisma and through the bare pool.
      const cutByPrisma = failureOf(() => db.prisma.$executeRawUnsafe('SELECT pg_sleep(10)'));
      const cutInPool = failureOf(() => other.pool.query('SELECT pg_sleep(10)'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await postgres.shutDown('fast');
      seen.set('query ended by shutdown', await cutByPrisma);
      seen.set('pool query ended by shutdown', await cutInPool);

      seen.set('model query, server down', await failureOf(() => db.prisma.version.findFirst()));
      seen.set('raw query, server down', await failureOf(() => db.prisma.$queryRawUnsafe('SELECT 1')));
      seen.set('transaction, server down', await failureOf(() => db.prisma.$transaction(async (tx) => tx.$queryRawUnsafe('SELECT 1'))));

      // A crash: the connection drops without a word.
      await postgres.startUp();
      const dropped = failureOf(() => db.prisma.$transaction(async (tx) => tx.$executeRawUnsafe('SELECT pg_sleep(10)'), { timeout: 20_000 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await postgres.shutDown('immediate');
      seen.set('transaction cut by a crash', await dropped);
      await Promise.all([db.close(), other.close()]);
    } finally {
      await postgres.stop();
    }

    const s3 = await startTestS3Server({ bucket: 'b' });
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      maxAttempts: 1,
    });
    seen.set('S3 missing key', await failureOf(() => client.send(new GetObjectCommand({ Bucket: 'b', Key: 'missing' }))));
    await s3.stop();
    seen.set('S3 stopped', await failureOf(() => client.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))));
    client.destroy();
    for (const [status, code] of [[503, 'SlowDown'], [500, 'InternalError']] as const) {
      const server: Server = createServer((request, response) => {
        request.resume();
        response.writeHead(status, { 'content-type': 'application/xml' });
        response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>try later</Message><RequestId>1</RequestId></Error>`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const answering = new S3Client({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        maxAttempts: 1,
      });
      seen.set(`S3 ${status} ${code}`, await failureOf(() => answering.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))));
      answering.destroy();
      await new Promise((resolve) => server.close(resolve));
    }

    const redis = await startRedis();
    // As BullMqQueue connects: no offline queue, so a request fails at once while Redis is down.
    const connection = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    connection.on('error', () => undefined);
    const queue = new Queue('dependency-errors', { connection });
    queue.on('error', () => undefined);
    await queue.add('job', {});
    const queued = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    queued.on('error', () => undefined);
    await queued.ping();
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    seen.set('BullMQ add, Redis down', await failureOf(() => queue.add('job', {})));
    seen.set('ioredis command out of retries, Redis down', await failureOf(() => queued.ping()));
    await queue.close().catch(() => undefined);
    connection.disconnect();
    queued.disconnect();
  });

  it('names the database for a server that is down, shut down under a query, crashed, busy or deadlocked', () => {
    expectDependency('model query, server down', 'database');
    expectDependency('raw query, server down', 'database');
    expectDependency('transaction, server down', 'database');
    expectDependency('query ended by shutdown', 'database');
    expectDependency('pool query ended by shutdown', 'database');
    expectDependency('transaction cut by a crash', 'database');
    expectDependency('transaction could not start', 'database');
    expectDependency('deadlock', 'database');
  });

  it('names object storage for an unreachable endpoint and for 5xx answers (SlowDown)', () => {
    expectDependency('S3 stopped', 'object storage');
    expectDependency('S3 503 SlowDown', 'object storage');
    expectDependency('S3 500 InternalError', 'object storage');
  });

  it('names the job queue when Redis is down', () => {
    expectDependency('BullMQ add, Redis down', 'job queue');
    expectDependency('ioredis command out of retries, Redis down', 'job queue');
  });

  it('leaves alone what is not an outage: constraint and syntax errors, a missing key, the registry\'s own errors', () => {
    expectDependency('unique violation', null);
    expectDependency('syntax error', null);
    expectDependency('S3 missing key', null);
    expect(unavailableDependency(new StorageNotFoundError('blobs/x'))).toBeNull();
    expect(unavailableDependency(new RegistryError(409, 'version_exists', 'Version exists', 'taken'))).toBeNull();
    expect(unavailableDependency(new TypeError('a bug'))).toBeNull();
  });

  it('finds the outage under a wrapping error', () => {
    expect(unavailableDependency(new Error('publishing failed', { cause: seen.get('raw query, server down') }))).toBe('database');
  });

  it('turns an outage into 503 service_unavailable naming the dependency, with no host, port or address', () => {
    const problem = toProblem(seen.get('raw query, server down'), '/api/v1/plugins');
    expect(problem).toMatchObject({ status: 503, code: 'service_unavailable', dependency: 'database', retryAfterSeconds: 5 });
    expect(problem.detail).toBe('the database is unavailable right now; try again in 5 seconds');
    expect(JSON.stringify(problem)).not.toMatch(/127\.0\.0\.1|localhost|postgres(ql)?:\/\//);
    expect(toProblem(seen.get('S3 stopped')).detail).toContain('object storage');
  });
});
