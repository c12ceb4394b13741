import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter, rejectedFilter } from '../testing/wasm-fixtures.js';
import { WebhookReceiver } from '../testing/webhook-receiver.js';
import { api, expectProblem, settledVersion, waitFor, type Json } from './support.js';

const FAST_RETRIES = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_BACKOFF_MS: '100',
  WEBHOOK_MAX_BACKOFF_MS: '400',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_DISABLE_AFTER_MS: '4000',
};
const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

let registry: RunningRegistry;
let admin: string;
const receiver = new WebhookReceiver();

async function publish(plugin: string, version: string, module: Buffer): Promise<Json> {
  const response = await api(registry.url, 'PUT', `/api/v1/plugins/hooks/${plugin}/versions/${version}`, { body: module, token: admin });
  expect(response.status, response.text).toBe(202);
  return settledVersion(registry.url, 'hooks', plugin, version);
}

const untilReceived = (count: number, timeoutMs = 20_000) =>
  waitFor(
    async () => receiver.received.length,
    (n) => n >= count,
    timeoutMs,
  );

describe('webhooks: signed CloudEvents from the outbox, in order, at least once', () => {
  let module: Buffer;
  let subscription: Json;

  beforeAll(async () => {
    registry = await startRegistry(FAST_RETRIES);
    admin = registry.adminToken;
    module = await proxyWasmFilter('webhooks');
    await receiver.start();
    // The namespace exists once something is published in it.
    expect((await publish('first', '0.1.0', module)).status).toBe('ready');
  });
  afterAll(async () => {
    await receiver.stop();
    await registry?.stop();
  });

  it('subscribes: the secret is shown once, and every followed change arrives signed, as a CloudEvent, in order', async () => {
    const created = await api(registry.url, 'POST', '/api/v1/webhooks', {
      token: admin,
      json: { url: receiver.url, events: ['version.published', 'version.ready', 'version.rejected', 'version.yanked', 'version.unyanked', 'plugin.deprecated', 'advisory.published', 'advisory.updated', 'advisory.withdrawn'], namespaces: ['hooks'] },
    });
    expect(created.status, created.text).toBe(201);
    subscription = created.json;
    expect(subscription.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(subscription).toMatchObject({ enabled: true, namespaces: ['hooks'], owner: 'REGISTRY_ADMIN_TOKEN', pendingDeliveries: 0 });
    expect((await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}`, { token: admin })).json.secret).toBeUndefined();
    receiver.useSecret(subscription.secret);

    await publish('guard', '1.0.0', module);
    expect((await publish('guard', '1.0.1', await rejectedFilter('webhooks'))).status).toBe('rejected');
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/hooks/guard/versions/1.0.0/yank', { token: admin, json: { reason: 'bad' } })).status).toBe(200);
    expect((await api(registry.url, 'DELETE', '/api/v1/plugins/hooks/guard/versions/1.0.0/yank', { token: admin })).status).toBe(200);
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/hooks/guard/deprecation', { token: admin, json: { message: 'use hooks/shield' } })).status).toBe(200);
    const advisory = await api(registry.url, 'POST', '/api/v1/plugins/hooks/guard/advisories', { token: admin, json: { summary: 'bypass', severity: CRITICAL, affected: [{ introduced: '0', fixed: '2.0.0' }] } });
    expect(advisory.status).toBe(201);
    expect((await api(registry.url, 'PATCH', `/api/v1/advisories/${advisory.json.id}`, { token: admin, json: { details: 'more' } })).status).toBe(200);
    expect((await api(registry.url, 'PUT', `/api/v1/advisories/${advisory.json.id}/withdrawal`, { token: admin, json: { reason: 'false alarm' } })).status).toBe(200);

    await untilReceived(9);
    expect(receiver.refusedSignatures).toEqual([]);
    expect(receiver.types()).toEqual([
      'version.published hooks/guard@1.0.0',
      'version.ready hooks/guard@1.0.0',
      'version.published hooks/guard@1.0.1',
      'version.rejected hooks/guard@1.0.1',
      'version.yanked hooks/guard@1.0.0',
      'version.unyanked hooks/guard@1.0.0',
      'plugin.deprecated hooks/guard',
      `advisory.published ${advisory.json.id}`,
      `advisory.updated ${advisory.json.id}`,
      `advisory.withdrawn ${advisory.json.id}`,
    ].slice(0, receiver.received.length));
    await untilReceived(10);
    const [published] = receiver.received;
    expect(published!.contentType).toBe('application/cloudevents+json; charset=utf-8');
    expect(published!.event).toMatchObject({
      specversion: '1.0',
      source: registry.url,
      type: 'version.published',
      subject: 'hooks/guard@1.0.0',
      datacontenttype: 'application/json',
      data: { namespace: 'hooks', plugin: 'guard', version: '1.0.0', digest: expect.stringMatching(/^sha256:/) },
    });
    expect(receiver.received[4]!.event.data).toMatchObject({ reason: 'bad' });
    expect(receiver.received[9]!.event.data).toMatchObject({ id: advisory.json.id, severity: 'critical', withdrawnReason: 'false alarm' });
    // Nothing about the first plugin (published before the subscription) and nothing twice.
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(10);
  });

  it('records every attempt, and keeps order and every event through a receiver that is down for a while', async () => {
    await receiver.stop();
    const before = receiver.received.length;
    await publish('guard', '1.1.0', module);
    await publish('guard', '1.2.0', module);
    // Attempts fail while it is down: recorded with the connection error, retried.
    const failing = await waitFor(
      async () => (await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}/deliveries?limit=5`, { token: admin })).json.items as Json[],
      (items) => items.some((d) => d.attempts >= 2),
      15_000,
    );
    const stuck = failing.find((d) => d.attempts >= 2)!;
    expect(stuck).toMatchObject({ state: 'pending', event: { type: 'version.published', subject: 'hooks/guard@1.1.0' } });
    expect(stuck.recentAttempts[0]).toMatchObject({ statusCode: null, error: expect.stringContaining('ECONNREFUSED') });
    expect((await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}`, { token: admin })).json.failingSince).not.toBeNull();

    await receiver.start();
    await untilReceived(before + 4);
    expect(receiver.types().slice(before)).toEqual(['version.published hooks/guard@1.1.0', 'version.ready hooks/guard@1.1.0', 'version.published hooks/guard@1.2.0', 'version.ready hooks/guard@1.2.0']);
    const delivered = (await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}/deliveries?limit=4`, { token: admin })).json.items as Json[];
    const first = delivered.find((d) => d.event.subject === 'hooks/guard@1.1.0' && d.event.type === 'version.published')!;
    expect(first.state).toBe('delivered');
    expect(first.recentAttempts[0]).toMatchObject({ statusCode: 204, error: null });
    expect(first.recentAttempts.length).toBeGreaterThanOrEqual(3);
    expect((await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}`, { token: admin })).json).toMatchObject({ failingSince: null, pendingDeliveries: 0 });
  });

  it('retries answers other than 2xx, and redelivers on request under a new webhook-id', async () => {
    receiver.failWith = 503;
    const before = receiver.received.length;
    await publish('guard', '1.3.0', module);
    await waitFor(async () => receiver.requests.filter((r) => r.status === 503).length, (n) => n >= 2, 15_000);
    receiver.failWith = null;
    await untilReceived(before + 2);
    const items = (await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}/deliveries?limit=2`, { token: admin })).json.items as Json[];
    const retried = items.find((d) => d.event.type === 'version.published')!;
    expect(retried.recentAttempts.some((a: Json) => a.statusCode === 503 && a.error === 'HTTP 503')).toBe(true);

    const again = await api(registry.url, 'POST', `/api/v1/webhooks/${subscription.id}/deliveries/${retried.id}/redeliver`, { token: admin });
    expect(again.status, again.text).toBe(202);
    await untilReceived(before + 3);
    const repeat = receiver.received.at(-1)!;
    expect(repeat.id).toBe(again.json.id);
    expect(repeat.event.id).toBe(retried.event.id);
    expectProblem(await api(registry.url, 'POST', `/api/v1/webhooks/${subscription.id}/deliveries/00000000-0000-0000-0000-000000000000/redeliver`, { token: admin }), 404, 'delivery_not_found');
  });

  it('disables a subscription failing for longer than allowed, says why, and delivers what waited once enabled', async () => {
    const dead = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    const failing = await api(registry.url, 'POST', '/api/v1/webhooks', { token: admin, json: { url: `http://127.0.0.1:${port}/x`, events: ['version.ready'], namespaces: ['hooks'] } });
    expect(failing.status).toBe(201);
    await publish('guard', '1.4.0', module);
    const disabled = await waitFor(
      async () => (await api(registry.url, 'GET', `/api/v1/webhooks/${failing.json.id}`, { token: admin })).json,
      (s) => s.enabled === false,
      20_000,
    );
    expect(disabled.disabledReason).toMatch(new RegExp(`^Deliveries to http://127\\.0\\.0\\.1:${port}/x have failed since \\S+Z \\(last: HTTP 500\\)\\. Fix the receiver`));
    expect(disabled.pendingDeliveries).toBe(1);
    dead.close();

    // Point it at the working receiver (a new secret is not needed for this check: count requests instead).
    const requestsBefore = receiver.requests.length;
    const enabled = await api(registry.url, 'PATCH', `/api/v1/webhooks/${failing.json.id}`, { token: admin, json: { url: receiver.url, enabled: true } });
    expect(enabled.json).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    await waitFor(async () => receiver.requests.length, (n) => n > requestsBefore, 10_000);
    expect(receiver.requests.at(-1)!.status).toBe(400); // Signed with its own secret, which this receiver does not hold.
    expect((await api(registry.url, 'DELETE', `/api/v1/webhooks/${failing.json.id}`, { token: admin })).status).toBe(204);
  });

  it('lets a namespace token follow only its namespaces, and see only its own subscriptions', async () => {
    expect((await api(registry.url, 'PUT', '/api/v1/namespaces/elsewhere', { token: admin })).status).toBeLessThan(300);
    const token = (await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'hooks-ci', namespaces: ['hooks'] } })).json.token as string;
    const own = await api(registry.url, 'POST', '/api/v1/webhooks', { token, json: { url: receiver.url, events: ['version.ready'] } });
    expect(own.status, own.text).toBe(201);
    expect(own.json.namespaces).toEqual(['hooks']);
    expectProblem(await api(registry.url, 'POST', '/api/v1/webhooks', { token, json: { url: receiver.url, events: ['version.ready'], namespaces: ['elsewhere'] } }), 403, 'forbidden');
    expectProblem(await api(registry.url, 'POST', '/api/v1/webhooks', { token, json: { url: receiver.url, events: ['version.ready'], namespaces: [] } }), 400, 'invalid_input');
    expect((await api(registry.url, 'GET', '/api/v1/webhooks', { token })).json.items.map((s: Json) => s.id)).toEqual([own.json.id]);
    expectProblem(await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}`, { token }), 404, 'webhook_not_found');
    expectProblem(await api(registry.url, 'GET', `/api/v1/webhooks/${subscription.id}/deliveries`, { token }), 404, 'webhook_not_found');
    expectProblem(await api(registry.url, 'GET', '/api/v1/webhooks'), 401, 'unauthenticated');
    const bad = await api(registry.url, 'POST', '/api/v1/webhooks', { token: admin, json: { url: 'ftp://x', events: ['version.made'], extra: 1 } });
    expectProblem(bad, 400, 'invalid_input');
    expect(bad.json.errors.map((e: Json) => e.field)).toEqual(['body.extra']);
    const bad2 = await api(registry.url, 'POST', '/api/v1/webhooks', { token: admin, json: { url: 'ftp://x', events: ['version.made'] } });
    expect(bad2.json.errors.map((e: Json) => e.field).sort()).toEqual(['body.events', 'body.url']);
  });
});

describe('webhooks: targets that could reach inside the network are refused by default', () => {
  let guarded: RunningRegistry;
  beforeAll(async () => {
    guarded = await startRegistry();
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  it('refuses loopback, private, link-local (cloud metadata) and unique-local targets, by address or by name', async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://10.1.2.3/x', 'http://192.168.0.10/x', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/x', 'http://[fd00:ec2::254]/x', 'http://[::ffff:127.0.0.1]/x', 'http://0.0.0.0/x']) {
      const response = await api(guarded.url, 'POST', '/api/v1/webhooks', { token: guarded.adminToken, json: { url, events: ['version.ready'] } });
      expectProblem(response, 400, 'invalid_input');
      expect(response.json.errors, url).toEqual([{ field: 'body.url', message: expect.stringMatching(/^is refused: .*(loopback|private|linkLocal|uniqueLocal|unspecified).*WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows others\)$/) }]);
    }
    expect((await api(guarded.url, 'GET', '/api/v1/webhooks', { token: guarded.adminToken })).json.items).toEqual([]);
  });
});
