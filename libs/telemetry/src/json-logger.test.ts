import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonLogger, redactSecrets } from './json-logger.js';

function capture(level: ConstructorParameters<typeof JsonLogger>[0] = 'info') {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { logger: new JsonLogger(level, 'test-service', stream), lines, flush: () => new Promise((resolve) => setImmediate(resolve)) };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with time, level, service, context and message', async () => {
    const { logger, lines, flush } = capture();
    logger.log('listening', 'Registry');
    logger.warn('slow', 'HTTP');
    await flush();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', service: 'test-service', context: 'Registry', msg: 'listening' });
    expect(lines[1]).toMatchObject({ level: 'warn', context: 'HTTP', msg: 'slow' });
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
    // No trace is active: no ids are made up.
    expect(lines[0]).not.toHaveProperty('trace_id');
  });

  it('keeps an error stack apart from the message, and leaves out levels below its own', async () => {
    const { logger, lines, flush } = capture('warn');
    const error = new Error('boom');
    logger.error('step failed', error.stack, 'Pipeline');
    logger.log('not shown', 'Pipeline');
    logger.debug('not shown either', 'Pipeline');
    await flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', context: 'Pipeline', msg: 'step failed' });
    expect(lines[0]!.stack).toMatch(/^Error: boom\n\s+at /);
  });

  it('masks secrets in messages and stacks', async () => {
    const { logger, lines, flush } = capture();
    logger.log('token wpr_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg used; Authorization: Bearer eyJhbGciOiJFZERTQSJ9.payload.sig', 'Auth');
    logger.warn('redirect to https://bucket.s3.example/blobs/sha256/ab?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261205&X-Amz-Signature=deadbeefcafe&X-Amz-Expires=300', 'HTTP');
    await flush();
    const text = JSON.stringify(lines);
    for (const secret of ['AbCdEfGhIjKlMnOp', 'eyJhbGciOiJFZERTQSJ9', 'deadbeefcafe', 'AKIA']) expect(text).not.toContain(secret);
    expect(lines[0]!.msg).toContain('wpr_[redacted]');
    expect(lines[1]!.msg).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(lines[1]!.msg).toContain('X-Amz-Expires=300');
  });
});

describe('redactSecrets', () => {
  it('masks a PEM private key whole, and leaves digests and ordinary text alone', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFakeKeyMaterial\n-----END PRIVATE KEY-----';
    expect(redactSecrets(`key: ${pem} end`)).toBe('key: [redacted private key] end');
    const plain = 'published acme/jwt-auth 1.0.0 sha256:0123456789abcdef (171008 bytes)';
    expect(redactSecrets(plain)).toBe(plain);
  });
});
