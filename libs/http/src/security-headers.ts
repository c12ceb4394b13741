import helmet, { type HelmetOptions } from 'helmet';
import { REQUEST_ID_HEADER } from './request-telemetry.js';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every answer. The pages are server-rendered
 * with one same-origin script (the copy buttons) and one same-origin
 * stylesheet, no inline script or style, no frames, no plugins: anything else
 * is refused by the browser even if escaping ever failed. JSON, YAML and
 * module answers get the same policy; it costs nothing and stops them being
 * rendered as a page or framed.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  // Browsers fetch /favicon.ico under img-src; the chart is inline SVG.
  'img-src': ["'self'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
} as const;

/**
 * Security headers for every answer (pages, API, /v2, errors), set by
 * helmet: the policy above, X-Content-Type-Options: nosniff,
 * X-Frame-Options: DENY (for browsers that ignore frame-ancestors),
 * Referrer-Policy: no-referrer (pages link to publishers' sites), and helmet's
 * cross-origin isolation defaults (COOP and CORP same-origin). No HSTS: TLS
 * ends in front of the registry, and the proxy that terminates it decides HSTS
 * for its whole host.
 */
export const SECURITY_HEADERS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: Object.fromEntries(Object.entries(CONTENT_SECURITY_POLICY).map(([k, v]) => [k, [...v]])) },
  strictTransportSecurity: false,
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
};

/**
 * The same protection as plain headers, for answers that never pass through
 * Fastify's hooks (what the router or Node refuse before a route runs, written
 * by the error path itself), so that no answer goes out without them.
 */
export const BASELINE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': Object.entries(CONTENT_SECURITY_POLICY)
    .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
    .join(';'),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Sets SECURITY_HEADERS on every answer that passes through Fastify's hooks.
 * helmet's middleware is built once here: @fastify/helmet built it again for
 * every request, which cost a tenth of a module download's CPU.
 */
export function applySecurityHeaders(fastify: FastifyInstance): void {
  const middleware = helmet(SECURITY_HEADERS);
  fastify.addHook('onRequest', (request, reply, done) => {
    // The request's id on every answer too: one hook fewer per request than a hook of its own.
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
    middleware(request.raw, reply.raw, (error) => done(error as Error | undefined));
  });
}
