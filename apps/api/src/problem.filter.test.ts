import type { Logger } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendProblem } from './problem.filter.js';

const lines: { level: 'error' | 'debug'; message: string }[] = [];
const logger = {
  error: (message: string) => lines.push({ level: 'error', message }),
  debug: (message: string) => lines.push({ level: 'debug', message }),
} as unknown as Logger;

/** Sends the head of an upload and part of its body, then resets the connection. */
function abortUpload(port: number, path: string): void {
  const upload = request({ host: '127.0.0.1', port, path, method: 'PUT', headers: { 'content-type': 'application/wasm', 'content-length': String(1024 * 1024) } });
  upload.on('error', () => undefined);
  upload.write(Buffer.alloc(16 * 1024), () => setTimeout(() => upload.destroy(), 50));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('sendProblem: what reaches the log', () => {
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    app = Fastify();
    app.addContentTypeParser('application/wasm', (_request, payload, done) => done(null, payload));
    app.get('/api/boom', async (req, reply) => sendProblem(req, reply, new TypeError('a bug in the handler'), logger));
    // Reads the body; what fails while reading goes to sendProblem, as through the ProblemFilter.
    app.put('/api/upload', async (req, reply) => {
      try {
        for await (const _chunk of req.body as Readable) void _chunk;
      } catch (error) {
        sendProblem(req, reply, error, logger);
      }
    });
    // A real failure that happens after the client has gone is still a failure.
    app.put('/api/late-bug', async (req, reply) => {
      await new Promise((resolve) => req.raw.socket.once('close', resolve));
      sendProblem(req, reply, new TypeError('a bug found after the client left'), logger);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => {
    lines.length = 0;
  });

  it('logs a server error once, at ERROR with its stack, and answers 500 problem+json', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).not.toContain('a bug in the handler');
    expect(lines).toEqual([{ level: 'error', message: expect.stringMatching(/^GET \/api\/boom failed: TypeError: a bug in the handler\n\s+at /) }]);
  });

  it('logs an upload whose client hung up at debug, without a stack', async () => {
    abortUpload(port, '/api/upload');
    await until(() => lines.length > 0);
    expect(lines).toEqual([{ level: 'debug', message: 'PUT /api/upload: the client went away (ECONNRESET: aborted)' }]);
  });

  it('still logs at ERROR a failure that is not the closed connection', async () => {
    abortUpload(port, '/api/late-bug');
    await until(() => lines.length > 0);
    expect(lines).toEqual([{ level: 'error', message: expect.stringContaining('TypeError: a bug found after the client left\n') }]);
  });
});
