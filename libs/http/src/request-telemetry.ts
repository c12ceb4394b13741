import { randomUUID } from 'node:crypto';
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
import { instruments, tracer, tracingEnabled } from '../../telemetry/index.js';

/** The header that carries a request's id, taken from the client when well formed, and always echoed. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** What a client's own request id may look like: anything else (long, odd characters) is replaced by ours. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Fastify's genReqId: the client's X-Request-Id when it is well formed, otherwise a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The methods the HTTP conventions name; any other is recorded as `_OTHER` (bounded cardinality). */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

interface Observed {
  started: number;
  span: Span | null;
}
const observed = new WeakMap<FastifyRequest, Observed>();

/**
 * A span (when tracing) and an `http.server.request.duration` measurement for every request, named
 * and labelled by the route template (`/api/v1/plugins/:namespace/:name`), never the raw path; and
 * the request id echoed in X-Request-Id. The handler runs in the span's context, so database,
 * storage and queue spans become its children, and log lines carry its ids.
 */
export function observeRequests(fastify: FastifyInstance): void {
  const duration = instruments().httpServerDuration;
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    if (!tracingEnabled()) {
      observed.set(request, { started: performance.now(), span: null });
      return done();
    }
    const route = request.routeOptions.url;
    const method = KNOWN_METHODS.has(request.method) ? request.method : '_OTHER';
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      route === undefined ? method : `${method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_SCHEME]: request.protocol,
          // The path without its query (which may hold a presigned URL's signature or a search).
          [ATTR_URL_PATH]: request.url.split('?', 1)[0]!.slice(0, 512),
          ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
          'http.request.id': request.id,
        },
      },
      parent,
    );
    observed.set(request, { started: performance.now(), span });
    // What runs from here (later hooks, the handler) inherits the span as the active context.
    context.with(trace.setSpan(parent, span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    finish(request, reply, duration);
    done();
  });
  // A client that goes away before the answer: the request still counts, as 499 would in a proxy's log.
  fastify.addHook('onRequestAbort', (request, done) => {
    const entry = observed.get(request);
    if (entry?.span) entry.span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
    done();
  });
}

function finish(request: FastifyRequest, reply: FastifyReply, duration: ReturnType<typeof instruments>['httpServerDuration']): void {
  const entry = observed.get(request);
  if (entry === undefined) return;
  observed.delete(request);
  const status = reply.statusCode;
  const route = request.routeOptions.url;
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: KNOWN_METHODS.has(request.method) ? request.method : '_OTHER',
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
    [ATTR_URL_SCHEME]: request.protocol,
  };
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (status >= 500) attributes[ATTR_ERROR_TYPE] = String(status);
  duration.record((performance.now() - entry.started) / 1000, attributes);
  if (entry.span !== null) {
    entry.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    // Server spans fail on 5xx only: a 4xx is the client's mistake, answered as designed.
    if (status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR }).setAttribute(ATTR_ERROR_TYPE, String(status));
    entry.span.end();
  }
}
