import Fastify, { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ModuleDelivery } from '../../blobs/index.js';
import { notFound } from '../../domain/index.js';
import { StorageNotFoundError, type ByteRange } from '../../storage/index.js';
import { sendModule } from './module-response.js';

const BYTES = Buffer.from('0123456789');
const DIGEST = `sha256:${createHash('sha256').update(BYTES).digest('hex')}`;

/** Modules in memory by digest, behind ModuleDelivery; presigns as an object store would. */
class FakeBlobs {
  readonly modules = new Map<string, Buffer>();
  put(digest: string, bytes: Buffer): this {
    this.modules.set(digest, bytes);
    return this;
  }
  async open(digest: string, range?: ByteRange) {
    const bytes = this.modules.get(digest);
    if (bytes === undefined) throw new StorageNotFoundError(digest);
    return { body: Readable.from([range === undefined ? bytes : bytes.subarray(range.start, range.end + 1)], { objectMode: false }), size: bytes.length };
  }
  async stat(digest: string) {
    const bytes = this.modules.get(digest);
    return bytes === undefined ? null : { key: digest, size: bytes.length, lastModified: new Date(0) };
  }
  async signedUrl(digest: string, expiresInSeconds: number) {
    return `https://bucket.example/${digest}?expires=${expiresInSeconds}`;
  }
  async readAll(digest: string, size: number) {
    const bytes = this.modules.get(digest);
    if (bytes === undefined) throw new StorageNotFoundError(digest);
    if (bytes.length !== size) throw new Error('size differs');
    return new Uint8Array(bytes);
  }
}

/**
 * One module route over fake storage, recording in order what reached the
 * download marks, storage and the counter: a mark must come before any byte.
 */
function serve(options: { presignedTtlSeconds?: number; deleted?: boolean; stored?: boolean; cacheBytes?: number; bytes?: Buffer } = {}) {
  const events: string[] = [];
  const blobs = new FakeBlobs();
  if (options.stored !== false) blobs.put(DIGEST, options.bytes ?? BYTES);
  const opened = blobs.open.bind(blobs);
  blobs.open = async (digest, range) => (events.push('open'), opened(digest, range));
  const readAll = blobs.readAll.bind(blobs);
  blobs.readAll = async (digest, size) => (events.push('read whole'), readAll(digest, size));
  const delivery = new ModuleDelivery(blobs, options.presignedTtlSeconds ?? 0, { bytes: options.cacheBytes ?? 0 });
  const app = Fastify({ exposeHeadRoutes: false });
  app.setErrorHandler((error: Error & { status?: number }, _request, reply) => void reply.status(error.status ?? 500).send({ error: error.message }));
  app.route({ method: ['GET', 'HEAD'], url: '/module', handler: async (request, reply) => {
    await sendModule(request, reply, {
      ...delivery.source(DIGEST),
      digest: DIGEST,
      size: BYTES.length,
      cacheControl: 'public, max-age=31536000, immutable',
      markDownloaded: async () => {
        events.push('mark');
        if (options.deleted === true) throw notFound('version_not_found', 'deleted meanwhile');
      },
      missing: () => notFound('blob_not_found', 'not in storage'),
      onDownload: () => events.push('counted'),
      route: 'digest',
    });
    // Fastify waits for a reply that an async handler returns (a stream is sent after the handler resolves).
    return reply;
  } });
  return { app, events };
}

describe('sendModule', () => {
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it('marks the download before any byte goes out, and counts it once the body was sent', async () => {
    const served = serve();
    app = served.app;
    const response = await app.inject({ method: 'GET', url: '/module' });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload).toEqual(BYTES);
    expect(served.events).toEqual(['open', 'mark', 'counted']);
  });

  it('marks before a range, and does not count a part as a download', async () => {
    const served = serve();
    app = served.app;
    const response = await app.inject({ method: 'GET', url: '/module', headers: { range: 'bytes=0-3' } });
    expect(response.statusCode).toBe(206);
    expect(response.body).toBe('0123');
    expect(served.events).toEqual(['open', 'mark']);
  });

  it('marks before a 304: the client holds the bytes', async () => {
    const served = serve();
    app = served.app;
    const response = await app.inject({ method: 'GET', url: '/module', headers: { 'if-none-match': `"${DIGEST}"` } });
    expect(response.statusCode).toBe(304);
    expect(served.events).toEqual(['mark']);
  });

  it('marks before redirecting to a presigned URL, counts the redirect, and never opens the object', async () => {
    const served = serve({ presignedTtlSeconds: 60 });
    app = served.app;
    const response = await app.inject({ method: 'GET', url: '/module' });
    expect(response.statusCode).toBe(307);
    expect(response.headers.location).toBe(`https://bucket.example/${DIGEST}?expires=60`);
    expect(served.events).toEqual(['mark', 'counted']);
  });

  it('sends nothing of a version deleted meanwhile: its mark refuses, and no byte follows', async () => {
    const served = serve({ deleted: true });
    app = served.app;
    const response = await app.inject({ method: 'GET', url: '/module' });
    expect(response.statusCode).toBe(404);
    expect(response.rawPayload.includes(BYTES)).toBe(false);
    expect(served.events).toEqual(['open', 'mark']);
  });

  it('marks nothing for a HEAD, and answers from storage\'s view without a redirect', async () => {
    const served = serve({ presignedTtlSeconds: 60 });
    app = served.app;
    const response = await app.inject({ method: 'HEAD', url: '/module' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe(String(BYTES.length));
    expect(served.events).toEqual([]);
  });

  it('answers 404 rather than failing when storage lost the object', async () => {
    const served = serve({ stored: false });
    app = served.app;
    expect((await app.inject({ method: 'GET', url: '/module' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'HEAD', url: '/module' })).statusCode).toBe(404);
    expect(served.events).toEqual(['open']);
  });

  describe('with modules kept in memory', () => {
    it('reads storage once for many downloads, marks each before its bytes and counts each complete one', async () => {
      const served = serve({ cacheBytes: 1024 });
      app = served.app;
      for (let i = 0; i < 3; i++) {
        const response = await app.inject({ method: 'GET', url: '/module' });
        expect(response.statusCode).toBe(200);
        expect(response.rawPayload).toEqual(BYTES);
        expect(response.headers['content-length']).toBe(String(BYTES.length));
        expect(response.headers.etag).toBe(`"${DIGEST}"`);
      }
      expect(served.events).toEqual(['read whole', 'mark', 'counted', 'mark', 'counted', 'mark', 'counted']);
    });

    it('answers ranges and HEAD from memory with the same headers, and counts neither', async () => {
      const served = serve({ cacheBytes: 1024 });
      app = served.app;
      await app.inject({ method: 'GET', url: '/module' });
      const range = await app.inject({ method: 'GET', url: '/module', headers: { range: 'bytes=2-4' } });
      expect(range.statusCode).toBe(206);
      expect(range.body).toBe('234');
      expect(range.headers['content-range']).toBe(`bytes 2-4/${BYTES.length}`);
      const head = await app.inject({ method: 'HEAD', url: '/module' });
      expect(head.statusCode).toBe(200);
      expect(head.headers['content-length']).toBe(String(BYTES.length));
      expect(served.events).toEqual(['read whole', 'mark', 'counted', 'mark']);
    });

    it('sends nothing of a version deleted meanwhile, though its bytes are in memory', async () => {
      const served = serve({ cacheBytes: 1024, deleted: true });
      app = served.app;
      const response = await app.inject({ method: 'GET', url: '/module' });
      expect(response.statusCode).toBe(404);
      expect(response.rawPayload.includes(BYTES)).toBe(false);
      expect(served.events).toEqual(['read whole', 'mark']);
    });

    it('streams bytes that do not hash to their digest, as before, and keeps nothing of them', async () => {
      const corrupt = Buffer.from('0123456780');
      const served = serve({ cacheBytes: 1024, bytes: corrupt });
      app = served.app;
      for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'GET', url: '/module' })).rawPayload).toEqual(corrupt);
      expect(served.events).toEqual(['read whole', 'open', 'mark', 'counted', 'read whole', 'open', 'mark', 'counted']);
    });
  });
});
