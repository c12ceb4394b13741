import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { startRedis, type RedisServer } from '../testing/redis-server.js';
import { startRegistry, startWorker, type RunningRegistry, type RunningWorker } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server, type TestS3Server } from '../testing/s3-server.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { WebhookReceiver } from '../testing/webhook-receiver.js';
import { api, settledVersion, waitFor, type Json } from './support.js';

/**
 * Webhooks in the production shape (API and workers from dist/, PostgreSQL, Redis, s3rver): the
 * workers deliver. What must hold through a worker killed mid-delivery and Redis restarted:
 * every event arrives (at least once), in order, none is lost.
 */
describe('webhooks in the production shape: a worker killed mid-delivery, Redis restarted', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let s3: TestS3Server;
  let keyDir: string;
  let env: Record<string, string>;
  let registry: RunningRegistry;
  let admin: string;
  const workers = new Set<RunningWorker>();
  const receiver = new WebhookReceiver();
  let module: Buffer;

  const launchWorker = async (): Promise<RunningWorker> => {
    const worker = await startWorker(env);
    workers.add(worker);
    return worker;
  };
  const publish = async (version: string): Promise<void> => {
    const response = await api(registry.url, 'PUT', `/api/v1/plugins/relay/filter/versions/${version}`, { body: module, token: admin });
    expect(response.status, response.text).toBe(202);
  };
  const expected = (versions: readonly string[]): string[] => versions.flatMap((v) => [`version.published relay/filter@${v}`, `version.ready relay/filter@${v}`]);

  beforeAll(async () => {
    [postgres, redis, s3] = await Promise.all([startPostgres(), startRedis(), startTestS3Server({ bucket: 'wasm-modules' })]);
    keyDir = await mkdtemp(join(tmpdir(), 'webhooks-keys-'));
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(keyDir, 'registry.pem')]);
    env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      ...registryS3Env(s3),
      SIGNING_KEY_PATH: join(keyDir, 'registry.pem'),
      OUTBOX_POLL_MS: '200',
      PIPELINE_RECONCILE_INTERVAL_MS: '1000',
      PIPELINE_STUCK_AFTER_MS: '3000',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_BACKOFF_MS: '100',
      WEBHOOK_MAX_BACKOFF_MS: '500',
      // The lease is 2 x this + 5 s: a killed worker's delivery is sent again after about 7 s.
      WEBHOOK_TIMEOUT_MS: '1000',
    };
    registry = await startRegistry(env);
    admin = registry.adminToken;
    module = await proxyWasmFilter('webhooks-production');
    await receiver.start();
    await launchWorker();
    // The namespace, then the subscription.
    await publish('0.0.1');
    expect((await settledVersion(registry.url, 'relay', 'filter', '0.0.1')).status).toBe('ready');
    const created = await api(registry.url, 'POST', '/api/v1/webhooks', { token: admin, json: { url: receiver.url, events: ['version.published', 'version.ready'], namespaces: ['relay'] } });
    expect(created.status, created.text).toBe(201);
    receiver.useSecret(created.json.secret);
  });

  afterAll(async () => {
    await Promise.all([...workers].map((w) => w.stop()));
    await receiver.stop();
    await registry?.stop();
    await Promise.all([postgres?.stop(), redis?.stop(), s3?.stop()]);
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('sends again what a killed worker was delivering, then the rest in order', async () => {
    // The receiver takes its time: the worker is killed while it waits for the answer (the
    // version itself is ready by then, so the kill cuts short the delivery and nothing else).
    receiver.holdMs = 15_000;
    await publish('1.0.0');
    await waitFor(async () => receiver.received.length, (n) => n >= 1, 20_000);
    expect((await settledVersion(registry.url, 'relay', 'filter', '1.0.0')).status).toBe('ready');
    const inFlight = receiver.received[0]!.id;
    for (const worker of workers) await worker.kill();
    workers.clear();
    receiver.holdMs = 0;
    await publish('1.1.0');
    await launchWorker();
    await waitFor(async () => receiver.received.length, (n) => n >= 4, 40_000);
    expect(receiver.types()).toEqual(expected(['1.0.0', '1.1.0']));
    // At least once: the delivery cut short came again under the same webhook-id, and was answered this time.
    expect(receiver.requests.filter((r) => r.id === inFlight)).toEqual([{ id: inFlight, status: 204 }]);
    expect(receiver.requestIds().filter((id) => id === inFlight)).toHaveLength(2);
    const deliveries = await waitFor(
      async () => (await api(registry.url, 'GET', `/api/v1/webhooks/${(await api(registry.url, 'GET', '/api/v1/webhooks', { token: admin })).json.items[0].id}/deliveries`, { token: admin })).json.items as Json[],
      (items) => items.every((d) => d.state === 'delivered'),
      20_000,
    );
    const first = deliveries.find((d) => d.id === inFlight)!;
    expect(first.attempts).toBeGreaterThanOrEqual(1);
    expect(first.recentAttempts[0]).toMatchObject({ statusCode: 204, error: null });
  });

  it('loses nothing and keeps the order while Redis restarts empty under publishes', async () => {
    const before = receiver.received.length;
    const versions = ['2.0.0', '2.1.0', '2.2.0', '2.3.0'];
    await publish(versions[0]!);
    await redis.stop();
    await publish(versions[1]!);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await redis.start();
    await publish(versions[2]!);
    await publish(versions[3]!);
    await waitFor(async () => receiver.received.length, (n) => n >= before + versions.length * 2, 60_000);
    const arrived = receiver.types().slice(before);
    // Per version, published comes before ready; every version's events arrive, each once after dedupe.
    expect([...arrived].sort()).toEqual([...expected(versions)].sort());
    for (const v of versions) expect(arrived.indexOf(`version.published relay/filter@${v}`)).toBeLessThan(arrived.indexOf(`version.ready relay/filter@${v}`));
    // And publishes arrive in the order they were made.
    expect(arrived.filter((t) => t.startsWith('version.published'))).toEqual(versions.map((v) => `version.published relay/filter@${v}`));
    expect(receiver.refusedSignatures).toEqual([]);
  });
});
