/**
 * Runs the storage conformance suite against S3. By default it starts s3rver in
 * this process (the memory test starts one in a child process, so that only the
 * driver's memory is measured). To run against MinIO, AWS S3, R2 and the like, set:
 *   TEST_S3_ENDPOINT           e.g. http://127.0.0.1:9000 (leave unset for AWS itself: set TEST_S3_BUCKET)
 *   TEST_S3_BUCKET             created when missing; objects go under a random prefix and are removed
 *   TEST_S3_REGION             default us-east-1
 *   TEST_S3_ACCESS_KEY_ID, TEST_S3_SECRET_ACCESS_KEY
 *   TEST_S3_FORCE_PATH_STYLE   default true; set false for virtual-hosted buckets
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3Server, type TestS3Server } from '../../../testing/s3-server.js';
import { createS3Client, S3StorageDriver, type S3StorageConfig } from './s3.driver.js';
import { chunked, collect, describeStorageConformance, readAll } from './storage-conformance.js';

const MiB = 1024 * 1024;
const external = process.env.TEST_S3_ENDPOINT !== undefined || process.env.TEST_S3_BUCKET !== undefined;

/** Config for the external endpoint, or for a fresh s3rver (then `server` must be stopped). */
async function s3Target(): Promise<{ config: S3StorageConfig; server: TestS3Server | null }> {
  if (external) {
    const env = process.env;
    return {
      server: null,
      config: {
        kind: 's3',
        endpoint: env.TEST_S3_ENDPOINT || null,
        bucket: env.TEST_S3_BUCKET ?? 'registry-test',
        region: env.TEST_S3_REGION ?? 'us-east-1',
        accessKeyId: env.TEST_S3_ACCESS_KEY_ID ?? '',
        secretAccessKey: env.TEST_S3_SECRET_ACCESS_KEY ?? '',
        forcePathStyle: !/^(0|false|no)$/i.test(env.TEST_S3_FORCE_PATH_STYLE ?? 'true'),
        presignedDownloadTtlSeconds: 0,
      },
    };
  }
  const server = await startTestS3Server();
  return {
    server,
    config: {
      kind: 's3',
      endpoint: server.endpoint,
      bucket: server.bucket,
      region: server.region,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      forcePathStyle: true,
      presignedDownloadTtlSeconds: 0,
    },
  };
}

describe('s3 storage driver', () => {
  let config: S3StorageConfig;
  let server: TestS3Server | null;
  const run = `s3-driver-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    ({ config, server } = await s3Target());
    await new S3StorageDriver(config).ensureBucket();
  });
  afterAll(async () => {
    const driver = new S3StorageDriver(config);
    for (const object of await collect(driver.list(`${run}/`))) await driver.delete(object.key);
    await driver.close();
    await server?.stop();
  });

  it('keeps RSS within 30 MiB of its start while putting 50 MiB', async () => {
    // The fake server runs in its own process: its buffers are not the API's.
    const isolated = external ? null : await startTestS3Server({ childProcess: true });
    const driver = new S3StorageDriver(
      isolated ? { ...config, endpoint: isolated.endpoint, bucket: isolated.bucket } : config,
    );
    try {
      // The warm-up loads the SDK's multipart code paths and opens the socket.
      await driver.put(`${run}/warm-up`, generated(6 * MiB));
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 5);
      try {
        await driver.put(`${run}/fifty`, generated(50 * MiB));
      } finally {
        clearInterval(timer);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      expect((await driver.head(`${run}/fifty`))?.size).toBe(50 * MiB);
      expect((peak - baseline) / MiB).toBeLessThan(30);
      if (isolated === null) await Promise.all([driver.delete(`${run}/warm-up`), driver.delete(`${run}/fifty`)]);
    } finally {
      await driver.close();
      await isolated?.stop();
    }
  });

  /** A driver whose client records the name of every command it sends. */
  const recordingDriver = (): { driver: S3StorageDriver; client: S3Client; sent: string[] } => {
    const client = createS3Client(config);
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    return { driver: new S3StorageDriver(config, { client }), client, sent };
  };

  it('aborts the multipart upload of a put whose source fails', async () => {
    const { driver, client, sent } = recordingDriver();
    try {
      let pulled = 0;
      const source = new Readable({
        read() {
          if (pulled >= 11 * MiB) return void this.destroy(new Error('source failed'));
          pulled += MiB;
          this.push(Buffer.alloc(MiB, 1));
        },
      });
      await expect(driver.put(`${run}/failing`, source)).rejects.toThrow('source failed');
      expect(sent).toContain('UploadPartCommand');
      expect(sent).toContain('AbortMultipartUploadCommand');
      expect(sent).not.toContain('CompleteMultipartUploadCommand');
      expect(await driver.head(`${run}/failing`)).toBeNull();
    } finally {
      client.destroy();
    }
  });

  it.each([
    [5 * MiB - 1, 'PutObjectCommand'],
    [5 * MiB, 'PutObjectCommand'],
    [5 * MiB + 1, 'CompleteMultipartUploadCommand'],
    [10 * MiB, 'CompleteMultipartUploadCommand'],
    [10 * MiB + 1, 'CompleteMultipartUploadCommand'],
  ])('round-trips %i bytes, in chunks straddling part boundaries, with %s', async (size, command) => {
    const { driver, client, sent } = recordingDriver();
    try {
      const bytes = randomBytes(size);
      await driver.put(`${run}/boundary-${size}`, chunked(bytes, 100_003));
      expect(sent).toContain(command);
      const read = await readAll((await driver.get(`${run}/boundary-${size}`)).body);
      expect(read.length).toBe(size);
      expect(read.equals(bytes)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('stores a streamed body with no checksum framing (requestChecksumCalculation WHEN_REQUIRED)', async () => {
    const driver = new S3StorageDriver(config);
    try {
      await driver.put(`${run}/ten`, chunked(Buffer.from('0123456789'), 3));
      expect((await driver.head(`${run}/ten`))?.size).toBe(10);
    } finally {
      await driver.close();
    }
  });

  it('ranges of an empty object are refused even where the server answers 206', async () => {
    const driver = new S3StorageDriver(config);
    try {
      await driver.put(`${run}/empty`, chunked(Buffer.alloc(0)));
      await expect(driver.get(`${run}/empty`, { start: 0, end: 0 })).rejects.toBeInstanceOf(RangeError);
      expect((await readAll((await driver.get(`${run}/empty`)).body)).length).toBe(0);
    } finally {
      await driver.close();
    }
  });

  it('check fails for a missing bucket, and ensureBucket creates it only where allowed', async () => {
    const missing = new S3StorageDriver({ ...config, bucket: `missing-${randomBytes(4).toString('hex')}` });
    try {
      await expect(missing.check()).rejects.toThrow();
      if (external) return; // do not create buckets in someone's account
      await missing.ensureBucket();
      await missing.ensureBucket();
      await expect(missing.check()).resolves.toBeUndefined();
    } finally {
      await missing.close();
    }
  });
});

describeStorageConformance('s3', async () => {
  const { config, server } = await s3Target();
  // A small page size makes the list tests walk several ListObjectsV2 pages.
  const driver = new S3StorageDriver(config, { listPageSize: 2 });
  await driver.ensureBucket();
  return {
    driver,
    cleanup: async () => {
      await driver.close();
      await server?.stop();
    },
  };
});

/** `size` bytes made on demand in 64 KiB chunks, so the test itself holds almost nothing. */
function generated(size: number): Readable {
  const chunk = randomBytes(64 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}
