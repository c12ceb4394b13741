import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret, webhookHeaders } from './cloud-event.js';
import { addressProblem } from './target-address.js';
import { retryDelayMs } from './webhook-deliverer.js';
import { sendWebhook } from './webhook-sender.driver.js';

describe('Standard Webhooks signatures', () => {
  it('verify with the Standard Webhooks library, and fail once the body changes', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ specversion: '1.0', type: 'version.ready' });
    const headers = webhookHeaders(secret, 'msg_1', new Date(), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(/signature/i);
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow(/signature/i);
  });
});

describe('retry delays', () => {
  it('double from the base with jitter between half and all of it, up to the cap', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(retryDelayMs(40, 1000, 60_000, () => 1)).toBe(60_000);
    expect(retryDelayMs(40, 1000, 60_000, () => 0)).toBe(30_000);
  });
});

describe('which addresses webhooks may call', () => {
  it('only public unicast ones', () => {
    expect(addressProblem('93.184.216.34')).toBeNull();
    expect(addressProblem('2606:4700::1111')).toBeNull();
    expect(addressProblem('127.0.0.1')).toBe('127.0.0.1 is a loopback address');
    expect(addressProblem('169.254.169.254')).toBe('169.254.169.254 is a linkLocal address');
    expect(addressProblem('100.64.0.1')).toBe('100.64.0.1 is a carrierGradeNat address');
    expect(addressProblem('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1 is a private address');
    expect(addressProblem('fd00:ec2::254')).toBe('fd00:ec2::254 is a uniqueLocal address');
  });
});

describe('sending one delivery (a real local server)', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.url ?? '');
      if (request.url === '/slow') return; // never answers
      if (request.url === '/redirect') return response.writeHead(302, { location: '/ok' }).end();
      if (request.url === '/huge') {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 120);
        const pump = () => {
          while (response.write(chunk));
        };
        response.on('drain', pump);
        pump();
        return;
      }
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const options = { timeoutMs: 1000, allowPrivateTargets: true, maxResponseBytes: 64 * 1024 };

  it('succeeds on 2xx, fails on a redirect without following it', async () => {
    expect(await sendWebhook(`http://${base}/ok`, {}, '{}', options)).toMatchObject({ statusCode: 204, error: null });
    expect(await sendWebhook(`http://${base}/redirect`, {}, '{}', options)).toMatchObject({ statusCode: 302, error: 'HTTP 302' });
    expect(seen.filter((u) => u === '/ok')).toHaveLength(1);
  });

  it('gives up at the deadline, and stops reading an endless answer', async () => {
    expect(await sendWebhook(`http://${base}/slow`, {}, '{}', { ...options, timeoutMs: 300 })).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' });
    const huge = await sendWebhook(`http://${base}/huge`, {}, '{}', options);
    expect(huge.statusCode).toBe(200);
    expect(huge.durationMs).toBeLessThan(1000);
  });

  it('refuses private targets at connection time, by literal or by the name\'s resolved address, without sending a byte', async () => {
    const before = seen.length;
    const port = base.split(':')[1];
    const guarded = { ...options, allowPrivateTargets: false };
    expect(await sendWebhook(`http://127.0.0.1:${port}/ok`, {}, '{}', guarded)).toMatchObject({ statusCode: null, error: 'refused: 127.0.0.1 is a loopback address' });
    // A name that resolves to loopback now (as a rebinding DNS answer would on the second lookup).
    expect(await sendWebhook(`http://localhost:${port}/ok`, {}, '{}', guarded)).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused: localhost resolves only to addresses webhooks may not call/) });
    expect(seen.length).toBe(before);
  });
});
