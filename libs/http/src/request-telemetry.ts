import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_SERVER_DURATION, tracer, tracingEnabled } from '../../telemetry/index.js';

/** The header that carries a request's id, taken from the client when well formed, and always echoed. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** What a client's own request id may look like: anything else (long, odd characters) is replaced by ours. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Ours: this process's random prefix and a counter (a UUID per request cost half a per cent of downloads). */
const PROCESS_PREFIX = randomBytes(8).toString('hex');
let issued = 0;

/** Fastify's genReqId: the client's X-Request-Id when it is well formed, otherwise a new id unique across processes. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : `${PROCESS_PREFIX}-${(++issued).toString(36)}`;
}

/** The methods the HTTP conventions name; any other is recorded as `_OTHER` (bounded cardinality). */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * An `http.server.request.duration` measurement for every request and, when tracing, a span, named
 * and labelled by the route template (`/api/v1/plugins/:namespace/:name`), never the raw path. The
 * handler runs in the span's context, so database, storage and queue spans become its children, and
 * log lines carry its ids. Without tracing this is one onResponse hook (Fastify times the request).
 * The request id is echoed by applySecurityHeaders' hook, on every answer.
 */
export function observeRequests(fastify: FastifyInstance): void {
  if (tracingEnabled()) {
    fastify.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      const method = methodOf(request);
      const parent = propagation.extract(ROOT_CONTEXT, request.headers);
      const span = tracer().startSpan(
        route === undefined ? method : `${method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_SCHEME]: request.protocol,
            // The path without its query (which may hold a search or a signature).
            [ATTR_URL_PATH]: request.url.split('?', 1)[0]!.slice(0, 512),
            ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
            'http.request.id': request.id,
          },
        },
        parent,
      );
      spans.set(request, span);
      // What runs from here (later hooks, the handler) inherits the span as the active context.
      context.with(trace.setSpan(parent, span), done);
    });
    // A client that goes away before the answer.
    fastify.addHook('onRequestAbort', (request, done) => {
      spans.get(request)?.setAttribute(ATTR_ERROR_TYPE, 'aborted');
      done();
    });
  }
  fastify.addHook('onResponse', (request, reply, done) => {
    finish(request, reply);
    done();
  });
}

function methodOf(request: FastifyRequest): string {
  return KNOWN_METHODS.has(request.method) ? request.method : '_OTHER';
}

const METHOD_CODES = new Map([...KNOWN_METHODS].map((method, i) => [method, i + 1]));

function finish(request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const route = request.routeOptions.url;
  // The registry's own socket: TLS ends in front of it, or on it (then the socket says so).
  const encrypted = (request.raw.socket as { encrypted?: boolean }).encrypted === true;
  const code = (status * 16 + (METHOD_CODES.get(request.method) ?? 0)) * 2 + (encrypted ? 1 : 0);
  HTTP_SERVER_DURATION.record(route ?? '', code, () => {
    const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: methodOf(request), [ATTR_HTTP_RESPONSE_STATUS_CODE]: status, [ATTR_URL_SCHEME]: encrypted ? 'https' : 'http' };
    if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
    if (status >= 500) attributes[ATTR_ERROR_TYPE] = String(status);
    return attributes;
  }, reply.elapsedTime / 1000);
  const span = spans.get(request);
  if (span !== undefined) {
    spans.delete(request);
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    // Server spans fail on 5xx only: a 4xx is the client's mistake, answered as designed.
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR }).setAttribute(ATTR_ERROR_TYPE, String(status));
    span.end();
  }
}
