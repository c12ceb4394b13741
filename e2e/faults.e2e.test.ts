import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { startRedis, type RedisServer } from '../testing/redis-server.js';
import { startRegistry, startWorker, type RunningRegistry, type RunningWorker, logLines } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server, type TestS3Server } from '../testing/s3-server.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, type Json } from './support.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long an acknowledged version may take to be ready once every dependency is back. */
const READY_BOUND_MS = 30_000;

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
}

/**
 * The production shape (API and worker processes from dist/, PostgreSQL, Redis, s3rver) under
 * the faults the fault matrix found: PostgreSQL stopped for a while, Redis restarted empty, the
 * concurrent publishes that deadlocked, S3 down. What must hold: a dependency that is down is a
 * 503 with Retry-After, never a 500; every version acknowledged with 2xx is ready within a bound;
 * its bytes come back identical.
 */
describe('faults in the production shape: PostgreSQL, Redis and S3 going away', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let s3: TestS3Server;
  let keyDir: string;
  let env: Record<string, string>;
  let registry: RunningRegistry;
  let admin: string;
  const workers = new Set<RunningWorker>();

  const launchWorker = async (): Promise<RunningWorker> => {
    const worker = await startWorker(env);
    workers.add(worker);
    return worker;
  };
  const stopWorkers = async (): Promise<void> => {
    await Promise.all([...workers].map((w) => w.stop()));
    workers.clear();
  };
  const sql = async <T extends pg.QueryResultRow>(text: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };
  const deadlocks = async (): Promise<number> =>
    Number((await sql<{ deadlocks: string }>(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`))[0]!.deadlocks);

  /** Publishes until the answer is 2xx; every answer is recorded. 503 waits for Retry-After (shortened), anything else gives up. */
  const publishUntilAcknowledged = async (plugin: string, version: string, module: Buffer, answers: Answer[], deadline: number): Promise<boolean> => {
    while (Date.now() < deadline) {
      const response = await api(registry.url, 'PUT', `/api/v1/plugins/acme/${plugin}/versions/${version}`, { body: module, token: admin }).catch(
        (error: unknown) => ({ status: 0, headers: new Headers(), json: { code: String(error) } as Json }),
      );
      answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), code: response.json.code as string | undefined });
      if (response.status === 200 || response.status === 202) return true;
      if (response.status !== 503) return false;
      await sleep(500);
    }
    return false;
  };

  /** Waits until every listed version of a plugin is ready, or the bound passes; returns the statuses seen last. */
  const waitUntilReady = async (plugin: string, versions: readonly string[], boundMs = READY_BOUND_MS): Promise<Record<string, string>> => {
    const deadline = Date.now() + boundMs;
    for (;;) {
      const listed = await api(registry.url, 'GET', `/api/v1/plugins/acme/${plugin}/versions`);
      const statuses: Record<string, string> = Object.fromEntries(versions.map((v) => [v, 'missing']));
      for (const item of (listed.json.items ?? []) as Json[]) if (item.version in statuses) statuses[item.version] = item.status;
      if (Object.values(statuses).every((s) => s === 'ready') || Date.now() > deadline) return statuses;
      await sleep(250);
    }
  };
  const countBy = (answers: readonly Answer[]): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const a of answers) counts[`${a.status} ${a.code ?? ''}`.trim()] = (counts[`${a.status} ${a.code ?? ''}`.trim()] ?? 0) + 1;
    return counts;
  };
  const allReady = (versions: readonly string[]): Record<string, string> => Object.fromEntries(versions.map((v) => [v, 'ready']));

  const expectNo500s = (answers: readonly Answer[]): void => {
    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    // A 503 always says when to come back.
    expect(answers.filter((a) => a.status === 503 && (a.retryAfter === null || a.code !== 'service_unavailable'))).toEqual([]);
  };

  beforeAll(async () => {
    [postgres, redis, s3] = await Promise.all([startPostgres(), startRedis(), startTestS3Server({ bucket: 'wasm-modules', keepPrefixes: ['uploads/', 'blobs/sha256/'] })]);
    keyDir = await mkdtemp(join(tmpdir(), 'faults-keys-'));
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(keyDir, 'registry.pem')]);
    env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      ...registryS3Env(s3),
      SIGNING_KEY_PATH: join(keyDir, 'registry.pem'),
      PIPELINE_ATTEMPTS: '3',
      PIPELINE_BACKOFF_MS: '300',
      PIPELINE_LOCK_MS: '2000',
      // Many versions marked ready at once: that is what met publishes in the deadlock.
      PIPELINE_CONCURRENCY: '4',
      OUTBOX_POLL_MS: '200',
      // The reconciler finds versions whose work was lost (short here so that the bound is short).
      PIPELINE_RECONCILE_INTERVAL_MS: '1000',
      PIPELINE_STUCK_AFTER_MS: '3000',
    };
    registry = await startRegistry(env);
    admin = registry.adminToken;
  });

  afterAll(async () => {
    await stopWorkers();
    await registry?.stop();
    await Promise.all([postgres?.stop(), redis?.stop(), s3?.stop()]);
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while S3 is down, for publishes and downloads, and works again once it is back', async () => {
    await launchWorker();
    const module = await proxyWasmFilter('s3-before');
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/acme/s3-outage/versions/1.0.0', { body: module, token: admin })).status).toBe(202);
    expect(await waitUntilReady('s3-outage', ['1.0.0'])).toEqual(allReady(['1.0.0']));

    await s3.shutDown();
    try {
      const publish = await api(registry.url, 'PUT', '/api/v1/plugins/acme/s3-outage/versions/2.0.0', { body: await proxyWasmFilter('s3-during'), token: admin });
      expect({ status: publish.status, code: publish.json.code, dependency: publish.json.dependency }).toEqual({
        status: 503,
        code: 'service_unavailable',
        dependency: 'object storage',
      });
      expect(Number(publish.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(publish.headers.get('content-type')).toContain('application/problem+json');
      for (const path of ['/api/v1/plugins/acme/s3-outage/versions/1.0.0/module.wasm', `/api/v1/blobs/${sha256(module)}`]) {
        const download = await api(registry.url, 'GET', path);
        expect({ path, status: download.status, code: download.json.code }).toEqual({ path, status: 503, code: 'service_unavailable' });
        expect(download.headers.get('retry-after')).not.toBeNull();
      }
      const ociBlob = await api(registry.url, 'GET', `/v2/acme/s3-outage/blobs/${sha256(module)}`);
      expect(ociBlob.status).toBe(503);
      expect(ociBlob.json.errors?.[0]?.code).toBe('UNAVAILABLE');
      expect(ociBlob.headers.get('retry-after')).not.toBeNull();
    } finally {
      await s3.startUp();
    }

    const again = await proxyWasmFilter('s3-after');
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/acme/s3-outage/versions/2.0.0', { body: again, token: admin })).status).toBe(202);
    expect(await waitUntilReady('s3-outage', ['1.0.0', '2.0.0'])).toEqual(allReady(['1.0.0', '2.0.0']));
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/s3-outage/versions/1.0.0/module.wasm')).bytes.equals(module)).toBe(true);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/s3-outage/versions/2.0.0/module.wasm')).bytes.equals(again)).toBe(true);
    // An outage is a warning per request, not an error with a stack.
    const http = logLines(registry.output()).filter((line) => line.context === 'HTTP');
    expect(http).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^PUT \/api\/v1\/plugins\/acme\/s3-outage\/versions\/2\.0\.0: object storage unavailable/) }));
    expect(http.filter((line) => line.level === 'error')).toEqual([]);
  }, 60_000);

  it('finishes every acknowledged version after Redis restarts empty with their jobs in it and no worker having run them', async () => {
    await stopWorkers();
    const versions = Array.from({ length: 8 }, (_, i) => `1.0.${i}`);
    const modules = await Promise.all(versions.map((v) => proxyWasmFilter(`redis-${v}`)));
    for (const [i, version] of versions.entries()) {
      expect((await api(registry.url, 'PUT', `/api/v1/plugins/acme/redis-empty/versions/${version}`, { body: modules[i]!, token: admin })).status).toBe(202);
    }
    // Every job is in Redis (the outbox has handed them all over), and nobody has taken one.
    const deadline = Date.now() + 10_000;
    while ((await sql<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL'))[0]!.n > 0 && Date.now() < deadline) await sleep(100);
    expect((await sql<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL'))[0]!.n).toBe(0);

    await redis.stop();
    await redis.start();
    await launchWorker();

    expect(await waitUntilReady('redis-empty', versions)).toEqual(allReady(versions));
    for (const [i, version] of versions.entries()) {
      expect((await api(registry.url, 'GET', `/api/v1/plugins/acme/redis-empty/versions/${version}/module.wasm`)).bytes.equals(modules[i]!)).toBe(true);
    }
  }, 60_000);

  it('answers 503 (never 500) while PostgreSQL is stopped under publishes, and readies every acknowledged version once it is back', async () => {
    if (workers.size === 0) await launchWorker();
    const answers: Answer[] = [];
    const acknowledged = new Map<string, Buffer>();
    const publishers = 3;
    const outageMs = 15_000;
    let stopPublishing = false;
    const publishing = Array.from({ length: publishers }, async (_, p) => {
      for (let n = 0; !stopPublishing; n++) {
        const version = `${p}.${n}.0`;
        const module = await proxyWasmFilter(`pg-${version}`);
        if (await publishUntilAcknowledged('pg-outage', version, module, answers, Date.now() + outageMs + 15_000)) acknowledged.set(version, module);
        else break;
      }
    });
    await sleep(1500);
    await postgres.shutDown('fast');
    await sleep(outageMs);
    await postgres.startUp();
    await sleep(2000);
    stopPublishing = true;
    await Promise.all(publishing);

    console.log(`PostgreSQL outage: ${acknowledged.size} versions acknowledged; answers: ${JSON.stringify(countBy(answers))}`);
    expect(answers.some((a) => a.status === 503), 'some publish met the outage').toBe(true);
    expectNo500s(answers);
    expect(answers.filter((a) => ![200, 202, 503].includes(a.status))).toEqual([]);
    const versions = [...acknowledged.keys()];
    expect(versions.length).toBeGreaterThan(publishers);
    expect(await waitUntilReady('pg-outage', versions)).toEqual(allReady(versions));
    for (const [version, module] of acknowledged) {
      const download = await api(registry.url, 'GET', `/api/v1/plugins/acme/pg-outage/versions/${version}/module.wasm`);
      expect(sha256(download.bytes)).toBe(sha256(module));
    }
  }, 90_000);

  it('publishes 100 versions of one plugin 6 at a time while workers mark them ready: no 5xx, no deadlock, all ready', async () => {
    if (workers.size < 2) await launchWorker();
    const before = await deadlocks();
    const versions = Array.from({ length: 100 }, (_, i) => `2.${i}.0`);
    const modules = new Map(await Promise.all(versions.map(async (v) => [v, await proxyWasmFilter(`load-${v}`)] as const)));
    const answers: Answer[] = [];
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < versions.length) {
          const version = versions[next++]!;
          const response = await api(registry.url, 'PUT', `/api/v1/plugins/acme/load/versions/${version}`, { body: modules.get(version)!, token: admin });
          answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), code: response.json.code as string | undefined });
        }
      }),
    );
    const after = await deadlocks();
    console.log(`100 publishes in ${Date.now() - started} ms; pg_stat_database.deadlocks meanwhile: ${after - before}; answers: ${JSON.stringify(countBy(answers))}`);

    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(await waitUntilReady('load', versions)).toEqual(allReady(versions));
    // With one lock order there is nothing to deadlock on, in the API or in a worker marking versions ready.
    expect(after - before, 'deadlocks PostgreSQL detected').toBe(0);
  }, 120_000);
});
