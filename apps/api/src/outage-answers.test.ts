import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@nestjs/common';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../libs/db/index.js';
import { freePort } from '../../../testing/free-port.js';
import { sendProblem } from './problem.filter.js';

/** The error `work` rejects with; fails the test when it does not reject. */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

// Real errors from real clients pointed at a port where nothing listens (PostgreSQL down, S3 down).
describe('sendProblem: a dependency that is down', () => {
  const warnings: string[] = [];
  const errors: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m), error: (m: string) => errors.push(m), debug: () => undefined } as unknown as Logger;
  const app = Fastify();

  beforeAll(async () => {
    const closed = await freePort();
    const db = await openDatabase({ kind: 'postgres', url: `postgresql://registry:secret@127.0.0.1:${closed}/registry` });
    const databaseDown = await failureOf(() => db.prisma.version.findFirst());
    await db.close();
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${closed}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const storageDown = await failureOf(() => s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })));
    s3.destroy();
    app.get('/api/v1/plugins', async (request, reply) => sendProblem(request, reply, databaseDown, logger));
    app.get('/v2/acme/jwt/blobs/:digest', async (request, reply) => sendProblem(request, reply, storageDown, logger));
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers problem+json 503 with Retry-After, naming the database but not its address, and logs one warning line without a stack', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/plugins' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'service_unavailable', dependency: 'database' });
    expect(response.body).not.toMatch(/127\.0\.0\.1|secret/);
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^GET \/api\/v1\/plugins: database unavailable \(.*P1001.*\), answered 503$/);
  });

  it('answers /v2 in the OCI error format: 503 UNAVAILABLE with Retry-After', async () => {
    const response = await app.inject({ method: 'GET', url: `/v2/acme/jwt/blobs/sha256:${'0'.repeat(64)}` });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ errors: [{ code: 'UNAVAILABLE', message: expect.stringContaining('object storage') }] });
  });
});
