import type { Logger } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../../libs/domain/index.js';
import { sendProblem } from './problem.filter.js';

const logger = { error: () => undefined, debug: () => undefined } as unknown as Logger;

/**
 * Starts an upload the server refuses after its head, reads the answer, then keeps sending for a
 * while as a client does that has not noticed yet. Says how the connection ended for the client.
 */
async function refusedUpload(port: number): Promise<{ answer: string; ended: 'closed' | 'reset'; sentAfterAnswer: number }> {
  // Half-open: the server's FIN after its answer must not end our side; a client still uploading keeps writing.
  const socket: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let answer = '';
  let sentAfterAnswer = 0;
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  return new Promise((resolve) => {
    let settled = false;
    const done = (ended: 'closed' | 'reset') => {
      if (settled) return;
      settled = true;
      clearInterval(sender);
      socket.destroy();
      resolve({ answer, ended, sentAfterAnswer });
    };
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    socket.on('error', () => done('reset'));
    socket.on('close', () => done('closed'));
    socket.write(`PUT /api/refuse HTTP/1.1\r\nHost: x\r\nContent-Type: application/wasm\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`);
    // Keeps sending for 25 chunks after the answer arrived, then finishes; a server that closed at once resets these writes.
    const sender = setInterval(() => {
      if (!socket.writable) return;
      if (answer !== '' && sentAfterAnswer >= 25 * chunk.length) {
        socket.end();
        return;
      }
      socket.write(chunk);
      if (answer !== '') sentAfterAnswer += chunk.length;
    }, 16);
  });
}

describe('a refused upload ends with a lingering close', () => {
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    app = Fastify();
    app.addContentTypeParser('application/wasm', (_request, payload, done) => done(null, payload));
    // Refused from the head alone, the body never read: as a declared length over the limit is.
    app.put('/api/refuse', async (req, reply) => sendProblem(req, reply, new RegistryError(413, 'body_too_large', 'Body too large', 'too large'), logger));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers, then keeps reading what the client still sends until the client is done, so nothing is reset', async () => {
    const result = await refusedUpload(port);
    expect(result.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.answer).toContain('connection: close');
    expect(result.sentAfterAnswer).toBe(25 * 16 * 1024);
    expect(result.ended).toBe('closed');
  });
});
