import type { Logger } from '@nestjs/common';
import fastifyRateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { Socket } from 'node:net';
import type { RateLimitConfig } from '../../config/index.js';
import { RegistryError } from '../../domain/index.js';

/**
 * The limits routes are marked with: `verify` (VERIFY_RATE_LIMIT_*: anonymous routes that take
 * uploads) and `ownTrials` (OWN_TRIAL_RATE_LIMIT_*: trials run on a client's demand).
 */
export type RateLimitName = 'verify' | 'ownTrials';

/**
 * Marks a route as limited per client address by the named limit; each route counts on its own.
 * The limit is checked when the request arrives, before its body is read.
 */
export const RateLimited = (name: RateLimitName = 'verify'): MethodDecorator => RouteConfig({ rateLimit: {}, rateLimitName: name });

const limitNameOf = (request: FastifyRequest): RateLimitName => (request.routeOptions.config as { rateLimitName?: RateLimitName }).rateLimitName ?? 'verify';

/**
 * Counts requests to the routes marked RateLimited per client address (request.ip: X-Forwarded-For
 * only from the proxies TRUST_PROXY names). With Redis the counters are shared, so N API processes
 * allow the limit once, not N times; without it each process counts in memory (embedded: one
 * process). The web pages' own in-process requests are not counted: they are not a client's.
 */
export async function registerRateLimit(app: NestFastifyApplication, limits: Record<RateLimitName, RateLimitConfig>, redisUrl: string | null, logger: Logger): Promise<void> {
  if (Object.values(limits).every((limit) => limit.max === 0)) return;
  const limitOf = (request: FastifyRequest): RateLimitConfig => limits[limitNameOf(request)];
  let redis: Redis | null = null;
  if (redisUrl !== null) {
    // Fails fast while Redis is down; the limit then lets requests through (skipOnError) rather than refuse everyone.
    // Loaded only with REDIS_URL: the embedded registry never holds ioredis in memory.
    const { Redis } = await import('ioredis');
    redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    let warned = false;
    redis.on('error', (error: Error) => {
      if (!warned) logger.warn(`rate-limit counters unreachable in Redis (${error.message}); limits are not enforced until it is back`);
      warned = true;
    });
    redis.on('ready', () => (warned = false));
    app.getHttpAdapter().getInstance().addHook('onClose', async () => {
      redis?.disconnect();
    });
    // Without an offline queue, requests served before the connection is up were let through uncounted:
    // wait for it at start, up to the connect timeout (Redis down at start still starts the API).
    const connecting = redis;
    await new Promise<void>((resolve) => {
      if (connecting.status === 'ready') return resolve();
      const timer = setTimeout(resolve, 2000);
      connecting.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  await app.register(fastifyRateLimit as never, {
    global: false,
    max: (request: FastifyRequest) => limitOf(request).max,
    timeWindow: (request: FastifyRequest) => limitOf(request).windowMs,
    ...(redis !== null ? { redis, nameSpace: 'wasm-registry:rate-limit:' } : {}),
    skipOnError: true,
    // A limit of 0 is off.
    allowList: (request: FastifyRequest) => !(request.raw.socket instanceof Socket) || limitOf(request).max === 0,
    errorResponseBuilder: (request: FastifyRequest, context: { max: number; after: string; ttl: number }) => {
      const limit = limitOf(request);
      return new RegistryError(
        429,
        'too_many_requests',
        'Too many requests',
        `more than ${context.max} requests to ${request.method} ${request.routeOptions.url ?? request.url} from this address within ${limit.windowMs / 1000} s; retry in ${context.after}`,
        { limit: context.max, windowSeconds: limit.windowMs / 1000, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      );
    },
  });
}
