import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../testing/free-port.js';
import { EXIT } from './exit-codes.js';
import { RegistryClient, RegistryRefusal, problemSentence } from './registry-client.js';

const execFileAsync = promisify(execFile);

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

describe('RegistryClient through a proxy and a private CA', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends requests through HTTP_PROXY, and straight to hosts in NO_PROXY', async () => {
    const proxied: string[] = [];
    // A forward proxy: requests arrive in absolute form and are passed on.
    const proxy = createServer((request, response) => {
      proxied.push(`${request.method} ${request.url}`);
      const upstream = httpRequest(request.url!, { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      });
      request.pipe(upstream);
    });
    const origin = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"via":"origin"}'));
    await Promise.all([new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r)), new Promise<void>((r) => origin.listen(0, '127.0.0.1', r))]);
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      delete process.env.NO_PROXY;
      const through = new RegistryClient({ registry: originUrl, token: null, timeoutSeconds: 5, caFile: null, retries: 0, userAgent: 'test' });
      await expect(through.json('GET', '/api/v1/plugins')).resolves.toEqual({ via: 'origin' });
      await through.close();
      expect(proxied).toEqual([`GET ${originUrl}/api/v1/plugins`]);

      process.env.NO_PROXY = '127.0.0.1';
      const direct = new RegistryClient({ registry: originUrl, token: null, timeoutSeconds: 5, caFile: null, retries: 0, userAgent: 'test' });
      await expect(direct.json('GET', '/api/v1/plugins')).resolves.toEqual({ via: 'origin' });
      await direct.close();
      expect(proxied).toHaveLength(1);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      proxy.close();
      origin.close();
    }
  });

  it('trusts a registry certificate signed by a private CA only with --ca-file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wpr-ca-'));
    const openssl = (...args: string[]) => execFileAsync('openssl', args, { cwd: dir });
    await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=wpr test CA');
    await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    const server = createHttpsServer({ key: await readFile(join(dir, 'server.key')), cert: await readFile(join(dir, 'server.pem')) }, (_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"tls":true}'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const registry = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const untrusted = new RegistryClient({ registry, token: null, timeoutSeconds: 5, caFile: null, retries: 0, userAgent: 'test' });
      await expect(untrusted.json('GET', '/')).rejects.toMatchObject({ exitCode: EXIT.unavailable, message: expect.stringContaining('TLS certificate is not trusted'), hint: expect.stringContaining('--ca-file') });
      await untrusted.close();
      const trusted = new RegistryClient({ registry, token: null, timeoutSeconds: 5, caFile: join(dir, 'ca.pem'), retries: 0, userAgent: 'test' });
      await expect(trusted.json('GET', '/')).resolves.toEqual({ tls: true });
      await trusted.close();
      expect(() => new RegistryClient({ registry, token: null, timeoutSeconds: 5, caFile: join(dir, 'san.ext'), retries: 0, userAgent: 'test' })).toThrow(/cannot use --ca-file .*no PEM certificate/);
    } finally {
      server.close();
    }
  });
});
