import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../testing/free-port.js';
import { EXIT } from './exit-codes.js';
import { RegistryClient, RegistryRefusal, problemSentence } from './registry-client.js';

describe('problemSentence', () => {
  it('says the title, status and code, then each field problem', () => {
    expect(problemSentence({ status: 400, code: 'invalid_input', title: 'Invalid input', errors: [{ field: 'body.manifest.version', message: 'is "2.0.0" but the version being published is "1.0.0"' }] })).toBe(
      'Invalid input (400 invalid_input): body.manifest.version is "2.0.0" but the version being published is "1.0.0"',
    );
    expect(problemSentence({ status: 404, code: 'plugin_not_found', title: 'Not found', detail: 'no plugin acme/x' })).toBe('Not found (404 plugin_not_found): no plugin acme/x');
  });
});

// A real HTTP server that fails on purpose, to see the client's retries and refusals end to end.
describe('RegistryClient against a flaky server', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];
  let failuresLeft = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? '-'}`);
      if (request.url === '/flaky' && failuresLeft-- > 0) {
        response.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' }).end(JSON.stringify({ title: 'Service unavailable', code: 'service_unavailable' }));
        return;
      }
      if (request.url === '/missing') {
        response.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Not found', code: 'plugin_not_found', detail: 'no plugin acme/x' }));
        return;
      }
      if (request.url === '/proxy-error') {
        response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad gateway</body></html>');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (retries: number) => new RegistryClient({ registry: url, token: 'wpr_t', timeoutSeconds: 5, caFile: null, retries, userAgent: 'test' });

  it('retries a GET through 503s and sends the token each time', async () => {
    failuresLeft = 2;
    seen.length = 0;
    const c = client(3);
    await expect(c.json('GET', '/flaky')).resolves.toEqual({ ok: true });
    expect(seen).toEqual(['GET /flaky Bearer wpr_t', 'GET /flaky Bearer wpr_t', 'GET /flaky Bearer wpr_t']);
    await c.close();
  });

  it('gives up after its retries with exit code 4, and never retries a POST', async () => {
    failuresLeft = 10;
    seen.length = 0;
    const c = client(1);
    await expect(c.json('GET', '/flaky')).rejects.toMatchObject({ exitCode: EXIT.unavailable, message: 'Service unavailable (503 service_unavailable)' });
    expect(seen).toHaveLength(2);
    seen.length = 0;
    await expect(c.json('POST', '/flaky', {})).rejects.toBeInstanceOf(RegistryRefusal);
    expect(seen).toHaveLength(1);
    await c.close();
  });

  it('turns a 404 into exit code 3 with the problem as a sentence, and a proxy page into a short one', async () => {
    const c = client(0);
    await expect(c.json('GET', '/missing')).rejects.toMatchObject({ exitCode: EXIT.refused, message: 'Not found (404 plugin_not_found): no plugin acme/x' });
    await expect(c.json('GET', '/proxy-error')).rejects.toMatchObject({ exitCode: EXIT.unavailable, message: expect.stringContaining('(502): <html><body>Bad gateway') });
    await c.close();
  });

  it('says the registry cannot be reached, with exit code 4', async () => {
    const port = await freePort();
    const closed = new RegistryClient({ registry: `http://127.0.0.1:${port}`, token: null, timeoutSeconds: 2, caFile: null, retries: 0, userAgent: 'test' });
    await expect(closed.json('GET', '/')).rejects.toMatchObject({ exitCode: EXIT.unavailable, message: expect.stringMatching(new RegExp(`cannot reach the registry at http://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`)) });
    await closed.close();
  });
});
