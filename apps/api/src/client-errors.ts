import type { Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { maxHeaderSize, STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpConfig } from '../../../libs/config/index.js';
import { isOciPath } from '../../../libs/oci/index.js';
import { problemResponse } from './problem-response.js';
import { toProblem } from '../../../libs/http/index.js';

/** Errors that mean the connection ended under the request: the client hung up or was cut off. */
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED', 'FST_MP_PREMATURE_CLOSE']);

/**
 * Whether a request failed because its client went away (hung up, or was cut off for stalling)
 * rather than because of anything on this side. Such a request has nobody to answer and is not
 * a server error; a real failure that happens to meet a closed connection still counts as one.
 */
export function clientWentAway(request: FastifyRequest, error: unknown): boolean {
  const socket = request.raw.socket as Partial<Socket> | null;
  const gone = socket?.destroyed === true || request.raw.readableAborted;
  if (!gone) return false;
  const { code, message, status } = (error ?? {}) as { code?: unknown; message?: unknown; status?: unknown };
  return (typeof code === 'string' && CONNECTION_ERRORS.has(code)) || message === 'aborted' || (code === 'request_timeout' && status === 408);
}

export function describeError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return [code, message].filter((part) => typeof part === 'string' && part !== '').join(': ') || String(error);
}

/** What Node reports through 'clientError': a parse error, oversized headers, or a request that took too long. */
type ClientError = Error & { code?: string; reason?: string; rawPacket?: unknown };

/**
 * Fastify's clientErrorHandler: answers what Node refuses before any route runs (malformed HTTP,
 * headers over the size limit, a request or its headers not received in time) in the format of the
 * surface the request was for, instead of Node's and Fastify's own plain answers.
 */
export function answerClientError(config: HttpConfig, logger: Logger): (error: ClientError, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // The request in flight on this socket, if its headers had arrived (Node's own bookkeeping).
    const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
    const url = response?.req?.url ?? requestTarget(Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined) ?? '/';
    logger.debug(`client error on ${url}: ${describeError(error)}`);
    if (response?.headersSent || !socket.writable) {
      // An answer has begun, or cannot be written: all that is left is to close.
      socket.destroy();
      return;
    }
    // A request that is not even HTTP says nothing about a repository: UNKNOWN rather than NAME_INVALID on /v2.
    const problem = { ...toProblem(clientErrorFor(error, response !== null, config), url), ...(isOciPath(url) ? { ociCode: 'UNKNOWN' } : {}) };
    writeAndClose(socket, problem.status, problemResponse(problem, url, response?.req?.headers.accept));
  };
}

/** A problem-shaped error for toProblem: the status and a detail that says which limit was crossed. */
function clientErrorFor(error: ClientError, headersArrived: boolean, config: HttpConfig): Error & { statusCode: number } {
  const withStatus = (statusCode: number, detail: string) => Object.assign(new Error(detail), { statusCode });
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return headersArrived
        ? withStatus(408, `the request was not received within ${config.requestTimeoutMs} ms`)
        : withStatus(408, `the request line and headers were not received within ${config.headersTimeoutMs} ms`);
    case 'HPE_HEADER_OVERFLOW':
      return withStatus(431, `the request line and headers are larger than ${maxHeaderSize} bytes`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return withStatus(413, 'the chunk extensions of the body are too large');
    default:
      return withStatus(400, `the request is not valid HTTP/1.1: ${error.reason ?? error.message}`);
  }
}

/** The path of the request line at the start of what the parser refused, when it is there to read. */
function requestTarget(raw: Buffer | undefined): string | null {
  const line = raw?.subarray(0, 8192).toString('latin1') ?? '';
  return /^[A-Z]{3,10} (\/[^\s]*) HTTP\/1\.[01]\r?\n/.exec(line)?.[1] ?? null;
}

/** Writes a whole response straight to the socket (no Fastify reply is left to write it) and closes. */
export function writeAndClose(socket: Socket, status: number, response: { headers: Record<string, string>; body: string }): void {
  const body = Buffer.from(response.body);
  const headers = { ...response.headers, 'content-length': String(body.length), connection: 'close', date: new Date().toUTCString() };
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  // Half-close after the answer so the client can read it, then let go of the socket whatever it does.
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]), () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}
