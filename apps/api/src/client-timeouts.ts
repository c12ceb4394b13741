import type { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import type { HttpConfig } from '../../../libs/config/index.js';
import { RegistryError } from '../../../libs/domain/index.js';
import { writeAndClose } from './client-errors.js';
import { problemResponse } from './problem-response.js';
import { toProblem } from '../../../libs/http/index.js';

/**
 * The Fastify options that bound how long a client may take. Node checks the whole-request and
 * headers deadlines on an interval (30 s by default): it runs often enough here to keep them.
 */
export function clientTimeoutOptions(config: HttpConfig): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    requestTimeout: config.requestTimeoutMs,
    // The socket's inactivity timer; cutStalledClients decides what a silence means.
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(config.headersTimeoutMs, config.idleTimeoutMs) / 4))),
    },
  };
}

/**
 * When a connection has been silent for HTTP_IDLE_TIMEOUT_MS, Node asks the request (if its body is
 * still arriving) and the response. A body that stopped arriving is the client's stall: it gets a
 * 408 and the connection closes, which fails the upload reading it, and the upload cleans up after
 * itself. A response that stopped moving is a client that stopped reading: the connection closes.
 * Silence while the server works on an answer (a long poll, a verification) is not the client's
 * doing and is left alone; those waits are bounded where they happen.
 */
export function cutStalledClients(fastify: FastifyInstance, config: HttpConfig, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const socket = request.raw.socket as Socket;
    request.raw.on('timeout', () => {
      logger.debug(`${request.method} ${request.url}: no byte of the body for ${config.idleTimeoutMs} ms; answering 408`);
      if (reply.raw.headersSent) {
        socket.destroy();
        return;
      }
      const error = new RegistryError(408, 'request_timeout', 'Request timeout', `no byte of the request body arrived for ${config.idleTimeoutMs} ms`, {
        idleTimeoutMs: config.idleTimeoutMs,
      });
      const problem = toProblem(error, request.url);
      writeAndClose(socket, problem.status, problemResponse(problem, request.url, request.headers.accept));
    });
    reply.raw.on('timeout', () => {
      if (!request.raw.complete || !reply.raw.headersSent) return;
      logger.debug(`${request.method} ${request.url}: the client read nothing for ${config.idleTimeoutMs} ms; closing`);
      socket.destroy();
    });
    done();
  });
}
